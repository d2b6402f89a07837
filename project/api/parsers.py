"""The one request body format: JSON, strictly."""
import codecs
import json

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class DuplicateKey(ParseError):
    """An object naming one key twice: refused, never "the last one wins" (security review)."""

    default_code = "duplicate_key"


def _no_duplicate_keys(pairs):
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise DuplicateKey(_("请求内容中的对象包含重复的键：%(k)s") % {"k": key[:50]})
        obj[key] = value
    return obj


class StrictJSONParser(JSONParser):
    """JSON without NaN/Infinity, without a key given twice in one object, and
    without unpaired surrogates (which no database column and no JSON response could hold)."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.getreader(encoding)(stream).read()
            data = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_no_duplicate_keys)
        except DuplicateKey:
            raise
        except (ValueError, LookupError, TypeError, RecursionError):
            raise ParseError(_("请求内容不是有效的 JSON")) from None
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except (UnicodeEncodeError, RecursionError):
            raise ParseError(_("请求内容包含无效的 Unicode 字符")) from None
        return data


def _reject_constant(name):
    raise ValueError(f"{name} is not valid JSON")
