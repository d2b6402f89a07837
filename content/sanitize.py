"""The one HTML policy: what editors may put into a draft body.

Everything that enters the system as HTML goes through ``clean_html`` (nh3, the
maintained successor of bleach). Changing what is allowed means changing this
module and nothing else.

``clean_html`` also normalises the markup, so that what is stored (and hashed:
the content hash is over this form) has no blank gaps and the same visible
content gives the same HTML: block elements nested in a ``<p>`` (a rich
editor's list inside a paragraph) become siblings of the paragraph's text,
empty ``<p>``/``<div>``/heading/quote blocks (nothing but white space and
``<br>``) are dropped, runs of ``<br>`` collapse to one and a block neither
starts nor ends with one. Normalising twice changes nothing (a property test
says so).

The pages show stored HTML through ``display_html``: the same policy plus the
pre-check's ``<mark>`` elements and the visible target of every link.
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


# What the pages add to stored HTML when they show it (display_html): the
# pre-check's marks (reviewers.selectors.precheck_marked_html) and the visible
# target of each link. Never stored.
DISPLAY_ATTRIBUTES = {**ALLOWED_ATTRIBUTES, "mark": {"data-dimensions", "data-findings", "title"}}
DISPLAY_CLASSES = {
    "mark": {"precheck", "precheck-blocker", "precheck-warning", "precheck-info"},
    "span": {"link-target"},
}


def _attribute_filter(element, attribute, value):
    if element == "img" and attribute == "src":
        if LOCAL_IMAGE_RE.match(value):
            return value
        return None
    return value


def _nh3(value, *, display=False):
    return nh3.clean(
        value or "",
        tags=ALLOWED_TAGS,
        attributes=DISPLAY_ATTRIBUTES if display else ALLOWED_ATTRIBUTES,
        allowed_classes=DISPLAY_CLASSES if display else None,
        attribute_filter=_attribute_filter,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def clean_html(value):
    """Sanitise an HTML fragment: unknown tags are dropped (their text kept),
    scripts and styles removed with their content, links forced to rel=noopener,
    image sources limited to our own uploads; then normalised (see the module's
    docstring). nh3 has the last word: whatever the tree steps did, the result
    is what the policy allows."""
    if not value:
        return ""
    first = _nh3(serialise(unnest_blocks(parse_fragment(value))))
    return _nh3(serialise(tidy_blocks(parse_fragment(first))))


def display_html(value, *, link_targets=True):
    """Stored (sanitised) HTML as the pages show it: each link followed by its
    target in a ``<span class="link-target">`` (unless the link's text is the
    target already), then sanitised again with the display policy, which
    also keeps the pre-check's ``<mark>`` elements. ``value`` may be a tree
    (``parse_fragment``) that a caller changed, e.g. wrapped text in marks."""
    root = value if isinstance(value, Element) else parse_fragment(value or "")
    if link_targets:
        show_link_targets(root)
    return _nh3(serialise(root), display=True)


# ---------------------------------------------------------------- a small tree: parse, walk, serialise
#
# Enough for the fragments this module itself produces or is given: the
# normalising steps and the pages' marks work on a tree, never on strings of
# raw HTML, and everything they serialise goes through nh3 again.

VOID_TAGS = frozenset("area base br col embed hr img input link meta param source track wbr".split())
# A <p> holding one of these is split around it (the HTML parser would end the
# paragraph there anyway, leaving an empty <p></p> behind).
BLOCKS_OUT_OF_P = frozenset("""address article aside blockquote details dialog div dl fieldset figcaption figure
    footer form h1 h2 h3 h4 h5 h6 header hr main menu nav ol p pre section table ul""".split())
# Blocks dropped when they hold nothing visible (white space and <br> only).
DROPPED_WHEN_EMPTY = frozenset("p div h1 h2 h3 h4 h5 h6 blockquote pre".split())
# Elements that are visible content on their own, without text.
CONTENT_VOIDS = frozenset({"img", "hr"})
# Blocks that neither start nor end with a <br>.
BR_TRIMMED = frozenset("p div h1 h2 h3 h4 h5 h6 blockquote li td th figcaption caption".split())
_BLANK = re.compile(r"^[\s\u200b\u200c\u200d\u2060\ufeff]*$")


class Element:
    """An element of a parsed fragment; ``children`` are Elements and strings."""

    __slots__ = ("tag", "attrs", "children")

    def __init__(self, tag, attrs=(), children=None):
        self.tag = tag
        self.attrs = list(attrs)
        self.children = [] if children is None else children

    def get(self, name, default=None):
        for key, value in self.attrs:
            if key == name:
                return value
        return default

    def __repr__(self):
        return f"<Element {self.tag} {len(self.children)} children>"


ROOT_TAG = "#fragment"


class _TreeBuilder(HTMLParser):
    """html.parser into Elements. Text chunks are kept as the parser reports
    them (never merged), so the n-th text node is the parser's n-th piece of
    data: reviewers.precheck.text counts its offsets the same way."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element(ROOT_TAG)
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        element = Element(tag, attrs)
        self.stack[-1].children.append(element)
        if tag not in VOID_TAGS:
            self.stack.append(element)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Element(tag, attrs))

    def handle_endtag(self, tag):
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return
        # an end tag without its start tag is ignored

    def handle_data(self, data):
        if data:
            self.stack[-1].children.append(data)


def parse_fragment(value):
    """An HTML fragment as a tree under an Element with tag ``#fragment``.
    Comments, declarations and processing instructions are left out."""
    builder = _TreeBuilder()
    builder.feed(value or "")
    builder.close()
    return builder.root


