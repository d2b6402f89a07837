"""The XSS corpus (xss_payloads.txt) and the one question asked of whatever it
became: does this HTML hold executable markup? Shared by the stored-output
tests (tests/security/test_xss_corpus.py) and the browser test
(tests/browser/test_xss_corpus.py)."""
import re
from html.parser import HTMLParser
from pathlib import Path

CORPUS = Path(__file__).with_name("xss_payloads.txt")


def payloads():
    """Every payload of the corpus, in order (comment lines and blank lines left out)."""
    return [line for line in CORPUS.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("# ")]


# Elements that run script, load a document or a resource, or change how the page is parsed or sent.
EXECUTABLE_TAGS = {
    "script", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "meta", "link", "style",
    "svg", "math", "form", "template", "xmp", "noembed", "noscript", "isindex", "animate", "set",
    "foreignobject", "use", "maction", "input", "button", "textarea", "select", "video", "audio", "source",
    "marquee", "details", "body", "title",
}
# On a whole page the site's own forms are expected; a payload's element of these kinds is not.
PAGE_EXECUTABLE_TAGS = EXECUTABLE_TAGS - {"form", "input", "button", "textarea", "select", "details", "body",
                                          "title", "noscript"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href", "srcset", "background", "poster",
                  "codebase", "cite", "dynsrc", "lowsrc"}
FETCHING_ATTRIBUTES = {"src", "srcset", "background", "poster", "data", "dynsrc", "lowsrc"}
BAD_SCHEMES = ("javascript:", "vbscript:", "data:", "livescript:")
BAD_STYLE = ("url(", "expression(", "javascript:", "behavior", "binding", "@import")
_INVISIBLE = re.compile(r"[\x00-\x20\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


class _Finder(HTMLParser):
    def __init__(self, own_tags=(), scope=None):
        super().__init__(convert_charrefs=True)
        self.problems = []
        self.own_tags = set(own_tags)  # a page's own elements outside ``scope`` (its scripts in <head>)
        self.scope = scope
        self.depth = 0 if scope else 1

    def handle_starttag(self, tag, attrs):
        if self.scope and tag == self.scope:
            self.depth += 1
        inside = self.depth > 0
        if tag in (PAGE_EXECUTABLE_TAGS if self.scope else EXECUTABLE_TAGS) and inside:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            name, value = name.lower(), value or ""
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}>")
            plain = _INVISIBLE.sub("", value).lower()
            if name in URL_ATTRIBUTES and plain.startswith(BAD_SCHEMES):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name in FETCHING_ATTRIBUTES and inside and re.match(r"^(?:[a-z]+:)?//", plain):
                self.problems.append(f"<{tag} {name}={value!r}> (another origin)")
            if name == "srcdoc":
                self.problems.append(f"<{tag} srcdoc>")
            if name == "style" and any(bad in plain for bad in BAD_STYLE):
                self.problems.append(f"<{tag} style={value!r}>")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if self.scope and tag == self.scope:
            self.depth -= 1


def executable_markup(html, scope=None):
    """What in ``html`` could run or fetch: executable elements, inline event
    handlers, script/data URLs, off-origin resource URLs, dangerous styles.
    ``scope``: only elements inside this one count for the element and
    off-origin rules (a whole page's own scripts live outside <main>)."""
    finder = _Finder(scope=scope)
    finder.feed(html)
    finder.close()
    return finder.problems
