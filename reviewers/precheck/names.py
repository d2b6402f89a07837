"""Names and titles (``names.*``): the 领导姓名职务 check against a table.

The table (``PersonRecord``: name, current title, unit, valid from/to) is
kept by administrators per unit subtree (``reviewers.models.PersonTitle``);
``run_precheck(people=...)`` gets the rows that apply to the draft's unit,
and only those valid on ``today`` are used.

* ``names.wrong_title`` — a known name written next to a title (before it:
  副校长张建国; after it: 张建国副校长) that is not one of his current
  titles. A title matches a current one when it is equal, or its tail without
  losing a 副 (主任 for 教务处主任; not 书记 for 党委副书记).
* ``names.wrong_name`` — a unit's title from the table, written after the
  unit's name (实验小学校长), followed by a name that is not the holder's
  (another known person, or two or three characters starting with a common
  surname).

A title without a unit before it and a name outside the table are not
judged: the table cannot tell whose 校长 an unqualified 校长 is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Iterator

from .context import Document, FieldText
from .findings import Finding

__all__ = ["PersonRecord", "check", "GENERIC_TITLES"]


@dataclass(frozen=True)
class PersonRecord:
    name: str
    title: str
    unit: str = ""
    valid_from: date | None = None
    valid_to: date | None = None

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)

    @property
    def titles(self) -> tuple[str, ...]:
        """The title's parts (党委书记、校长 holds two)."""
        return tuple(part for part in re.split(r"[、，,;；/\s]|兼", self.title) if part)


GENERIC_TITLES = (
    "校长 副校长 常务副校长 执行校长 校长助理 党委书记 党委副书记 党总支书记 党支部书记 书记 副书记 "
    "主任 副主任 教导主任 教务处主任 德育处主任 政教处主任 总务处主任 办公室主任 教研室主任 年级组长 "
    "处长 副处长 科长 副科长 局长 副局长 厅长 副厅长 院长 副院长 园长 副园长 部长 副部长 主席 副主席 "
    "工会主席 团委书记 秘书长 董事长 理事长 会长 副会长 组长 副组长"
).split()

_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤欧"
)
#: What may follow a two-character name (so that the third character is not taken for the name's).
_AFTER_NAME = re.compile(
    "同志|主持|带队|带领|出席|作了|作|介绍|讲话|表示|指出|致辞|发言|宣布|强调|参加|为|在|和|与|对|向|等|一行|率|代表|、|，|。|等"
)


def _compatible(written: str, record: PersonRecord) -> bool:
    for title in record.titles:
        if written == title:
            return True
        if title.endswith(written) and ("副" in written or "副" not in title[: -len(written)]):
            return True
    return False


def _title_before(text: str, end: int, titles: tuple[str, ...]) -> str | None:
    for title in titles:  # longest first
        if end >= len(title) and text.startswith(title, end - len(title)):
            return title
    return None


def _title_after(text: str, start: int, titles: tuple[str, ...]) -> str | None:
    for title in titles:
        if text.startswith(title, start):
            return title
    return None


def _name_after(text: str, start: int, known: list[str]) -> tuple[int, int] | None:
    for name in known:
        if text.startswith(name, start):
            return start, start + len(name)
    if start >= len(text) or text[start] not in _SURNAMES:
        return None
    run = re.match("[\u4e00-\u9fd5]{2,3}", text[start:])
    if run is None:
        return None
    if len(run.group()) == 3 and _AFTER_NAME.match(text, start + 2):
        return start, start + 2
    return start, start + len(run.group())


def check(field: FieldText, document: Document) -> Iterator[Finding]:
    people = [record for record in document.people if record.valid_on(document.today)]
    if not people:
        return
    text = field.text
    titles = tuple(sorted({*GENERIC_TITLES, *(t for r in people for t in r.titles)}, key=len, reverse=True))
    by_name: dict[str, list[PersonRecord]] = {}
    for record in people:
        by_name.setdefault(record.name, []).append(record)
    known = sorted(by_name, key=len, reverse=True)
    reported: set[tuple[int, int]] = set()

    # names.wrong_title
    for name in known:
        records = by_name[name]
        position = text.find(name)
        while position >= 0:
            end = position + len(name)
            before = _title_before(text, position, titles)
            after = None if before else _title_after(text, end, titles)
            written = before or after
            if written and not any(_compatible(written, record) for record in records):
                span = (position - len(written), end) if before else (position, end + len(written))
                current = "；".join(sorted({r.title for r in records}))
                reported.add(span)
                yield field.finding(
                    rule="names.wrong_title",
                    dimension="wording",
                    severity="warning",
                    start=span[0],
                    end=span[1],
                    message=f"{name}的现任职务为“{current}”，文中写作“{written}”，请核对。",
                    suggestion=f"{current}{name}" if before else f"{name}{current}",
                )
            position = text.find(name, end)

    # names.wrong_name
    holders: dict[tuple[str, str], list[PersonRecord]] = {}
    for record in people:
        if record.unit:
            for title in record.titles:
                holders.setdefault((record.unit, title), []).append(record)
    for (unit, title), records in holders.items():
        phrase = unit + title
        position = text.find(phrase)
        while position >= 0:
            end = position + len(phrase)
            if text.startswith("副", end - len(title) - 1) and not title.startswith("副"):
                position = text.find(phrase, end)
                continue
            span = _name_after(text, end, known)
            if span is not None:
                written = text[span[0] : span[1]]
                if not any(written == record.name for record in records) and (position, span[1]) not in reported:
                    holder = "、".join(record.name for record in records)
                    yield field.finding(
                        rule="names.wrong_name",
                        dimension="wording",
                        severity="warning",
                        start=end - len(title),
                        end=span[1],
                        message=f"{unit}{title}现为{holder}，文中写作“{written}”，请核对。",
                        suggestion=f"{title}{holder}",
                    )
            position = text.find(phrase, end)
