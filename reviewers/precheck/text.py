"""Plain-text extraction from HTML and matching normalisation with an offset map.

Two texts exist for every checked field:

* the *plain* text: what the reviewer sees (HTML body reduced to text, block
  elements turned into line breaks). Every finding's ``start``/``end`` index it.
* the *normalised* text: the plain text with NFKC applied character by
  character (full-width digits/letters/punctuation become ASCII, compatibility
  ideographs become unified ones) and invisible characters (zero-width space,
  joiners, BOM, soft hyphen, bidi controls) removed. Lexicon and regex rules
  match on it; :class:`OffsetMap` converts its indices back to plain indices.

NFKC is applied per character (not per string) so that each normalised
character comes from exactly one plain character; combining sequences are
irrelevant for the Chinese text checked here.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from html.parser import HTMLParser

__all__ = ["extract_text", "extract_text_sources", "normalize", "NormalizedText", "OffsetMap"]

# ---------------------------------------------------------------------------
# HTML -> plain text
# ---------------------------------------------------------------------------

_BLOCK_TAGS = frozenset(
    """address article aside blockquote br caption dd details div dl dt fieldset
    figcaption figure footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p
    pre section summary table tbody td tfoot th thead tr ul""".split()
)
_SKIP_TAGS = frozenset("script style template noscript head title iframe svg".split())
_HTML_SPACE = re.compile(r"[ \t\r\n\f]+")
_SPACE_RUN = re.compile(r"  +")
_SPACE_AROUND_NEWLINE = re.compile(r" *\n[ \n]*")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_depth = 0

    def _newline(self) -> None:
        if self.parts and self.parts[-1] != "\n":
            self.parts.append("\n")

    def handle_starttag(self, tag, attrs):
        if tag in _SKIP_TAGS:
            self._skip_depth += 1
        elif tag in _BLOCK_TAGS:
            self._newline()

    def handle_startendtag(self, tag, attrs):
        if tag in _BLOCK_TAGS:
            self._newline()

    def handle_endtag(self, tag):
        if tag in _SKIP_TAGS:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in _BLOCK_TAGS:
            self._newline()

    def handle_data(self, data):
        if not self._skip_depth and data:
            self.parts.append(_HTML_SPACE.sub(" ", data))


def extract_text(html: str) -> str:
    """Return the visible text of an HTML fragment.

    Inline markup adds nothing (``<b>138</b>1234`` gives ``1381234``), block
    elements and ``<br>`` become a single line break, HTML whitespace runs
    collapse to one space, and spaces around line breaks are dropped.
    Entities are decoded. Non-breaking and ideographic spaces are kept as they
    are (normalisation maps them to a plain space).
    """
    if not html:
        return ""
    if "<" not in html and "&" not in html:
        raw = _HTML_SPACE.sub(" ", html)
    else:
        parser = _TextExtractor()
        parser.feed(html)
        parser.close()
        raw = "".join(parser.parts)
    return _SPACE_AROUND_NEWLINE.sub("\n", _SPACE_RUN.sub(" ", raw)).strip(" \n")


class _TrackingExtractor(_TextExtractor):
    """The same extraction, remembering where each character came from."""

    def __init__(self) -> None:
        super().__init__()
        self.sources: list[list] = []  # parallel to ``parts``: one source per character
        self._chunk = -1

    def _newline(self) -> None:
        if self.parts and self.parts[-1] != "\n":
            self.parts.append("\n")
            self.sources.append([None])

    def handle_data(self, data):
        if not data:
            return
        self._chunk += 1
        if self._skip_depth:
            return
        chars, where, last = [], [], 0
        for match in _HTML_SPACE.finditer(data):
            for i in range(last, match.start()):
                chars.append(data[i])
                where.append((self._chunk, i))
            chars.append(" ")
            where.append((self._chunk, match.start()))
            last = match.end()
        for i in range(last, len(data)):
            chars.append(data[i])
            where.append((self._chunk, i))
        self.parts.append("".join(chars))
        self.sources.append(where)


def extract_text_sources(html: str) -> tuple[str, list]:
    """:func:`extract_text` of ``html`` and, for each of its characters, where
    it came from: ``(n, i)``, the ``i``-th character of the ``n``-th non-empty
    piece of data that ``html.parser`` (character references converted)
    reports — counting the pieces inside skipped elements too — or ``None``
    for a line break that a tag made. A collapsed run of white space points at
    its first character.

    This is what lets a page mark a finding (offsets into the plain text)
    inside the HTML itself: parse the same HTML with the same parser, and the
    ``n``-th text node holds the characters ``(n, i)``.
    """
    if not html:
        return "", []
    parser = _TrackingExtractor()
    parser.feed(html)
    parser.close()
    chars: list[str] = []
    where: list = []
    for part, sources in zip(parser.parts, parser.sources):
        chars.extend(part)
        where.extend(sources)
    # _SPACE_RUN: a run of spaces becomes one (the first).
    kept = [k for k, ch in enumerate(chars) if not (ch == " " and k > 0 and chars[k - 1] == " ")]
    chars, where = [chars[k] for k in kept], [where[k] for k in kept]
    # _SPACE_AROUND_NEWLINE: a run of spaces and line breaks holding a line break becomes one line break.
    out_chars: list[str] = []
    out_where: list = []
    k = 0
    while k < len(chars):
        if chars[k] in " \n":
            end = k
            while end < len(chars) and chars[end] in " \n":
                end += 1
            if "\n" in chars[k:end]:
                out_chars.append("\n")
                out_where.append(None)
            else:
                out_chars.extend(chars[k:end])
                out_where.extend(where[k:end])
            k = end
            continue
        out_chars.append(chars[k])
        out_where.append(where[k])
        k += 1
    # strip(" \n")
    start, end = 0, len(out_chars)
    while start < end and out_chars[start] in " \n":
        start += 1
    while end > start and out_chars[end - 1] in " \n":
        end -= 1
    return "".join(out_chars[start:end]), out_where[start:end]


# ---------------------------------------------------------------------------
# Normalisation with offset map
# ---------------------------------------------------------------------------

_INVISIBLE = frozenset(
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e"
    "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff"
)


class _NfkcTable(dict):
    """``str.translate`` table computing NFKC lazily per code point.

    Code points whose replacement is not exactly one character (deleted
    invisibles, expansions such as ``⑩`` -> ``10``) are remembered in
    ``length_changing`` so that the offset map only has to look at them.
    """

    def __init__(self) -> None:
        super().__init__()
        self.length_changing: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._pattern_size = -1

    def __missing__(self, code_point: int):
        char = chr(code_point)
        if char in _INVISIBLE:
            value = None
            self.length_changing.add(char)
        else:
            normalised = unicodedata.normalize("NFKC", char)
            value = code_point if normalised == char else normalised
            if len(normalised) != 1:
                self.length_changing.add(char)
        self[code_point] = value
        return value

    def length_changing_pattern(self) -> re.Pattern[str] | None:
        size = len(self.length_changing)
        if size == 0:
            return None
        if size != self._pattern_size:
            chars = "".join(sorted(self.length_changing))
            self._pattern = re.compile("[" + re.escape(chars) + "]")
            self._pattern_size = size
        return self._pattern


_TABLE = _NfkcTable()


class OffsetMap:
    """Maps indices of the normalised text back to indices of the plain text.

    Stored as sorted segments ``(norm_start, plain_start, constant)``: inside a
    normal segment the offset is linear; a *constant* segment is the expansion
    of one plain character into several normalised ones, all of which map to
    that plain character. ``None`` segments means identity.
    """

    __slots__ = ("_norm_starts", "_plain_starts", "_constant", "_norm_len", "_plain_len")

    def __init__(self, segments, norm_len: int, plain_len: int) -> None:
        self._norm_starts = [s[0] for s in segments] if segments else None
        self._plain_starts = [s[1] for s in segments] if segments else None
        self._constant = [s[2] for s in segments] if segments else None
        self._norm_len = norm_len
        self._plain_len = plain_len

    @property
    def is_identity(self) -> bool:
        return self._norm_starts is None

    def char(self, index: int) -> int:
        """Plain index of the character that produced normalised character ``index``."""
        if self._norm_starts is None:
            return index
        seg = bisect_right(self._norm_starts, index) - 1
        if self._constant[seg]:
            return self._plain_starts[seg]
        return self._plain_starts[seg] + (index - self._norm_starts[seg])

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Plain ``(start, end)`` covering normalised ``[start, end)``."""
        if self._norm_starts is None:
            return start, end
        if end <= start:
            if start >= self._norm_len:
                return self._plain_len, self._plain_len
            pos = self.char(start)
            return pos, pos
        return self.char(start), self.char(end - 1) + 1


