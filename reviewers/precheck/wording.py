"""Wording dimension (besides the misspelling lexicon): paired punctuation,
doubled characters and punctuation, half-width punctuation in Chinese text.

Punctuation rules read the *plain* text: normalisation turns full-width
punctuation into ASCII, which is exactly what they must tell apart.
"""

from __future__ import annotations

import re
from typing import Iterator

from .context import Document, FieldText
from .findings import Finding

__all__ = ["check", "PAIRS"]

PAIRS = {"《": "》", "“": "”", "（": "）", "【": "】", "‘": "’", "「": "」", "『": "』"}
_CLOSERS = {closer: opener for opener, closer in PAIRS.items()}
_PAIR_CHARS = re.compile("[" + re.escape("".join(PAIRS) + "".join(_CLOSERS)) + "\n]")
_ASCII_LETTER = re.compile("[A-Za-z]")


def _unbalanced(field: FieldText) -> Iterator[Finding]:
    """Stack matching per paragraph; the unmatched character itself is the span."""
    plain = field.plain
    stack: list[tuple[str, int]] = []
    unmatched: list[tuple[int, str]] = []

    def flush() -> None:
        unmatched.extend((index, char) for char, index in stack)
        stack.clear()

    for match in _PAIR_CHARS.finditer(plain):
        char, index = match.group(), match.start()
        if char == "\n":
            flush()
        elif char in PAIRS:
            stack.append((char, index))
        elif char == "’" and _apostrophe(plain, index):
            continue
        else:
            opener = _CLOSERS[char]
            depth = next((d for d in range(len(stack) - 1, -1, -1) if stack[d][0] == opener), None)
            if depth is None:
                unmatched.append((index, char))
            else:
                unmatched.extend((i, c) for c, i in stack[depth + 1 :])
                del stack[depth:]
    flush()
    for index, char in sorted(unmatched):
        if char in PAIRS:
            message = f"成对标点「{char}」缺少对应的「{PAIRS[char]}」。"
            suggestion = f"补全「{PAIRS[char]}」或删除多余的「{char}」"
        else:
            message = f"成对标点「{char}」缺少对应的「{_CLOSERS[char]}」。"
            suggestion = f"补全「{_CLOSERS[char]}」或删除多余的「{char}」"
        yield field.finding(
            rule="wording.unbalanced_punctuation",
            dimension="wording",
            severity="warning",
            start=index,
            end=index + 1,
            message=message,
            suggestion=suggestion,
            normalized=False,
        )


def _apostrophe(plain: str, index: int) -> bool:
    """’ between two ASCII letters is an apostrophe (don’t), not a quote."""
    return (
        0 < index < len(plain) - 1
        and _ASCII_LETTER.match(plain, index - 1) is not None
        and _ASCII_LETTER.match(plain, index + 1) is not None
    )


#: Function characters that are never legitimately doubled as separate words.
#: Reduplicated words (的的确确, 和和美美, 为了了解 = 为了|了解, 现在在 =
#: 现在|在) are told apart by the jieba boundary rule.
_DOUBLED_CHAR = re.compile(r"([的了是在和与被把对从向为就也都而及或并将地得着])\1")
_DOUBLED_PUNCT = re.compile(r"([，。、；：？！])\1+")


def _doubled(field: FieldText) -> Iterator[Finding]:
    text = field.text
    boundaries = field.boundaries
    for match in _DOUBLED_CHAR.finditer(text):
        start, end = match.span()
        if not (boundaries.is_boundary(start) and boundaries.is_boundary(end)):
            continue
        char = match.group(1)
        yield field.finding(
            rule="wording.doubled_character",
            dimension="wording",
            severity="warning",
            start=start,
            end=end,
            message=f"“{char}”字重复。",
            suggestion=char,
        )
    for match in _DOUBLED_PUNCT.finditer(field.plain):
        char = match.group(1)
        yield field.finding(
            rule="wording.doubled_punctuation",
            dimension="wording",
            severity="warning",
            start=match.start(),
            end=match.end(),
            message=f"标点「{char}」重复。",
            suggestion=char,
            normalized=False,
        )


_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HALF_WIDTH = re.compile(rf"(?<=[{_CJK}])(?:[,;:?!](?= ?[{_CJK}])|[()](?=[{_CJK}]))")
_FULL_WIDTH = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！", "(": "（", ")": "）"}


def _half_width(field: FieldText) -> Iterator[Finding]:
    for match in _HALF_WIDTH.finditer(field.plain):
        char = match.group()
        yield field.finding(
            rule="wording.half_width_punctuation",
            dimension="wording",
            severity="warning",
            start=match.start(),
            end=match.end(),
            message=f"中文语句中使用了半角标点「{char}」，应使用全角标点「{_FULL_WIDTH[char]}」。",
            suggestion=_FULL_WIDTH[char],
            normalized=False,
        )


def check(field: FieldText, document: Document) -> Iterator[Finding]:
    yield from _unbalanced(field)
    yield from _doubled(field)
    yield from _half_width(field)