def iter_text_nodes(element):
    """(parent, index) of every text node under ``element``, in document order."""
    for index, child in enumerate(element.children):
        if isinstance(child, str):
            yield element, index
        else:
            yield from iter_text_nodes(child)


def serialise(node):
    """The HTML of a node (text escaped, attribute values quoted and escaped)."""
    if isinstance(node, str):
        return html.escape(node, quote=False)
    inner = "".join(serialise(child) for child in node.children)
    if node.tag == ROOT_TAG:
        return inner
    attrs = "".join(f" {name}" if value is None else f' {name}="{html.escape(value, quote=True)}"'
                    for name, value in node.attrs)
    if node.tag in VOID_TAGS:
        return f"<{node.tag}{attrs}>"
    return f"<{node.tag}{attrs}>{inner}</{node.tag}>"


def unnest_blocks(element):
    """Split every <p> around the block elements it holds: ``<p>a<ul>…</ul>b</p>``
    becomes ``<p>a</p><ul>…</ul><p>b</p>``. Changes and returns ``element``."""
    element.children = [piece for child in element.children for piece in _unnest(child)]
    return element


def _unnest(node):
    if isinstance(node, str):
        return [node]
    unnest_blocks(node)
    if node.tag != "p" or not any(isinstance(c, Element) and c.tag in BLOCKS_OUT_OF_P for c in node.children):
        return [node]
    pieces, run = [], []
    for child in node.children:
        if isinstance(child, Element) and child.tag in BLOCKS_OUT_OF_P:
            if run:
                pieces.append(Element("p", node.attrs, run))
                run = []
            pieces.append(child)
        else:
            run.append(child)
    if run:
        pieces.append(Element("p", node.attrs, run))
    return pieces


def _is_blank(node):
    if isinstance(node, str):
        return bool(_BLANK.match(node))
    if node.tag in CONTENT_VOIDS:
        return False
    return all(_is_blank(child) for child in node.children)


def _is_br(node):
    return isinstance(node, Element) and node.tag == "br"


def _collapse_brs(children):
    out, previous_br = [], False
    for child in children:
        if _is_br(child):
            if previous_br:
                continue
            previous_br = True
        elif not (isinstance(child, str) and _BLANK.match(child)):
            previous_br = False
        out.append(child)
    return out


def _trim_brs(children):
    def significant(node):
        return not (isinstance(node, str) and _BLANK.match(node))

    start = 0
    while True:
        first = next((i for i in range(start, len(children)) if significant(children[i])), None)
        if first is None or not _is_br(children[first]):
            break
        children = children[:first] + children[first + 1:]
    while True:
        last = next((i for i in range(len(children) - 1, -1, -1) if significant(children[i])), None)
        if last is None or not _is_br(children[last]):
            break
        children = children[:last] + children[last + 1:]
    return children


def tidy_blocks(element, *, in_pre=False):
    """Drop empty blocks, collapse runs of <br> and trim a block's leading and
    trailing <br> (not inside <pre>). Changes and returns ``element``."""
    in_pre = in_pre or element.tag == "pre"
    kids = []
    for child in element.children:
        if isinstance(child, Element) and child.tag not in VOID_TAGS:
            tidy_blocks(child, in_pre=in_pre)
            if child.tag in DROPPED_WHEN_EMPTY and _is_blank(child):
                continue
        kids.append(child)
    if element.tag == "pre" and kids and isinstance(kids[0], str):
        # Parsers drop a <pre>'s first line break and serialisers do not put it
        # back: leading blank lines would shrink by one on every pass.
        kids[0] = kids[0].lstrip("\r\n")
        if not kids[0]:
            kids = kids[1:]
    if not in_pre:
        kids = _collapse_brs(kids)
        if element.tag in BR_TRIMMED or element.tag == ROOT_TAG:
            kids = _trim_brs(kids)
    element.children = kids
    return element


def show_link_targets(element):
    """After each link whose text is not its target, a ``<span class="link-target">``
    showing the target (the reader sees where a link goes before following it)."""
    kids = []
    for child in element.children:
        kids.append(child)
        if not isinstance(child, Element):
            continue
        if child.tag == "a":
            href = (child.get("href") or "").strip()
            label = _text_of(child).strip()
            shown = href[len("mailto:"):] if href.lower().startswith("mailto:") else href
            if href and label not in (href, shown):
                kids.append(Element("span", [("class", "link-target")], [f"（{shown}）"]))
        else:
            show_link_targets(child)
    element.children = kids
    return element


def _text_of(node):
    if isinstance(node, str):
        return node
    return "".join(_text_of(child) for child in node.children)


# Characters no plain-text input may hold: control characters (C0 except tab and line breaks, DEL, C1),
# the bidirectional controls that reorder what a reader sees (U+202A-U+202E, U+2066-U+2069, U+200E,
# U+200F, U+061C: "Trojan Source"), and other invisible format controls that hide text.
_FORBIDDEN_TEXT = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]")
FORBIDDEN_TEXT_MESSAGE = "不能包含控制字符或文字方向控制符（发现 %(c)s），请删除后重新输入"


def forbidden_character_error(value):
    """The Chinese message for the first forbidden character of a plain-text input, or None.

    The one check every plain-text input passes (the API's text fields, and the
    services for titles and registry fields), so a title can never carry U+202E."""
    match = _FORBIDDEN_TEXT.search(value or "") if isinstance(value, str) else None
    if match is None:
        return None
    return FORBIDDEN_TEXT_MESSAGE % {"c": f"U+{ord(match.group()):04X}"}


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
