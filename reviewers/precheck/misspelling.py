"""General misspelling detection (``wording.confusable``): errors nobody listed.

A window of the text is a *candidate* when it is a confusable variant of a
frequent dictionary word (see ``confusion.py``: one character replaced by one
with the same or a similar reading, or a similar shape). A candidate becomes
a finding when all of these hold:

1. **Frequency ratio.** The window itself is not a word of its own: its base
   dictionary frequency is below 1/``RATIO`` of the target's (jieba's
   dictionary holds many misspelt compounds at a low count: 再接再励 3 vs
   再接再厉 115, 蓝球 4 vs 篮球 634). Pairs of real words (权利/权力,
   截止/截至, 必须/必需) are left alone: telling them apart needs the meaning.
2. **Context.** Around the window (up to ``CONTEXT`` characters each side,
   within the run of Chinese characters) the best jieba segmentation of the
   corrected text -- the most probable path through jieba's dictionary, as
   jieba's own DAG computes it -- must beat that of the text as written by
   ``MIN_GAIN`` (natural log, by the target's length), and the corrected
   path must use the target as one word. A window that straddles a real word
   (以经 in 以经济) loses.
3. **Names, places, numbers.** A window right after a common surname that
   stands alone (班王芳在), or starting at one with a title, role or list
   mark around it (校长李明, 李明同学, 王芳等), is a possible personal name
   (李明 is not 黎明); so is a
   window followed by a title, a two-character window followed by a place
   suffix (路, 街, 村…), and a window right after a digit (8日至). Numerals
   take part in a substitution only inside four-character idioms.
4. **Domain words.** A window inside a word of ``data/domain_words.txt``
   (思政, 师德, 微信…: valid words jieba's dictionary lacks) is left alone.

Severity by confidence: ``warning`` when the gain is at least
``WARNING_GAIN`` and the target has three or four characters (idioms and
set phrases), or the form is a known misspelt compound (in the dictionary,
far rarer than its neighbour); ``info`` otherwise.
"""

from __future__ import annotations

import logging
import os
import pickle
import re
import tempfile
import threading
from bisect import bisect_right
from itertools import chain, compress, repeat
from math import log
from operator import add, and_
from typing import Iterator

from . import confusion
from .context import Document, FieldText
from .engine import base_overrides, cache_dir, get_tokenizer
from .findings import Finding
from .lexicon import DATA_DIR

__all__ = ["check", "RATIO", "MIN_GAIN", "WARNING_GAIN", "score_candidate"]

logger = logging.getLogger(__name__)

RATIO = 30
#: Minimum gain by the length of the target. A two-character word that is
#: not in the dictionary is the weakest evidence: jieba's dictionary lacks
#: many valid words, and two frequent single characters joined into one
#: frequent word gain a few nats by themselves.
MIN_GAIN = {2: 5.5, 3: 3.0, 4: 3.0}
#: Gain from which a finding is a warning: an idiom or set phrase (three or
#: four characters), or a two-character form that is a rare dictionary
#: compound (jieba's dictionary keeps misspellings at a low count).
WARNING_GAIN = {2: 8.0, 3: 6.0, 4: 6.0}
CONTEXT = 4
MAX_WORD = 5

#: Common surnames (the hundred commonest single-character surnames).
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
_NAME_FOLLOWERS = re.compile("同学|老师|校长|书记|主任|同志|先生|女士|教授|院士|局长|处长|科长|院长|主席|委员|教练|家长|代表|等人|一行")
_NAME_BEFORE = re.compile(
    "(?:同学|老师|校长|书记|主任|同志|先生|女士|教授|院士|局长|处长|科长|院长|主席|委员|教练|家长|代表|记者|通讯员|"
    "学生|教师|获奖者|冠军|班长|队长|组长|班|和|与|及|：|:|、)$"
)
_NAME_AFTER = re.compile(
    "同学|老师|校长|副校长|书记|副书记|主任|副主任|同志|先生|女士|教授|院士|局长|处长|科长|院长|主席|委员|教练|家长|"
    "代表|等|、|和|与|及|的|（|\\("
)
#: Suffixes of place names (a two-character window before one may be a place).
_PLACE_FOLLOWERS = frozenset("镇乡村路街巷屯寨湾岭坡")
_HAN = re.compile("[\u4e00-\u9fd5]+")
_DIGIT = re.compile("[0-9]")
DOMAIN_WORDS_FILE = DATA_DIR / "domain_words.txt"


def _domain_words() -> frozenset[str]:
    words: set[str] = set()
    with open(DOMAIN_WORDS_FILE, encoding="utf-8") as handle:
        for line in handle:
            if not line.startswith("#"):
                words.update(line.split())
    return frozenset(words)


