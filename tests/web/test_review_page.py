"""The review page: content with pre-check findings, diff against the round
before, history, and the five-dimension decision — including the lost race."""
import re

import pytest

from audit.models import AuditEntry
from content import roles
from content import services as content_services
from reviewers.models import Decision
from tests import factories
from tests.web.review_support import bare, count_queries, decide, decision_post, login, messages_of, new_draft, submit
from workflow import services, states
from workflow.models import Submission

pytestmark = pytest.mark.django_db

POLITICAL = "台湾总统"  # a political blocker in the shipped lexicon
MOBILE = "13600001111"


def _page(client, sub):
    return client.get(f"/review/{sub.pk}/")


def test_review_page_shows_content_findings_history_and_the_form(client, world):
    sub = submit(world, new_draft(world, title="关于举行秋季运动会的通知",
                                  body=f"<p>{POLITICAL}发表讲话，大部份同学参加。</p>"))
    response = _page(login(client, world.reviewers[0]), sub)
    assert response.status_code == 200
    html = response.content.decode()
    assert "关于举行秋季运动会的通知" in html and "审核中" in html and "初审" in html
    # findings highlighted in the text and listed per dimension
    assert re.search(r'<mark class="precheck precheck-blocker" data-dimensions="political"[^>]*>台湾总统</mark>', html)
    assert 'data-testid="findings-political"' in html and 'data-testid="findings-wording"' in html
    # the decision form: five labelled radio groups in fieldsets, hidden tier and hash, two buttons
    form = html.split('data-testid="decision-form"')[1].split("</form>")[0]
    for dim, label in (("political", "政治关"), ("legal", "法律关"), ("policy", "政策关"), ("secrecy", "保密关"),
                       ("wording", "文字关")):
        assert f'<legend id="legend-{dim}">{label}</legend>' in form
        assert f'<label for="id_{dim}_0" class="verdict-option"><input type="radio" name="{dim}" value="pass"' in form
        assert f'for="id_{dim}_comment"' in form
    assert 'name="expected_tier" value="1"' in form and f'value="{sub.revision.content_hash}"' in form
    assert 'value="pass"' in form and ">通过</button>" in form and ">退回修改</button>" in form
    # the political blocker: the first tier must give an override reason
    assert 'name="precheck_override"' in form and 'for="id_precheck_override"' in form
    assert "这是第一轮审核" in html


def test_decision_pass_moves_to_the_next_tier_and_is_audited(client, world):
    sub = submit(world, new_draft(world))
    login(client, world.reviewers[0])
    response = client.post(f"/review/{sub.pk}/decide/", decision_post(sub, note="同意"))
    assert response.status_code == 302 and response["Location"] == "/review/queue/"
    sub.refresh_from_db()
    assert sub.state == states.IN_REVIEW and sub.current_task.tier == 2
    decided = AuditEntry.objects.get(action="workflow.submission.decided", actor=world.reviewers[0])
    assert decided.data["verdicts"] == factories.ALL_PASS and decided.data["note"] == "同意"
    assert any("已进入“复审”" in m for m in messages_of(client.get("/review/queue/")))


def test_decision_return_with_reasons_per_dimension(client, world):
    sub = submit(world, new_draft(world))
    login(client, world.reviewers[0])
    data = decision_post(sub, outcome="return", fails={"wording": "“清全校师生”应为“请全校师生”"})
    response = client.post(f"/review/{sub.pk}/decide/", data)
    assert response.status_code == 302
    sub.refresh_from_db()
    assert sub.state == states.RETURNED
    returned = AuditEntry.objects.get(action="workflow.submission.returned")
    assert returned.data["failed"] == ["wording"]
    # the history shows the round with the verdicts and the comment
    html = _page(login(client, world.editor), sub).content.decode()
    assert "退回修改" in html and "“清全校师生”应为“请全校师生”" in html


def test_a_fail_without_comment_shows_the_services_message_next_to_the_dimension(client, world):
    sub = submit(world, new_draft(world))
    login(client, world.reviewers[0])
    data = decision_post(sub, outcome="return", fails={"legal": ""})
    response = client.post(f"/review/{sub.pk}/decide/", data)
    assert response.status_code == 400
    html = response.content.decode()
    legal = html.split('data-testid="dimension-legal"')[1].split("</fieldset>")[0]
    assert '<div class="error" id="id_legal_comment_error" role="alert"><p>法律关不通过时必须填写意见</p></div>' in legal
    assert 'aria-describedby="id_legal_comment_error"' in legal and 'aria-invalid="true"' in legal
    # the choices made are kept
    assert 'value="fail" id="id_legal_1" checked' in legal
    assert Decision.objects.count() == 0 and Submission.objects.get(pk=sub.pk).state == states.IN_REVIEW


