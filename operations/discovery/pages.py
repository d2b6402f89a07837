"""What one HTML page says, read with lxml (pure: no ORM, no network).

``read_page(content, url)`` returns a ``Page``: the title and first heading,
its links (absolute, fragment removed, with their anchor text), the resources
it embeds (for mixed content), the dated items of its lists (a column's
entries: an ``li`` or table row holding a link and a date), the publication
dates it states (发布时间：2026-12-01), and its body as HTML for the pre-check
(scripts, styles and forms removed).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.html
from lxml import etree

DATE = re.compile(r"(20\d\d|19\d\d)\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
PUBLISHED = re.compile(r"(?:发布时间|发布日期|发文日期|成文日期|更新时间|日期)\s*[:：]\s*" + DATE.pattern)
# Elements whose URL attribute the page loads itself (mixed content when http on an https page).
EMBEDS = (("img", "src"), ("script", "src"), ("iframe", "src"), ("embed", "src"), ("source", "src"),
          ("audio", "src"), ("video", "src"), ("object", "data"))
_DROP = ("script", "style", "noscript", "template", "form", "select", "textarea", "svg")


@dataclass(frozen=True)
class Link:
    url: str
    text: str


@dataclass(frozen=True)
class DatedItem:
    day: dt.date
    url: str
    text: str


@dataclass
class Page:
    url: str
    title: str = ""
    heading: str = ""
    links: list[Link] = field(default_factory=list)
    embeds: list[str] = field(default_factory=list)
    items: list[DatedItem] = field(default_factory=list)
    published: list[dt.date] = field(default_factory=list)
    body_html: str = ""
    empty_notice: bool = False  # says 暂无信息 / 暂无内容 / 暂无数据


def parse_date(text: str) -> dt.date | None:
    """The first date in ``text`` (2026-12-01, 2026/12/01, 2026.12.01, 2026年12月1日), or None."""
    match = DATE.search(text)
    return _day(match.groups()) if match else None


def _day(groups) -> dt.date | None:
    try:
        return dt.date(int(groups[0]), int(groups[1]), int(groups[2]))
    except ValueError:
        return None


def _clean(text: str) -> str:
    return " ".join((text or "").split())


def absolute(base: str, href: str) -> str | None:
    """``href`` made absolute against ``base``, without its fragment; None for
    anything that is not http(s) (mailto:, javascript:, tel:, data:)."""
    href = (href or "").strip()
    if not href or href.startswith("#"):
        return None
    try:
        url = urldefrag(urljoin(base, href)).url
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return url


def read_page(content: bytes | str, url: str) -> Page:
    page = Page(url=url)
    if isinstance(content, bytes) and not content.strip():
        return page
    try:
        root = lxml.html.document_fromstring(content)
    except (etree.ParserError, ValueError):
        return page
    base = url
    for element in root.iter("base"):
        if element.get("href"):
            base = urljoin(url, element.get("href"))
            break
    title = root.find(".//title")
    page.title = _clean(title.text_content()) if title is not None else ""
    for tag in ("h1", "h2"):
        heading = root.find(f".//{tag}")
        if heading is not None:
            page.heading = _clean(heading.text_content())
            break
    for anchor in root.iter("a"):
        target = absolute(base, anchor.get("href", ""))
        if target:
            page.links.append(Link(target, _clean(anchor.text_content())[:200]))
    for tag, attribute in EMBEDS:
        for element in root.iter(tag):
            target = absolute(base, element.get(attribute, ""))
            if target:
                page.embeds.append(target)
    for element in root.iter("link"):
        if "stylesheet" in (element.get("rel") or "").lower():
            target = absolute(base, element.get("href", ""))
            if target:
                page.embeds.append(target)
    for row in root.iter("li", "tr"):
        anchors = [a for a in row.iter("a") if absolute(base, a.get("href", ""))]
        if not anchors:
            continue
        day = parse_date(row.text_content())
        if day is not None:
            anchor = anchors[0]
            page.items.append(DatedItem(day, absolute(base, anchor.get("href")), _clean(anchor.text_content())[:200]))
    body = root.find("body")
    if body is None:
        body = root
    for tag in _DROP:
        for element in list(body.iter(tag)):
            element.drop_tree()
    text = body.text_content()
    page.published = [d for d in (_day(m.groups()) for m in PUBLISHED.finditer(text)) if d is not None]
    page.empty_notice = any(word in text for word in ("暂无信息", "暂无内容", "暂无数据", "暂无记录"))
    page.body_html = lxml.html.tostring(body, encoding="unicode")
    return page
