"""jieba segmentation and lexicon matching, cached per process.

* One ``jieba.Tokenizer`` per process (never the global one), created lazily on
  the first boundary decision, with its cache file in the project's ``var/``
  directory (``configure(cache_dir=...)``, else ``$PRECHECK_CACHE_DIR``, else
  ``<repo>/var``), never in ``/tmp``. The wrong forms of the active lexicon
  are its user words (``add_word``); switching to another lexicon version
  restores the base dictionary exactly before adding the new words, so the
  segmentation only depends on the lexicon version.
* One key index of the lexicon's forms per lexicon version (small LRU keyed
  on version): every occurrence, as an Aho-Corasick automaton would report.
* Segmentation is lazy *and* exact: ``Tokenizer.cut`` splits its input into
  blocks (maximal runs of ``jieba.re_han_default`` characters) and segments
  every block on its own, so the tokens of a block do not depend on the rest
  of the text. :class:`TokenBoundaries` therefore segments only the blocks in
  which a lexicon match needs a boundary decision, each block at most once;
  the boundaries are those of one ``cut`` over the whole text.
"""

from __future__ import annotations

import logging
import os
import pickle
import re
import tempfile
import threading
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from dataclasses import dataclass
from itertools import compress
from operator import add
from pathlib import Path
from typing import Callable

import jieba

from .lexicon import SEVERITIES, Lexicon, LexiconEntry, normalize_term

