"""Lexicon entries, versions and the shipped CSV lexicons.

A lexicon is a list of :class:`LexiconEntry` plus a version string. The
shipped lexicons live in ``data/*.csv`` (UTF-8, header
``wrong,right,dimension,severity,note``); the database-backed, admin-editable
lexicon builds the same entries and passes them to ``run_precheck``.

Semantics of an entry, by dimension:

* ``political`` / ``policy`` / ``wording`` / ``secrecy``: ``wrong`` found in
  the text is reported with the entry's severity, ``right`` is the suggestion.
* ``legal``: ``wrong`` is an absolute or guaranteeing advertising claim; it is
  reported with the entry's severity in promotional context, as ``info``
  otherwise.
* ``wrong == right``: an *exception* (allow-list entry). It reports nothing;
  lexicon matches lying inside one of its occurrences are suppressed
  (e.g. ``不能自已`` shields ``自已``).
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from .text import normalize

__all__ = [
    "DIMENSIONS",
    "SEVERITIES",
    "LexiconEntry",
    "Lexicon",
    "LexiconError",
    "lexicon_version",
    "read_lexicon_csv",
    "load_shipped_lexicon",
    "DATA_DIR",
]

DIMENSIONS = ("political", "legal", "policy", "secrecy", "wording")
SEVERITIES = ("blocker", "warning", "info")
CSV_HEADER = ("wrong", "right", "dimension", "severity", "note")
DATA_DIR = Path(__file__).resolve().parent / "data"


class LexiconError(ValueError):
    """An invalid lexicon entry or file."""


@dataclass(frozen=True)
class LexiconEntry:
    wrong: str
    right: str
    dimension: str
    severity: str = "warning"
    note: str = ""
    enabled: bool = True

    def __post_init__(self) -> None:
        if not self.wrong or not self.wrong.strip():
            raise LexiconError("lexicon entry has an empty 'wrong' form")
        if self.dimension not in DIMENSIONS:
            raise LexiconError(f"unknown dimension {self.dimension!r} for {self.wrong!r}")
        if self.severity not in SEVERITIES:
            raise LexiconError(f"unknown severity {self.severity!r} for {self.wrong!r}")

    @property
    def is_exception(self) -> bool:
        """An allow-list entry: the phrase is correct and shields what it contains."""
        return self.wrong == self.right

    @property
    def key(self) -> str:
        """The form matched against normalised text."""
        return normalize_term(self.wrong)

    def sort_key(self) -> tuple:
        return (self.wrong, self.right, self.dimension, self.severity, self.note, self.enabled)


def normalize_term(term: str) -> str:
    """Normalise a lexicon term exactly like the checked text (NFKC, invisibles dropped)."""
    return normalize(term).text.strip()


def lexicon_version(entries: Iterable[LexiconEntry]) -> str:
    """Short SHA-256 over the sorted entries (all fields, including ``enabled``)."""
    digest = hashlib.sha256()
    for entry in sorted(entries, key=LexiconEntry.sort_key):
        line = "\x1f".join(
            (entry.wrong, entry.right, entry.dimension, entry.severity, entry.note, "1" if entry.enabled else "0")
        )
        digest.update(line.encode("utf-8"))
        digest.update(b"\x1e")
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class Lexicon:
    """Entries plus the version that identifies them (computed when empty)."""

    entries: tuple[LexiconEntry, ...]
    version: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "entries", tuple(self.entries))
        if not self.version:
            object.__setattr__(self, "version", lexicon_version(self.entries))

    def __len__(self) -> int:
        return len(self.entries)

    def active(self) -> list[LexiconEntry]:
        return [entry for entry in self.entries if entry.enabled]


def read_lexicon_csv(source: str | Path | io.TextIOBase, *, name: str = "") -> list[LexiconEntry]:
    """Parse one lexicon CSV (a path or an open text stream)."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        with path.open(encoding="utf-8", newline="") as handle:
            return read_lexicon_csv(handle, name=name or path.name)
    reader = csv.reader(source)
    header = next(reader, None)
    if header is None:
        return []
    if tuple(cell.strip().lstrip("\ufeff") for cell in header) != CSV_HEADER:
        raise LexiconError(f"{name}: header must be {','.join(CSV_HEADER)}")
    entries = []
    for line_no, row in enumerate(reader, start=2):
        if not row or not "".join(row).strip():
            continue
        if len(row) != len(CSV_HEADER):
            raise LexiconError(f"{name}:{line_no}: expected {len(CSV_HEADER)} columns, got {len(row)}")
        wrong, right, dimension, severity, note = (cell.strip() for cell in row)
        try:
            entries.append(LexiconEntry(wrong, right, dimension, severity, note))
        except LexiconError as exc:
            raise LexiconError(f"{name}:{line_no}: {exc}") from None
    return entries


@lru_cache(maxsize=1)
def _shipped() -> Lexicon:
    entries: list[LexiconEntry] = []
    for path in sorted(DATA_DIR.glob("*.csv")):
        entries.extend(read_lexicon_csv(path))
    return Lexicon(entries)


def load_shipped_lexicon() -> Lexicon:
    """The lexicon shipped in ``reviewers/precheck/data/*.csv`` (cached per process)."""
    return _shipped()
