"""The review page shows the formatted content by default — images, tables,
links with their targets — with the pre-check findings marked in it; the
plain text with the same marks is the other view (issue 11)."""
import re

import pytest

from reviewers.models import PrecheckReport, ReviewRound
from tests.web.review_support import login, new_draft, submit

pytestmark = pytest.mark.django_db

IMG = '<img src="/drafts/images/0123456789abcdef0123456789abcdef.png" alt="开幕式">'
BODY = (f"<p>台湾总统发表讲话，大部份同学参加。</p><figure>{IMG}<figcaption>图片来源：本校宣传部</figcaption></figure>"
        "<table><tr><th>项目</th><td>一百米</td></tr></table>"
        '<p>报名见<a href="https://www.gz1z.edu.cn/signup">报名页面</a>。</p>')


def _sections(html):
    formatted = html.split('data-testid="content-formatted">', 1)[1].split("</div>", 1)[0]
    plain = html.split('data-testid="content-marked">', 1)[1].split("</div>", 1)[0]
    return formatted, plain


def test_the_formatted_content_with_marks_is_shown_by_default(client, world):
    sub = submit(world, new_draft(world, body=BODY))
    html = login(client, world.reviewers[0]).get(f"/review/{sub.pk}/").content.decode()
    formatted, plain = _sections(html)
    # images, tables and links are in the default view, not behind a fold
    assert IMG.rstrip(">") in formatted and "<figcaption>图片来源：本校宣传部</figcaption>" in formatted
    assert "<th>项目</th><td>一百米</td>" in formatted
    assert '<a href="https://www.gz1z.edu.cn/signup" rel="noopener noreferrer">报名页面</a>' \
           '<span class="link-target">（https://www.gz1z.edu.cn/signup）</span>' in formatted
    # the findings are marked inside it
    assert re.search(r'<mark class="precheck precheck-blocker" data-dimensions="political"[^>]*>台湾总统</mark>',
                     formatted)
    assert re.search(r'<mark class="precheck precheck-\w+" data-dimensions="wording"[^>]*>部份</mark>', formatted)
    # the plain text is the other view, folded, with the same marks
    before_plain = html.split('data-testid="content-marked"', 1)[0]
    assert re.search(r'<details class="plain-view" data-testid="plain-view">\s*<summary>纯文本', before_plain)
    assert formatted.count("<mark ") == plain.count("<mark ")
    assert "<img" not in plain and "<table" not in plain
    assert 'data-testid="marks-plain-only"' not in html


def test_without_a_report_the_formatted_content_is_shown(client, world):
    sub = submit(world, new_draft(world, body='<p>见<a href="https://www.gd.gov.cn/">省政府网站</a></p>'))
    # a revision submitted before the pre-check existed has no report
    ReviewRound.objects.filter(pk=sub.current_round_id).update(precheck=None)
    PrecheckReport.objects.filter(revision=sub.revision).delete()
    html = login(client, world.reviewers[0]).get(f"/review/{sub.pk}/").content.decode()
    formatted = html.split('data-testid="content-formatted">', 1)[1].split("</div>", 1)[0]
    assert '省政府网站</a><span class="link-target">（https://www.gd.gov.cn/）</span>' in formatted
    assert 'data-testid="plain-view"' not in html


def test_the_formatted_content_is_still_sanitised(client, world):
    sub = submit(world, new_draft(world, body='<p>正文<a href="javascript:alert(1)">点</a>'
                                             '<img src="https://evil.example/x.png" onerror="alert(2)"></p>'))
    html = login(client, world.reviewers[0]).get(f"/review/{sub.pk}/").content.decode()
    formatted = html.split('data-testid="content-formatted">', 1)[1].split("</div>", 1)[0]
    assert "javascript:" not in formatted and "onerror" not in formatted and "evil.example" not in formatted
    assert 'class="link-target"' not in formatted  # a link without a target shows none
