"""The content hash of a revision: SHA-256 over a canonical form (pure).

It covers everything a reviewer judges: title, sanitised body and the repost
fields. Reviews bind to this hash and publishing compares it again.
"""
import hashlib
import json
import unicodedata

HASHED_CONTENT_FIELDS = ("title", "body_html", "is_repost", "source_name", "source_url", "original_title")


def _norm(value):
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value).replace("\r\n", "\n").strip()
    return value


def content_hash(fields):
    payload = {name: _norm(fields[name]) for name in HASHED_CONTENT_FIELDS}
    body = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()
