"""Per-run state shared by the rules: the checked fields and the lexicon matcher."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from operator import add

from .engine import LexiconMatcher, Match, TokenBoundaries, segment
from .findings import Finding
from .text import NormalizedText

__all__ = ["FieldText", "Document", "PROMOTIONAL_WORDS", "runs_around", "finditer_in_runs", "Clauses"]

#: Context words that make a text promotional (Advertising Law checks).
PROMOTIONAL_WORDS = re.compile(
    "招生|报名|培训|课程|优惠|学费|收费|价格|试听|招募|限时|名额有限|抢购|折扣|特惠|团购|"
    "辅导班|训练营|夏令营|冬令营|咨询电话|咨询热线|报读|招商|促销"
)
PROMOTIONAL_WINDOW = 80


def runs_around(text: str, mark: str, member) -> list[tuple[int, int]]:
    """The maximal runs of characters for which ``member(char)`` holds that
    contain ``mark`` (a member), as ``(start, end)``, in text order.

    For a pattern every match of which holds ``mark`` and only members, and
    which behaves at a run's ends as at the ends of a string (a leading
    ``(?<!\\d)`` does when no digit is a non-member), ``finditer`` over the
    runs finds exactly what it finds over the whole text -- without trying a
    match at every position (a leading lookbehind defeats ``re``'s fast scan)."""
    runs: list[tuple[int, int]] = []
    size = len(text)
    position = text.find(mark)
    while position >= 0:
        start = position
        while start > 0 and member(text[start - 1]):
            start -= 1
        end = position + 1
        while end < size and member(text[end]):
            end += 1
        runs.append((start, end))
        position = text.find(mark, end)
    return runs


def finditer_in_runs(pattern: re.Pattern, text: str, runs: list[tuple[int, int]]):
    """``(offset, match)`` for the matches of ``pattern`` in each run (the
    match's positions are relative to the run: add ``offset``)."""
    for start, end in runs:
        for match in pattern.finditer(text[start:end]):
            yield start, match


class Clauses:
    """``text`` split after each match of ``end_pattern`` (the mark ends its
    clause); :meth:`around` gives the clause holding a position. The ends are
    found once, in one C-level scan."""

    def __init__(self, text: str, end_pattern: re.Pattern) -> None:
        self._size = len(text)
        self._ends = [match.end() for match in end_pattern.finditer(text)]

    def around(self, position: int) -> tuple[int, int]:
        ends = self._ends
        index = bisect_right(ends, position)
        start = ends[index - 1] if index else 0
        return start, (ends[index] if index < len(ends) else self._size)


class FieldText:
    """One checked field (``title`` or ``body``): plain and normalised text."""

    def __init__(self, name: str, normalized: NormalizedText, matcher: LexiconMatcher) -> None:
        self.name = name
        self.normalized = normalized
        self.matcher = matcher

    @property
    def plain(self) -> str:
        return self.normalized.plain

    @property
    def text(self) -> str:
        """The normalised text the matching rules work on."""
        return self.normalized.text

    @cached_property
    def bigrams(self) -> list[str]:
        """``text[i:i+2]`` for every ``i`` (shared by the scans that look up bigrams)."""
        text = self.text
        return list(map(add, text, text[1:]))

    @cached_property
    def matches(self) -> list[Match]:
        """Lexicon matches in the normalised text (before the boundary rule)."""
        return self.matcher.find(self.text, self.bigrams)

    @cached_property
    def boundaries(self) -> TokenBoundaries:
        matcher = self.matcher
        return TokenBoundaries(self.text, lambda block: segment(block, matcher))

    def finding(
        self,
        *,
        rule: str,
        dimension: str,
        severity: str,
        start: int,
        end: int,
        message: str,
        suggestion: str = "",
        normalized: bool = True,
    ) -> Finding:
        """Build a finding; ``start``/``end`` index the normalised text unless
        ``normalized`` is false (then they already index the plain text)."""
        if normalized:
            start, end = self.normalized.plain_span(start, end)
        return Finding(
            rule=rule,
            dimension=dimension,
            severity=severity,
            start=start,
            end=end,
            text=self.plain[start:end],
            message=message,
            suggestion=suggestion,
            field=self.name,
        )

    def is_promotional(self, start: int, end: int) -> bool:
        """Promotional context around normalised ``[start, end)``."""
        text = self.text
        window = text[max(0, start - PROMOTIONAL_WINDOW) : end + PROMOTIONAL_WINDOW]
        return PROMOTIONAL_WORDS.search(window) is not None


@dataclass
class Document:
    """Everything one pre-check run looks at."""

    title: FieldText
    body: FieldText
    matcher: LexiconMatcher
    is_repost: bool = False
    source_name: str = ""
    source_url: str = ""
    original_title: str = ""
    #: names-and-titles rows (``names.PersonRecord``) that apply to the draft
    people: tuple = ()
    today: date = field(default_factory=date.today)
    fields: tuple[FieldText, ...] = field(init=False)

    def __post_init__(self) -> None:
        self.fields = (self.title, self.body)

    @cached_property
    def promotional_title(self) -> bool:
        return PROMOTIONAL_WORDS.search(self.title.text) is not None