class NormalizedText:
    """A plain text, its normalised form and the map between them."""

    __slots__ = ("plain", "text", "offsets")

    def __init__(self, plain: str, text: str, offsets: OffsetMap) -> None:
        self.plain = plain
        self.text = text
        self.offsets = offsets

    def plain_span(self, start: int, end: int) -> tuple[int, int]:
        return self.offsets.span(start, end)


def normalize(plain: str) -> NormalizedText:
    """NFKC-normalise ``plain`` (per character) and drop invisible characters."""
    text = plain.translate(_TABLE)
    pattern = _TABLE.length_changing_pattern()
    first = pattern.search(plain) if pattern is not None else None
    if first is None:
        return NormalizedText(plain, text, OffsetMap(None, len(text), len(plain)))

    segments: list[tuple[int, int, bool]] = []
    norm_pos = 0
    plain_pos = 0
    for match in pattern.finditer(plain, first.start()):
        index = match.start()
        if index > plain_pos:
            segments.append((norm_pos, plain_pos, False))
            norm_pos += index - plain_pos
        replacement = _TABLE[ord(plain[index])]
        width = 0 if replacement is None else len(replacement) if isinstance(replacement, str) else 1
        if width:
            segments.append((norm_pos, index, True))
            norm_pos += width
        plain_pos = index + 1
    segments.append((norm_pos, plain_pos, False))
    return NormalizedText(plain, text, OffsetMap(segments, len(text), len(plain)))
