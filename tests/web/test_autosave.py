"""The pages' autosave and the idle session (issue 11): the endpoints, restoring
unsaved content into the editor and the decision form, clearing it when the
real save succeeds, privacy, size and CSRF, and that neither autosave nor the
session status extends the idle session."""
import datetime as dt
import json
import re

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from content.models import WorkInProgress
from content import services as content_services
from project.middleware import LAST_ACTIVITY_KEY
from tests import factories
from tests.web.review_support import decision_post, messages_of
from tests.workflow.helpers import new_draft, submit
from workflow import services as workflow_services
from workflow import states

pytestmark = pytest.mark.django_db
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def autosave(client, key, data, *, base="", user=None, **extra):
    payload = {"key": key, "base": base, "data": data, **extra}
    if user is not None:
        payload["user"] = user.pk
    return client.post("/autosave/", json.dumps(payload), content_type="application/json",
                       HTTP_ACCEPT="application/json")


def entry(user, key):
    return WorkInProgress.objects.filter(owner=user, key=key).first()


def assert_chinese_error(response, status, code=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert CHINESE.search(body["detail"]), body
    if code is not None:
        assert body["code"] == code
    return body


@pytest.fixture
def editor(client, world):
    client.force_login(world.editor)
    return client


# ---------------------------------------------------------------- the endpoint

def test_the_editor_autosaves_his_draft(editor, world):
    draft = new_draft(world)
    response = autosave(editor, f"draft:{draft.pk}", {
        "title": "改了一半的标题", "body": '<p>正文<script>alert(1)</script></p>', "is_repost": False,
        "confirm_supersede": True, "account": 999}, base="r1", user=world.editor)
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    answer = response.json()
    assert re.fullmatch(r"\d\d:\d\d", answer["saved_label"]) and answer["key"] == f"draft:{draft.pk}"
    saved = entry(world.editor, f"draft:{draft.pk}")
    # sanitised; only the editor's own fields (no account on an existing draft, no confirmation tick)
    assert saved.data == {"title": "改了一半的标题", "body": "<p>正文</p>", "is_repost": False}
    assert saved.base == "r1"
    # nothing of record changed
    draft.refresh_from_db()
    assert draft.title == "关于举行秋季运动会的通知" and draft.current_revision.number == 1


def test_echo_returns_the_sanitised_values(editor, world):
    answer = autosave(editor, "draft:new", {"title": "新稿", "body": '<p onclick="x()">正文</p>'}, echo=True).json()
    assert answer["data"] == {"title": "新稿", "body": "<p>正文</p>"}


def test_the_review_form_autosaves_for_the_reviewer_who_may_decide(client, world):
    sub = submit(world, new_draft(world))
    client.force_login(world.reviewers[0])
    data = {"political": "pass", "wording": "fail", "wording_comment": "“清”应为“请”", "note": "其余通过",
            "outcome": "pass", "expected_hash": "x"}
    assert autosave(client, f"review:{sub.pk}", data, base=f"t1:{sub.revision.content_hash}").status_code == 200
    assert entry(world.reviewers[0], f"review:{sub.pk}").data == {
        "political": "pass", "wording": "fail", "wording_comment": "“清”应为“请”", "note": "其余通过"}
    # the next tier, the author and a stranger may not use that form
    for user in (world.reviewers[1], world.editor, world.outsider):
        client.force_login(user)
        assert_chinese_error(autosave(client, f"review:{sub.pk}", data), 403)
        assert entry(user, f"review:{sub.pk}") is None


def test_nobody_autosaves_into_someone_elses_draft(client, world):
    draft = new_draft(world)
    content_services.work_in_progress_save(actor=world.editor, key=f"draft:{draft.pk}", data={"title": "甲的"})
    for user in (world.editor2, world.publisher, factories.superuser()):
        client.force_login(user)
        assert_chinese_error(autosave(client, f"draft:{draft.pk}", {"title": "乙的"}), 403)
    assert list(WorkInProgress.objects.values_list("owner__username", "data")) == [("editor", {"title": "甲的"})]
    client.force_login(world.publisher)  # not an editor: no new drafts either
    assert_chinese_error(autosave(client, "draft:new", {"title": "x"}), 403)


def test_the_page_of_one_user_cannot_save_into_anothers_session(client, world):
    client.force_login(world.editor2)
    body = assert_chinese_error(autosave(client, "draft:new", {"title": "甲的内容"}, user=world.editor), 409,
                                "user_changed")
    assert "其他用户" in body["detail"] and not WorkInProgress.objects.exists()


def test_a_signed_out_autosave_gets_401_in_chinese(client, world):
    assert_chinese_error(autosave(client, "draft:new", {"title": "x"}), 401, "not_authenticated")
    assert_chinese_error(client.post("/session/keepalive/"), 401, "not_authenticated")


@pytest.mark.parametrize("body", [
    b"\xff\xfe", b"not json", b"[]", b'"text"', b'{"key": "draft:new", "data": []}',
    b'{"key": 5, "data": {}}', b'{"key": "draft:99999999", "data": {}}', b'{"key": "evil:1", "data": {}}',
    b'{"key": "draft:new", "data": {"title": {"a": 1}}}', b'{"key": "draft:new", "data": {"title": [1]}}',
    b'{"key": "draft:new", "base": "' + b"b" * 200 + b'", "data": {}}',
    b"[" * 100_000 + b"]" * 100_000,
])
def test_bad_requests_get_a_chinese_4xx_never_a_500(editor, body):
    response = editor.post("/autosave/", body, content_type="application/json")
    assert 400 <= response.status_code < 500
    assert CHINESE.search(response.json()["detail"])


def test_text_a_database_cannot_store_is_saved_cleaned(editor, world):
    response = editor.post("/autosave/", b'{"key": "draft:new", "data": {"title": "a\\u0000b\\ud800"}}',
                           content_type="application/json")
    assert response.status_code == 200
    assert entry(world.editor, "draft:new").data == {"title": "ab?"}


def test_only_post_saves(editor):
    assert_chinese_error(editor.get("/autosave/"), 405, "method_not_allowed")
    assert_chinese_error(editor.post("/session/status/"), 405, "method_not_allowed")
    assert editor.get("/autosave/discard/").status_code == 405


def test_too_large_is_refused_with_a_chinese_400(editor, world, settings):
    settings.WORK_IN_PROGRESS_MAX_BYTES = 2000
    body = assert_chinese_error(autosave(editor, "draft:new", {"body": "<p>" + "字" * 1000 + "</p>"}), 400,
                                "wip_too_large")
    assert "上限" in body["detail"]
    # a body larger than Django reads at all: the same answer, not Django's bare 400 page
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 5000
    assert_chinese_error(autosave(editor, "draft:new", {"body": "字" * 3000}), 400, "wip_too_large")
    assert not WorkInProgress.objects.exists()


def test_csrf_is_required(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.editor)
    payload = json.dumps({"key": "draft:new", "data": {"title": "x"}})
    assert client.post("/autosave/", payload, content_type="application/json").status_code == 403
    assert client.post("/session/keepalive/").status_code == 403
    assert client.post("/autosave/discard/", {"key": "draft:new"}).status_code == 403
    assert not WorkInProgress.objects.exists()
    client.get("/drafts/new/")  # the page sets the CSRF cookie the scripts send back
    token = client.cookies["csrftoken"].value
    response = client.post("/autosave/", payload, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200 and entry(world.editor, "draft:new").data == {"title": "x"}


# ---------------------------------------------------------------- restoring into the forms

def test_the_editor_page_restores_autosaved_content_with_a_notice(editor, world):
    draft = new_draft(world)
    autosave(editor, f"draft:{draft.pk}", {"title": "未保存的标题", "body": "<p>未保存的正文</p>", "is_repost": True,
                                           "source_name": "教育部"}, base="r1")
    html = editor.get(f"/drafts/{draft.pk}/edit/").content.decode()
    label = timezone.localtime(entry(world.editor, f"draft:{draft.pk}").updated_at).strftime("%H:%M")
    assert f"已恢复您上次未保存的内容（自动保存于 <span data-autosave-restored-time>{label}</span>）" in html
    assert 'value="未保存的标题"' in html and "&lt;p&gt;未保存的正文&lt;/p&gt;</textarea>" in html
    assert re.search(r'<input type="checkbox" name="is_repost"[^>]* checked>', html)
    assert 'value="教育部"' in html
    notice = html.split('data-testid="autosave-restored"')[1].split("</div>")[0]
    assert "hidden" not in notice.split(">")[0] and "稿件又保存过新的版本" in notice  # the stale note is there ...
    assert "<span data-autosave-stale hidden>" in notice                              # ... but hidden
    assert 'name="key" value="draft:%d"' % draft.pk in notice and ">放弃</button>" in notice
    # the form autosaves under its key and base
    assert f'data-autosave-key="draft:{draft.pk}" data-autosave-base="r1"' in html


def test_restoring_says_when_the_draft_was_saved_again_since(editor, world):
    draft = new_draft(world)
    autosave(editor, f"draft:{draft.pk}", {"title": "基于第一版的修改"}, base="r1")
    workflow_services.draft_revise(actor=world.editor, draft_id=draft.pk, title="别处保存的第二版",
                                   body="<p>第二版</p>")
    html = editor.get(f"/drafts/{draft.pk}/edit/").content.decode()
    assert 'value="基于第一版的修改"' in html and "<span data-autosave-stale>" in html


def test_autosaved_content_equal_to_the_form_is_dropped_silently(editor, world):
    draft = new_draft(world)
    autosave(editor, f"draft:{draft.pk}", {"title": draft.title, "body": draft.current_revision.body_html})
    html = editor.get(f"/drafts/{draft.pk}/edit/").content.decode()
    assert 'data-testid="autosave-restored" hidden' in html
    assert entry(world.editor, f"draft:{draft.pk}") is None


def test_a_new_draft_is_restored_with_its_account_only_if_still_writable(editor, world):
    other = factories.account(world.school, name="另一个账号", handle="other-acct")
    factories.grant(other, world.editor, "draft_account")
    autosave(editor, "draft:new", {"account": str(other.pk), "title": "新稿件标题", "body": "<p>新稿件</p>"})
    html = editor.get("/drafts/new/").content.decode()
    assert 'value="新稿件标题"' in html and f'<option value="{other.pk}" selected>' in html
    content_services.account_permission_revoke(actor=factories.superuser(), account_id=other.pk,
                                               user_id=world.editor.pk, perm="draft_account")
    html = editor.get("/drafts/new/").content.decode()
    assert 'value="新稿件标题"' in html and f'value="{other.pk}"' not in html


def test_another_editor_never_sees_it(client, world):
    content_services.work_in_progress_save(actor=world.editor, key="draft:new", data={"title": "编辑甲的秘密草稿"})
    client.force_login(world.editor2)
    html = client.get("/drafts/new/").content.decode()
    assert "编辑甲的秘密草稿" not in html and 'data-testid="autosave-restored" hidden' in html


def test_the_decision_form_restores_verdicts_and_comments(client, world):
    sub = submit(world, new_draft(world))
    client.force_login(world.reviewers[0])
    autosave(client, f"review:{sub.pk}", {"legal": "fail", "legal_comment": "引用条款有误", "note": "请核对",
                                          "political": "pass"}, base=f"t1:{sub.revision.content_hash}")
    html = client.get(f"/review/{sub.pk}/").content.decode()
    form = html.split('data-testid="decision-form"')[1].split("</form>")[0]
    assert re.search(r'<input type="radio" name="legal" value="fail"[^>]*checked', form)
    assert re.search(r'<input type="radio" name="political" value="pass"[^>]*checked', form)
    assert "引用条款有误</textarea>" in form and "请核对</textarea>" in form
    assert 'name="expected_tier" value="1"' in form and f'value="{sub.revision.content_hash}"' in form
    assert "已恢复您上次未保存的内容（自动保存于" in html and "<span data-autosave-stale hidden>" in html
    assert f'data-autosave-key="review:{sub.pk}"' in html


def test_discard_drops_it_and_returns_to_the_form(editor, world):
    draft = new_draft(world)
    autosave(editor, f"draft:{draft.pk}", {"title": "不要了"})
    response = editor.post("/autosave/discard/", {"key": f"draft:{draft.pk}", "next": f"/drafts/{draft.pk}/edit/"})
    assert response.status_code == 302 and response["Location"] == f"/drafts/{draft.pk}/edit/"
    assert entry(world.editor, f"draft:{draft.pk}") is None
    page = editor.get(response["Location"])
    html = page.content.decode()
    assert any("已放弃自动保存的内容" in m for m in messages_of(page))
    assert 'value="不要了"' not in html and f'data-wip-clear="draft:{draft.pk}"' in html
    # an address elsewhere is not followed; JSON for scripts
    autosave(editor, "draft:new", {"title": "x"})
    assert editor.post("/autosave/discard/", {"key": "draft:new", "next": "https://evil.example/"})["Location"] == "/"
    answer = editor.post("/autosave/discard/", {"key": "draft:new"}, HTTP_ACCEPT="application/json").json()
    assert answer == {"key": "draft:new", "discarded": False}


# ---------------------------------------------------------------- cleared by the real save

def test_saving_the_draft_clears_it_and_tells_the_browser(editor, world):
    draft = new_draft(world)
    autosave(editor, f"draft:{draft.pk}", {"title": "新标题"})
    response = editor.post(f"/drafts/{draft.pk}/edit/", {"title": "新标题", "body": "<p>新正文</p>"})
    assert response.status_code == 302 and entry(world.editor, f"draft:{draft.pk}") is None
    html = editor.get(response["Location"]).content.decode()
    assert f'data-wip-clear="draft:{draft.pk}"' in html
    assert 'data-wip-clear=""' in editor.get("/").content.decode()  # said once


def test_a_refused_save_keeps_it(editor, world):
    draft = new_draft(world)
    autosave(editor, f"draft:{draft.pk}", {"title": "", "body": "<p>标题还没写</p>"})
    assert editor.post(f"/drafts/{draft.pk}/edit/", {"title": "", "body": "<p>标题还没写</p>"}).status_code == 400
    assert entry(world.editor, f"draft:{draft.pk}") is not None


def test_creating_the_draft_clears_the_new_draft(editor, world):
    autosave(editor, "draft:new", {"title": "新稿"})
    response = editor.post("/drafts/new/", {"account": world.account.pk, "title": "新稿", "body": "<p>x</p>"})
    assert response.status_code == 302 and entry(world.editor, "draft:new") is None


def test_submitting_clears_unsaved_edits_and_the_draft_page_warns_before(editor, world):
    draft = new_draft(world)
    autosave(editor, f"draft:{draft.pk}", {"title": "还没保存的修改"})
    html = editor.get(f"/drafts/{draft.pk}/").content.decode()
    assert 'data-testid="unsaved-work"' in html and "提交审核只提交已保存的第 1 版" in html
    assert editor.post(f"/drafts/{draft.pk}/submit/").status_code == 302
    assert entry(world.editor, f"draft:{draft.pk}") is None
    assert 'data-testid="unsaved-work"' not in editor.get(f"/drafts/{draft.pk}/").content.decode()


def test_deciding_clears_the_review_form_and_a_refused_decision_keeps_it(client, world):
    sub = submit(world, new_draft(world))
    client.force_login(world.reviewers[0])
    key = f"review:{sub.pk}"
    autosave(client, key, {"wording": "fail", "wording_comment": "有错别字"})
    # a fail without a comment is refused: the autosave stays
    assert client.post(f"/review/{sub.pk}/decide/", decision_post(sub, outcome="return", fails={"wording": ""})
                       ).status_code == 400
    assert entry(world.reviewers[0], key) is not None
    response = client.post(f"/review/{sub.pk}/decide/", decision_post(sub, outcome="return",
                                                                     fails={"wording": "有错别字"}))
    assert response.status_code == 302
    sub.refresh_from_db()
    assert sub.state == states.RETURNED and entry(world.reviewers[0], key) is None


# ---------------------------------------------------------------- the idle session

def _session(client):
    return Session.objects.get(session_key=client.session.session_key)


def _set_expiry(client, seconds):
    """Pretend the session's last activity was ``age - seconds`` ago."""
    session = client.session
    session[LAST_ACTIVITY_KEY] = int(timezone.now().timestamp()) - (1800 - seconds)
    session.save()
    expire = timezone.now() + dt.timedelta(seconds=seconds)
    Session.objects.filter(session_key=session.session_key).update(expire_date=expire)
    return _session(client).expire_date


def test_autosave_and_the_status_do_not_extend_the_idle_session(editor, world):
    draft = new_draft(world)
    expire = _set_expiry(editor, 100)
    response = autosave(editor, f"draft:{draft.pk}", {"title": "打字中"})
    assert response.status_code == 200 and "sessionid" not in response.cookies
    status = editor.get("/session/status/")
    assert "sessionid" not in status.cookies
    assert 95 <= status.json()["expires_in"] <= 100
    assert _session(editor).expire_date == expire
    # an ordinary page does
    editor.get("/drafts/")
    assert _session(editor).expire_date > timezone.now() + dt.timedelta(seconds=1700)


def test_the_live_queue_refetching_its_table_does_not_extend_the_session(client, world):
    client.force_login(world.reviewers[0])
    expire = _set_expiry(client, 100)
    assert client.get("/review/queue/?fragment=1").status_code == 200
    assert _session(client).expire_date == expire
    client.get("/review/queue/")
    assert _session(client).expire_date > expire


def test_keepalive_extends_the_session(editor):
    _set_expiry(editor, 60)
    response = editor.post("/session/keepalive/")
    assert response.status_code == 200 and response.json()["expires_in"] == 1800
    assert _session(editor).expire_date > timezone.now() + dt.timedelta(seconds=1700)
    assert 1790 <= editor.get("/session/status/").json()["expires_in"] <= 1800


def test_the_status_of_a_signed_out_browser(client):
    assert client.get("/session/status/").json() == {
        "authenticated": False, "user_id": None, "expires_in": 0, "warn_before": 180, "age": 1800}


def test_every_request_of_a_signed_in_user_notes_his_activity(editor, world):
    editor.get("/drafts/")
    noted = editor.session[LAST_ACTIVITY_KEY]
    assert abs(noted - timezone.now().timestamp()) < 5
    answer = editor.get("/session/status/").json()
    assert answer["authenticated"] is True and answer["user_id"] == world.editor.pk
    assert 1790 <= answer["expires_in"] <= 1800 and answer["warn_before"] == 180


def test_an_ended_session_is_not_revived_by_autosave(editor, world):
    Session.objects.filter(session_key=editor.session.session_key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1))
    response = autosave(editor, "draft:new", {"title": "太迟了"})
    assert response.status_code == 401 and not WorkInProgress.objects.exists()
    assert response.cookies["sessionid"].value == ""  # the dead cookie is dropped, as Django does
    assert editor.get("/session/status/").json()["authenticated"] is False


def test_every_signed_in_page_carries_the_warning(editor, world, settings):
    settings.SESSION_WARN_SECONDS = 120
    html = editor.get("/").content.decode()
    assert 'data-session-guard data-user-id="%d" data-session-age="1800" data-session-warn="120"' % world.editor.pk \
        in html
    assert 'role="alertdialog"' in html and "保持登录" in html and "后因长时间未操作而失效" in html
    assert 'aria-live="assertive"' in html and "web/session.js" in html
    anonymous = Client().get("/login/").content.decode()
    assert "data-session-guard" not in anonymous and "session.js" not in anonymous


# ---------------------------------------------------------------- after the session ended: back to the form

def test_a_form_posted_after_the_session_ended_returns_to_its_page_after_login(client, world):
    sub = submit(world, new_draft(world))
    response = client.post(f"/review/{sub.pk}/decide/", {"outcome": "pass"}, HTTP_REFERER=f"http://testserver/review/{sub.pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"/login/?expired=1&next=%2Freview%2F{sub.pk}%2F"
    # without a Referer: the address it posted to; a foreign Referer is ignored
    assert client.post("/drafts/5/edit/", {})["Location"] == "/login/?expired=1&next=%2Fdrafts%2F5%2Fedit%2F"
    assert client.post("/drafts/5/edit/", {}, HTTP_REFERER="https://evil.example/x")["Location"] == \
        "/login/?expired=1&next=%2Fdrafts%2F5%2Fedit%2F"
    # a GET is left alone
    assert client.get("/drafts/")["Location"] == "/login/?next=/drafts/"
    login_page = client.get(f"/login/?expired=1&next=/review/{sub.pk}/").content.decode()
    assert "您的登录已因长时间未操作而失效" in login_page


def test_the_whole_way_back_restores_the_editors_text(client, world):
    """Type, autosave, the session ends, 保存 lands at the login page; after
    signing in the editor is back on the form with title and body."""
    draft = new_draft(world)
    client.force_login(world.editor)
    autosave(client, f"draft:{draft.pk}", {"title": "会话过期前的标题", "body": "<p>会话过期前的正文</p>"}, base="r1")
    Session.objects.all().delete()  # the idle timeout
    lost = client.post(f"/drafts/{draft.pk}/edit/", {"title": "会话过期前的标题", "body": "<p>会话过期前的正文</p>"},
                       HTTP_REFERER=f"http://testserver/drafts/{draft.pk}/edit/")
    assert lost.status_code == 302 and lost["Location"].startswith("/login/?expired=1&next=")
    draft.refresh_from_db()
    assert draft.current_revision.number == 1  # the post itself is lost ...
    signed_in = client.post(lost["Location"], {"username": "editor", "password": factories.PASSWORD,
                                               "next": f"/drafts/{draft.pk}/edit/"})
    assert signed_in.status_code == 302 and signed_in["Location"] == f"/drafts/{draft.pk}/edit/"
    html = client.get(signed_in["Location"]).content.decode()  # ... the autosave is not
    assert 'value="会话过期前的标题"' in html and "会话过期前的正文" in html and "已恢复您上次未保存的内容" in html
