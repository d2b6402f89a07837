"""Character confusion sets and the index of confusable dictionary words.

Two characters are *confusable* when

* they share a reading after fuzzy normalisation of the syllable (``pinyin``:
  the toneless readings of ``data/char_pinyin.tsv``, generated from pypinyin
  by ``gen_pinyin.py``; fuzzy: zh/z, ch/c, sh/s, n/l at the start,
  iang/ian, uang/uan, ang/an, eng/en, ing/in at the end -- the usual
  input-method and dialect confusions), or
* they are in one group of the shape table ``data/shape_similar.txt``
  (形近字, kept by hand).

Each character gets *class keys*: ``p:<fuzzy syllable>`` for each reading and
``s:<group number>`` for each shape group; two characters are confusable
exactly when their class keys intersect. Numerals, 的/地/得 and 之 have none.

The :class:`ConfusionIndex` holds the *targets*: frequent words of jieba's
base dictionary (2 characters: frequency >= 100, 3: >= 100, 4: >= 10 --
four-character idioms and set phrases are rare in the dictionary's counts but
are what a misspelling most often hits). A text window is a *variant* of a
target when it equals the target except at one position, where its character
is confusable with the target's. The index finds variants two ways:

* **anchors** (three- and four-character targets): dictionaries of the
  parts of each target that a substitution at one position leaves
  whole -- ``w[1:]`` and ``w[:-1]`` (substitution at the first or last
  character), and for four characters ``w[2:]`` and ``w[:2]`` (substitution
  at the second or third, the remaining character checked), looked up for
  every bigram and trigram of the text with C-level ``map`` calls; only the
  hits are looked at in Python.
* **slots** (two-character targets, and the middle of three): under
  ``w[:p] + "_" + w[p+1:]`` the class keys of ``w[p]``, looked up only at
  *isolated* characters -- a character forming no dictionary word (frequency
  >= ``WORD_MIN_FREQ``) with either neighbour, which is what jieba would cut
  as a single character.
"""

from __future__ import annotations

import hashlib
import re
import threading
from functools import lru_cache
from itertools import compress
from operator import add, and_
from pathlib import Path
from typing import Callable, Iterable, Iterator

import jieba

from .lexicon import DATA_DIR

__all__ = [
    "char_keys",
    "confusable",
    "same_reading",
    "same_shape",
    "fuzzy_syllable",
    "ConfusionIndex",
    "Variant",
    "TARGET_MIN_FREQ",
    "WORD_MIN_FREQ",
    "EXCLUDED_CHARS",
]

PINYIN_FILE = DATA_DIR / "char_pinyin.tsv"
SHAPE_FILE = DATA_DIR / "shape_similar.txt"
SLOT_MARK = "_"
#: Minimum dictionary frequency of a target word, by length.
TARGET_MIN_FREQ = {2: 100, 3: 100, 4: 10}
#: A bigram with at least this frequency is a word for the isolation test.
WORD_MIN_FREQ = 30
#: An anchor that is itself a word this frequent is dropped (it would be hit
#: all the time: 发展, 工作); its target is then found through its other anchor.
ANCHOR_MAX_FREQ = 2000
_HAN_WORD = re.compile("^[\u4e00-\u9fd5]+$")

#: Characters never substituted: numerals (a number is not a misspelling of
#: another number), 的/地/得 (grammar, not spelling) and 之.
EXCLUDED_CHARS = frozenset("零〇一二三四五六七八九十百千万亿两壹贰叁肆伍陆柒捌玖拾佰仟的地得之")

_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("n", "l"))
_FINALS = (("iang", "ian"), ("uang", "uan"), ("ang", "an"), ("eng", "en"), ("ing", "in"))


def fuzzy_syllable(syllable: str) -> str:
    for long, short in _INITIALS:
        if syllable.startswith(long):
            syllable = short + syllable[len(long) :]
            break
    for long, short in _FINALS:
        if syllable.endswith(long):
            return syllable[: -len(long)] + short
    return syllable


