"""Political dimension (besides the lexicon): canonical formulations and
China listed side by side with Hong Kong, Macao or Taiwan.

Canonical formulations: after a key phrase (``四个意识``, ``两个维护`` …) the
text that enumerates its content is compared with the canonical wording,
ignoring punctuation, quotes and the connectives 和/及/与. An enumeration is
recognised when at least one run of two or more characters matches the
canonical text; it is a *near miss* (reported) when it is not identical but
similar (difflib ratio >= 0.6). Enumerations written before the key phrase
are not checked.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Iterator

from .context import Document, FieldText
from .findings import Finding

__all__ = ["FORMULAS", "Formula", "check"]


@dataclass(frozen=True)
class Formula:
    keys: tuple[str, ...]
    canonical: str


FORMULAS: tuple[Formula, ...] = (
    Formula(("四个意识",), "政治意识、大局意识、核心意识、看齐意识"),
    Formula(("四个自信",), "道路自信、理论自信、制度自信、文化自信"),
    Formula(
        ("两个维护",),
        "坚决维护习近平总书记党中央的核心、全党的核心地位，坚决维护党中央权威和集中统一领导",
    ),
    Formula(
        ("两个确立",),
        "确立习近平同志党中央的核心、全党的核心地位，确立习近平新时代中国特色社会主义思想的指导地位",
    ),
    Formula(("四个全面",), "全面建设社会主义现代化国家、全面深化改革、全面依法治国、全面从严治党"),
    Formula(("五位一体",), "经济建设、政治建设、文化建设、社会建设、生态文明建设"),
    Formula(("三严三实",), "严以修身、严以用权、严以律己，谋事要实、创业要实、做人要实"),
    Formula(("四个伟大",), "伟大斗争、伟大工程、伟大事业、伟大梦想"),
    Formula(("新发展理念", "五大发展理念"), "创新、协调、绿色、开放、共享"),
    Formula(
        ("社会主义核心价值观",),
        "富强、民主、文明、和谐，自由、平等、公正、法治，爱国、敬业、诚信、友善",
    ),
    Formula(
        ("四个服务",),
        "为人民服务、为中国共产党治国理政服务、为巩固和发展中国特色社会主义制度服务、为改革开放和社会主义现代化建设服务",
    ),
    Formula(("四有好老师", "四有老师"), "有理想信念、有道德情操、有扎实学识、有仁爱之心"),
    Formula(("四史",), "党史、新中国史、改革开放史、社会主义发展史"),
    Formula(("两个结合",), "把马克思主义基本原理同中国具体实际相结合、同中华优秀传统文化相结合"),
    Formula(("三个务必",), "务必不忘初心、牢记使命，务必谦虚谨慎、艰苦奋斗，务必敢于斗争、善于斗争"),
    Formula(
        ("两个毫不动摇",),
        "毫不动摇巩固和发展公有制经济，毫不动摇鼓励、支持、引导非公有制经济发展",
    ),
    Formula(("两个大局",), "中华民族伟大复兴战略全局、世界百年未有之大变局"),
    Formula(("四风",), "形式主义、官僚主义、享乐主义和奢靡之风"),
)

_BY_KEY = {key: formula for formula in FORMULAS for key in formula.keys}
_KEYS = re.compile("|".join(sorted(map(re.escape, _BY_KEY), key=len, reverse=True)))
# Normalised text: full-width ，：（ are ASCII here; quotes and 、。 are unchanged.
_LEADER = re.compile(
    r"[”\"’」』]*\s*"
    r"(?:[^。;!?\n]{0,8}?[,(:]?\s*(?:即|就是|也就是|包括|分别是|是指|指的是|主要是|是|为|:)\s*:?|[,(:])?"
    r"\s*[“\"‘「『]?"
)
_TERMINATOR = re.compile(r"[。;!?\n)”\"」』]")
_SEPARATOR = re.compile(r"[、,]")
_IGNORED = re.compile(r"[、,;:\s“”\"‘’「」『』和及与]")
_MIN_RATIO = 0.6
_MIN_BLOCK = 2
_LEADER_REACH = 10
_FIRST_ITEM = {
    formula.canonical: _SEPARATOR.split(unicodedata.normalize("NFKC", formula.canonical))[0]
    for formula in FORMULAS
}


def _stripped(text: str) -> str:
    return _IGNORED.sub("", text)


def _segments(text: str, start: int, limit: int, count: int) -> list[tuple[int, int]]:
    """Up to ``count`` separator-delimited segments from ``start`` to a terminator."""
    stop = _TERMINATOR.search(text, start, start + limit)
    end = stop.start() if stop else min(len(text), start + limit)
    segments = []
    position = start
    for separator in _SEPARATOR.finditer(text, start, end):
        segments.append((position, separator.start()))
        position = separator.end()
        if len(segments) == count:
            return segments
    segments.append((position, end))
    return segments[:count]


def _near_miss(text: str, start: int, canonical: str) -> tuple[int, int] | None:
    """Span of a near-miss enumeration of ``canonical`` starting at ``start``."""
    canonical = unicodedata.normalize("NFKC", canonical)
    expected = _stripped(canonical)
    item_count = len(_SEPARATOR.split(canonical))
    segments = _segments(text, start, len(canonical) + 24, item_count + 1)
    if not segments:
        return None
    pieces = [_stripped(text[a:b]) for a, b in segments]
    written = "".join(pieces)
    matcher = SequenceMatcher(None, written, expected, autojunk=False)
    blocks = [block for block in matcher.get_matching_blocks() if block.size >= _MIN_BLOCK]
    if not blocks:
        return None
    # Keep the segments up to the last one that shares a block with the canonical text.
    last_matched = blocks[-1].a + blocks[-1].size - 1
    boundary = 0
    kept = 0
    for index, piece in enumerate(pieces):
        boundary += len(piece)
        kept = index + 1
        if boundary > last_matched:
            break
    written = "".join(pieces[:kept])
    if written == expected:
        return None
    matched = sum(block.size for block in SequenceMatcher(None, written, expected, autojunk=False).get_matching_blocks())
    if 2 * matched / (len(written) + len(expected)) < _MIN_RATIO:
        return None
    return segments[0][0], segments[kept - 1][1]


def _enumeration_start(text: str, key_end: int, canonical: str) -> int:
    """Where the enumeration after a key phrase begins: at the canonical first
    item if it appears right after the key, else after the usual connectives
    (”，即：“ and the like)."""
    first_item = _FIRST_ITEM[canonical]
    found = text.find(first_item, key_end, key_end + _LEADER_REACH + len(first_item))
    if found >= 0 and not _TERMINATOR.search(text, key_end, found):
        return found
    return _LEADER.match(text, key_end).end()


def _formulas(field: FieldText) -> Iterator[Finding]:
    text = field.text
    for key_match in _KEYS.finditer(text):
        formula = _BY_KEY[key_match.group()]
        start = _enumeration_start(text, key_match.end(), formula.canonical)
        span = _near_miss(text, start, formula.canonical)
        if span is None:
            continue
        yield field.finding(
            rule="political.formulation",
            dimension="political",
            severity="warning",
            start=span[0],
            end=span[1],
            message=(
                f"“{key_match.group()}”的内容与规范表述不一致，"
                f"规范表述为“{formula.canonical}”，不得增减、改动或调换顺序。"
            ),
            suggestion=formula.canonical,
        )


_REGION = "(?P<region>香港|澳门|台湾)"
_CONJ = "(?:和|与|同|及|跟|、)"
_CHINA_SIDE_BY_SIDE = re.compile(
    rf"中国{_CONJ}{_REGION}"
    rf"|(?P<region2>香港|澳门|台湾)(?:地区)?{_CONJ}中国(?!大陆|内地|其他|其它|各地|共产党|人民|政府|特色|香港|澳门|台湾)"
)
_REGION_SUGGESTION = {"香港": "内地与香港", "澳门": "内地与澳门", "台湾": "大陆与台湾"}


def _side_by_side(field: FieldText) -> Iterator[Finding]:
    text = field.text
    if "中国" not in text:
        return
    for match in _CHINA_SIDE_BY_SIDE.finditer(text):
        region = match.group("region") or match.group("region2")
        yield field.finding(
            rule="political.china_side_by_side",
            dimension="political",
            severity="warning",
            start=match.start(),
            end=match.end(),
            message=f"不得将{region}与“中国”并列表述，{region}是中国的一部分。",
            suggestion=_REGION_SUGGESTION[region],
        )


def check(field: FieldText, document: Document) -> Iterator[Finding]:
    yield from _formulas(field)
    yield from _side_by_side(field)
