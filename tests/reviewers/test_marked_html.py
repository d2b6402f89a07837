"""The pre-check's findings marked inside the formatted content (issue 11):
reviewers.precheck.text.extract_text_sources and
reviewers.selectors.precheck_marked_html."""
from types import SimpleNamespace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from content.sanitize import Element, clean_html, display_html, parse_fragment, serialise
from reviewers.precheck import run_precheck
from reviewers.precheck.text import extract_text, extract_text_sources
from reviewers.selectors import precheck_highlighted_html, precheck_marked_html

IMG = '<img src="/drafts/images/0123456789abcdef0123456789abcdef.png" alt="校运会">'
PROPERTY = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def report_of(body, title="通知"):
    report = run_precheck(title=title, body_html=body)
    return SimpleNamespace(plain_text=report.plain_text, findings=[f.as_dict() for f in report.findings])


def finding(start, end, *, severity="warning", dimension="wording", message="提示"):
    return {"field": "body", "start": start, "end": end, "severity": severity, "dimension": dimension,
            "message": message, "text": ""}


def marks(html):
    """(data-findings, text) of every <mark> of an HTML fragment, in order."""
    found = []

    def walk(node):
        if isinstance(node, Element):
            if node.tag == "mark":
                found.append((node.get("data-findings"), "".join(_texts(node))))
            for child in node.children:
                walk(child)
    walk(parse_fragment(html))
    return found


def _texts(node):
    if isinstance(node, str):
        yield node
    else:
        for child in node.children:
            yield from _texts(child)


def unmarked(html):
    """The HTML with every <mark> replaced by its content."""
    def strip(node):
        if isinstance(node, str):
            return [node]
        kids = [piece for child in node.children for piece in strip(child)]
        if node.tag == "mark":
            return kids
        node.children = kids
        return [node]
    root = parse_fragment(html)
    strip(root)
    return serialise(root)


def test_a_number_split_by_markup_is_marked_in_each_piece_inside_the_formatting():
    body = clean_html("<p>联系电话：<b>136</b>0000<span>1111</span></p>"
                      f"<figure>{IMG}<figcaption>图片来源：本校</figcaption></figure>"
                      "<table><tr><th>项目</th><td>时间</td></tr></table>")
    report = report_of(body)
    mobile = next(f for f in report.findings if f["dimension"] == "secrecy")
    html = precheck_marked_html(report, body)
    assert [text for _ids, text in marks(html)] == ["136", "0000", "1111"]
    assert "<b><mark " in html and "<span><mark " in html
    assert html.count('class="precheck precheck-blocker"') == 3
    # the formatting is all there: the image, its caption, the table
    assert IMG.replace(">", "") in html and "<figcaption>图片来源：本校</figcaption>" in html
    assert "<th>项目</th><td>时间</td>" in html
    assert mobile["message"] in html  # the message as the mark's title
    assert unmarked(html) == unmarked(display_html(body))


def test_marks_carry_the_same_attributes_as_in_the_plain_text():
    body = clean_html("<p>大部份同学参加，台湾总统发表讲话。</p>")
    report = report_of(body)
    formatted = precheck_marked_html(report, body)
    plain = precheck_highlighted_html(report)
    assert formatted.count("<mark ") == plain.count("<mark ") > 0
    for (ids, text), (plain_ids, plain_text) in zip(marks(formatted), marks(plain)):
        assert (ids, text) == (plain_ids, plain_text)
    assert 'data-dimensions="political"' in formatted


def test_link_targets_are_shown_and_marks_reach_into_links():
    body = clean_html('<p>详见<a href="https://www.gd.gov.cn/">台湾总统讲话</a>。</p>')
    html = precheck_marked_html(report_of(body), body)
    assert '<a href="https://www.gd.gov.cn/" rel="noopener noreferrer"><mark ' in html
    assert '</a><span class="link-target">（https://www.gd.gov.cn/）</span>' in html


def test_marked_text_is_escaped_and_the_result_sanitised():
    body = clean_html("<p>&lt;script&gt;alert(1)&lt;/script&gt; 大部份 &amp; 同学</p>")
    report = report_of(body)
    html = precheck_marked_html(report, body)
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert [text for _ids, text in marks(html)] == ["部份"]
    # a message with markup stays text in the title attribute
    report.findings.append(finding(0, 3, message='"><img src=x onerror=alert(2)>'))
    html = precheck_marked_html(report, body)
    assert "<img" not in html and "onerror=alert(2)&gt;" in html


def test_a_report_of_other_content_is_not_marked_in_the_formatting():
    body = clean_html("<p>新的正文</p>")
    stale = SimpleNamespace(plain_text="旧的正文", findings=[finding(0, 2)])
    assert precheck_marked_html(stale, body) is None


def test_findings_across_blocks_and_white_space():
    body = clean_html("<p>第一段 结尾</p><ul><li>列表  项</li></ul>")
    report = SimpleNamespace(plain_text=extract_text(body), findings=[])
    assert report.plain_text == "第一段 结尾\n列表 项"
    report.findings = [finding(2, 9)]  # "段 结尾\n列表"
    html = precheck_marked_html(report, body)
    assert [text for _ids, text in marks(html)] == ["段 结尾", "列表"]


# ---------------------------------------------------------------- properties

PIECES = st.sampled_from(["正文", "a b", "  ", "\n", "&amp;", "&lt;", "甲乙丙", "\u00a0", "138", "0000", "，"])
TAGS = ["p", "b", "i", "span", "li", "td", "h2", "div", "blockquote", "strong"]


def _wrap(tag):
    def make(children):
        inner = "".join(children)
        if tag == "li":
            return f"<ul><li>{inner}</li></ul>"
        if tag == "td":
            return f"<table><tr><td>{inner}</td><td>格</td></tr></table>"
        return f"<{tag}>{inner}</{tag}>"
    return make


HTML = st.recursive(
    st.one_of(PIECES, st.just("<br>"), st.just(IMG), st.just('<a href="https://www.gd.gov.cn/">链接</a>')),
    lambda inner: st.one_of(*[st.lists(inner, max_size=4).map(_wrap(t)) for t in TAGS]),
    max_leaves=16,
)
BODIES = st.lists(HTML, max_size=5).map("".join)


@PROPERTY
@given(st.one_of(BODIES, st.text(max_size=60)))
def test_the_tracked_text_is_the_extracted_text(body):
    text, sources = extract_text_sources(body)
    assert text == extract_text(body)
    assert len(sources) == len(text)


@PROPERTY
@given(BODIES, st.lists(st.tuples(st.integers(0, 80), st.integers(1, 12)), max_size=4))
def test_every_finding_is_marked_exactly_and_nothing_else_changes(raw, spans):
    body = clean_html(raw)
    plain = extract_text(body)
    findings = [finding(s, min(s + n, len(plain))) for s, n in spans if s < len(plain)]
    report = SimpleNamespace(plain_text=plain, findings=findings)
    html = precheck_marked_html(report, body)
    assert html is not None
    assert unmarked(html) == unmarked(display_html(body))
    found = marks(html)
    for index, f in enumerate(findings):
        covered = "".join(text for ids, text in found if str(index) in ids.split())
        assert "".join(covered.split()) == "".join(plain[f["start"]:f["end"]].split())
