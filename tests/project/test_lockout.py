"""Login-failure handling (django-axes, project.lockout): five failures lock the
username for 30 minutes, whatever its case or spaces, and the source address;
the login page, the admin's login and the API token count the same failures.
The races with real parallel requests are in test_lockout_race.py."""
import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import AuditEntry
from content.errors import NotAllowed
from content.models import User
from project import lockout
from tests.factories import PASSWORD

LOGIN = "/login/"
TOKEN = "/api/v1/auth/token/"


def page_login(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password})


def signed_in(response):
    return response.status_code == 302 and "/login/" not in response["Location"]


def fail(client, username, n):
    for _ in range(n):
        assert not signed_in(page_login(client, username, "wrong-password"))


@override_settings(LOGIN_MAX_FAILURES=5, LOGIN_LOCK_MINUTES=30)
def test_five_failures_lock_even_the_right_password_out(world):
    client = Client(REMOTE_ADDR="203.0.113.1")
    fail(client, "editor", 4)
    assert signed_in(page_login(client, "editor", PASSWORD))  # not yet locked; the count starts again
    client.logout()
    fail(client, "editor", 5)
    lock = lockout.login_lock_of(username="editor")
    assert lock is not None and lock["failures"] == 5
    assert dt.timedelta(minutes=29) < lock["locked_until"] - timezone.now() <= dt.timedelta(minutes=30)
    response = page_login(Client(REMOTE_ADDR="203.0.113.2"), "editor", PASSWORD)  # another address, same lock
    assert not signed_in(response)
    assert "用户名或密码错误" in response.content.decode()
    locked = AuditEntry.objects.get(action="auth.locked")
    assert locked.data["username"] == "editor" and locked.outcome == "denied"
    assert locked.target_id == str(User.objects.get(username="editor").pk)
    # 9 tried passwords; the refused one is its own entry (outcome denied)
    assert AuditEntry.objects.filter(action="auth.login_failed", data__username="editor",
                                     outcome="failure").count() == 9
    refused = AuditEntry.objects.get(action="auth.login_failed", data__username="editor", outcome="denied")
    assert refused.data["refused"] == "locked" and refused.source_ip == "203.0.113.2"


@override_settings(LOGIN_MAX_FAILURES=5, LOGIN_LOCK_MINUTES=30, API_TOKEN_THROTTLE_RATE="1000/min")
def test_token_sign_ins_are_not_counted_as_failures(world, monkeypatch):
    """A right password ends its reservation on every path: the API token
    endpoint, which signs nobody in to a session, too."""
    from rest_framework.throttling import ScopedRateThrottle

    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth_token": "1000/min"})
    client = APIClient(REMOTE_ADDR="203.0.113.7")
    for _ in range(7):
        assert client.post(TOKEN, {"username": "editor", "password": PASSWORD}, format="json").status_code == 200
    assert lockout.login_lock_of(username="editor") is None
    assert not AccessAttempt.objects.filter(username="editor").exists()


@override_settings(LOGIN_MAX_FAILURES=5, LOGIN_LOCK_MINUTES=30)
def test_a_success_during_a_burst_does_not_free_the_budget(world):
    """While another attempt for the username is being checked (a burst of
    parallel attempts), the right password does not reset the count; the last
    failure of the burst writes the lock, once. (The real race, with parallel
    requests on PostgreSQL, is in test_lockout_race.py.)"""
    from project.models import LoginAttemptInFlight

    client = Client(REMOTE_ADDR="203.0.113.8")
    fail(client, "editor", 3)
    other = LoginAttemptInFlight.objects.create(username="editor", address="203.0.113.9", started_at=timezone.now())
    assert signed_in(page_login(client, "editor", PASSWORD))  # 4 counted: 3 failures and this success
    assert AccessAttempt.objects.filter(username="editor").exists()
    client.logout()
    other.delete()  # that attempt is over (here without a result of its own)
    fail(client, "editor", 1)
    assert lockout.login_lock_of(username="editor") is not None
    assert AuditEntry.objects.filter(action="auth.locked", data__username="editor").count() == 1
    assert not signed_in(page_login(client, "editor", PASSWORD))


