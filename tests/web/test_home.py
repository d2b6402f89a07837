"""Login, logout, navigation by role and the home page (工作台)."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEntry
from tests import factories
from tests.workflow.helpers import approve_all, decide, new_draft, submit


def _login(client, user):
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_login_page_logs_in_through_the_audited_backend(client, world):
    page = client.get("/login/")
    assert page.status_code == 200
    assert 'for="id_username"' in page.content.decode() and 'for="id_password"' in page.content.decode()
    response = client.post("/login/", {"username": "editor", "password": factories.PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert AuditEntry.objects.filter(action="auth.login", actor=world.editor).exists()


@pytest.mark.django_db
def test_wrong_password_shows_a_chinese_message_and_is_audited(client, world):
    response = client.post("/login/", {"username": "editor", "password": "wrong-password"})
    assert response.status_code == 200
    assert "用户名或密码错误" in response.content.decode()
    assert AuditEntry.objects.filter(action="auth.login_failed", actor_label="editor").exists()


@pytest.mark.django_db
def test_pages_need_a_login_and_logout_needs_post(client, world):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    _login(client, world.editor)
    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/")
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert client.get("/").status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize("who, shown, hidden", [
    ("editor", ["我的稿件"], ["审核队列", "审计日志", "待发布"]),
    ("reviewers", ["审核队列"], ["我的稿件", "审计日志"]),
    ("publisher", ["待发布"], ["审核队列", "我的稿件"]),
    ("auditor", ["审计日志"], ["我的稿件", "待发布"]),
])
def test_navigation_follows_the_roles(client, world, who, shown, hidden):
    user = getattr(world, who)
    user = user[0] if isinstance(user, list) else user
    html = _login(client, user).get("/").content.decode()
    nav = html.split('aria-label="主导航"', 1)[1].split("</nav>", 1)[0]
    for label in shown:
        assert label in nav
    for label in hidden:
        assert label not in nav


@pytest.mark.django_db
def test_home_shows_what_waits_for_each_person(client, world):
    returned = new_draft(world, title="退回的稿件")
    decide(world.reviewers[0], submit(world, returned), wording="错别字")
    waiting = new_draft(world, title="等待初审的稿件")
    submit(world, waiting)
    approved = new_draft(world, title="等待发布的稿件")
    approve_all(world, submit(world, approved))

    html = _login(client, world.editor).get("/").content.decode()
    assert "退回的稿件" in html and "等待初审的稿件" not in html

    html = _login(client, world.reviewers[0]).get("/").content.decode()
    assert "等待初审的稿件" in html and "退回的稿件" not in html
    # Each queue line names the account, the tier and the due time (the tier was blank: "广州一中 · · 截止 …").
    line = html.split("等待初审的稿件", 1)[1].split("</li>", 1)[0]
    assert " · 初审 · 截止 " in line and " ·  · " not in line

    html = _login(client, world.publisher).get("/").content.decode()
    assert "等待发布的稿件" in html and "等待初审的稿件" not in html


@pytest.mark.django_db
def test_home_costs_the_same_queries_whatever_the_number_of_items(client, world):
    def count():
        _login(client, world.reviewers[0])
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/").status_code == 200
        return len(ctx.captured_queries)

    submit(world, new_draft(world, title="稿件0"))
    few = count()
    for i in range(1, 15):
        submit(world, new_draft(world, title=f"稿件{i}"))
    assert count() == few
