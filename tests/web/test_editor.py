"""The editor's pages: drafts list, new/edit, pre-check, submit, withdraw,
returned reasons, diff — with their permissions, validation, audit entries and
query counts."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEntry
from content import services as content_services
from content.models import Draft, Revision
from tests import factories
from tests.web.review_support import bare
from tests.workflow.helpers import decide, new_draft, submit
from workflow import services as workflow_services
from workflow import states
from workflow.models import Submission

MOBILE_BODY = "<p>联系人：张老师，电话 13812345678。</p>"


@pytest.fixture
def editor_client(client, world):
    client.force_login(world.editor)
    return client


def actions_of(draft_id):
    return list(AuditEntry.objects.filter(draft_id=draft_id).order_by("seq").values_list("action", flat=True))


def post_new(client, world, **overrides):
    data = {"account": world.account.pk, "title": "关于举行秋季运动会的通知",
            "body": "<h2>安排</h2><p>全校师生<strong>参加</strong>。</p>"}
    data.update(overrides)
    return client.post(reverse("web:draft_new"), data)


def returned_draft(world, comment="第二段有错别字"):
    draft = new_draft(world)
    submission = submit(world, draft)
    decide(world.reviewers[0], submission, wording=comment)
    return draft


# ---------------------------------------------------------------- URLs others link to

def test_the_url_names_other_pages_link_to_exist():
    assert reverse("web:drafts") == "/drafts/"
    assert reverse("web:draft_new") == "/drafts/new/"
    for name in ("draft_detail", "draft_edit", "draft_diff", "draft_submit", "draft_withdraw", "draft_precheck"):
        assert reverse(f"web:{name}", args=[7]).startswith("/drafts/7/")
    assert reverse("web:draft_precheck") == "/drafts/precheck/"
    assert reverse("web:image_upload") == "/drafts/images/upload/"


def test_pages_need_login(client, world):
    draft = new_draft(world)
    for url in (reverse("web:drafts"), reverse("web:draft_new"), reverse("web:draft_detail", args=[draft.pk]),
                reverse("web:draft_edit", args=[draft.pk]), reverse("web:draft_diff", args=[draft.pk])):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


# ---------------------------------------------------------------- my drafts

def test_my_drafts_lists_only_mine_with_their_states(editor_client, world):
    mine = new_draft(world, title="我的草稿")
    returned = returned_draft(world)
    new_draft(world, title="编辑乙的稿件", author=world.editor2)
    response = editor_client.get(reverse("web:drafts"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "我的草稿" in html and "编辑乙的稿件" not in html
    assert f'data-draft-id="{returned.pk}" data-state="returned"' in html
    assert f'data-draft-id="{mine.pk}" data-state="none"' in html
    assert "退回修改" in html and "未提交" in html


def test_my_drafts_filter_by_state(editor_client, world):
    new_draft(world, title="尚未提交的稿件")
    returned_draft(world)
    html = editor_client.get(reverse("web:drafts") + "?state=returned").content.decode()
    assert 'data-state="returned"' in html and "尚未提交的稿件" not in html
    html = editor_client.get(reverse("web:drafts") + "?state=none").content.decode()
    assert "尚未提交的稿件" in html and 'data-state="returned"' not in html
    html = editor_client.get(reverse("web:drafts") + "?state=published").content.decode()
    assert 'data-testid="drafts-empty"' in html
    # an unknown filter shows everything
    html = editor_client.get(reverse("web:drafts") + "?state=bogus").content.decode()
    assert html.count('data-testid="draft-row"') == 2


def test_my_drafts_search_by_title_account_and_date(editor_client, world):
    from tests.stats_helpers import at, local

    other = factories.account(world.school, name="广州一中微博", platform="weibo", handle="gz1z-wb")
    factories.grant(other, world.editor, "draft_account")
    with at(local(2025, 3, 10)):
        march = new_draft(world, title="三月运动会通知")
    with at(local(2025, 5, 20)):
        may = new_draft(world, title="五月运动会安排")
    with at(local(2025, 5, 21, 23, 50)):   # late in the evening, Beijing time
        weibo = content_services.draft_create(actor=world.editor, account_id=other.pk, title="五月读书月",
                                              body="<p>读书月。</p>")
    new_draft(world, title="运动会（编辑乙）", author=world.editor2)

    def rows(**params):
        response = editor_client.get(reverse("web:drafts"), params)
        assert response.status_code == 200
        return {d.pk for d in response.context["page"].object_list}

    assert rows(q="运动会") == {march.pk, may.pk}          # only mine
    assert rows(q="五月") == {may.pk, weibo.pk}
    assert rows(account=other.pk) == {weibo.pk}
    assert rows(q="五月", account=world.account.pk) == {may.pk}
    assert rows(date_from="2025-05-01", date_to="2025-05-21") == {may.pk, weibo.pk}   # both days included
    assert rows(date_to="2025-05-20") == {march.pk, may.pk}
    assert rows(date_from="2025-05-21") == {weibo.pk}
    assert rows(q="五月", state="none") == {may.pk, weibo.pk}
    html = editor_client.get(reverse("web:drafts"), {"q": "不存在"}).content.decode()
    assert "没有符合条件的稿件" in html and 'name="q" value="不存在"' in html
    # the account filter offers the accounts of my drafts
    form = editor_client.get(reverse("web:drafts")).context["form"]
    assert [c[0] for c in form.fields["account"].choices] == ["", world.account.pk, other.pk]


def test_my_drafts_search_ignores_an_invalid_filter_with_a_message(editor_client, world):
    mine = new_draft(world, title="秋季运动会")
    stranger = factories.account(world.other_city, name="深圳账号", platform="weibo", handle="sz-wb")
    response = editor_client.get(reverse("web:drafts"), {"q": "运动会", "account": stranger.pk,
                                                         "date_from": "2025-13-01"})
    assert response.status_code == 200
    assert {d.pk for d in response.context["page"].object_list} == {mine.pk}
    html = response.content.decode()
    assert "筛选条件有误，已忽略无效的条件" in html
    assert "您没有为该账号撰写的稿件" in html and "日期格式应为 YYYY-MM-DD" in html
    response = editor_client.get(reverse("web:drafts"), {"date_from": "2025-05-02", "date_to": "2025-05-01"})
    assert "结束日期不能早于开始日期" in response.content.decode()


def test_my_drafts_search_costs_a_constant_number_of_queries(editor_client, world):
    params = {"q": "通知", "account": world.account.pk, "date_from": "2000-01-01", "state": "none"}

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            response = editor_client.get(reverse("web:drafts"), params)
        assert response.status_code == 200
        return len(ctx.captured_queries), response.content.decode().count('data-testid="draft-row"')

    for i in range(3):
        new_draft(world, title=f"通知{i}")
    few, rows = queries()
    assert rows == 3
    for i in range(17):
        new_draft(world, title=f"更多通知{i}")
    many, rows = queries()
    assert rows == 20 and few == many


def _list_queries(client):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("web:drafts"))
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode().count('data-testid="draft-row"')


def test_my_drafts_costs_a_constant_number_of_queries(editor_client, world):
    for i in range(3):
        new_draft(world, title=f"稿件{i}")
    submit(world, Draft.objects.filter(author=world.editor).first())
    few, rows = _list_queries(editor_client)
    assert rows == 3
    for i in range(17):
        new_draft(world, title=f"更多稿件{i}")
    many, rows = _list_queries(editor_client)
    assert rows == 20
    assert few == many


def test_my_drafts_is_paginated_and_keeps_the_filter(editor_client, world, monkeypatch):
    from project.web.editor import views as editor_views

    monkeypatch.setattr(editor_views, "DRAFTS_PER_PAGE", 2)
    for i in range(5):
        new_draft(world, title=f"稿件{i}")
    html = editor_client.get(reverse("web:drafts") + "?state=none").content.decode()
    assert html.count('data-testid="draft-row"') == 2
    assert "state=none&amp;page=2" in html and "共 5 条" in html
    html = editor_client.get(reverse("web:drafts") + "?state=none&page=3").content.decode()
    assert html.count('data-testid="draft-row"') == 1


# ---------------------------------------------------------------- new draft

def test_new_draft_page_offers_only_accounts_i_may_write_for(editor_client, world):
    other = factories.account(world.school, name="另一个账号", handle="other-acc")
    html = editor_client.get(reverse("web:draft_new")).content.decode()
    assert world.account.name in html and "另一个账号" not in html
    assert 'data-rich-editor' in html and 'name="body"' in html
    assert reverse("web:draft_precheck") in html
    assert other.pk


def test_creating_a_draft_saves_revision_one_and_audits(editor_client, world):
    response = post_new(editor_client, world, body='<h2>安排</h2><p onclick="x()">正文<script>alert(1)</script></p>')
    draft = Draft.objects.get(author=world.editor)
    assert response.status_code == 302 and response["Location"] == reverse("web:draft_detail", args=[draft.pk])
    revision = draft.current_revision
    assert revision.number == 1 and revision.title == "关于举行秋季运动会的通知"
    assert "<script>" not in revision.body_html and "onclick" not in revision.body_html
    assert "<h2>安排</h2>" in revision.body_html
    assert actions_of(draft.pk) == ["content.draft.created"]


def test_empty_title_shows_the_message_next_to_the_field(editor_client, world):
    response = post_new(editor_client, world, title="   ")
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_title_error"' in html and "标题不能为空" in html
    assert Draft.objects.count() == 0
    # what was typed is kept, sanitised
    assert "全校师生" in html


def test_body_is_sanitised_when_the_form_is_shown_again(editor_client, world):
    response = post_new(editor_client, world, title="", body='<p>正文</p><img src=x onerror="alert(1)">')
    assert response.status_code == 400
    html = response.content.decode()
    assert "onerror" not in html and "alert(1)" not in html


def test_invalid_source_url_message_comes_from_the_service(editor_client, world):
    response = post_new(editor_client, world, is_repost="on", source_name="教育部", source_url="javascript:alert(1)",
                        original_title="原题")
    assert response.status_code == 400
    assert "来源网址格式不正确" in response.content.decode()
    assert Draft.objects.count() == 0


def test_an_editor_without_draft_account_cannot_create_for_the_account(client, world):
    other = factories.account(world.school, name="未授权账号", handle="no-grant")
    client.force_login(world.editor)
    response = post_new(client, world, account=other.pk)
    assert response.status_code == 403
    assert "没有为该账号撰稿的权限" in response.content.decode()
    assert Draft.objects.count() == 0


def test_a_user_without_any_grant_is_told_so(client, world):
    client.force_login(world.outsider)
    html = client.get(reverse("web:draft_new")).content.decode()
    assert "您还没有获得任何账号的撰稿授权" in html


# ---------------------------------------------------------------- permissions on a draft

@pytest.mark.parametrize("name", ["draft_detail", "draft_edit", "draft_diff"])
def test_an_editor_of_another_unit_cannot_see_a_draft(client, world, name):
    draft = new_draft(world)
    client.force_login(world.outsider)
    response = client.get(reverse(f"web:{name}", args=[draft.pk]))
    assert response.status_code == 403
    assert draft.title not in response.content.decode()


def test_unknown_and_foreign_drafts_get_the_same_answer(client, world):
    draft = new_draft(world)
    client.force_login(world.outsider)
    foreign = client.get(reverse("web:draft_detail", args=[draft.pk]))
    unknown = client.get(reverse("web:draft_detail", args=[draft.pk + 999]))
    assert foreign.status_code == unknown.status_code == 403


def test_another_editor_cannot_edit_submit_or_withdraw(client, world):
    draft = new_draft(world)
    client.force_login(world.outsider)
    response = client.post(reverse("web:draft_edit", args=[draft.pk]), {"title": "改", "body": "x"})
    assert response.status_code == 403
    assert client.post(reverse("web:draft_submit", args=[draft.pk])).status_code == 403
    assert client.post(reverse("web:draft_precheck", args=[draft.pk]), {"title": "x"}).status_code == 403
    assert Revision.objects.filter(draft=draft).count() == 1
    assert not Submission.objects.filter(draft=draft).exists()


def test_a_colleague_may_read_but_not_edit(client, world):
    draft = new_draft(world)
    client.force_login(world.editor2)
    page = client.get(reverse("web:draft_detail", args=[draft.pk]))
    assert page.status_code == 200
    assert 'data-testid="edit-draft"' not in page.content.decode()
    assert 'data-testid="submit-draft"' not in page.content.decode()
    assert client.get(reverse("web:draft_edit", args=[draft.pk])).status_code == 403
    response = client.post(reverse("web:draft_edit", args=[draft.pk]), {"title": "同事改", "body": "x"})
    assert response.status_code == 403
    response = client.post(reverse("web:draft_submit", args=[draft.pk]))
    assert not Submission.objects.filter(draft=draft).exists()
    assert response.status_code == 403  # a refusal is the 403 page, as the API answers 403
    assert "只有作者本人可以提交送审" in response.content.decode()


# ---------------------------------------------------------------- edit

def test_editing_creates_a_new_revision_and_audits(editor_client, world):
    draft = new_draft(world)
    response = editor_client.post(reverse("web:draft_edit", args=[draft.pk]),
                                  {"title": "关于举行秋季运动会的通知（修订）", "body": "<p>改过的正文</p>"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.current_revision.number == 2
    assert actions_of(draft.pk) == ["content.draft.created", "content.draft.revised"]
    page = editor_client.get(response["Location"]).content.decode()
    assert "已保存为第 2 版" in page


def test_saving_identical_content_creates_nothing_and_says_so(editor_client, world):
    draft = new_draft(world, title="同样的标题", body="<p>同样的正文</p>")
    response = editor_client.post(reverse("web:draft_edit", args=[draft.pk]),
                                  {"title": "同样的标题", "body": "<p>同样的正文</p>"}, follow=True)
    assert "内容与当前版本完全相同，没有生成新版本" in response.content.decode()
    assert Revision.objects.filter(draft=draft).count() == 1
    assert actions_of(draft.pk) == ["content.draft.created"]


def test_edit_page_is_prefilled_with_the_current_revision(editor_client, world):
    draft = new_draft(world, title="原标题", body="<p>原正文</p>", is_repost=True, source_name="教育部",
                      source_url="https://www.moe.gov.cn/a", original_title="原文标题")
    html = editor_client.get(reverse("web:draft_edit", args=[draft.pk])).content.decode()
    assert 'value="原标题"' in html and "&lt;p&gt;原正文&lt;/p&gt;" in html
    assert 'value="教育部"' in html and 'value="https://www.moe.gov.cn/a"' in html and "checked" in html
    assert 'data-testid="supersede-warning"' not in html


def test_editing_during_review_warns_and_needs_confirmation(editor_client, world):
    draft = new_draft(world)
    submission = submit(world, draft)
    html = editor_client.get(reverse("web:draft_edit", args=[draft.pk])).content.decode()
    assert 'data-testid="supersede-warning"' in html and "本轮审核随即作废" in html
    response = editor_client.post(reverse("web:draft_edit", args=[draft.pk]), {"title": "改了", "body": "<p>x</p>"})
    assert response.status_code == 400
    assert "请勾选确认" in response.content.decode()
    assert Revision.objects.filter(draft=draft).count() == 1
    response = editor_client.post(reverse("web:draft_edit", args=[draft.pk]),
                                  {"title": "改了", "body": "<p>x</p>", "confirm_supersede": "on"}, follow=True)
    assert response.status_code == 200
    submission.refresh_from_db()
    assert submission.state == states.RETURNED
    assert "本轮审核已作废" in response.content.decode()
    assert "workflow.submission.superseded" in actions_of(draft.pk)


# ---------------------------------------------------------------- pre-check

def test_precheck_fragment_lists_findings_by_dimension_and_highlights_them(editor_client, world):
    response = editor_client.post(reverse("web:draft_precheck"),
                                  {"title": "通知", "body": MOBILE_BODY, "account": world.account.pk},
                                  HTTP_X_REQUESTED_WITH="fetch")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html  # a fragment
    assert 'data-dimension="secrecy"' in html and "保密关" in html and "政治关" in html
    assert 'data-severity="blocker"' in html
    assert 'class="precheck precheck-blocker"' in html and "13812345678</mark>" in html
    assert 'data-testid="precheck-blocking"' in html and "不能提交审核" in html
    assert Draft.objects.count() == 0  # writes nothing


def test_precheck_json(editor_client, world):
    response = editor_client.post(reverse("web:draft_precheck"), {"title": "通知", "body": MOBILE_BODY},
                                  HTTP_ACCEPT="application/json")
    data = response.json()
    assert data["blocks_submission"] is True
    assert any(f["dimension"] == "secrecy" and f["severity"] == "blocker" for f in data["findings"])
    assert "<mark" in data["body_html"]


def test_precheck_without_javascript_renders_the_editor_with_the_content_kept(editor_client, world):
    draft = new_draft(world)
    before = AuditEntry.objects.count()
    response = editor_client.post(reverse("web:draft_precheck", args=[draft.pk]),
                                  {"title": "未保存的标题", "body": MOBILE_BODY})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="draft-form"' in html and 'value="未保存的标题"' in html
    assert 'data-testid="precheck-result"' in html and "13812345678</mark>" in html
    assert Revision.objects.filter(draft=draft).count() == 1
    assert AuditEntry.objects.count() == before


def test_precheck_escapes_the_text(editor_client, world):
    response = editor_client.post(reverse("web:draft_precheck"),
                                  {"title": "<script>alert(1)</script>",
                                   "body": "<p>&lt;img src=x onerror=alert(1)&gt;</p>"},
                                  HTTP_X_REQUESTED_WITH="fetch")
    html = response.content.decode()
    assert "<script>alert(1)" not in html and "<img src=x" not in html


def test_precheck_of_a_clean_text(editor_client, world):
    clean = {"title": "运动会", "body": "<p>全校师生参加。</p>"}
    response = editor_client.post(reverse("web:draft_precheck"), clean, HTTP_X_REQUESTED_WITH="fetch")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-total="0"' in html and 'data-blocks="0"' in html
    assert 'data-testid="precheck-clean"' in html and "未发现问题" in html
    assert 'data-testid="precheck-finding"' not in html and "<mark" not in html
    data = editor_client.post(reverse("web:draft_precheck"), clean, HTTP_ACCEPT="application/json").json()
    assert data["total"] == 0 and data["findings"] == [] and data["blocks_submission"] is False


def test_precheck_needs_an_editor(client, world):
    client.force_login(world.reviewers[0])
    assert client.post(reverse("web:draft_precheck"), {"title": "x"}).status_code == 403


# ---------------------------------------------------------------- submit and withdraw

def test_submit_from_the_page(editor_client, world):
    draft = new_draft(world)
    response = editor_client.post(reverse("web:draft_submit", args=[draft.pk]), follow=True)
    assert response.status_code == 200
    submission = Submission.objects.get(draft=draft)
    assert submission.state == states.IN_REVIEW
    html = response.content.decode()
    assert "已提交审核" in html and 'data-state="in_review"' in html
    assert 'data-testid="withdraw-draft"' in html and 'data-testid="submit-draft"' not in html
    assert "workflow.submission.submitted" in actions_of(draft.pk)


def test_a_secrecy_blocker_refuses_the_submission_and_shows_the_findings(editor_client, world):
    draft = new_draft(world, body=MOBILE_BODY)
    response = editor_client.post(reverse("web:draft_submit", args=[draft.pk]))
    assert response.status_code == 400
    html = response.content.decode()
    assert "保密阻断项" in html and "稿件不能提交" in html
    assert 'data-testid="precheck-result"' in html and "13812345678</mark>" in html
    assert not Submission.objects.filter(draft=draft).exists()
    assert actions_of(draft.pk) == ["content.draft.created"]


def test_submitting_twice_shows_a_message_not_an_error_page(editor_client, world):
    draft = new_draft(world)
    submit(world, draft)
    response = editor_client.post(reverse("web:draft_submit", args=[draft.pk]), follow=True)
    assert response.status_code == 200
    assert "该稿件已在审核流程中" in response.content.decode()


def test_incomplete_repost_is_refused_at_submit_with_the_missing_fields(editor_client, world):
    draft = new_draft(world, is_repost=True, source_name="教育部")
    response = editor_client.post(reverse("web:draft_submit", args=[draft.pk]), follow=True)
    html = response.content.decode()
    assert "转载稿件缺少" in html and "来源网址" in html
    assert not Submission.objects.filter(draft=draft).exists()


def test_withdraw_from_the_page(editor_client, world):
    draft = new_draft(world)
    submission = submit(world, draft)
    response = editor_client.post(reverse("web:draft_withdraw", args=[draft.pk]), follow=True)
    submission.refresh_from_db()
    assert submission.state == states.WITHDRAWN
    assert "已撤回送审" in response.content.decode()
    assert "workflow.submission.withdrawn" in actions_of(draft.pk)


def test_withdraw_of_a_draft_never_submitted_says_so(editor_client, world):
    draft = new_draft(world)
    response = editor_client.post(reverse("web:draft_withdraw", args=[draft.pk]), follow=True)
    assert "尚未提交审核" in response.content.decode()


def test_withdraw_after_approval_is_refused_with_a_message(editor_client, world):
    draft = new_draft(world)
    submission = submit(world, draft)
    for reviewer in world.reviewers:
        submission = decide(reviewer, submission)
    assert submission.state == states.APPROVED
    response = editor_client.post(reverse("web:draft_withdraw", args=[draft.pk]), follow=True)
    assert response.status_code == 200
    assert "只有审核中或退回修改的稿件可以撤回" in response.content.decode()
    submission.refresh_from_db()
    assert submission.state == states.APPROVED


def test_a_colleague_cannot_withdraw(client, world):
    draft = new_draft(world)
    submission = submit(world, draft)
    client.force_login(world.editor2)
    response = client.post(reverse("web:draft_withdraw", args=[draft.pk]), follow=True)
    assert "只有作者本人可以撤回" in response.content.decode()
    submission.refresh_from_db()
    assert submission.state == states.IN_REVIEW


# ---------------------------------------------------------------- returned reasons, resubmit

def test_the_draft_page_shows_the_returned_reasons_per_dimension(editor_client, world):
    draft = returned_draft(world, comment="第二段“必需”写成了“必须”<b>")
    html = editor_client.get(reverse("web:draft_detail", args=[draft.pk])).content.decode()
    assert 'data-testid="last-round"' in html
    assert 'data-dimension="wording" data-verdict="fail"' in html
    assert 'data-dimension="political" data-verdict="pass"' in html
    assert "第二段“必需”写成了“必须”&lt;b&gt;" in html
    assert "文字关" in html and "不通过" in html
    assert "重新提交审核" in html


def test_revise_and_resubmit_after_a_return(editor_client, world):
    draft = returned_draft(world)
    editor_client.post(reverse("web:draft_edit", args=[draft.pk]), {"title": "改正后的标题", "body": "<p>改正</p>"})
    response = editor_client.post(reverse("web:draft_submit", args=[draft.pk]), follow=True)
    assert "已重新提交审核" in response.content.decode()
    submission = Submission.objects.get(draft=draft)
    assert submission.state == states.IN_REVIEW and submission.round_no == 2
    assert submission.revision.number == 2
    assert "workflow.submission.resubmitted" in actions_of(draft.pk)


def _detail_queries(client, draft):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("web:draft_detail", args=[draft.pk]))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_draft_page_costs_a_constant_number_of_queries(editor_client, world):
    small = returned_draft(world)
    big = returned_draft(world)
    for n in range(3):
        workflow_services.draft_revise(actor=world.editor, draft_id=big.pk, title=f"第{n}次修改", body=f"<p>{n}</p>")
        submission = workflow_services.submission_submit(actor=world.editor, draft_id=big.pk)
        submission = decide(world.reviewers[0], submission)
        decide(world.reviewers[1], submission, wording=f"第{n}轮的问题")
    assert Submission.objects.get(draft=big).round_no == 4
    assert _detail_queries(editor_client, small) == _detail_queries(editor_client, big)


# ---------------------------------------------------------------- diff

def test_diff_of_two_revisions(editor_client, world):
    draft = new_draft(world, title="运动会通知", body="<p>周一报到</p><p>不变的一段</p>")
    workflow_services.draft_revise(actor=world.editor, draft_id=draft.pk, title="运动会通知",
                                   body="<p>周二报到</p><p>不变的一段</p><p>新增&lt;script&gt;</p>")
    response = editor_client.get(reverse("web:draft_diff", args=[draft.pk]) + "?a=1&b=2")
    assert response.status_code == 200
    html = bare(response.content.decode())
    assert "周<del>一</del>报到" in html and "周<ins>二</ins>报到" in html
    assert "<ins>新增&lt;script&gt;</ins>" in html
    assert 'data-kind="equal"' in html and 'data-kind="insert"' in html


def test_diff_defaults_to_the_last_two_revisions_and_survives_bad_numbers(editor_client, world):
    draft = new_draft(world, body="<p>一</p>")
    workflow_services.draft_revise(actor=world.editor, draft_id=draft.pk, title="关于举行秋季运动会的通知",
                                   body="<p>二</p>")
    html = bare(editor_client.get(reverse("web:draft_diff", args=[draft.pk])).content.decode())
    assert "<del>一</del>" in html and "<ins>二</ins>" in html
    response = editor_client.get(reverse("web:draft_diff", args=[draft.pk]) + "?a=9&b=x")
    assert response.status_code == 200
    assert "所选版本不存在" in response.content.decode()
    html = editor_client.get(reverse("web:draft_diff", args=[draft.pk]) + "?a=2&b=2").content.decode()
    assert "选择了同一个版本" in html


def test_diff_of_a_single_revision(editor_client, world):
    draft = new_draft(world, title="运动会通知", body="<p>周一报到</p><p>带好水杯</p>")
    response = editor_client.get(reverse("web:draft_diff", args=[draft.pk]))
    assert response.status_code == 200
    assert (response.context["a"], response.context["b"]) == (1, 1)
    # The only revision against itself: every row equal, nothing marked as changed.
    rows = [(r["kind"], r["field"], str(r["left"]), str(r["right"])) for r in response.context["diff_rows"]]
    assert rows == [("equal", "title", "运动会通知", "运动会通知"), ("equal", "body", "周一报到", "周一报到"),
                    ("equal", "body", "带好水杯", "带好水杯")]
    html = response.content.decode()
    assert "选择了同一个版本" in html and html.count('data-kind="equal"') == 3
    assert "<ins>" not in html and "<del>" not in html and "没有可比较的内容" not in html


def test_the_buttons_ask_the_services_rules(client, world):
    """Submit and withdraw buttons come from workflow.permissions (submit_refusal,
    allowed_actions): no button where the service would refuse."""
    from content import roles
    from content import services as content_services
    from workflow import permissions

    draft = new_draft(world)
    client.force_login(world.editor)

    def buttons():
        html = client.get(reverse("web:draft_detail", args=[draft.pk])).content.decode()
        return {name for name in ("submit-draft", "withdraw-draft", "edit-draft") if f'data-testid="{name}"' in html}

    assert buttons() == {"submit-draft", "edit-draft"}
    sub = submit(world, draft)
    assert buttons() == {"withdraw-draft", "edit-draft"}
    sub = decide(world.reviewers[0], sub, wording="错字")
    assert buttons() == {"submit-draft", "withdraw-draft", "edit-draft"}
    assert permissions.allowed_actions(world.editor, sub) == ["submit", "withdraw", "resubmit"]
    # without the editor role: no button at all, and the service refuses as the page does
    content_services.user_set_roles(actor=world.secadmin, user_id=world.editor.pk, roles_=[roles.AUDITOR])
    client.force_login(world.editor)  # taking a role away ended his sessions
    assert buttons() == set()
    assert client.post(reverse("web:draft_submit", args=[draft.pk])).status_code == 403
    assert client.post(reverse("web:draft_withdraw", args=[draft.pk])).status_code == 403
    assert Submission.objects.get(pk=sub.pk).state == states.RETURNED
