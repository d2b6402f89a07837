"""Tokens: issued for a password (audited), refused and audited like a failed
login, throttled, expiring, revocable; session authentication works too."""
import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from audit.models import AuditEntry
from tests.api.helpers import URL, assert_error
from content.models import SignIn, User
from tests.factories import PASSWORD, api_token

TOKEN_URL = f"{URL}/auth/token/"


def _login(client, username, password=PASSWORD):
    return client.post(TOKEN_URL, {"username": username, "password": password}, format="json")


def test_token_for_a_password_and_its_audit_entry(world):
    response = _login(APIClient(), "editor", PASSWORD)
    assert response.status_code == 200
    body = response.json()
    key = body["token"]
    sign_in = SignIn.objects.get(user=world.editor, kind=SignIn.API)
    assert sign_in.name == "api" and body["client"] == "api" and key not in sign_in.token_digest
    entry = AuditEntry.objects.filter(action="auth.token_created").latest("seq")
    assert entry.actor_id == world.editor.pk and entry.org_path == world.school.path
    assert entry.data == {"new": True, "client": "api", "sign_in": sign_in.pk}
    assert entry.source_ip == "127.0.0.1"
    # The token works.
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get(f"{URL}/drafts/").status_code == 200


def test_one_token_per_client_and_a_sign_out_ends_only_that_client(world):
    phone = APIClient().post(TOKEN_URL, {"username": "editor", "password": PASSWORD, "client": "手机"},
                             format="json").json()["token"]
    laptop = _login(APIClient(), "editor").json()["token"]
    again = APIClient().post(TOKEN_URL, {"username": "editor", "password": PASSWORD, "client": "手机"},
                             format="json").json()["token"]
    assert len({phone, laptop, again}) == 3

    def works(key):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client.get(f"{URL}/drafts/").status_code == 200

    assert not works(phone) and works(laptop) and works(again)  # the phone's new token replaced its old one
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {again}")
    assert client.delete(TOKEN_URL).status_code == 204
    assert not works(again) and works(laptop)


def test_a_password_change_a_deactivation_and_a_role_taken_end_every_token_and_session(world):
    from django.test import Client

    from content import services

    for change in (
        lambda: services.user_set_roles(actor=world.secadmin, user_id=world.editor.pk, roles_=[]),
        lambda: services.user_update(actor=world.admin, user_id=world.editor.pk, is_active=False),
        lambda: services.user_set_password(actor=world.admin, user_id=world.editor.pk, password="New#Pass2026x"),
    ):
        world.editor.refresh_from_db()
        services.user_update(actor=world.admin, user_id=world.editor.pk, is_active=True)
        services.user_set_roles(actor=world.secadmin, user_id=world.editor.pk, roles_=["editor"])
        key = api_token(world.editor)
        browser = Client()
        browser.force_login(User.objects.get(pk=world.editor.pk))
        assert browser.get("/").status_code == 200
        change()
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        assert client.get(f"{URL}/drafts/").status_code == 401
        assert browser.get("/").status_code == 302


@pytest.mark.parametrize("username, password", [("editor", "wrong-password"), ("nobody", PASSWORD)])
def test_failed_attempts_are_audited_like_failed_logins(world, username, password):
    before = AuditEntry.objects.filter(action="auth.login_failed").count()
    body = assert_error(_login(APIClient(), username, password), 400, "invalid_credentials")
    assert body["detail"] == "用户名或密码错误，或账号已停用"
    entry = AuditEntry.objects.filter(action="auth.login_failed").latest("seq")
    assert AuditEntry.objects.filter(action="auth.login_failed").count() == before + 1
    assert entry.actor_id is None and entry.actor_label == username and entry.outcome == "failure"
    assert entry.data == {"username": username}
    assert not AuditEntry.objects.filter(action="auth.token_created").exists()


def test_inactive_users_get_no_token(world):
    from content import services

    services.user_update(actor=world.admin, user_id=world.editor2.pk, is_active=False)
    assert_error(_login(APIClient(), "editor2"), 400, "invalid_credentials")
    assert AuditEntry.objects.filter(action="auth.login_failed", actor_label="editor2").exists()


def test_a_stale_authorization_header_does_not_block_login(world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert _login(client, "editor").status_code == 200


def test_token_requests_are_throttled(world):
    client = APIClient()
    for _ in range(10):
        assert _login(client, "editor2", "wrong").status_code == 400
    response = _login(client, "editor")  # even the right password waits
    body = assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) >= 1 and "秒" in body["detail"]
    # Other endpoints are not affected.
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(world.editor)}")
    assert client.get(f"{URL}/drafts/").status_code == 200


def test_throttle_rate_is_configurable(world, monkeypatch):
    """The rate comes from settings (env API_TOKEN_THROTTLE_RATE); here two a minute."""
    from django.conf import settings

    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["auth_token"] == ScopedRateThrottle.THROTTLE_RATES[
        "auth_token"]
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth_token": "2/min"})
    client = APIClient()
    assert _login(client, "editor").status_code == 200
    assert _login(client, "editor").status_code == 200
    assert _login(client, "editor").status_code == 429


def test_forwarded_for_does_not_evade_the_throttle(world, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth_token": "1/min"})
    client = APIClient()
    assert _login(client, "editor").status_code == 200
    client.credentials(HTTP_X_FORWARDED_FOR="10.9.8.7")
    assert _login(client, "editor").status_code == 429


def test_tokens_expire(world, settings):
    key = api_token(world.editor)
    SignIn.objects.filter(user=world.editor).update(
        created_at=timezone.now() - dt.timedelta(hours=settings.API_TOKEN_TTL_HOURS, minutes=1))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    body = assert_error(client.get(f"{URL}/drafts/"), 401)
    assert "过期" in body["detail"]
    # Logging in again gives a new one.
    fresh = _login(APIClient(), "editor").json()["token"]
    assert fresh != key


def test_revoking_a_token(world, api):
    client = api(world.editor)
    assert client.delete(TOKEN_URL).status_code == 204
    assert_error(client.get(f"{URL}/drafts/"), 401)
    entry = AuditEntry.objects.filter(action="auth.logout").latest("seq")
    assert entry.actor_id == world.editor.pk and entry.data == {"token_revoked": True}


def test_session_authentication_works_with_csrf_for_writes(world):
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username="editor", password=PASSWORD)
    assert client.get(f"{URL}/drafts/").status_code == 200
    response = client.post(f"{URL}/drafts/", {"account": world.account.pk, "title": "会话"}, format="json")
    assert_error(response, 403, "csrf_failed")
    from django.middleware.csrf import _get_new_csrf_string

    secret = _get_new_csrf_string()
    client.cookies["csrftoken"] = secret
    response = client.post(f"{URL}/drafts/", {"account": world.account.pk, "title": "会话"}, format="json",
                           HTTP_X_CSRFTOKEN=secret)
    assert response.status_code == 201