__all__ = [
    "configure",
    "cache_dir",
    "get_matcher",
    "get_tokenizer",
    "segment",
    "LexiconMatcher",
    "Match",
    "TokenBoundaries",
    "HAN_BLOCK_PATTERN",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
CACHE_FILE_NAME = "jieba.cache"
#: Identical to ``jieba.re_han_default`` in jieba 0.42.1 (a test checks it).
HAN_BLOCK_PATTERN = "([\u4E00-\u9FD5a-zA-Z0-9+#&\\._%\\-]+)"
_HAN_RUN = re.compile(HAN_BLOCK_PATTERN)
_ASCII_HAN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+#&._%-")

_cache_dir_override: Path | None = None


def _is_han(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fd5" or char in _ASCII_HAN


def configure(*, cache_dir: str | os.PathLike | None = None) -> None:
    """Set the jieba cache directory (takes effect before jieba is first loaded)."""
    global _cache_dir_override
    _cache_dir_override = Path(cache_dir) if cache_dir is not None else None


def cache_dir() -> Path:
    if _cache_dir_override is not None:
        return _cache_dir_override
    env = os.environ.get("PRECHECK_CACHE_DIR") or os.environ.get("VAR_DIR")
    return Path(env) if env else REPO_ROOT / "var"


# ---------------------------------------------------------------------------
# jieba
# ---------------------------------------------------------------------------


def _pickle_path(directory: Path) -> Path:
    dictionary = Path(jieba.__file__).parent / jieba.DEFAULT_DICT_NAME
    return directory / f"jieba-{jieba.__version__}-{dictionary.stat().st_size}.pickle"


def _load_pickled(tokenizer, directory: Path) -> bool:
    """jieba's prefix dictionary from our pickle (twice as fast to read as
    jieba's own marshal cache, which matters for a fresh process)."""
    try:
        with open(_pickle_path(directory), "rb") as handle:
            freq, total = pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError):
        return False
    tokenizer.FREQ, tokenizer.total = freq, total
    tokenizer.initialized = True
    return True


def _dump_pickled(tokenizer, directory: Path) -> None:
    path = _pickle_path(directory)
    try:
        handle, temporary = tempfile.mkstemp(dir=directory)
        with os.fdopen(handle, "wb") as stream:
            pickle.dump((tokenizer.FREQ, tokenizer.total), stream, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except OSError:
        logging.getLogger(__name__).warning("could not write the dictionary cache %s", path)


class _Segmenter:
    """The process-wide tokenizer and the lexicon version its user words belong to."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._tokenizer = None
        self._base_total = 0
        self._version: str | None = None
        self._undo: list[tuple[str, int | None]] = []

    def _load(self):
        if self._tokenizer is None:
            jieba.setLogLevel(logging.WARNING)
            directory = cache_dir()
            directory.mkdir(parents=True, exist_ok=True)
            tokenizer = jieba.Tokenizer()
            tokenizer.tmp_dir = str(directory)
            tokenizer.cache_file = CACHE_FILE_NAME
            if not _load_pickled(tokenizer, directory):
                tokenizer.initialize()
                _dump_pickled(tokenizer, directory)
            self._base_total = tokenizer.total
            self._tokenizer = tokenizer
        return self._tokenizer

    def _activate(self, matcher: "LexiconMatcher | None") -> None:
        version = matcher.version if matcher is not None else None
        if version == self._version:
            return
        tokenizer = self._tokenizer
        freq = tokenizer.FREQ
        for word, previous in reversed(self._undo):
            # A zero frequency behaves exactly like an absent word for jieba's
            # scoring; prefix entries added by add_word are harmless likewise.
            freq[word] = previous if previous is not None else 0
        tokenizer.total = self._base_total
        self._undo = []
        for word in matcher.user_words if matcher is not None else ():
            self._undo.append((word, freq.get(word)))
            tokenizer.add_word(word, tokenizer.suggest_freq(word, False))
        self._version = version

    def tokenizer(self, matcher: "LexiconMatcher | None" = None):
        with self._lock:
            tokenizer = self._load()
            self._activate(matcher)
            return tokenizer

    def base_overrides(self) -> dict[str, int | None]:
        """The base-dictionary frequency of each active user word (``None``: not in it)."""
        with self._lock:
            return dict(self._undo)

    def cut(self, text: str, matcher: "LexiconMatcher | None") -> list[str]:
        with self._lock:
            self._load()
            self._activate(matcher)
            return self._tokenizer.lcut(text)


_SEGMENTER = _Segmenter()


def get_tokenizer(matcher: "LexiconMatcher | None" = None):
    """The process tokenizer with the user words of ``matcher``'s lexicon (for benchmarks)."""
    return _SEGMENTER.tokenizer(matcher)


def base_overrides() -> dict[str, int | None]:
    """See :meth:`_Segmenter.base_overrides`."""
    return _SEGMENTER.base_overrides()


def segment(text: str, matcher: "LexiconMatcher | None" = None) -> list[str]:
    """``jieba`` tokens of ``text`` with the user words of ``matcher``'s lexicon."""
    return _SEGMENTER.cut(text, matcher)


class TokenBoundaries:
    """Lazily answers "is this index a jieba token boundary?" for one text."""

    def __init__(self, text: str, cut: Callable[[str], list[str]]) -> None:
        self._text = text
        self._cut = cut
        self._blocks: dict[int, list[int]] = {}

    def _block_cuts(self, pos: int) -> list[int]:
        """Sorted absolute token boundaries of the han block containing ``pos``."""
        text = self._text
        start = pos
        while start > 0 and _is_han(text[start - 1]):
            start -= 1
        cuts = self._blocks.get(start)
        if cuts is None:
            end = _HAN_RUN.match(text, start).end()
            cuts = [start]
            for token in self._cut(text[start:end]):
                cuts.append(cuts[-1] + len(token))
            self._blocks[start] = cuts
        return cuts

    def _inside_block(self, pos: int) -> bool:
        text = self._text
        return 0 < pos < len(text) and _is_han(text[pos - 1]) and _is_han(text[pos])

    def is_boundary(self, pos: int) -> bool:
        if not self._inside_block(pos):
            return True
        cuts = self._block_cuts(pos)
        index = bisect_left(cuts, pos)
        return index < len(cuts) and cuts[index] == pos

    def token_span(self, pos: int) -> tuple[int, int]:
        """The token containing character ``pos``."""
        text = self._text
        if not _is_han(text[pos]):
            return pos, pos + 1
        cuts = self._block_cuts(pos)
        index = bisect_right(cuts, pos)
        return cuts[index - 1], cuts[index]

    def accepts(self, start: int, end: int, *, strict: bool) -> bool:
        """Boundary rule for a lexicon match ``[start, end)``.

        strict (names and terms): the end of the match is a token boundary,
            and so is its start -- or the token holding the start ends with
            the match (国家卫生部 and 新疆维族 are one token each). A token
            running on past the end rejects it (内蒙 in 内蒙古, 文化部 in
            文化部门, 第一 in 第一次), and so does a token straddling the
            start (维族 in 思维|族群).
        loose (misspellings): as strict, or the whole match lies inside one
            token, wherever -- jieba's dictionary holds many misspelt
            compounds (震憾力, 录象机). A straddling token still rejects it
            (既使 in 既|使用).
        """
        start_is_boundary = self.is_boundary(start)
        end_is_boundary = self.is_boundary(end)
        if start_is_boundary and end_is_boundary:
            return True
        token_start, token_end = self.token_span(start)
        if end_is_boundary and token_end == end:
            return True
        return not strict and token_start <= start and end <= token_end


# ---------------------------------------------------------------------------
# Lexicon matching
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    key: str
    entries: tuple[LexiconEntry, ...]


def _severity_rank(entry: LexiconEntry) -> int:
    return SEVERITIES.index(entry.severity)


class LexiconMatcher:
    """Multi-pattern matcher for one lexicon version.

    Exceptions (``wrong == right``) and correct forms that contain a wrong
    form act as *shields*: a wrong form found strictly inside a shield
    occurrence is not reported (``内蒙`` in ``内蒙古``). Of overlapping wrong
    forms, one contained in another is dropped (longest match wins).
    """

    def __init__(self, lexicon: Lexicon) -> None:
        self.version = lexicon.version
        wrong: dict[str, list[LexiconEntry]] = {}
        shields: set[str] = set()
        for entry in lexicon.active():
            key = entry.key
            if entry.is_exception:
                shields.add(key)
            else:
                wrong.setdefault(key, []).append(entry)
        self.entries = {key: tuple(sorted(group, key=_severity_rank)) for key, group in wrong.items()}

        probe = _KeyIndex({key: (len(key), True, False) for key in self.entries})
        for group in self.entries.values():
            for entry in group:
                right = normalize_term(entry.right)
                if right and next(probe.iter(right), None) is not None:
                    shields.add(right)

        values: dict[str, tuple[int, bool, bool]] = {key: (len(key), True, False) for key in self.entries}
        for key in shields:
            values[key] = (len(key), key in self.entries, True)
        self._index = _KeyIndex(values) if values else None
        self._max_len = max((len(key) for key in values), default=0)
        #: Words added to the jieba user dictionary: wrong forms jieba can
        #: return as one token (a single han block of two or more characters).
        self.user_words = tuple(
            sorted(key for key in self.entries if len(key) >= 2 and _HAN_RUN.fullmatch(key))
        )

    def find(self, text: str, bigrams: list[str] | None = None) -> list[Match]:
        """Every wrong form in ``text`` not inside a shield (``bigrams``:
        ``text``'s bigrams, when the caller has them)."""
        if self._index is None or not text:
            return []
        found: list[tuple[int, int]] = []
        shields: list[tuple[int, int]] = []
        for end_index, (length, is_wrong, is_shield) in self._index.iter(text, bigrams):
            span = (end_index - length + 1, end_index + 1)
            if is_wrong:
                found.append(span)
            if is_shield:
                shields.append(span)
        if not found:
            return []
        found.sort(key=lambda span: (span[0], -span[1]))
        if shields:
            shields.sort()
            shield_starts = [span[0] for span in shields]
        matches: list[Match] = []
        furthest_end = -1
        for start, end in found:
            if end <= furthest_end:
                continue  # inside a longer wrong form
            if shields and self._shielded(start, end, shields, shield_starts):
                continue
            furthest_end = end
            key = text[start:end]
            matches.append(Match(start, end, key, self.entries[key]))
        return matches

    def _shielded(self, start, end, shields, shield_starts) -> bool:
        low = bisect_left(shield_starts, start - self._max_len)
        high = bisect_right(shield_starts, start)
        for shield_start, shield_end in shields[low:high]:
            if shield_end >= end and (shield_start, shield_end) != (start, end):
                return True
        return False


class _KeyIndex:
    """All occurrences of a set of keys in a text, as an Aho-Corasick
    automaton would report them (``(end index, value)``, in no particular
    order), found with C-level dictionary lookups of the text's bigrams (and
    characters, for one-character keys): Python only sees the positions where
    a key may start. With the shipped lexicon this is several times faster
    than the pyahocorasick scan it replaces (0.05 s per MB of Chinese text
    for the automaton alone), and the bigrams are shared with the confusable
    check."""

    def __init__(self, values: dict) -> None:
        by_head: dict[str, list[tuple[str, int, object]]] = {}
        self._singles: dict[str, object] = {}
        for key, value in values.items():
            if len(key) == 1:
                self._singles[key] = value
            elif key:
                by_head.setdefault(key[:2], []).append((key, len(key), value))
        self._by_head = {head: tuple(keys) for head, keys in by_head.items()}

    def iter(self, text: str, bigrams: list[str] | None = None):
        by_head = self._by_head
        if by_head and len(text) >= 2:
            if bigrams is None:
                bigrams = list(map(add, text, text[1:]))
            startswith = text.startswith
            for start in compress(range(len(bigrams)), map(by_head.__contains__, bigrams)):
                for key, length, value in by_head[bigrams[start]]:
                    if length == 2 or startswith(key, start):
                        yield start + length - 1, value
        singles = self._singles
        if singles:
            for index in compress(range(len(text)), map(singles.__contains__, text)):
                yield index, singles[text[index]]


_MATCHERS: "OrderedDict[str, LexiconMatcher]" = OrderedDict()
_MATCHERS_LOCK = threading.Lock()
_MATCHERS_MAX = 4


def get_matcher(lexicon: Lexicon) -> LexiconMatcher:
    """The matcher for ``lexicon.version``, built on first use."""
    with _MATCHERS_LOCK:
        matcher = _MATCHERS.get(lexicon.version)
        if matcher is not None:
            _MATCHERS.move_to_end(lexicon.version)
            return matcher
    matcher = LexiconMatcher(lexicon)
    with _MATCHERS_LOCK:
        _MATCHERS[lexicon.version] = matcher
        while len(_MATCHERS) > _MATCHERS_MAX:
            _MATCHERS.popitem(last=False)
    return matcher
