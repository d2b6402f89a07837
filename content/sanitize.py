"""The one HTML policy: what editors may put into a draft body.

Everything that enters the system as HTML goes through ``clean_html`` (nh3, the
maintained successor of bleach). Changing what is allowed means changing this
module and nothing else.
"""
import html
import re
from html.parser import HTMLParser

import nh3

ALLOWED_TAGS = {
    "p", "br", "hr", "div", "span", "blockquote", "pre", "code",
    "h1", "h2", "h3", "h4", "h5", "h6",
    "b", "strong", "i", "em", "u", "s", "sub", "sup", "mark",
    "ul", "ol", "li",
    "a",
    "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "colgroup", "col",
    "img", "figure", "figcaption",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height", "data-source"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "col": {"span"},
    "colgroup": {"span"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto"}

# Images come only from our own upload view (web:media_image, a generated
# name), where each carries its source (图片来源). A remote address, even https,
# loses its src: it would make every reviewer's and publisher's browser fetch a
# third-party URL (a tracking pixel) and would bypass the source record.
# Keep in step with project/web/editor_urls.py (a test checks it).
LOCAL_IMAGE_PREFIX = "/drafts/images/"
LOCAL_IMAGE_RE = re.compile(r"^/drafts/images/[0-9a-f]{32}\.(?:png|jpg|gif|webp)$")


def _attribute_filter(element, attribute, value):
    if element == "img" and attribute == "src":
        if LOCAL_IMAGE_RE.match(value):
            return value
        return None
    return value


def clean_html(value):
    """Sanitise an HTML fragment: unknown tags are dropped (their text kept),
    scripts and styles removed with their content, links forced to rel=noopener,
    image sources limited to our own uploads."""
    return nh3.clean(
        value or "",
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_attribute_filter,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def clean_text(value):
    """A plain-text field (title, names): no markup, collapsed white space."""
    text = nh3.clean(value or "", tags=set())
    return re.sub(r"\s+", " ", html.unescape(text)).strip()


BLOCK_TAGS = {
    "p", "div", "br", "hr", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6",
    "blockquote", "pre", "table", "figure", "figcaption", "caption", "ul", "ol",
}


class _TextExtractor(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []

    def handle_starttag(self, tag, attrs):
        if tag in BLOCK_TAGS:
            self._newline()
        elif tag in {"td", "th"}:
            self.parts.append("\t")

    def handle_endtag(self, tag):
        if tag in BLOCK_TAGS:
            self._newline()

    def handle_data(self, data):
        self.parts.append(data)

    def _newline(self):
        if self.parts and not self.parts[-1].endswith("\n"):
            self.parts.append("\n")


def html_to_text(value):
    """The plain text a reader sees: inline tags vanish (so a number split across
    <b> and <span> stays whole), block elements become line breaks."""
    parser = _TextExtractor()
    parser.feed(value or "")
    parser.close()
    lines = [line.strip() for line in "".join(parser.parts).split("\n")]
    return "\n".join(line for line in lines if line)