class _Model:
    """Base dictionary frequencies (lexicon user words restored to their base
    counts) and the confusion index, built once per process -- or read from
    its cache file beside jieba's (``confusion-<key>.pickle``, the key a hash
    of the dictionary, the data files and the index parameters)."""

    def __init__(self) -> None:
        tokenizer = get_tokenizer()
        self.freq = tokenizer.FREQ
        self.logtotal = log(tokenizer.total)
        self.index = confusion.get_index(self._cached_index)
        self.domain_words = _domain_words()

    def _cached_index(self) -> confusion.ConfusionIndex:
        path = cache_dir() / f"confusion-{confusion.index_key()}.pickle"
        try:
            with open(path, "rb") as handle:
                index = pickle.load(handle)
            if isinstance(index, confusion.ConfusionIndex):
                return index
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            pass
        index = confusion.ConfusionIndex(self._words())
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent)
            with os.fdopen(handle, "wb") as stream:
                pickle.dump(index, stream, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, path)
            for stale in path.parent.glob("confusion-*.pickle"):
                if stale != path:
                    stale.unlink(missing_ok=True)  # an index of older data files
        except OSError:
            logger.warning("could not write the confusion index cache %s", path)
        return index

    def _words(self) -> Iterator[tuple[str, int]]:
        overrides = base_overrides()
        for word, count in self.freq.items():
            if word in overrides:
                count = overrides[word] or 0
            if count:
                yield word, count


_MODEL: _Model | None = None
_MODEL_LOCK = threading.Lock()


def _model() -> _Model:
    global _MODEL
    with _MODEL_LOCK:
        if _MODEL is None:
            _MODEL = _Model()
        return _MODEL


class _Scorer:
    """Best-path log probabilities with the base frequencies of one run."""

    def __init__(self, model: _Model, lexicon_keys: frozenset[str]) -> None:
        self.freq = model.freq
        self.logtotal = model.logtotal
        self.overrides = base_overrides()
        self.lexicon_keys = lexicon_keys
        self._cache: dict[str, tuple[float, list[int]]] = {}

    def frequency(self, word: str) -> int:
        if word in self.overrides:
            return self.overrides[word] or 0
        return self.freq.get(word) or 0

    def best(self, text: str) -> tuple[float, list[int]]:
        """Max log probability of ``text`` as a sequence of dictionary words
        (single characters always allowed, count 1 when unknown, as jieba),
        and the cut positions of that path. Raw dictionary counts: a lexicon
        user word keeps the count jieba uses for it."""
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        size = len(text)
        logtotal = self.logtotal
        get = self.freq.get
        score = [0.0] * (size + 1)
        nxt = [size] * (size + 1)
        for i in range(size - 1, -1, -1):
            best_value = log(get(text[i]) or 1) - logtotal + score[i + 1]
            best_end = i + 1
            for j in range(i + 2, (i + MAX_WORD if i + MAX_WORD < size else size) + 1):
                count = get(text[i:j])
                if count is None:
                    break  # not even a prefix of a dictionary word
                if count:
                    value = log(count) - logtotal + score[j]
                    if value > best_value:
                        best_value, best_end = value, j
            score[i] = best_value
            nxt[i] = best_end
        cuts = [0]
        while cuts[-1] < size:
            cuts.append(nxt[cuts[-1]])
        result = (score[0], cuts)
        self._cache[text] = result
        return result


def score_candidate(
    text: str, run_start: int, run_end: int, variant: confusion.Variant, scorer: _Scorer
) -> float | None:
    """The log-probability gain of the correction in context, or ``None``
    when the corrected path does not use the target as one word."""
    start, end, position, target = variant
    low = max(run_start, start - CONTEXT)
    high = min(run_end, end + CONTEXT)
    corrected = text[low:start] + target + text[end:high]
    corrected_score, corrected_cuts = scorer.best(corrected)
    a, b = start - low, end - low
    # the target is one word of the corrected path, or lies inside one
    # (checked before the text as written is scored: often it is not)
    inside = any(cut_a <= a and b <= cut_b for cut_a, cut_b in zip(corrected_cuts, corrected_cuts[1:]))
    if not inside:
        return None
    written_score, _ = scorer.best(text[low:high])
    return corrected_score - written_score


def _possible_name(text: str, run_start: int, start: int, end: int, target: str, frequency) -> bool:
    """A window that may be (part of) a personal name.

    * right after a common surname that forms no word with the character
      before it (班王芳在): the window holds the given name, unless the
      surname and the corrected window make a dictionary word (一支高素只 ->
      高素质);
    * starting at a common surname, with a title or role before the name or
      after it (校长李明, 李明同学, 王芳等);
    * followed by a title.
    """
    if _NAME_FOLLOWERS.match(text, end) is not None:
        return True
    if end - start > 3:
        return False
    if start - 1 >= run_start and text[start - 1] in SURNAMES and end - start <= 2:
        surname = start - 1
        joined = surname - 1 >= run_start and frequency(text[surname - 1 : surname + 1]) >= confusion.WORD_MIN_FREQ
        if not joined and not frequency(text[surname] + target):
            return True
    if text[start] not in SURNAMES:
        return False
    if _NAME_BEFORE.search(text, max(0, start - 6), start) is not None:
        return True
    return any(_NAME_AFTER.match(text, position) is not None for position in (end, end + 1))


