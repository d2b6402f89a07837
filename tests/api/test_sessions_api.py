"""A user's sign-ins through the API (issue 12, "Sessions"): his live sessions
and tokens listed (the one in use marked), one of them ended, and the security
administrator's single action that ends every session and token of a user —
each audited, each refused to whoever may not."""
import pytest
from rest_framework.test import APIClient

from audit.models import AuditEntry
from content import services as content_services
from content.models import SignIn
from tests.api.helpers import URL, assert_error

pytestmark = pytest.mark.django_db


def _client(user, name):
    key = content_services.sign_in_open(user=user, kind=SignIn.API, name=name, user_agent="curl/8",
                                        address="203.0.113.9")[1]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_user_lists_his_sign_ins_and_ends_one(world):
    laptop, phone = _client(world.editor, "laptop"), _client(world.editor, "phone")
    _client(world.editor2, "other")  # someone else's: never listed
    rows = laptop.get(f"{URL}/auth/sessions/").json()["results"]
    assert sorted(r["name"] for r in rows) == ["laptop", "phone"]
    [current] = [r for r in rows if r["current"]]
    assert current["name"] == "laptop" and current["address"] == "203.0.113.9" and current["user_agent"] == "curl/8"
    assert set(rows[0]) == {"id", "kind", "name", "user_agent", "address", "created_at", "last_seen_at", "current"}
    phone_id = next(r["id"] for r in rows if r["name"] == "phone")
    assert laptop.post(f"{URL}/auth/sessions/{phone_id}/end/").status_code == 204
    assert_error(phone.get(f"{URL}/drafts/"), 401)
    assert [r["name"] for r in laptop.get(f"{URL}/auth/sessions/").json()["results"]] == ["laptop"]
    entry = AuditEntry.objects.get(action="auth.session_ended")
    assert entry.actor_id == world.editor.pk and entry.data["name"] == "phone"


def test_another_users_sign_in_is_not_found_unless_his_security_administrator(world):
    victim = _client(world.editor, "laptop")
    sign_in = SignIn.objects.get(user=world.editor, name="laptop")
    assert_error(_client(world.editor2, "x").post(f"{URL}/auth/sessions/{sign_in.pk}/end/"), 404, "not_found")
    assert_error(_client(world.admin, "x").post(f"{URL}/auth/sessions/{sign_in.pk}/end/"), 404, "not_found")
    assert victim.get(f"{URL}/drafts/").status_code == 200
    assert _client(world.secadmin, "x").post(f"{URL}/auth/sessions/{sign_in.pk}/end/").status_code == 204
    assert_error(victim.get(f"{URL}/drafts/"), 401)


def test_the_security_administrator_ends_every_session_and_token_of_a_user_at_once(world, client):
    tokens = [_client(world.editor, name) for name in ("laptop", "phone", "script")]
    client.force_login(world.editor)  # and a browser session
    assert client.get("/drafts/").status_code == 200
    # the system administrator, another unit's security administrator and the user himself may not
    for other in (world.admin, world.editor, world.outsider):
        assert_error(_client(other, "x").post(f"{URL}/users/{world.editor.pk}/sign-ins/end/"), 403)
    assert not AuditEntry.objects.filter(action="auth.sessions_ended_all").exists()
    assert_error(_client(world.secadmin, "x").post(f"{URL}/users/999999/sign-ins/end/"), 404)
    response = _client(world.secadmin, "x").post(f"{URL}/users/{world.editor.pk}/sign-ins/end/")
    assert response.status_code == 200 and response.json() == {"ended": 5}  # 4 tokens (his own "x" too), 1 browser
    for token in tokens:
        assert_error(token.get(f"{URL}/drafts/"), 401)
    assert client.get("/drafts/").status_code == 302  # the browser is sent to the login page
    entry = AuditEntry.objects.get(action="auth.sessions_ended_all")
    assert entry.actor_id == world.secadmin.pk and entry.target_id == str(world.editor.pk)
    assert entry.data == {"ended": 5, "reason": "ended_by_admin"}
