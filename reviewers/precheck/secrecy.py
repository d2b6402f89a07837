"""Secrecy dimension: classification markings and personal information.

All patterns run on the normalised text (full-width digits are ASCII there,
zero-width characters are gone), so ``１３６ 0000 1111`` or a number split
across HTML tags is found; offsets are mapped back to the plain text.

Severities:

* classification marking (``机密★1年``, ``绝密★启用前``, ``密级：秘密``): blocker
* resident ID number (18 digits with valid check digit and birth date): blocker
* old 15-digit ID number (valid birth date): blocker next to 身份证, else warning
* mainland mobile number: blocker
* bank card (16-19 digits, Luhn valid) next to 卡号/账号/银行卡…: blocker;
  without such a word: info (too many order numbers pass Luhn)
* personal e-mail address on a free-mail domain: warning (organisation
  domains are not reported)

Not personal data: a unified social credit code (GB 32100, checked and
labelled), landlines, 18-digit numbers failing the ID check digit, digits
inside a longer digit run.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Iterator

from .context import Document, FieldText
from .findings import Finding

__all__ = [
    "check",
    "id_check_digit",
    "is_valid_resident_id",
    "is_valid_old_resident_id",
    "luhn_valid",
    "uscc_valid",
    "FREE_MAIL_DOMAINS",
]

# ---------------------------------------------------------------------------
# Validators
# ---------------------------------------------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 "
    "50 51 52 53 54 61 62 63 64 65 71 81 82 83 91".split()
)


def id_check_digit(first17: str) -> str:
    """GB 11643-1999 check character for the first 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS))
    return _ID_CHECK[total % 11]


def _valid_date(year: int, month: int, day: int) -> bool:
    try:
        date = _dt.date(year, month, day)
    except ValueError:
        return False
    return date <= _dt.date.today()


def is_valid_resident_id(number: str) -> bool:
    """18-digit resident ID: region, birth date and check digit."""
    if len(number) != 18 or not number[:17].isascii() or not number[:17].isdigit():
        return False
    if number[:2] not in _PROVINCES:
        return False
    if not _valid_date(int(number[6:10]), int(number[10:12]), int(number[12:14])):
        return False
    return id_check_digit(number[:17]) == number[17].upper()


def is_valid_old_resident_id(number: str) -> bool:
    """15-digit resident ID (before 1999): region and birth date 19YYMMDD."""
    if len(number) != 15 or not number.isascii() or not number.isdigit():
        return False
    if number[:2] not in _PROVINCES:
        return False
    return _valid_date(1900 + int(number[6:8]), int(number[8:10]), int(number[10:12]))


def luhn_valid(number: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = ord(char) - 48
        if index % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_valid(code: str) -> bool:
    """GB 32100-2015 unified social credit code check character."""
    code = code.upper()
    if len(code) != 18 or any(char not in _USCC_CHARS for char in code):
        return False
    total = sum(_USCC_CHARS.index(char) * weight for char, weight in zip(code, _USCC_WEIGHTS))
    return _USCC_CHARS[(31 - total % 31) % 31] == code[17]


# ---------------------------------------------------------------------------
# Patterns (on normalised text)
# ---------------------------------------------------------------------------

_MARKING = re.compile(
    r"(?:密\s*级\s*:\s*)?(?:绝密|机密|秘密)\s*[★☆*]\s*"
    r"(?:启用前|长期|[0-9一二三四五六七八九十百两]+\s*(?:年|个月|月|天|日))?"
    r"|密\s*级\s*:\s*(?:绝密|机密|秘密)"
)
#: The number patterns start with the first digit and only then look behind
#: it (``[1-9](?<![0-9][1-9])`` is ``(?<![0-9])[1-9]``): a pattern that starts
#: with a character class lets ``re`` skip to the candidate digits, one that
#: starts with a lookbehind is tried at every position of the text.
#: Optionally grouped 6-8-4 with a space or dash (440304 19851102 4566).
_ID18 = re.compile(
    r"[1-9](?<![0-9][1-9])(?<![0-9][ -][1-9])[0-9]{5}[ -]?(?:18|19|20)[0-9]{2}[01][0-9][0-3][0-9][ -]?[0-9]{3}[0-9Xx]"
    r"(?![0-9A-Za-z])"
)
_ID15 = re.compile(r"[1-9](?<![0-9][1-9])[0-9]{7}[01][0-9][0-3][0-9][0-9]{3}(?![0-9A-Za-z])")
_MOBILE = re.compile(
    r"(?<![0-9+])(?<![0-9][ -])"
    r"(?:(?:\+|00)86[ -]?|\(\+?86\)[ -]?)?"
    r"(?P<number>1[3-9][0-9](?:[ -]?[0-9]{4}){2})(?![0-9])"
)
_CARD = re.compile(r"[1-9](?<![0-9][1-9])(?<![0-9][ -][1-9])[0-9]{3}(?:[ -]?[0-9]){12,15}(?![0-9])")
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+\-])(?P<local>[A-Za-z0-9][A-Za-z0-9._%+\-]*)@"
    r"(?P<domain>[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,})"
)
_SEPARATORS = re.compile(r"[ -]")
_HAS_DIGIT = re.compile(r"[0-9]")