def test_a_missing_verdict_is_reported_on_its_dimension(client, world):
    sub = submit(world, new_draft(world))
    data = decision_post(sub)
    del data["secrecy"]
    response = login(client, world.reviewers[0]).post(f"/review/{sub.pk}/decide/", data)
    assert response.status_code == 400
    secrecy = response.content.decode().split('data-testid="dimension-secrecy"')[1].split("</fieldset>")[0]
    assert "请对保密关给出“通过”或“不通过”" in secrecy
    # the radio group is tied to its message and marked invalid
    assert ('role="radiogroup" aria-labelledby="legend-secrecy" aria-invalid="true" '
            'aria-describedby="id_secrecy_error"') in secrecy
    assert '<div class="error" id="id_secrecy_error" role="alert">' in secrecy


@pytest.mark.parametrize("outcome, fails, message", [
    ("pass", {"wording": "错字"}, "不能选择“通过”"),
    ("return", {}, "五个维度均为“通过”，不能退回"),
    ("", {}, "请点击“通过”或“退回修改”"),
])
def test_the_button_must_agree_with_the_verdicts(client, world, outcome, fails, message):
    sub = submit(world, new_draft(world))
    response = login(client, world.reviewers[0]).post(f"/review/{sub.pk}/decide/",
                                                      decision_post(sub, outcome=outcome, fails=fails))
    assert response.status_code == 400 and message in response.content.decode()
    assert Decision.objects.count() == 0


def test_override_reason_required_for_a_blocker_at_the_first_tier(client, world):
    sub = submit(world, new_draft(world, body=f"<p>{POLITICAL}发表讲话。</p>"))
    login(client, world.reviewers[0])
    response = client.post(f"/review/{sub.pk}/decide/", decision_post(sub))
    assert response.status_code == 400
    assert "请填写放行机审阻断项的理由" in response.content.decode()
    response = client.post(f"/review/{sub.pk}/decide/", decision_post(sub, precheck_override="系引用外交部原文"))
    assert response.status_code == 302
    assert Decision.objects.get().precheck_override == "系引用外交部原文"
    assert AuditEntry.objects.filter(action="workflow.submission.precheck_overridden").exists()
    # the second tier is not asked
    sub.refresh_from_db()
    assert 'name="precheck_override"' not in _page(login(client, world.reviewers[1]), sub).content.decode()


def test_the_second_reviewer_who_lost_the_race_sees_a_message_and_the_state(client, world):
    sub = submit(world, new_draft(world))
    first, second = world.reviewers[0], world.reviewer1b
    # both open the page (the same tier, the same hash) ...
    seen = decision_post(sub, outcome="return", fails={"wording": "错字"})
    login(client, first)
    assert client.post(f"/review/{sub.pk}/decide/", decision_post(sub)).status_code == 302
    # ... the second posts what he saw: redirected to the review page with the message
    login(client, second)
    response = client.post(f"/review/{sub.pk}/decide/", seen)
    assert response.status_code == 302 and response["Location"] == f"/review/{sub.pk}/"
    page = client.get(response["Location"])
    assert page.status_code == 200
    texts = messages_of(page)
    assert any("该稿件已由其他审核人处理" in m and "当前状态：审核中（复审）" in m for m in texts)
    sub.refresh_from_db()
    assert sub.state == states.IN_REVIEW and sub.current_task.tier == 2
    assert not Decision.objects.filter(reviewer=second).exists()
    assert not AuditEntry.objects.filter(action="workflow.submission.decided", actor=second).exists()


def test_a_decision_after_a_return_by_a_colleague_is_refused_with_the_state(client, world):
    sub = submit(world, new_draft(world))
    seen = decision_post(sub)
    decide(world.reviewer1b, sub, wording="错字")
    login(client, world.reviewers[0])
    response = client.post(f"/review/{sub.pk}/decide/", seen, follow=True)
    assert response.status_code == 200
    assert any("该稿件已由其他审核人处理" in m and "当前状态：退回修改" in m for m in messages_of(response))
    assert Decision.objects.count() == 1


