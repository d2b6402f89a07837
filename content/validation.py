"""Shapes of the registry's personal and contact fields: mainland mobile
numbers, landlines with an area code, web addresses, ICP record numbers and the
opening date. Pure (no ORM, no clock: the caller passes ``today``).

``content.services.account_open`` and ``account_change`` run
``registry_field_errors`` on the fields they are given, so the web pages, the
API and the admin refuse the same values with the same Chinese messages, and
store the normalised form (``13800138000``, ``020-12345678``).

Each ``normalise_*`` function returns the normalised text or raises
``FieldInvalid`` with the message for the field.
"""
import datetime as dt
import re
import unicodedata
from urllib.parse import urlsplit


class FieldInvalid(ValueError):
    """A value of the wrong shape; ``str(error)`` is the Chinese message."""


# Separators people type inside a number: spaces (also full-width), dashes, dots.
_SEPARATORS = re.compile(r"[\s\u3000\-－—.．]+")
MOBILE = re.compile(r"1[3-9]\d{9}")
# 0 + area code (2 or 3 more digits), the local number (7 or 8 digits), an extension.
LANDLINE = re.compile(r"(0\d{2,3})-?(\d{7,8})(?:-(\d{1,6}))?")
# Province abbreviations of ICP record numbers (工信部备案号: 粤ICP备12345678号-1).
ICP_PROVINCES = "京津冀晋蒙辽吉黑沪苏浙皖闽赣鲁豫鄂湘粤桂琼渝川贵黔云滇藏陕秦甘陇青宁新"
ICP_RECORD = re.compile(rf"([{ICP_PROVINCES}])ICP备(\d{{4,12}})号(?:-(\d{{1,4}}))?")

MOBILE_MESSAGE = "手机号应为 11 位中国大陆手机号码（1 开头，第二位为 3–9），如 13800138000"
PHONE_MESSAGE = ("电话应为 11 位手机号码，或带区号的固定电话（如 020-12345678，分机写在最后：020-12345678-123）")
URL_MESSAGE = "网址应以 http:// 或 https:// 开头并包含域名，如 https://www.example.edu.cn"
ICP_MESSAGE = "ICP 备案号格式应为“省份简称 + ICP备 + 数字 + 号”，如 粤ICP备12345678号 或 粤ICP备12345678号-1"


def _plain(value):
    """The text with full-width digits, letters and dashes made half-width."""
    return unicodedata.normalize("NFKC", str(value or "")).strip()


def _digits_only(text):
    return _SEPARATORS.sub("", _plain(text))


def normalise_mobile(value):
    """A mainland mobile number: 11 digits ``1[3-9]xxxxxxxxx``. Spaces and
    dashes are dropped, a leading +86 / 0086 / 86 country code too."""
    text = _digits_only(value)
    text = re.sub(r"^(\+86|0086|86)(?=1\d{10}$)", "", text)
    if not MOBILE.fullmatch(text):
        raise FieldInvalid(MOBILE_MESSAGE)
    return text


def _area_code_length(digits):
    """3 for 010 and 020–029 (Beijing and the big cities), else 4."""
    return 3 if digits[:2] in ("01", "02") else 4


def normalise_landline(value):
    """A landline with its area code: ``0\\d{2,3}-?\\d{7,8}(-\\d{1,6})?``,
    normalised to ``area-number[-extension]`` (020-12345678, 0755-1234567-12).

    Spaces and dashes may group the digits ("020 8888 6666"); the area code is
    the first group when it is one, else taken by the area-code rule; groups
    join into the local number until it has 7 digits, and what follows is the
    extension."""
    text = _plain(value)
    text = re.sub(r"^[(（](0\d{2,3})[)）]", r"\1-", text)          # (020)12345678
    groups = [g for g in re.split(r"[\s\-－—]+", text) if g]
    if not groups or not all(g.isdigit() for g in groups) or not groups[0].startswith("0"):
        raise FieldInvalid(PHONE_MESSAGE)
    first = groups.pop(0)
    if re.fullmatch(r"0\d{2,3}", first) and groups:
        area, local = first, ""
    else:
        cut = _area_code_length(first)
        area, local = first[:cut], first[cut:]
    while len(local) < 7 and groups:
        local += groups.pop(0)
    extension = "".join(groups)
    result = f"{area}-{local}" + (f"-{extension}" if extension else "")
    if not LANDLINE.fullmatch(result):
        raise FieldInvalid(PHONE_MESSAGE)
    return result