@override_settings(LOGIN_MAX_FAILURES=5, LOGIN_LOCK_MINUTES=30)
def test_an_attempt_left_by_a_dead_process_stops_counting(world):
    from project.models import LoginAttemptInFlight

    stale = timezone.now() - dt.timedelta(seconds=LoginAttemptInFlight.STALE_AFTER_SECONDS + 1)
    LoginAttemptInFlight.objects.create(username="editor", address="203.0.113.9", started_at=stale)
    client = Client(REMOTE_ADDR="203.0.113.8")
    fail(client, "editor", 2)
    assert signed_in(page_login(client, "editor", PASSWORD))
    assert not AccessAttempt.objects.filter(username="editor").exists()
    assert not LoginAttemptInFlight.objects.exists()


@override_settings(LOGIN_MAX_FAILURES=5, LOGIN_LOCK_MINUTES=30)
def test_case_and_spaces_count_against_one_username(world):
    client = Client(REMOTE_ADDR="203.0.113.3")
    for name in ("Editor", " editor ", "EDITOR", "editor", "eDitor"):
        assert not signed_in(page_login(client, name, "wrong-password"))
    assert not signed_in(page_login(Client(REMOTE_ADDR="203.0.113.4"), "editor", PASSWORD))
    assert AuditEntry.objects.filter(action="auth.locked", data__username="editor").count() == 1


@override_settings(LOGIN_MAX_FAILURES=5, LOGIN_LOCK_MINUTES=30)
def test_the_address_is_locked_too_whatever_the_usernames(world):
    client = Client(REMOTE_ADDR="203.0.113.5")
    for i in range(5):
        assert not signed_in(page_login(client, f"nobody-{i}", "wrong-password"))
    # the right password of a real user, from that address: refused without trying it
    assert not signed_in(page_login(client, "editor", PASSWORD))
    # from elsewhere he signs in
    assert signed_in(page_login(Client(REMOTE_ADDR="203.0.113.6"), "editor", PASSWORD))


@override_settings(LOGIN_MAX_FAILURES=5, LOGIN_LOCK_MINUTES=30)
def test_the_lock_expires(world):
    client = Client(REMOTE_ADDR="203.0.113.7")
    fail(client, "editor", 5)
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=31))
    assert lockout.login_lock_of(username="editor") is None
    assert signed_in(page_login(client, "editor", PASSWORD))
    assert not AccessAttempt.objects.filter(username="editor").exists()


