"""Two factors (TOTP with django-otp, one-time recovery codes): who needs them
(MFA_REQUIRED_ROLES, superusers), the sign-in's second step on the login page,
the admin's login and the API token, enrolment before the session, wrong codes
counted by the lockout, the security administrator's reset, the user's own page.
The session is signed in only after both factors."""

import pytest
from django.test import Client, override_settings
from rest_framework.test import APIClient

from audit.models import AuditEntry
from content import permissions as content_permissions
from content import roles
from content import selectors as content_selectors
from content import services as content_services
from content.errors import NotAllowed
from tests import factories
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/login/"
CODE = "/login/code/"
TOKEN = "/api/v1/auth/token/"


def entries(action):
    return list(AuditEntry.objects.filter(action=action).order_by("seq"))


def password_step(client, username, next_url=""):
    data = {"username": username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(LOGIN, data)


def signed_in_as(client):
    return client.session.get("_auth_user_id")


@pytest.fixture
def secadmin(world):
    return world.secadmin  # the province's security administrator (tests.factories.World)


# ---------------------------------------------------------------- who needs two factors

def test_the_required_roles_and_superusers_need_two_factors(world, settings):
    assert content_permissions.second_factor_required(world.publisher)
    assert content_permissions.second_factor_required(world.auditor)
    assert content_permissions.second_factor_required(world.admin)  # the system administrator
    assert content_permissions.second_factor_required(factories.superuser())
    assert not content_permissions.second_factor_required(world.editor)
    assert not content_permissions.second_factor_required(world.manager)
    settings.MFA_REQUIRED_ROLES = ["editor"]
    assert content_permissions.second_factor_required(world.editor)
    assert not content_permissions.second_factor_required(world.publisher)
    assert content_permissions.second_factor_required(factories.superuser())  # always


def test_a_user_without_the_roles_signs_in_with_his_password_alone(world):
    client = Client()
    response = password_step(client, "editor")
    assert response.status_code == 302 and response["Location"] == "/"
    assert signed_in_as(client) == str(world.editor.pk)


# ---------------------------------------------------------------- enrolment in the pending step

def test_a_publisher_without_a_device_enrols_before_he_is_signed_in(world):
    client = Client()
    response = password_step(client, "publisher", next_url="/review/")
    assert response.status_code == 302 and response["Location"] == CODE
    assert signed_in_as(client) is None  # the password alone signs nobody in
    page = client.get(CODE)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-testid="enrol-required"' in body and "/account/two-factor/qr.svg" in body
    assert "<script" not in body.split("<main")[-1].split("</main>")[0] and " style=" not in body
    qr = client.get("/account/two-factor/qr.svg")
    assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml" and "no-store" in qr["Cache-Control"]
    assert qr.content.lstrip().startswith(b"<svg") and b"<script" not in qr.content
    device = content_selectors.totp_device_of(world.publisher, confirmed=False)
    assert device is not None and device.user_id == world.publisher.pk
    # a wrong first code: the message by the field, still not signed in, a counted failure
    wrong = client.post(CODE, {"otp": "000000" if factories.totp_code(device) != "000000" else "111111"})
    assert wrong.status_code == 400 and "验证码不正确" in wrong.content.decode()
    assert signed_in_as(client) is None
    assert [e.data["factor"] for e in entries("auth.mfa_failed")] == ["otp_enrol"]
    done = client.post(CODE, {"otp": factories.totp_code(device)})
    assert done.status_code == 200 and "no-store" in done["Cache-Control"]
    codes = [c for c in done.context["codes"]]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert done.context["next"] == "/review/"
    assert signed_in_as(client) == str(world.publisher.pk)
    [enrolled] = entries("auth.mfa_enrolled")
    assert enrolled.actor_id == world.publisher.pk and enrolled.data["recovery_codes"] == 10
    assert content_selectors.second_factor_status(world.publisher)["recovery_codes_left"] == 10
    # the QR code is gone with the enrolment
    assert client.get("/account/two-factor/qr.svg").status_code == 404


def test_no_qr_code_without_a_pending_step_or_an_enrolment():
    assert Client().get("/account/two-factor/qr.svg").status_code == 404


def test_the_code_page_without_a_password_sends_to_the_login_page():
    response = Client().get(CODE)
    assert response.status_code == 302 and response["Location"] == LOGIN


# ---------------------------------------------------------------- signing in with a code

def test_sign_in_with_the_authenticators_code(world):
    device, _codes = factories.enrol_totp(world.publisher)
    client = Client()
    assert password_step(client, "publisher", next_url="/review/")["Location"] == CODE
    page = client.get(CODE)
    assert "验证码或恢复码" in page.content.decode() and "qr.svg" not in page.content.decode()
    response = client.post(CODE, {"otp": factories.totp_code(device)})
    assert response.status_code == 302 and response["Location"] == "/review/"
    assert signed_in_as(client) == str(world.publisher.pk)
    assert len(entries("auth.login")) == 1


def test_a_code_works_once(world):
    device, _codes = factories.enrol_totp(world.publisher)
    code = factories.totp_code(device)
    first = Client()
    password_step(first, "publisher")
    assert first.post(CODE, {"otp": code}).status_code == 302
    second = Client()
    password_step(second, "publisher")
    again = second.post(CODE, {"otp": code})
    assert again.status_code == 400 and "验证码或恢复码不正确" in again.content.decode()
    assert signed_in_as(second) is None


def test_a_recovery_code_signs_in_once(world):
    _device, codes = factories.enrol_totp(world.publisher)
    client = Client()
    password_step(client, "publisher")
    response = client.post(CODE, {"otp": codes[3].upper().replace("-", " ")})  # typed loosely
    assert response.status_code == 302 and signed_in_as(client) == str(world.publisher.pk)
    [used] = entries("auth.mfa_recovery_used")
    assert used.actor_id == world.publisher.pk and used.data == {"recovery_codes_left": 9}
    other = Client()
    password_step(other, "publisher")
    refused = other.post(CODE, {"otp": codes[3]})
    assert refused.status_code == 400 and signed_in_as(other) is None
    assert len(entries("auth.mfa_recovery_used")) == 1


def test_a_voluntary_enrolment_is_asked_for_too(world):
    device, _codes = factories.enrol_totp(world.editor)
    client = Client()
    assert password_step(client, "editor")["Location"] == CODE
    assert signed_in_as(client) is None
    assert client.post(CODE, {"otp": factories.totp_code(device)}).status_code == 302


def test_the_pending_step_expires_and_ends_with_a_password_change(world, settings):
    device, _codes = factories.enrol_totp(world.publisher)
    client = Client()
    password_step(client, "publisher")
    session = client.session
    pending = session["_second_factor_pending"]
    pending["at"] -= settings.MFA_PENDING_SECONDS + 1
    session["_second_factor_pending"] = pending
    session.save()
    response = client.post(CODE, {"otp": factories.totp_code(device)})
    assert response.status_code == 302 and response["Location"] == LOGIN and signed_in_as(client) is None
    password_step(client, "publisher")
    content_services.user_set_password(actor=world.admin, user_id=world.publisher.pk, password="Other#Pass2026x")
    response = client.post(CODE, {"otp": factories.totp_code(device)})
    assert response["Location"] == LOGIN and signed_in_as(client) is None


# ---------------------------------------------------------------- wrong codes are login failures

@override_settings(LOGIN_MAX_FAILURES=5, LOGIN_LOCK_MINUTES=30)
def test_wrong_codes_lock_like_wrong_passwords(world):
    device, _codes = factories.enrol_totp(world.publisher)
    client = Client(REMOTE_ADDR="203.0.113.61")
    password_step(client, "publisher")
    for _ in range(5):
        assert client.post(CODE, {"otp": "12345"}).status_code == 400  # never a valid code
    assert len(entries("auth.mfa_failed")) == 5
    assert [e.data["username"] for e in entries("auth.locked")] == ["publisher"]
    locked = client.post(CODE, {"otp": factories.totp_code(device)})
    assert locked.status_code == 302 and locked["Location"] == LOGIN and signed_in_as(client) is None
    # the right password is refused too, the same message as ever
    again = password_step(Client(REMOTE_ADDR="203.0.113.62"), "publisher")
    assert again.status_code == 200 and "用户名或密码错误" in again.content.decode()


@override_settings(LOGIN_MAX_FAILURES=5, LOGIN_LOCK_MINUTES=30)
def test_the_right_password_does_not_free_the_budget_for_guessing_codes(world):
    device, _codes = factories.enrol_totp(world.publisher)
    client = Client(REMOTE_ADDR="203.0.113.63")
    for guesses in (3, 2):
        assert password_step(client, "publisher")["Location"] == CODE
        for _ in range(guesses):
            client.post(CODE, {"otp": "99999"})
    assert entries("auth.locked")
    assert content_selectors.user_by_id(world.publisher.pk) is not None
    password_step(client, "publisher")
    assert client.post(CODE, {"otp": factories.totp_code(device)})["Location"] == LOGIN


@override_settings(LOGIN_MAX_FAILURES=5, LOGIN_LOCK_MINUTES=30)
def test_the_right_code_resets_the_count(world):
    device, _codes = factories.enrol_totp(world.publisher)
    client = Client(REMOTE_ADDR="203.0.113.64")
    password_step(client, "publisher")
    for _ in range(4):
        client.post(CODE, {"otp": "99999"})
    assert client.post(CODE, {"otp": factories.totp_code(device)}).status_code == 302
    client.logout()
    password_step(client, "publisher")
    for _ in range(4):
        client.post(CODE, {"otp": "99999"})
    assert not entries("auth.locked")


# ---------------------------------------------------------------- the admin's login

def test_the_admin_login_asks_for_the_code_too(world):
    device, _codes = factories.enrol_totp(factories.superuser())
    client = Client()
    response = client.post("/admin/login/", {"username": "root", "password": PASSWORD, "next": "/admin/"})
    assert response.status_code == 302 and response["Location"] == CODE
    assert signed_in_as(client) is None
    assert client.get("/admin/").status_code == 302  # still the admin's login
    response = client.post(CODE, {"otp": factories.totp_code(device)})
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_the_admin_login_of_a_superuser_without_a_device_enrols_first():
    factories.superuser()
    client = Client()
    assert client.post("/admin/login/", {"username": "root", "password": PASSWORD})["Location"] == CODE
    assert 'data-testid="enrol-required"' in client.get(CODE).content.decode()


def test_the_admin_has_no_page_of_django_otps_devices(world):
    client = Client()
    client.force_login(factories.superuser())
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 404
    assert client.get("/admin/otp_static/staticdevice/").status_code == 404


# ---------------------------------------------------------------- the API token

def token(data, address="203.0.113.70"):
    return APIClient(REMOTE_ADDR=address).post(TOKEN, data, format="json")


def test_the_api_token_needs_the_code_in_the_same_request(world):
    device, _codes = factories.enrol_totp(world.publisher)
    missing = token({"username": "publisher", "password": PASSWORD})
    assert missing.status_code == 401 and missing["WWW-Authenticate"] == "Token"
    assert missing.json()["code"] == "otp_required" and "双因素" in missing.json()["detail"]
    assert "otp" in missing.json()["fields"]
    wrong = token({"username": "publisher", "password": PASSWORD, "otp": "12345"})
    assert wrong.status_code == 401 and wrong.json()["code"] == "otp_invalid"
    assert [e.data["factor"] for e in entries("auth.mfa_failed")] == ["otp"]
    right = token({"username": "publisher", "password": PASSWORD, "otp": factories.totp_code(device)})
    assert right.status_code == 200 and right.json()["token"]
    assert not entries("auth.login_failed")  # the password was never wrong


def test_the_api_token_takes_a_recovery_code(world):
    _device, codes = factories.enrol_totp(world.publisher)
    assert token({"username": "publisher", "password": PASSWORD, "otp": codes[0]}).status_code == 200
    assert token({"username": "publisher", "password": PASSWORD, "otp": codes[0]}).status_code == 401


def test_the_api_token_of_a_user_who_must_enrol_first(world):
    response = token({"username": "publisher", "password": PASSWORD, "otp": "123456"})
    assert response.status_code == 401 and response.json()["code"] == "otp_not_enrolled"


def test_the_api_token_of_a_user_without_two_factors_needs_no_code(world):
    assert token({"username": "editor", "password": PASSWORD}).status_code == 200


@override_settings(LOGIN_MAX_FAILURES=5, LOGIN_LOCK_MINUTES=30)
def test_wrong_api_codes_lock_the_user(world):
    device, _codes = factories.enrol_totp(world.publisher)
    for _ in range(5):
        assert token({"username": "publisher", "password": PASSWORD, "otp": "12345"}).status_code == 401
    assert entries("auth.locked")
    locked = token({"username": "publisher", "password": PASSWORD, "otp": factories.totp_code(device)})
    assert locked.status_code in (400, 401) and "token" not in locked.json()


# ---------------------------------------------------------------- the security administrator's reset

def test_the_security_administrator_resets_a_lost_device(world, secadmin):
    factories.enrol_totp(world.publisher)
    assert content_permissions.can_reset_second_factor(secadmin, world.publisher)
    client = Client()
    client.force_login(secadmin)
    response = client.post(f"/manage/users/{world.publisher.pk}/two-factor/reset/")
    assert response.status_code == 302
    assert content_selectors.totp_device_of(world.publisher) is None
    assert content_selectors.recovery_codes_left(world.publisher) == 0
    [reset] = entries("auth.mfa_reset")
    assert reset.actor_id == secadmin.pk and reset.target_id == str(world.publisher.pk)
    assert reset.data == {"username": "publisher", "devices": 1}
    # his next sign-in enrols again, before the session
    again = Client()
    password_step(again, "publisher")
    assert 'data-testid="enrol-required"' in again.get(CODE).content.decode()


def test_the_reset_is_refused_for_oneself_and_outside_the_unit(world, secadmin):
    factories.enrol_totp(secadmin)
    outsider_admin = factories.user("secsz", org_=world.other_city, roles_=[roles.SECURITY_ADMIN])
    assert not content_permissions.can_reset_second_factor(secadmin, secadmin)
    assert not content_permissions.can_reset_second_factor(outsider_admin, world.publisher)
    assert not content_permissions.can_reset_second_factor(world.editor, world.publisher)
    for actor, target in ((secadmin, secadmin), (outsider_admin, world.publisher), (world.editor, world.publisher)):
        with pytest.raises(NotAllowed):
            content_services.second_factor_reset(actor=actor, user_id=target.pk)
        client = Client()
        client.force_login(actor)
        assert client.post(f"/manage/users/{target.pk}/two-factor/reset/").status_code == 403
    assert content_selectors.totp_device_of(secadmin) is not None
    assert not entries("auth.mfa_reset")


def test_the_reset_through_the_api(world, secadmin):
    factories.enrol_totp(world.publisher)
    api = APIClient()
    api.force_authenticate(world.editor)
    refused = api.post(f"/api/v1/users/{world.publisher.pk}/two-factor/reset/")
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    api.force_authenticate(secadmin)
    response = api.post(f"/api/v1/users/{world.publisher.pk}/two-factor/reset/")
    assert response.status_code == 200 and response.json() == {"user": world.publisher.pk, "devices_removed": 1}
    assert len(entries("auth.mfa_reset")) == 1
    assert api.post("/api/v1/users/999999/two-factor/reset/").status_code == 404


def test_the_reset_through_the_admin(world):
    factories.enrol_totp(world.publisher)
    root = factories.superuser()
    client = Client()
    client.force_login(root)
    response = client.post("/admin/content/user/", {"action": "reset_two_factor",
                                                    "_selected_action": [world.publisher.pk]})
    assert response.status_code == 302
    assert content_selectors.totp_device_of(world.publisher) is None
    assert [e.actor_id for e in entries("auth.mfa_reset")] == [root.pk]


def test_the_roles_page_shows_the_reset_to_whom_it_is_allowed(world):
    factories.enrol_totp(world.publisher)
    client = Client()
    client.force_login(world.secadmin)  # the security administrator resets
    page = client.get(f"/manage/users/{world.publisher.pk}/roles/").content.decode()
    assert 'data-testid="two-factor-reset"' in page and "剩余恢复码 10 个" in page
    client.force_login(world.admin)  # the system administrator does not
    page = client.get(f"/manage/users/{world.publisher.pk}/roles/")
    assert page.status_code == 403 or 'data-testid="two-factor-reset"' not in page.content.decode()


# ---------------------------------------------------------------- the user's own page

def test_the_own_page_enrols_and_regenerates_recovery_codes(world):
    client = Client()
    client.force_login(world.editor)
    page = client.get("/account/two-factor/").content.decode()
    assert "尚未绑定" in page and "可自愿启用" in page
    assert client.get("/account/two-factor/enrol/").status_code == 200
    device = content_selectors.totp_device_of(world.editor, confirmed=False)
    assert client.get("/account/two-factor/qr.svg")["Content-Type"] == "image/svg+xml"
    wrong = client.post("/account/two-factor/enrol/", {"otp": "12345"})
    assert wrong.status_code == 400 and "验证码不正确" in wrong.content.decode()
    done = client.post("/account/two-factor/enrol/", {"otp": factories.totp_code(device)})
    assert done.status_code == 200 and len(done.context["codes"]) == 10
    old = done.context["codes"]
    assert "剩余恢复码" in client.get("/account/two-factor/").content.decode()
    regenerated = client.post("/account/two-factor/recovery-codes/")
    assert regenerated.status_code == 200 and set(regenerated.context["codes"]).isdisjoint(old)
    assert len(entries("auth.mfa_recovery_regenerated")) == 1
    assert content_services.second_factor_verify(user=world.editor, code=old[0]) is None
    assert content_services.second_factor_verify(user=world.editor, code=regenerated.context["codes"][0]) == \
        "recovery"
    # enrolled: no second enrolment (a lost device is reset by the security administrator)
    assert client.get("/account/two-factor/enrol/")["Location"] == "/account/two-factor/"


def test_recovery_codes_need_an_enrolment(world):
    client = Client()
    client.force_login(world.editor)
    response = client.post("/account/two-factor/recovery-codes/")
    assert response.status_code == 302
    assert not entries("auth.mfa_recovery_regenerated")


def test_the_session_of_force_login_is_untouched(world):
    """Tests (and nothing else) sign in with force_login: no second step there."""
    client = Client()
    client.force_login(world.publisher)
    assert client.get("/").status_code == 200


def test_an_unconfirmed_device_does_not_count(world):
    content_services.second_factor_enrol_begin(actor=world.editor)
    assert not content_selectors.second_factor_applies(world.editor)
    assert password_step(Client(), "editor")["Location"] == "/"


# ---------------------------------------------------------------- a code used twice at once

def test_a_recovery_code_given_twice_at_once_signs_in_once(transactional_db, on_postgres):
    """Two requests with the same recovery code at the same moment (real threads, PostgreSQL):
    the token row is locked, so exactly one of them is signed in; the same for a TOTP code."""
    import threading

    from django.db import connection

    world = factories.World()
    device, codes = factories.enrol_totp(world.publisher)
    for code, factor in ((codes[0], "recovery"), (factories.totp_code(device), "totp")):
        barrier = threading.Barrier(4)
        answers = []

        def verify():
            try:
                barrier.wait()
                answers.append(content_services.second_factor_verify(user=world.publisher, code=code))
            finally:
                connection.close()

        threads = [threading.Thread(target=verify) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sorted(answers, key=str) == sorted([factor, None, None, None], key=str), answers