_ID_CONTEXT = re.compile("身份证|证件号|公民身份号码|身份号码")
_CARD_CONTEXT = re.compile("卡号|账号|帐号|银行卡|借记卡|信用卡|储蓄卡|账户|帐户|开户行|银行")
_ORG_CODE_CONTEXT = re.compile("信用代码|社会信用|纳税人识别号|税号|组织机构代码|登记证号")
_CONTEXT_BEFORE = 20
_CONTEXT_AFTER = 8

FREE_MAIL_DOMAINS = frozenset(
    """qq.com vip.qq.com foxmail.com 163.com vip.163.com 126.com vip.126.com yeah.net 188.com
    sina.com sina.cn vip.sina.com sohu.com vip.sohu.com 139.com wo.cn 189.cn aliyun.com tom.com
    21cn.com 263.net gmail.com googlemail.com hotmail.com outlook.com live.com live.cn msn.com
    yahoo.com yahoo.cn yahoo.com.cn icloud.com me.com mac.com proton.me protonmail.com
    yandex.com mail.ru aol.com gmx.com zoho.com""".split()
)


def _near(pattern: re.Pattern, text: str, start: int, end: int) -> bool:
    return pattern.search(text, max(0, start - _CONTEXT_BEFORE), min(len(text), end + _CONTEXT_AFTER)) is not None


def _mask(digits: str, keep_start: int, keep_end: int) -> str:
    return digits[:keep_start] + "*" * (len(digits) - keep_start - keep_end) + digits[len(digits) - keep_end :]


# ---------------------------------------------------------------------------
# Rule
# ---------------------------------------------------------------------------


class _Claims:
    """Spans already reported, so one number gets one finding."""

    def __init__(self) -> None:
        self._spans: list[tuple[int, int]] = []

    def overlaps(self, start: int, end: int) -> bool:
        return any(start < other_end and other_start < end for other_start, other_end in self._spans)

    def add(self, start: int, end: int) -> None:
        self._spans.append((start, end))


def check(field: FieldText, document: Document) -> Iterator[Finding]:
    text = field.text
    claims = _Claims()
    yield from _markings(field, text, claims)
    if _HAS_DIGIT.search(text):
        yield from _resident_ids(field, text, claims)
        yield from _mobiles(field, text, claims)
        yield from _bank_cards(field, text, claims)
    if "@" in text:
        yield from _emails(field, text, claims)


def _markings(field: FieldText, text: str, claims: _Claims) -> Iterator[Finding]:
    for match in _MARKING.finditer(text):
        claims.add(match.start(), match.end())
        yield field.finding(
            rule="secrecy.classification_marking",
            dimension="secrecy",
            severity="blocker",
            start=match.start(),
            end=match.end(),
            message=f"出现国家秘密密级标志“{match.group()}”，涉密内容严禁在互联网及新媒体发布。",
            suggestion="删除涉密内容；确需公开须先依法解密并履行保密审查",
        )