def normalise_phone(value):
    """A contact phone: a mobile number or a landline with its area code."""
    try:
        return normalise_mobile(value)
    except FieldInvalid:
        pass
    try:
        return normalise_landline(value)
    except FieldInvalid:
        raise FieldInvalid(PHONE_MESSAGE) from None


def looks_like_url(value):
    """A handle meant as an address (checked as one whatever the platform)."""
    text = str(value or "").strip().lower()
    return "://" in text or text.startswith(("http:", "https:", "www."))


def normalise_url(value):
    """An http(s) address with a host name."""
    text = str(value or "").strip()
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        raise FieldInvalid(URL_MESSAGE) from None
    if parts.scheme.lower() not in ("http", "https") or not host or any(c.isspace() for c in text):
        raise FieldInvalid(URL_MESSAGE)
    if "." not in host and host != "localhost":
        raise FieldInvalid(URL_MESSAGE)
    return text


def normalise_icp_record(value):
    """An ICP record number, e.g. 粤ICP备12345678号 or 粤ICP备12345678号-1
    (spaces dropped, ``icp`` upper-cased, a half-width dash before the site
    number)."""
    text = re.sub(r"\s+", "", _plain(value))
    text = re.sub(r"icp", "ICP", text, flags=re.IGNORECASE).replace("—", "-")
    if not ICP_RECORD.fullmatch(text):
        raise FieldInvalid(ICP_MESSAGE)
    return text


def check_opened_on(value, *, today):
    """开通时间 is a day that has come (not after ``today``)."""
    if value is not None and value > today:
        raise FieldInvalid(f"开通时间不能晚于今天（{today.isoformat()}）")
    return value


# Registry field → its shape. Phones of the leader, the operations head and the
# staff may be a mobile or a landline; the owner's is a mobile number.
MOBILE_FIELDS = ("owner_mobile",)
PHONE_FIELDS = ("leader_phone", "ops_phone")


def registry_field_errors(values, *, platform, today):
    """Check and normalise the registry values a filing is given.

    ``values`` holds the fields being written (already converted: a date for
    ``opened_on``, a list of ``{"name", "title", "phone"}`` for ``staff``),
    ``platform`` is the account's platform after the filing. Returns
    ``(normalised, errors)``: the values with normalised text, and
    ``{field: [message]}`` (``staff.<i>.phone`` for a staff member's phone).
    Empty values are left alone: the fields are optional."""
    normalised = dict(values)
    errors = {}

    def check(field, function, value):
        if value in (None, ""):
            return value
        try:
            return function(value)
        except FieldInvalid as error:
            errors[field] = [str(error)]
            return value

    for field in MOBILE_FIELDS:
        if field in values:
            normalised[field] = check(field, normalise_mobile, values[field])
    for field in PHONE_FIELDS:
        if field in values:
            normalised[field] = check(field, normalise_phone, values[field])
    if "icp_record" in values:
        normalised["icp_record"] = check("icp_record", normalise_icp_record, values["icp_record"])
    if "handle" in values:
        handle = values["handle"]
        if platform == "website" or looks_like_url(handle):
            normalised["handle"] = check("handle", normalise_url, handle)
    if "opened_on" in values and isinstance(values["opened_on"], dt.date):
        check("opened_on", lambda day: check_opened_on(day, today=today), values["opened_on"])
    if isinstance(values.get("staff"), list):
        people = []
        for i, person in enumerate(values["staff"]):
            person = dict(person)
            person["phone"] = check(f"staff.{i}.phone", normalise_phone, person.get("phone", ""))
            people.append(person)
        normalised["staff"] = people
    return normalised, errors
