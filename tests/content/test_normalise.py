"""content.sanitize normalises the stored markup (issue 11): no empty blocks,
no block elements inside a <p>, no runs of <br>; equal visible content gives
equal HTML and so an equal content hash; normalising twice changes nothing."""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from content import services
from content.models import Revision
from content.sanitize import (DROPPED_WHEN_EMPTY, Element, clean_html, display_html, html_to_text, parse_fragment,
                              serialise)
from workflow.services import draft_revise

IMG = '<img src="/drafts/images/0123456789abcdef0123456789abcdef.png" alt="图">'


@pytest.mark.parametrize("raw, stored", [
    ("<p></p><p>正文</p>", "<p>正文</p>"),
    ("<p><br></p><p>正文</p><div><br><br></div>", "<p>正文</p>"),
    ("<p>&nbsp;</p><p>正文</p><p> \u3000 </p>", "<p>正文</p>"),
    ("<p><span> </span><b><br></b></p><p>正文</p>", "<p>正文</p>"),
    ("<h2></h2><blockquote><p></p></blockquote><p>正文</p>", "<p>正文</p>"),
    ("<p>第一行<br><br><br>第二行</p>", "<p>第一行<br>第二行</p>"),
    ("<p>第一行<br> <br>第二行</p>", "<p>第一行<br> 第二行</p>"),
    ("<p><br>正文<br></p>", "<p>正文</p>"),
    ("<p>要点：<ul><li>一</li><li>二</li></ul>以上。</p>", "<p>要点：</p><ul><li>一</li><li>二</li></ul><p>以上。</p>"),
    ("<p><ol><li>一</li></ol></p>", "<ol><li>一</li></ol>"),
    ("<p>表：<table><tr><td>1</td></tr></table></p>", "<p>表：</p><table><tbody><tr><td>1</td></tr></tbody></table>"),
    ("<p><div>正文</div></p>", "<div>正文</div>"),
    (f"<p>{IMG}</p><p></p>", f"<p>{IMG}</p>"),
    ("<p><hr></p>", "<hr>"),
])
def test_blank_gaps_and_nested_blocks_are_normalised(raw, stored):
    assert clean_html(raw) == stored


def test_what_is_not_a_gap_is_kept():
    # An image alone, a table cell left empty, a list item, preformatted line breaks.
    body = (f"<p>{IMG}</p><table><tbody><tr><td></td><td>2</td></tr></tbody></table>"
            "<ul><li>一</li></ul><pre>a\n<br><br>b</pre>")
    assert clean_html(body) == body


def test_the_policy_still_has_the_last_word():
    out = clean_html('<p><script>alert(1)</script><ul><li onclick="x()">一</li></ul><a href="javascript:y()">z</a></p>')
    assert "<script" not in out and "onclick" not in out and "javascript:" not in out
    assert out == "<ul><li>一</li></ul><p><a rel=\"noopener noreferrer\">z</a></p>"


def test_equal_visible_content_gets_one_hash_and_no_new_revision(world):
    draft = services.draft_create(actor=world.editor, account_id=world.account.pk, title="通知",
                                  body="<p>全校师生参加。</p>")
    same = draft_revise(actor=world.editor, draft_id=draft.pk, title="通知",
                        body="<p><br></p><p>全校师生参加。<br></p><p></p><div>&nbsp;</div>")
    assert same.pk == draft.current_revision_id
    assert Revision.objects.filter(draft=draft).count() == 1


def test_the_stored_revision_has_no_blank_gaps(world):
    draft = services.draft_create(actor=world.editor, account_id=world.account.pk, title="通知",
                                  body="<p>一、时间<ul><li>周一</li></ul></p><p><br></p><p>二、地点</p><p></p>")
    revision = draft.current_revision
    assert revision.body_html == "<p>一、时间</p><ul><li>周一</li></ul><p>二、地点</p>"
    assert revision.body_text == "一、时间\n周一\n二、地点"


# ---------------------------------------------------------------- properties

TEXTS = st.sampled_from(["正文", "a", " ", "\u00a0", "\u3000", "\n", "&amp;", "<", "甲乙", "\u200b", "x y"])
INLINE = ["b", "i", "span", "a", "strong", "em"]
BLOCK = ["p", "div", "h2", "blockquote", "ul", "ol", "li", "figure", "pre"]
LEAVES = st.one_of(
    TEXTS,
    st.just("<br>"),
    st.just(IMG),
    st.just("<hr>"),
    st.just("<table><tr><td>格</td><td></td></tr></table>"),
)