def _candidates(
    text: str, index: confusion.ConfusionIndex, scorer: _Scorer, bigrams: list[str] | None = None
) -> Iterator[confusion.Variant]:
    if len(text) < 2:
        yield from index.anchored(text)
        return
    if bigrams is None:
        bigrams = list(map(add, text, text[1:]))
    yield from index.anchored(text, bigrams)
    # nonword[i]: text[i:i+2] is no word; character i is isolated when neither
    # text[i-1:i+1] nor text[i:i+2] is a word. Only isolated characters with
    # class keys can be substituted (all C-level: Python sees only those).
    nonword = list(map(confusion.WORD_MIN_FREQ.__gt__, map(scorer.freq.get, bigrams, repeat(0))))
    isolated = map(and_, chain((True,), nonword), chain(nonword, (True,)))
    substitutable = map(and_, isolated, map(confusion.keyed_chars().__contains__, text))
    yield from index.slotted_at(text, compress(range(len(text)), substitutable))


def _run_bounds(text: str) -> list[tuple[int, int]]:
    return [match.span() for match in _HAN.finditer(text)]


def check(field: FieldText, document: Document) -> Iterator[Finding]:
    text = field.text
    if not _HAN.search(text):
        return
    model = _model()
    scorer = _Scorer(model, frozenset(field.matcher.entries))
    runs = _run_bounds(text)
    starts = [run[0] for run in runs]
    # a listed misspelling is the lexicon's to report (部份 in 大部份)
    # (spans overlap exactly when they share a position: sets of positions)
    listed: set[int] = set()
    for match in field.matches:
        if any(entry.dimension == "wording" for entry in match.entries):
            listed.update(range(match.start, match.end))
    reported = set(listed)
    best: dict[tuple[int, int], tuple[float, confusion.Variant, int]] = {}
    for variant in _candidates(text, model.index, scorer, field.bigrams):
        start, end, position, target = variant
        window = text[start:end]
        if not _HAN.fullmatch(window) or window in scorer.lexicon_keys:
            continue
        if not listed.isdisjoint(range(start, end)):
            continue
        if start > 0 and _DIGIT.match(text, start - 1):
            continue  # 8日至, 3号楼: a number and its unit
        domain = model.domain_words
        if target in domain or any(word in text[max(0, start - 3) : end + 3] for word in _domain_near(domain, window)):
            continue
        written_count = scorer.frequency(window)
        target_count = scorer.frequency(target)
        if written_count * RATIO >= target_count:
            continue
        run_index = bisect_right(starts, start) - 1
        run_start, run_end = runs[run_index]
        if end > run_end:
            continue
        if _possible_name(text, run_start, start, end, target, scorer.frequency) or (end < run_end and text[end] in _PLACE_FOLLOWERS and end - start <= 2):
            continue
        gain = score_candidate(text, run_start, run_end, variant, scorer)
        if gain is None or gain < MIN_GAIN[len(target)]:
            continue
        key = (start, end)
        previous = best.get(key)
        if previous is None or gain > previous[0]:
            best[key] = (gain, variant, written_count)
    # of overlapping candidates keep the longest (an idiom rather than its
    # last two characters), then the strongest
    for gain, variant, written_count in sorted(best.values(), key=lambda item: (item[1][0] - item[1][1], -item[0])):
        start, end, position, target = variant
        if not reported.isdisjoint(range(start, end)):
            continue
        reported.update(range(start, end))
        window = text[start:end]
        known_compound = written_count > 0
        severity = (
            "warning" if gain >= WARNING_GAIN[len(target)] and (known_compound or len(target) >= 3) else "info"
        )
        wrong_char, right_char = window[position], target[position]
        how = _relation(wrong_char, right_char)
        yield field.finding(
            rule="wording.confusable",
            dimension="wording",
            severity=severity,
            start=start,
            end=end,
            message=f"疑似错别字：“{window}”可能应为“{target}”（“{wrong_char}”与“{right_char}”{how}）。",
            suggestion=target,
        )


def _domain_near(domain: frozenset[str], window: str) -> Iterator[str]:
    """Domain words that overlap ``window`` (found by their substrings)."""
    return (word for word in _domain_by_part(domain).get(window, ()))


_DOMAIN_PARTS: dict[frozenset[str], dict[str, tuple[str, ...]]] = {}


def _domain_by_part(domain: frozenset[str]) -> dict[str, tuple[str, ...]]:
    parts = _DOMAIN_PARTS.get(domain)
    if parts is None:
        collected: dict[str, list[str]] = {}
        for word in domain:
            for i in range(len(word)):
                for j in range(i + 2, len(word) + 1):
                    collected.setdefault(word[i:j], []).append(word)
        parts = {part: tuple(words) for part, words in collected.items()}
        _DOMAIN_PARTS[domain] = parts
    return parts


def _relation(a: str, b: str) -> str:
    if confusion.same_reading(a, b):
        return "同音"
    if confusion.same_shape(a, b):
        return "形近"
    return "音近"