def _resident_ids(field: FieldText, text: str, claims: _Claims) -> Iterator[Finding]:
    for match in _ID18.finditer(text):
        number = _SEPARATORS.sub("", match.group())
        if not is_valid_resident_id(number):
            continue
        start, end = match.span()
        if uscc_valid(number) and _near(_ORG_CODE_CONTEXT, text, start, end):
            continue  # an organisation's credit code that happens to pass the ID check
        claims.add(start, end)
        yield field.finding(
            rule="secrecy.resident_id",
            dimension="secrecy",
            severity="blocker",
            start=start,
            end=end,
            message="出现居民身份证号码（校验位有效），属于敏感个人信息，不得公开发布。",
            suggestion=_mask(number.upper(), 2, 2),
        )
    for match in _ID15.finditer(text):
        start, end = match.span()
        number = match.group()
        if claims.overlaps(start, end) or not is_valid_old_resident_id(number):
            continue
        labelled = _near(_ID_CONTEXT, text, start, end)
        claims.add(start, end)
        yield field.finding(
            rule="secrecy.resident_id_15",
            dimension="secrecy",
            severity="blocker" if labelled else "warning",
            start=start,
            end=end,
            message="疑似15位居民身份证号码（出生日期有效），属于敏感个人信息，不得公开发布。",
            suggestion=_mask(number, 2, 2),
        )


def _mobiles(field: FieldText, text: str, claims: _Claims) -> Iterator[Finding]:
    for match in _MOBILE.finditer(text):
        start, end = match.span()
        if claims.overlaps(start, end):
            continue
        digits = _SEPARATORS.sub("", match.group("number"))
        claims.add(start, end)
        yield field.finding(
            rule="secrecy.mobile",
            dimension="secrecy",
            severity="blocker",
            start=start,
            end=end,
            message="出现手机号码，属于个人信息，未经本人同意不得公开发布。",
            suggestion=_mask(digits, 3, 4),
        )


def _bank_cards(field: FieldText, text: str, claims: _Claims) -> Iterator[Finding]:
    for match in _CARD.finditer(text):
        start, end = match.span()
        digits = _SEPARATORS.sub("", match.group())
        if not 16 <= len(digits) <= 19 or claims.overlaps(start, end) or not luhn_valid(digits):
            continue
        if uscc_valid(digits) and _near(_ORG_CODE_CONTEXT, text, start, end):
            continue
        labelled = _near(_CARD_CONTEXT, text, start, end)
        claims.add(start, end)
        yield field.finding(
            rule="secrecy.bank_card",
            dimension="secrecy",
            severity="blocker" if labelled else "info",
            start=start,
            end=end,
            message=(
                "出现银行卡号（Luhn 校验有效），属于敏感个人信息，不得公开发布。"
                if labelled
                else "疑似银行卡号（16-19 位且 Luhn 校验有效），请核实是否为个人账户信息。"
            ),
            suggestion=_mask(digits, 4, 4),
        )


def _emails(field: FieldText, text: str, claims: _Claims) -> Iterator[Finding]:
    for match in _EMAIL.finditer(text):
        domain = match.group("domain").lower()
        if domain not in FREE_MAIL_DOMAINS:
            continue  # organisation mailbox: public contact data
        start, end = match.span()
        if claims.overlaps(start, end):
            continue
        local = match.group("local")
        claims.add(start, end)
        yield field.finding(
            rule="secrecy.personal_email",
            dimension="secrecy",
            severity="warning",
            start=start,
            end=end,
            message=f"出现个人邮箱地址（{domain}），属于个人信息，公开发布前请确认已获本人同意。",
            suggestion=f"{local[0]}***@{domain}（或改用单位公务邮箱）",
        )