def _wrap(tag):
    def make(children):
        inner = "".join(children)
        if tag == "a":
            return f'<a href="https://www.gd.gov.cn/">{inner}</a>'
        return f"<{tag}>{inner}</{tag}>"
    return make


FRAGMENTS = st.recursive(
    LEAVES,
    lambda inner: st.one_of(*[st.lists(inner, max_size=4).map(_wrap(tag)) for tag in INLINE + BLOCK]),
    max_leaves=18,
)
BODIES = st.lists(FRAGMENTS, max_size=6).map("".join)
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(BODIES)
def test_normalising_is_idempotent(body):
    once = clean_html(body)
    assert clean_html(once) == once


@PROPERTY
@given(st.lists(st.sampled_from(list("<>/=\"' &;abpdivulotr甲\n") + ["<p>", "</p>", "<br>", "<ul>", "<li>", "<div>"]),
                max_size=60).map("".join))
def test_normalising_arbitrary_markup_is_idempotent(body):
    once = clean_html(body)
    assert clean_html(once) == once


def _walk(node, parents=()):
    if isinstance(node, Element):
        yield node, parents
        for child in node.children:
            yield from _walk(child, parents + (node,))


@PROPERTY
@given(BODIES)
def test_the_result_has_no_gaps_no_blocks_in_paragraphs_and_no_br_runs(body):
    root = parse_fragment(clean_html(body))
    for element, parents in _walk(root):
        if element.tag in DROPPED_WHEN_EMPTY and element.tag != "pre" and not any(p.tag == "pre" for p in parents):
            assert html_to_text(serialise(element)).strip() or "<img" in serialise(element) or \
                "<hr" in serialise(element), f"an empty {element.tag}: {serialise(element)!r}"
        if element.tag == "p":
            assert not any(isinstance(c, Element) and c.tag in {"p", "div", "ul", "ol", "table", "figure"}
                           for c in element.children), serialise(element)
        if any(p.tag == "pre" for p in parents) or element.tag == "pre":
            continue
        significant = [c for c in element.children if not (isinstance(c, str) and not c.strip(" \n\t\u00a0\u3000\u200b"))]
        for a, b in zip(significant, significant[1:]):
            assert not (isinstance(a, Element) and a.tag == "br" and isinstance(b, Element) and b.tag == "br"), \
                serialise(element)


@PROPERTY
@given(BODIES)
def test_normalising_keeps_the_visible_text(body):
    import nh3

    from content import sanitize

    sanitised_only = nh3.clean(body, tags=sanitize.ALLOWED_TAGS, attributes=sanitize.ALLOWED_ATTRIBUTES,
                               attribute_filter=sanitize._attribute_filter, url_schemes=sanitize.URL_SCHEMES)
    def words(html):  # what a reader sees: white space and zero-width characters aside
        return "".join(html_to_text(html).replace("\u200b", "").split())
    assert words(clean_html(body)) == words(sanitised_only)


# ---------------------------------------------------------------- the display form

def test_display_html_shows_each_link_target_after_its_text():
    out = display_html('<p>见<a href="https://www.gd.gov.cn/zw/">省政府网站</a>和<a href="mailto:office@gz1z.cn">邮箱</a>'
                       '，<a href="https://edu.gd.gov.cn/">https://edu.gd.gov.cn/</a></p>')
    assert ('<a href="https://www.gd.gov.cn/zw/" rel="noopener noreferrer">省政府网站</a>'
            '<span class="link-target">（https://www.gd.gov.cn/zw/）</span>') in out
    assert '邮箱</a><span class="link-target">（office@gz1z.cn）</span>' in out
    # a link whose text is its target is not repeated
    assert out.count("https://edu.gd.gov.cn/") == 2 and "（https://edu.gd.gov.cn/）" not in out


def test_display_html_is_sanitised_again():
    root = parse_fragment("<p>正文</p>")
    root.children.append(Element("script", [], ["alert(1)"]))
    root.children.append(Element("mark", [("class", "precheck precheck-blocker evil"), ("onclick", "x()"),
                                          ("data-dimensions", "secrecy")], ["号码"]))
    out = display_html(root)
    assert "<script" not in out and "onclick" not in out and "evil" not in out
    assert '<mark class="precheck precheck-blocker" data-dimensions="secrecy">号码</mark>' in out