def test_a_decision_on_stale_content_is_refused(client, world):
    sub = submit(world, new_draft(world))
    response = login(client, world.reviewers[0]).post(
        f"/review/{sub.pk}/decide/", decision_post(sub, content_hash="0" * 64), follow=True)
    assert any("稿件内容已变化" in m for m in messages_of(response))
    assert Decision.objects.count() == 0


def test_missing_hidden_fields_are_a_form_error(client, world):
    sub = submit(world, new_draft(world))
    data = decision_post(sub)
    del data["expected_hash"]
    response = login(client, world.reviewers[0]).post(f"/review/{sub.pk}/decide/", data)
    assert response.status_code == 400 and "页面已过期，请刷新后再审核" in response.content.decode()


def test_who_may_see_and_decide(client, world):
    sub = submit(world, new_draft(world))
    # another subtree: 403 for the page and the decision, and an unknown id alike
    outsider = factories.user("farreviewer", org_=world.other_city, roles_=[roles.REVIEWER])
    factories.tier(outsider, 1, org_=world.other_city)
    login(client, outsider)
    assert _page(client, sub).status_code == 403
    assert client.get("/review/999999/").status_code == 403
    assert client.post(f"/review/{sub.pk}/decide/", decision_post(sub)).status_code == 403
    # tier 2 sees the page but no form, with the reason
    html = _page(login(client, world.reviewers[1]), sub).content.decode()
    assert 'id="decision-form"' not in html and "您不是该账号“初审”层级的审核人" in html
    assert client.post(f"/review/{sub.pk}/decide/", decision_post(sub)).status_code == 403
    # the author reads it, never decides: without the reviewer role he is told that first
    html = _page(login(client, world.editor), sub).content.decode()
    assert 'id="decision-form"' not in html and "您没有审核人角色" in html
    # and an author who is a reviewer of that tier as well is told he wrote it
    content_services.user_set_roles(actor=world.secadmin, user_id=world.editor.pk,
                                    roles_=[roles.EDITOR, roles.REVIEWER])
    factories.tier(world.editor, 1, org_=world.school)
    html = _page(login(client, world.editor), sub).content.decode()
    assert 'id="decision-form"' not in html and "作者不能审核自己的稿件" in html
    assert client.post(f"/review/{sub.pk}/decide/", decision_post(sub)).status_code == 403
    # a task claimed by a colleague: no form for the others
    services.submission_claim(actor=world.reviewer1b, submission_id=sub.pk)
    html = _page(login(client, world.reviewers[0]), sub).content.decode()
    assert 'id="decision-form"' not in html and "已被其他审核人认领" in html
    assert client.get(f"/review/{sub.pk}/decide/").status_code == 405


def test_the_diff_against_the_round_before(client, world):
    draft = new_draft(world, body="<p>定于十一月举行秋季运动会，清全校师生参加。</p>")
    sub = submit(world, draft)
    decide(world.reviewers[0], sub, wording="错别字")
    services.draft_revise(actor=world.editor, draft_id=draft.pk, title=draft.title,
                          body="<p>定于十一月举行秋季运动会，请全校师生参加。</p>")
    sub = submit(world, draft)
    html = _page(login(client, world.reviewer1b), sub).content.decode()
    diff = bare(html.split('data-testid="diff-table"')[1].split("</table>")[0])
    assert "第 1 轮（版本 1）" in diff and "第 2 轮（版本 2）" in diff
    assert "<del>清</del>" in diff and "<ins>请</ins>" in diff
    assert html.count('data-testid="history-round"') == 2


def test_user_text_is_escaped(client, world):
    payload = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    sub = submit(world, new_draft(world, title=f"标题{payload}", body=f"<p>正文{payload}</p>"))
    decide(world.reviewers[0], sub, wording=payload)
    html = _page(login(client, world.editor), sub).content.decode()
    assert "<script>alert" not in html and 'onerror="alert' not in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html


def test_review_page_costs_the_same_queries_with_a_longer_history(client, world):
    draft = new_draft(world)
    sub = submit(world, draft)
    login(client, world.reviewer1b)
    _page(client, sub)
    small, _ = count_queries(lambda: _page(client, sub))
    for i in range(3):
        decide(world.reviewers[0], sub, wording=f"第{i}次")
        services.draft_revise(actor=world.editor, draft_id=draft.pk, title=draft.title, body=f"<p>第{i}版</p>")
        sub = submit(world, draft)
    large, response = count_queries(lambda: _page(client, sub))
    assert response.status_code == 200 and response.content.decode().count('data-testid="history-round"') == 4
    assert large == small