@override_settings(LOGIN_MAX_FAILURES=5, LOGIN_LOCK_MINUTES=30)
def test_the_token_endpoint_and_the_admin_count_the_same_failures(world):
    api = APIClient(REMOTE_ADDR="203.0.113.8")
    for _ in range(3):
        assert api.post(TOKEN, {"username": "editor", "password": "wrong"}, format="json").status_code == 400
    admin = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(2):
        response = admin.post("/admin/login/", {"username": "editor", "password": "wrong"})
        assert response.status_code == 200
    assert AuditEntry.objects.filter(action="auth.locked", data__username="editor").count() == 1
    response = api.post(TOKEN, {"username": "editor", "password": PASSWORD}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "invalid_credentials"


def test_unknown_user_wrong_password_and_locked_get_the_same_answer(world):
    client = Client(REMOTE_ADDR="203.0.113.10")
    unknown = page_login(client, "nobody-such", "wrong-password").content.decode()
    wrong = page_login(client, "editor", "wrong-password").content.decode()
    assert "用户名或密码错误" in unknown and "用户名或密码错误" in wrong
    strip = lambda body: body.replace("nobody-such", "X").replace("editor", "X").split("csrfmiddlewaretoken")[0]  # noqa: E731
    assert strip(unknown) == strip(wrong)


@override_settings(LOGIN_MAX_FAILURES=5, LOGIN_LOCK_MINUTES=30)
def test_the_unit_administrator_unlocks_and_it_is_audited(world):
    client = Client(REMOTE_ADDR="203.0.113.11")
    fail(client, "editor", 5)
    editor = User.objects.get(username="editor")
    with pytest.raises(NotAllowed):
        lockout.login_lock_release(actor=world.reviewers[0], user_id=editor.pk)
    assert lockout.login_lock_release(actor=world.secadmin, user_id=editor.pk) == 5
    entry = AuditEntry.objects.get(action="auth.unlocked")
    assert entry.actor_id == world.secadmin.pk and entry.data == {"username": "editor", "failures": 5}
    assert signed_in(page_login(Client(REMOTE_ADDR="203.0.113.12"), "editor", PASSWORD))


@override_settings(LOGIN_MAX_FAILURES=2, LOGIN_LOCK_MINUTES=30, LOGIN_RATE_LIMIT="100/min")
def test_refusals_while_locked_are_one_entry_per_window_with_their_count(world):
    client = Client(REMOTE_ADDR="203.0.113.13")
    fail(client, "nobody-such", 2)
    fail(client, "nobody-such", 20)  # all refused: one entry, 19 repeats counted
    assert AuditEntry.objects.filter(action="auth.login_failed", outcome="denied").count() == 1
    tally = lockout.LoginRefusalTally.objects.get()
    assert tally.repeats == 19
    assert lockout.flush_refusal_tallies(now=timezone.now() + dt.timedelta(minutes=31)) == 1
    summary = AuditEntry.objects.get(action="auth.login_refused_repeated")
    assert summary.data["count"] == 19 and summary.data["address"] == "203.0.113.13"
    assert not lockout.LoginRefusalTally.objects.exists()


@override_settings(LOGIN_RATE_LIMIT="3/min")
def test_login_posts_are_rate_limited_per_address(world):
    client = Client(REMOTE_ADDR="203.0.113.14")
    for _ in range(3):
        assert page_login(client, "nobody-such", "x").status_code == 200
    response = page_login(client, "editor", PASSWORD)
    assert response.status_code == 429 and "登录尝试过于频繁" in response.content.decode()
    assert int(response["Retry-After"]) <= 60
    assert Client(REMOTE_ADDR="203.0.113.15").post("/admin/login/", {"username": "a", "password": "b"}).status_code == 200
    admin = Client(REMOTE_ADDR="203.0.113.14")
    assert admin.post("/admin/login/", {"username": "a", "password": "b"}).status_code == 429


@override_settings(LOGIN_MAX_FAILURES=5, LOGIN_LOCK_MINUTES=30)
def test_unlock_through_the_page_and_the_admin(world, as_user):
    fail(Client(REMOTE_ADDR="203.0.113.16"), "editor", 5)
    editor = User.objects.get(username="editor")
    admin_client = as_user(world.secadmin)
    page = admin_client.get(reverse("web:manage_user_roles", args=[editor.pk])).content.decode()
    assert 'data-testid="unlock"' in page and "连续登录失败 5 次" in page
    response = admin_client.post(reverse("web:manage_user_unlock", args=[editor.pk]))
    assert response.status_code == 302 and lockout.login_lock_of(username="editor") is None
    assert AuditEntry.objects.filter(action="auth.unlocked", actor=world.secadmin).count() == 1
    # the admin's action, for a user locked again
    fail(Client(REMOTE_ADDR="203.0.113.17"), "editor", 5)
    staff = world.secadmin
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    response = admin_client.post("/admin/content/user/", {"action": "unlock_sign_in", "_selected_action": [editor.pk]})
    assert response.status_code == 302
    assert lockout.login_lock_of(username="editor") is None
    assert AuditEntry.objects.filter(action="auth.unlocked", actor=world.secadmin).count() == 2
    # someone else's user: refused
    outsider = as_user(world.outsider)
    assert outsider.post(reverse("web:manage_user_unlock", args=[editor.pk])).status_code == 403
