"""Findings for lexicon matches (all dimensions).

Boundary rule (``engine.TokenBoundaries.accepts``), decided per match on
the jieba tokens of the block around it:

* political, policy, legal and secrecy terms are names and short phrases that
  are often the beginning of a longer correct word (内蒙 / 内蒙古, 文化部 /
  文化部门, 第一 / 第一次): *strict* -- the match must end on a token
  boundary and start on one, unless it is the tail of a single token
  (国家卫生部, 新疆维族).
* wording entries are misspellings, and jieba's own dictionary contains many
  misspelt compounds (大部份, 震憾力): *loose* -- a match lying anywhere inside
  one token is kept too.

In both modes a token straddling an end of the match from outside rejects it
(维族 in 思维|族群, 既使 in 既|使用).
"""

from __future__ import annotations

from typing import Iterator

from . import legal
from .context import Document, FieldText
from .findings import Finding
from .lexicon import LexiconEntry

_MESSAGES = {
    "political": "政治性表述不规范：“{wrong}”应为“{right}”",
    "policy": "机构或政策名称已过时：“{wrong}”现应为“{right}”",
    "wording": "疑似错别字或不规范用语：“{wrong}”应为“{right}”",
    "secrecy": "出现涉密或内部标识“{wrong}”，涉密及内部材料不得公开发布",
}
_STRICT = {"political": True, "policy": True, "legal": True, "secrecy": True, "wording": False}


def _first_per_dimension(entries: tuple[LexiconEntry, ...]) -> Iterator[LexiconEntry]:
    seen: set[str] = set()
    for entry in entries:  # already sorted by severity
        if entry.dimension not in seen:
            seen.add(entry.dimension)
            yield entry


def _message(entry: LexiconEntry) -> str:
    message = _MESSAGES[entry.dimension].format(wrong=entry.wrong, right=entry.right)
    return f"{message}（{entry.note}）。" if entry.note else f"{message}。"


def check(field: FieldText, document: Document) -> Iterator[Finding]:
    for match in field.matches:
        for entry in _first_per_dimension(match.entries):
            if not field.boundaries.accepts(match.start, match.end, strict=_STRICT[entry.dimension]):
                continue
            if entry.dimension == "legal":
                finding = legal.absolute_claim(field, document, match, entry)
                if finding is not None:
                    yield finding
                continue
            yield field.finding(
                rule=f"{entry.dimension}.lexicon",
                dimension=entry.dimension,
                severity=entry.severity,
                start=match.start,
                end=match.end,
                message=_message(entry),
                suggestion=entry.right,
            )
