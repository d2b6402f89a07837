"""Logins, failed logins and logouts are audit entries."""
import pytest
from django.test import Client

from audit.context import audit_context
from audit.models import AuditEntry
from audit.selectors import chain_verify
from tests import factories

pytestmark = pytest.mark.django_db

ADMIN_LOGIN = "/admin/login/"
ADMIN_LOGOUT = "/admin/logout/"


def auth_entries(action=None):
    qs = AuditEntry.objects.filter(action__startswith="auth.").order_by("seq")
    return list(qs.filter(action=action) if action else qs)


@pytest.fixture
def staff():
    return factories.superuser()


@pytest.fixture
def person():
    org = factories.org("AU", kind="province")
    return factories.user("zhangsan", org_=org, name="张三")


def test_client_login_writes_auth_login_with_the_actor(person):
    client = Client()
    with audit_context(source_ip="198.51.100.7", correlation_id="login0001"):
        assert client.login(username="zhangsan", password=factories.PASSWORD)
    [entry] = auth_entries()
    assert entry.action == "auth.login" and entry.outcome == "success"
    assert entry.actor_id == person.pk and entry.actor_label == "zhangsan（张三）"
    assert (entry.target_type, entry.target_id) == ("content.user", str(person.pk))
    assert entry.org_path == person.org.path
    assert (entry.source_ip, entry.correlation_id) == ("198.51.100.7", "login0001")


def admin_sign_in(client, device):
    """The admin's login: the password, then (a superuser always needs it) the authenticator's code."""
    response = client.post(ADMIN_LOGIN, {"username": "root", "password": factories.PASSWORD, "next": "/admin/"})
    assert response.status_code == 302 and response["Location"] == "/login/code/"
    return client.post("/login/code/", {"otp": factories.totp_code(device)})


def test_admin_login_view_records_the_source_address_and_request_id(staff):
    device, _codes = factories.enrol_totp(staff)
    client = Client(REMOTE_ADDR="203.0.113.5")
    response = admin_sign_in(client, device)
    assert response.status_code == 302 and response["Location"] == "/admin/"
    [entry] = auth_entries("auth.login")
    assert entry.action == "auth.login"
    assert entry.actor_id == staff.pk and entry.actor_label.startswith("root")
    assert entry.source_ip == "203.0.113.5"
    assert entry.correlation_id == response["X-Request-ID"]


def test_failed_admin_login_writes_login_failed_without_an_actor(staff):
    client = Client(REMOTE_ADDR="203.0.113.9")
    response = client.post(ADMIN_LOGIN, {"username": "root", "password": "wrong-password"})
    assert response.status_code == 200  # the form again, with an error
    assert "_auth_user_id" not in client.session
    [entry] = auth_entries()
    assert entry.action == "auth.login_failed" and entry.outcome == "failure"
    assert entry.actor_id is None
    assert entry.data == {"username": "root"}
    assert entry.actor_label == "root"
    assert entry.source_ip == "203.0.113.9"
    assert "wrong-password" not in str(entry.data) and "wrong-password" not in entry.actor_label
    assert not auth_entries("auth.login")


def test_failed_login_for_an_unknown_username_records_the_name_tried(db):
    assert not Client().login(username="nobody", password="guess123")
    [entry] = auth_entries()
    assert (entry.action, entry.outcome, entry.actor_id) == ("auth.login_failed", "failure", None)
    assert entry.data["username"] == "nobody"


def test_inactive_user_login_is_not_recorded_as_a_login(person):
    person.is_active = False
    person.save(update_fields=["is_active"])
    assert not Client().login(username="zhangsan", password=factories.PASSWORD)
    assert not auth_entries("auth.login")
    assert [e.action for e in auth_entries()] == ["auth.login_failed"]


def test_logout_writes_auth_logout(person):
    client = Client()
    client.login(username="zhangsan", password=factories.PASSWORD)
    client.logout()
    assert [e.action for e in auth_entries()] == ["auth.login", "auth.logout"]
    logout = auth_entries("auth.logout")[0]
    assert logout.actor_id == person.pk and logout.org_path == person.org.path


def test_admin_logout_view_writes_auth_logout_with_the_source_address(staff):
    device, _codes = factories.enrol_totp(staff)
    client = Client(REMOTE_ADDR="203.0.113.20")
    admin_sign_in(client, device)
    response = client.post(ADMIN_LOGOUT)
    assert response.status_code == 200
    [entry] = auth_entries("auth.logout")
    assert entry.actor_id == staff.pk and entry.source_ip == "203.0.113.20"
    assert chain_verify().ok


def test_logout_without_a_session_writes_nothing(db):
    Client().logout()
    assert auth_entries() == []
