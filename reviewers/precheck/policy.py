"""Policy dimension (besides the lexicon of outdated names): a repost must
keep the original headline."""

from __future__ import annotations

import re
import unicodedata
from typing import Iterator

from .context import Document
from .findings import Finding

__all__ = ["check_document", "same_headline"]

_WHITESPACE = re.compile(r"\s+")
_QUOTES = str.maketrans({char: '"' for char in "“”‘’「」『』'"})


def _comparable(title: str) -> str:
    text = unicodedata.normalize("NFKC", title).translate(_QUOTES)
    return _WHITESPACE.sub("", text)


def same_headline(title: str, original_title: str) -> bool:
    """Equal up to full-width/half-width forms, quote style and whitespace."""
    return _comparable(title) == _comparable(original_title)


def check_document(document: Document) -> Iterator[Finding]:
    """Reported on the title field: ``start=0, end=len(title)``, ``text`` is
    the title. Missing original headline on a repost: info."""
    if not document.is_repost:
        return
    title = document.title.plain
    original = document.original_title.strip()
    if not original:
        yield Finding(
            rule="policy.repost_title",
            dimension="policy",
            severity="info",
            start=0,
            end=len(title),
            text=title,
            message="转载内容未填写原标题，无法核对标题是否被改动。",
            suggestion="填写原文标题",
            field="title",
        )
        return
    if same_headline(title, original):
        return
    yield Finding(
        rule="policy.repost_title",
        dimension="policy",
        severity="warning",
        start=0,
        end=len(title),
        text=title,
        message=f"转载标题“{title}”与原标题“{original}”不一致；转载不得歪曲、篡改标题原意。",
        suggestion=original,
        field="title",
    )
