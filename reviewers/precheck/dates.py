"""Dates (``date.*``): weekday, impossible dates, backward ranges, future years.

Dates are written ``[YYYY年]M月D日`` (digits, full-width digits included:
the rules read the normalised text). Other spellings (2026-12-01,
二〇二六年十二月一日) are not read.
"""

from __future__ import annotations

import calendar
import re
from datetime import date
from typing import Iterator

from .context import Clauses, Document, FieldText, finditer_in_runs, runs_around
from .findings import Finding

__all__ = ["check"]

_WEEKDAYS = "一二三四五六日"
_DATE = r"(?<!\d)(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})\s*日"
_DATE_RE = re.compile(_DATE)
_WEEKDAY_RE = re.compile(_DATE + r"\s*\(?\s*(?:星期|周|礼拜)([一二三四五六日天])\s*\)?")
_RANGE_RE = re.compile(
    _DATE + r"\s*(?:至|到|—|–|-|~)+\s*(?:(\d{4})\s*年\s*)?(?:(\d{1,2})\s*月\s*)?(\d{1,2})\s*日"
)
_YEAR_RE = re.compile(r"(?<!\d)(\d{4})\s*年(?!\s*(?:度|级|届|版|制))")
#: A sentence reporting a finished event.
_PAST = re.compile(r"了|已经|已|曾|圆满|顺利完成|荣获|获评")
#: A sentence about plans: a future year is normal there.
_FUTURE = re.compile(r"将|计划|预计|拟|力争|争取|到\d{4}年|届时|规划|目标|有望|即将|准备|定于|截至|之前|以前|前完成|起")


def _year_of(value: str | None) -> int | None:
    return int(value) if value else None


def _valid(year: int | None, month: int, day: int) -> bool:
    if not 1 <= month <= 12 or day < 1:
        return False
    last = calendar.monthrange(year if year is not None else 2000, month)[1]
    return day <= last


#: Every character a match of _DATE_RE, _WEEKDAY_RE or _RANGE_RE can hold,
#: besides decimal digits and whitespace (``\\d`` and ``\\s`` of ``re``).
_DATE_CHARS = frozenset("年月日()（）星期周礼拜一二三四五六天至到—–-~")


def _date_char(char: str) -> bool:
    return char in _DATE_CHARS or char.isdecimal() or char.isspace()


def _date_chunks(text: str) -> list[tuple[int, int]]:
    """The runs of characters a date can hold around each 月 (every date
    match holds one): the regexes are run on these only (see
    :func:`context.runs_around`)."""
    return runs_around(text, "月", _date_char)


def _impossible(field: FieldText, chunks: list[tuple[int, int]]) -> Iterator[Finding]:
    for offset, match in finditer_in_runs(_DATE_RE, field.text, chunks):
        year, month, day = _year_of(match.group(1)), int(match.group(2)), int(match.group(3))
        if _valid(year, month, day):
            continue
        if not 1 <= month <= 12:
            reason = f"没有{month}月"
        elif year is not None and month == 2 and day == 29:
            reason = f"{year}年不是闰年，2月没有29日"
        else:
            reason = f"{month}月没有{day}日"
        yield field.finding(
            rule="date.impossible",
            dimension="wording",
            severity="warning",
            start=offset + match.start(),
            end=offset + match.end(),
            message=f"日期不存在：{reason}。",
        )


def _weekday(field: FieldText, chunks: list[tuple[int, int]]) -> Iterator[Finding]:
    for offset, match in finditer_in_runs(_WEEKDAY_RE, field.text, chunks):
        year = _year_of(match.group(1))
        month, day = int(match.group(2)), int(match.group(3))
        if year is None or not _valid(year, month, day):
            continue  # without a year the weekday cannot be checked
        written = "日" if match.group(4) == "天" else match.group(4)
        actual = _WEEKDAYS[date(year, month, day).weekday()]
        if written == actual:
            continue
        yield field.finding(
            rule="date.weekday",
            dimension="wording",
            severity="warning",
            start=offset + match.start(),
            end=offset + match.end(),
            message=f"日期与星期不符：{year}年{month}月{day}日是星期{actual}，不是星期{written}。",
            suggestion=f"星期{actual}",
        )


def _ranges(field: FieldText, chunks: list[tuple[int, int]]) -> Iterator[Finding]:
    for offset, match in finditer_in_runs(_RANGE_RE, field.text, chunks):
        year1, month1, day1 = _year_of(match.group(1)), int(match.group(2)), int(match.group(3))
        year2 = _year_of(match.group(4))
        month2 = int(match.group(5)) if match.group(5) else month1
        day2 = int(match.group(6))
        if not (_valid(year1, month1, day1) and _valid(year2 or year1, month2, day2)):
            continue
        if year2 is not None and year1 is not None:
            backwards = (year2, month2, day2) < (year1, month1, day1)
        elif month2 < month1:
            continue  # 12月28日至1月3日 runs into the next year
        else:
            backwards = (month2, day2) < (month1, day1)
        if not backwards:
            continue
        yield field.finding(
            rule="date.range_backwards",
            dimension="wording",
            severity="warning",
            start=offset + match.start(),
            end=offset + match.end(),
            message="日期范围的结束日期早于开始日期，请核对。",
        )


#: A looser _YEAR_RE that starts with a digit, so ``re`` scans fast: it finds
#: every year _YEAR_RE finds (and a few more), to pick the sentences to read.
_YEAR_HINT = re.compile(r"\d\d\d\d\s*年")
_SENTENCE_END = re.compile(r"[。！？!?；;\n]")


def _future(field: FieldText, today: date) -> Iterator[Finding]:
    text = field.text
    hints = [hint.start() for hint in _YEAR_HINT.finditer(text) if int(hint.group()[:4]) > today.year]
    if not hints:
        return
    sentences = Clauses(text, _SENTENCE_END)
    last_sentence = -1
    for hint in hints:
        if hint < last_sentence:
            continue
        start, end = sentences.around(hint)
        last_sentence = end
        sentence = text[start:end]
        years = [match for match in _YEAR_RE.finditer(sentence) if int(match.group(1)) > today.year]
        if not years or _FUTURE.search(sentence) or not _PAST.search(sentence):
            continue
        match = years[0]
        yield field.finding(
            rule="date.future_year",
            dimension="wording",
            severity="warning",
            start=start + match.start(),
            end=start + match.end(),
            message=f"文中以过去时叙述{match.group(1)}年的事，但该年份尚未到来（今天是{today.year}年{today.month}月{today.day}日），请核对年份。",
        )


def check(field: FieldText, document: Document) -> Iterator[Finding]:
    if "月" not in field.text and "年" not in field.text:
        return
    chunks = _date_chunks(field.text)
    yield from _impossible(field, chunks)
    yield from _weekday(field, chunks)
    yield from _ranges(field, chunks)
    yield from _future(field, document.today)
