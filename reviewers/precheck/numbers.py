"""Numbers (``number.*``): shares that should make 100%, a Chinese and an
Arabic number for one quantity, full- and half-width digits in one number."""

from __future__ import annotations

import re
from typing import Iterator

from .context import Clauses, Document, FieldText, finditer_in_runs, runs_around
from .findings import Finding

__all__ = ["check", "chinese_number"]

_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")}
_DIGITS.update({"〇": 0, "两": 2, "壹": 1, "贰": 2, "叁": 3, "肆": 4, "伍": 5, "陆": 6, "柒": 7, "捌": 8, "玖": 9})
_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_BIG = {"万": 10_000, "亿": 100_000_000}
_CN_CHARS = "".join(_DIGITS) + "".join(_UNITS) + "".join(_BIG)


def chinese_number(text: str) -> int | None:
    """The value of a Chinese numeral (二十三, 一百零五, 壹万伍仟, 二〇二六), or None."""
    if not text or any(char not in _CN_CHARS for char in text):
        return None
    if all(char in _DIGITS for char in text) and len(text) > 1:
        return int("".join(str(_DIGITS[char]) for char in text))  # 二〇二六
    result, wan, section, digit = 0, 0, 0, None
    for char in text:
        if char in _DIGITS:
            value = _DIGITS[char]
            if digit is not None and digit != 0:
                return None  # two digits in a row: not a number (一二)
            digit = value
        elif char in _UNITS:
            section += (1 if digit is None else digit) * _UNITS[char]
            digit = None
        elif char == "万":
            wan = (section + (digit or 0)) * 10_000
            section, digit = 0, None
        else:  # 亿
            result = (result + wan + section + (digit or 0)) * 100_000_000
            wan, section, digit = 0, 0, None
    return result + wan + section + (digit or 0)


_PAIR = re.compile(
    rf"([{_CN_CHARS}]+)(元|圆)?整?\s*\(\s*[¥$]?\s*(\d[\d,]*(?:\.\d+)?)\s*(?:元|圆)?\s*\)"
    rf"|(?<![\d.])(\d[\d,]*(?:\.\d+)?)\s*\(\s*([{_CN_CHARS}]+)\s*\)"
)
#: After the parenthesis: a class, group or number in a series (初一(3)班), not a quantity.
_SERIES_AFTER = re.compile(r"\s*(?:班|组|排|连|队|号|届|期|栋|幢|楼|室|床|座|级|中队|小队)")
_SERIES_BEFORE = re.compile(r"(?:初|高|年级|小|中|大|第)$")
_UNIT_AFTER = re.compile(
    r"\s*(?:人|名|个|所|天|日|元|万|亿|项|件|间|门|次|位|台|套|册|本|张|条|篇|场|支|家|辆|份|周|年|月|小时|分钟|亩|平方米|米|公里|千克|吨|%)"
)


#: Every character a match of _PAIR can hold, besides decimal digits and whitespace.
_PAIR_CHARS = frozenset(_CN_CHARS + "元圆整()¥$,.")


def _pair_char(char: str) -> bool:
    return char in _PAIR_CHARS or char.isdecimal() or char.isspace()


def _chinese_arabic(field: FieldText) -> Iterator[Finding]:
    text = field.text
    # every pair holds a "(" (NFKC turns "（" into it): read the runs around those
    for offset, match in finditer_in_runs(_PAIR, text, runs_around(text, "(", _pair_char)):
        start, end = offset + match.start(), offset + match.end()
        if match.group(1) is not None:
            chinese, arabic, money = match.group(1), match.group(3), bool(match.group(2))
            chinese_start = offset + match.start(1)
        else:
            arabic, chinese, money = match.group(4), match.group(5), False
            chinese_start = offset + match.start(5)
        value = chinese_number(chinese)
        if value is None:
            continue
        number = float(arabic.replace(",", ""))
        if number == value:
            continue
        if _SERIES_AFTER.match(text, end) or _SERIES_BEFORE.search(text, 0, min(chinese_start, start)):
            continue
        if not (money or value >= 10 or _UNIT_AFTER.match(text, end)):
            continue
        shown = int(number) if number.is_integer() else number
        yield field.finding(
            rule="number.chinese_arabic",
            dimension="wording",
            severity="warning",
            start=start,
            end=end,
            message=f"同一数量的中文数字与阿拉伯数字不一致：“{chinese}”是{value}，括号中写的是{shown}。",
        )


_PERCENT = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*%")
_SHARE_CUE = re.compile(r"分别|占|比例|比重|构成|依次|其中")
#: A list that names its remainder (其他, 不合格, 未…) covers the whole.
_COMPLEMENT = re.compile(r"其他|其它|其余|不合格|不及格|不满意|不达标|未|以下|没有|否")
_CLAUSE_END = re.compile(r"[。！？!?\n]")


def _percent_sums(field: FieldText) -> Iterator[Finding]:
    text = field.text
    if "%" not in text:
        return
    clauses = Clauses(text, _CLAUSE_END)
    last_clause = -1
    # only a clause with two "%" can hold two shares
    for percent in re.finditer("%", text):
        if percent.start() < last_clause:
            continue
        offset, last_clause = clauses.around(percent.start())
        sentence = text[offset:last_clause]
        if sentence.count("%") < 2:
            continue
        matches = list(_PERCENT.finditer(sentence))
        if len(matches) < 2 or not _SHARE_CUE.search(sentence):
            continue
        values = [match.group(1) for match in matches]
        decimals = max((len(v.partition(".")[2]) for v in values), default=0)
        tolerance = len(values) * 0.5 * 10 ** (-decimals) if decimals else 0.0
        total = sum(float(v) for v in values)
        if total > 100 + tolerance + 1e-9 and total <= 200:
            pass
        elif total < 100 - tolerance - 1e-9 and len(values) >= 2 and _COMPLEMENT.search(sentence) and total >= 50:
            pass
        else:
            continue
        first, last = matches[0], matches[-1]
        shown = round(total, decimals) if decimals else int(total)
        yield field.finding(
            rule="number.percent_sum",
            dimension="wording",
            severity="info",
            start=offset + first.start(),
            end=offset + last.end(),
            message=f"各部分百分比之和为{shown}%，不等于100%，请核对。",
        )


_DIGIT_RUN = re.compile(r"[0-9０-９](?:[0-9０-９]|[.,，．][0-9０-９])*")
_ASCII_DIGIT = re.compile(r"[0-9]")
_WIDE_DIGIT = re.compile(r"[０-９]")


def _mixed_width(field: FieldText) -> Iterator[Finding]:
    plain = field.plain
    if not _WIDE_DIGIT.search(plain):
        return
    for match in _DIGIT_RUN.finditer(plain):
        run = match.group()
        if _ASCII_DIGIT.search(run) and _WIDE_DIGIT.search(run):
            yield field.finding(
                rule="number.mixed_width",
                dimension="wording",
                severity="warning",
                start=match.start(),
                end=match.end(),
                message="同一数字中混用了全角和半角数字。",
                suggestion=run.translate(str.maketrans("０１２３４５６７８９", "0123456789")),
                normalized=False,
            )


def check(field: FieldText, document: Document) -> Iterator[Finding]:
    yield from _chinese_arabic(field)
    yield from _percent_sums(field)
    yield from _mixed_width(field)
