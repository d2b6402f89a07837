"""Where the text and the table rules of a printed page lie, read back from the
PDF that chromium prints (pdfminer.six). Coordinates are PDF points with the
origin at the page's bottom left: a larger ``y`` is higher on the page.

Chromium draws a collapsed table border as a thin filled rectangle; a rule is
such a rectangle at most 2 pt thick."""
import io
import logging
from dataclasses import dataclass

from pdfminer.high_level import extract_pages
from pdfminer.layout import LTChar, LTRect

# pdfminer warns about every embedded subset font without a FontBBox; the
# positions it reads are right all the same.
logging.getLogger("pdfminer").setLevel(logging.ERROR)


@dataclass(frozen=True)
class Box:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps_vertically(self, other, slack=0.5):
        return self.y0 < other.y1 - slack and other.y0 < self.y1 - slack


@dataclass(frozen=True)
class Rule:
    vertical: bool
    at: float        # x of a vertical rule, y of a horizontal one
    start: float     # its extent along the other axis
    end: float


@dataclass
class PdfPage:
    chars: list      # Box per character, in reading order
    rules: list      # Rule

    def find(self, text):
        """The character boxes of each occurrence of ``text`` (whitespace ignored)."""
        wanted = "".join(text.split())
        chars = [c for c in self.chars if c.text.strip()]
        stream = "".join(c.text for c in chars)
        found, start = [], stream.find(wanted)
        while start != -1:
            found.append(chars[start:start + len(wanted)])
            start = stream.find(wanted, start + 1)
        return found

    def one(self, text):
        found = self.find(text)
        assert len(found) == 1, f"{text!r} occurs {len(found)} times on the page"
        return found[0]

    def vertical_rules_between(self, left, right):
        """Vertical rules lying between two characters of one line (x strictly
        between them, spanning their height)."""
        return [r for r in self.rules if r.vertical and left.x1 - 0.5 < r.at < right.x0 + 0.5
                and r.start <= min(left.y0, right.y0) + 1 and r.end >= max(left.y1, right.y1) - 1]

    def rules_crossing(self, char):
        """Vertical rules that cut through a character."""
        return [r for r in self.rules if r.vertical and char.x0 + 0.5 < r.at < char.x1 - 0.5
                and r.start < char.y1 and r.end > char.y0]

    def horizontal_rules(self, *, x):
        """Horizontal rules crossing the vertical line at ``x``, top first."""
        return sorted((r for r in self.rules if not r.vertical and r.start <= x <= r.end),
                      key=lambda r: -r.at)


def read_pdf(data):
    """[PdfPage] of a PDF given as bytes."""
    pages = []
    for layout in extract_pages(io.BytesIO(data)):
        chars, rules = [], []

        def walk(item):
            if isinstance(item, LTChar):
                chars.append(Box(item.get_text(), item.x0, item.y0, item.x1, item.y1))
            elif isinstance(item, LTRect):
                if item.width <= 2 and item.height > 2:
                    rules.append(Rule(True, (item.x0 + item.x1) / 2, item.y0, item.y1))
                elif item.height <= 2 and item.width > 2:
                    rules.append(Rule(False, (item.y0 + item.y1) / 2, item.x0, item.x1))
            elif hasattr(item, "__iter__"):
                for child in item:
                    walk(child)

        walk(layout)
        pages.append(PdfPage(chars=chars, rules=rules))
    return pages


def bottom(boxes):
    return min(b.y0 for b in boxes)


def top(boxes):
    return max(b.y1 for b in boxes)