@lru_cache(maxsize=1)
def _readings() -> dict[str, tuple[str, ...]]:
    readings: dict[str, tuple[str, ...]] = {}
    with open(PINYIN_FILE, encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("#"):
                continue
            char, _, syllables = line.rstrip("\n").partition("\t")
            readings[char] = tuple(syllables.split())
    return readings


@lru_cache(maxsize=1)
def _shape_groups() -> dict[str, tuple[int, ...]]:
    groups: dict[str, list[int]] = {}
    with open(SHAPE_FILE, encoding="utf-8") as handle:
        number = 0
        for line in handle:
            line = line.split("#", 1)[0].strip()
            if len(set(line)) < 2:
                continue
            number += 1
            for char in sorted(set(line)):
                groups.setdefault(char, []).append(number)
    return {char: tuple(numbers) for char, numbers in groups.items()}


def shape_groups() -> list[str]:
    """The shape table's groups (for tests and the README)."""
    members: dict[int, list[str]] = {}
    for char, numbers in _shape_groups().items():
        for number in numbers:
            members.setdefault(number, []).append(char)
    return ["".join(sorted(chars)) for _, chars in sorted(members.items())]


@lru_cache(maxsize=None)
def char_keys(char: str) -> frozenset[str]:
    """The class keys of ``char`` (empty for excluded and unknown characters)."""
    if char in EXCLUDED_CHARS:
        return frozenset()
    return idiom_char_keys(char)


@lru_cache(maxsize=None)
def idiom_char_keys(char: str) -> frozenset[str]:
    """The class keys of ``char`` inside a four-character idiom or set phrase,
    where numerals take part too (全力一赴 for 全力以赴, 一愁莫展 for 一筹莫展):
    the whole idiom is the evidence, not a number and its measure word."""
    if char in "的地得之":
        return frozenset()
    keys = {"p:" + fuzzy_syllable(syllable) for syllable in _readings().get(char, ())}
    keys.update(f"s:{number}" for number in _shape_groups().get(char, ()))
    return frozenset(keys)


@lru_cache(maxsize=1)
def keyed_chars() -> frozenset[str]:
    """The characters with class keys (those :meth:`ConfusionIndex.slotted` can substitute)."""
    return frozenset(char for char in set(_readings()) | set(_shape_groups()) if char_keys(char))


def confusable(a: str, b: str) -> bool:
    return a != b and not char_keys(a).isdisjoint(char_keys(b))


def same_reading(a: str, b: str) -> bool:
    """Exactly the same toneless reading (no fuzzy normalisation)."""
    readings = _readings()
    return not set(readings.get(a, ())).isdisjoint(readings.get(b, ()))


def same_shape(a: str, b: str) -> bool:
    groups = _shape_groups()
    return not set(groups.get(a, ())).isdisjoint(groups.get(b, ()))


class Variant(tuple):
    """``(start, end, position, target)``: ``text[start:end]`` equals ``target``
    except at ``start + position``, where the characters are confusable."""

    __slots__ = ()

    def __new__(cls, start: int, end: int, position: int, target: str) -> "Variant":
        return super().__new__(cls, (start, end, position, target))

    start = property(lambda self: self[0])
    end = property(lambda self: self[1])
    position = property(lambda self: self[2])
    target = property(lambda self: self[3])


class ConfusionIndex:
    """Anchors and slots of the frequent dictionary words (see the module docstring)."""

    def __init__(self, words: Iterable[tuple[str, int]]) -> None:
        words = list(words)
        frequent = {word for word, freq in words if freq >= ANCHOR_MAX_FREQ}
        lowest = min(TARGET_MIN_FREQ.values())
        minimum_of = TARGET_MIN_FREQ.get
        # (one pass in comprehensions: the dictionary has 350,000 words)
        targets = [
            word
            for word, freq in words
            if freq >= lowest and freq >= minimum_of(len(word), freq + 1) and _HAN_WORD.match(word)
        ]
        anchors: dict[str, list[tuple[int, int, str]]] = {}
        #: slot -> class key -> targets
        self.slots: dict[str, dict[str, list[str] | tuple[str, ...]]] = {}
        self.targets = 0
        for word in targets:
            length = len(word)
            if length < 4 and not EXCLUDED_CHARS.isdisjoint(word):
                continue  # 第一颗, 一个: numerals and measure words, not lexical words
            self.targets += 1
            if length == 2:
                self._add_slot(word, 0)
                self._add_slot(word, 1)
                continue
            if length == 3:
                self._add_slot(word, 1)
            # (offset of the anchor in the target, substituted position, target)
            anchors.setdefault(word[1:], []).append((1, 0, word))
            anchors.setdefault(word[:-1], []).append((0, length - 1, word))
            if length == 4:
                anchors.setdefault(word[2:], []).append((2, 1, word))
                anchors.setdefault(word[:2], []).append((0, 2, word))
        #: anchor -> its uses, by the anchor's length (two or three characters)
        self.anchors2: dict[str, tuple[tuple[int, int, str], ...]] = {}
        self.anchors3: dict[str, tuple[tuple[int, int, str], ...]] = {}
        for anchor, uses in anchors.items():
            if anchor in frequent:
                continue
            (self.anchors2 if len(anchor) == 2 else self.anchors3)[anchor] = tuple(uses)
        # Memory: one object per distinct string (the pickle keeps the
        # sharing), tuples rather than lists.
        shared: dict[str, str] = {}
        for slot in self.slots.values():
            for key, slot_targets in list(slot.items()):
                del slot[key]
                slot[shared.setdefault(key, key)] = tuple(slot_targets)
        for anchor in self.anchors2:
            shared.setdefault(anchor, anchor)
        self._heads = frozenset(shared.setdefault(anchor[:2], anchor[:2]) for anchor in self.anchors3)
        self._tails = frozenset(shared.setdefault(anchor[1:], anchor[1:]) for anchor in self.anchors3)

    def _add_slot(self, word: str, position: int) -> None:
        keys = char_keys(word[position])
        if keys:
            slot = self.slots.setdefault(word[:position] + SLOT_MARK + word[position + 1 :], {})
            for key in keys:
                slot.setdefault(key, []).append(word)

    def anchored(self, text: str, bigrams: list[str] | None = None) -> Iterator[Variant]:
        """Variants of three- and four-character targets.

        The anchors are found with C-level dictionary lookups of every bigram
        and trigram of ``text`` (``bigrams``: ``text``'s bigrams, when the
        caller has them); hits come in the order of an Aho-Corasick scan (by
        end position, the longer anchor first), so the results do not depend
        on how they were found."""
        size = len(text)
        if size < 2:
            return
        if bigrams is None:
            bigrams = list(map(add, text, text[1:]))
        anchors2, anchors3 = self.anchors2, self.anchors3
        hits = [
            (start + 2, 1, start, anchors2[bigrams[start]])
            for start in compress(range(size - 1), map(anchors2.__contains__, bigrams))
        ]
        if size >= 3 and anchors3:
            # a trigram anchor starts with one of _heads and ends with one of _tails
            maybe = map(and_, map(self._heads.__contains__, bigrams), map(self._tails.__contains__, bigrams[1:]))
            for start in compress(range(size - 2), maybe):
                uses = anchors3.get(text[start : start + 3])
                if uses is not None:
                    hits.append((start + 3, 0, start, uses))
            hits.sort()  # (end, 0 for the longer anchor, start, uses): the first three differ
        for _, _, anchor_start, uses in hits:
            for offset, position, target in uses:
                start = anchor_start - offset
                end = start + len(target)
                if start < 0 or end > size:
                    continue
                index = start + position
                char = text[index]
                wanted = target[position]
                if char == wanted:
                    continue
                # the other character outside the anchor (four characters, middle substitution)
                if offset == 2 and text[start] != target[0]:
                    continue
                if offset == 0 and position == 2 and len(target) == 4 and text[start + 3] != target[3]:
                    continue
                keys = idiom_char_keys if len(target) == 4 else char_keys
                if keys(char).isdisjoint(keys(wanted)):
                    continue
                yield Variant(start, end, position, target)

    def slotted(self, text: str, index: int) -> Iterator[Variant]:
        """Variants with the substitution at ``index``: two-character targets
        and the middle of three-character ones."""
        keys = char_keys(text[index])
        if not keys:
            return
        slots = self.slots
        seen: set[str] = set()
        size = len(text)
        for start, end in ((index - 1, index + 1), (index, index + 2), (index - 1, index + 2)):
            if start < 0 or end > size:
                continue
            position = index - start
            slot = slots.get(text[start:index] + SLOT_MARK + text[index + 1 : end])
            if slot is None:
                continue
            for key in keys:
                for target in slot.get(key, ()):
                    if target not in seen:
                        seen.add(target)
                        yield Variant(start, end, position, target)

    def slotted_at(self, text: str, indexes: Iterable[int]) -> Iterator[Variant]:
        """``slotted(text, i)`` for each ``i`` of ``indexes`` in turn (the
        same variants in the same order, without a generator per index)."""
        get = self.slots.get
        size = len(text)
        for index in indexes:
            keys = char_keys(text[index])
            if not keys:
                continue
            before = text[index - 1] if index >= 1 else None
            after = text[index + 1] if index + 1 < size else None
            seen: set[str] | None = None
            for slot_key, start, end in (
                (before + SLOT_MARK if before is not None else None, index - 1, index + 1),
                (SLOT_MARK + after if after is not None else None, index, index + 2),
                (before + SLOT_MARK + after if before is not None and after is not None else None, index - 1, index + 2),
            ):
                if slot_key is None:
                    continue
                slot = get(slot_key)
                if slot is None:
                    continue
                for key in keys:
                    targets = slot.get(key)
                    if not targets:
                        continue
                    if seen is None:
                        seen = set()
                    for target in targets:
                        if target not in seen:
                            seen.add(target)
                            yield Variant(start, end, index - start, target)


_INDEX: ConfusionIndex | None = None
_INDEX_LOCK = threading.Lock()
#: Bump when the index's structure or the way it is built changes.
INDEX_FORMAT = 3


def index_key() -> str:
    """A hash of everything the index depends on (for its cache file)."""
    digest = hashlib.sha256()
    dictionary = Path(jieba.__file__).parent / jieba.DEFAULT_DICT_NAME
    digest.update(f"{INDEX_FORMAT} {jieba.__version__} {dictionary.stat().st_size}".encode())
    digest.update(repr((TARGET_MIN_FREQ, ANCHOR_MAX_FREQ, sorted(EXCLUDED_CHARS), _INITIALS, _FINALS)).encode())
    for path in (PINYIN_FILE, SHAPE_FILE):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def get_index(build: Callable[[], ConfusionIndex]) -> ConfusionIndex:
    """The process's index, from ``build()`` on first use."""
    global _INDEX
    with _INDEX_LOCK:
        if _INDEX is None:
            _INDEX = build()
        return _INDEX
