"""我的会话 and 修改密码: a user's sign-ins listed (device, address, last seen)
and ended one by one; the administrator ends them all; password changes on
the page and in the admin go through the audited service."""
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from audit.models import AuditEntry
from content.models import SignIn, User
from tests.factories import PASSWORD

NEW = "Fresh#Pass2026"


def _browser(address, agent):
    client = Client(REMOTE_ADDR=address, HTTP_USER_AGENT=agent)
    response = client.post("/login/", {"username": "editor", "password": PASSWORD})
    assert response.status_code == 302
    return client


def _token(client_name):
    return APIClient().post("/api/v1/auth/token/", {"username": "editor", "password": PASSWORD,
                                                     "client": client_name}, format="json").json()["token"]


def test_the_sessions_page_lists_and_ends_another_session(world):
    laptop = _browser("203.0.113.30", "Laptop Firefox")
    phone = _browser("203.0.113.31", "Phone Safari")
    _token("发布脚本")
    page = laptop.get(reverse("web:account_sessions")).content.decode()
    assert page.count('data-testid="session-row"') == 3
    assert "Phone Safari" in page and "203.0.113.31" in page and "发布脚本" in page and "（当前）" in page
    phone_sign_in = SignIn.objects.get(user_agent="Phone Safari")
    response = laptop.post(reverse("web:account_session_end", args=[phone_sign_in.pk]))
    assert response.status_code == 302
    assert phone.get("/").status_code == 302  # signed out on the server
    assert laptop.get("/").status_code == 200
    entry = AuditEntry.objects.get(action="auth.session_ended")
    assert entry.actor_id == world.editor.pk and entry.data["address"] == "203.0.113.31"
    # someone else's sign-in: as if it did not exist
    other = Client()
    other.force_login(world.editor2)
    assert other.post(reverse("web:account_session_end", args=[phone_sign_in.pk + 100])).status_code == 404


def test_signing_out_ends_only_that_browser(world):
    one, two = _browser("203.0.113.32", "A"), _browser("203.0.113.33", "B")
    one.post(reverse("web:logout"))
    assert one.get("/").status_code == 302 and two.get("/").status_code == 200
    assert SignIn.objects.get(user_agent="A").end_reason == "signed_out"


def test_the_administrator_ends_every_session_and_token_of_a_user(world):
    browser = _browser("203.0.113.34", "C")
    key = _token("脚本")
    admin = Client()
    admin.force_login(world.secadmin)
    response = admin.post(reverse("web:manage_user_sign_ins_end", args=[world.editor.pk]))
    assert response.status_code == 302
    assert browser.get("/").status_code == 302
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/drafts/").status_code == 401
    entry = AuditEntry.objects.get(action="auth.sessions_ended_all")
    assert entry.actor_id == world.secadmin.pk and entry.data["ended"] == 2
    outsider = Client()
    outsider.force_login(world.outsider)
    assert outsider.post(reverse("web:manage_user_sign_ins_end", args=[world.editor.pk])).status_code == 403


def test_changing_ones_password_keeps_this_session_and_ends_the_others(world):
    here, there = _browser("203.0.113.35", "Here"), _browser("203.0.113.36", "There")
    response = here.post(reverse("web:account_password"), {"old_password": "wrong", "password": NEW,
                                                           "password2": NEW})
    assert response.status_code == 400 and "原密码不正确" in response.content.decode()
    response = here.post(reverse("web:account_password"), {"old_password": PASSWORD, "password": "short",
                                                           "password2": "short"})
    assert response.status_code == 400
    response = here.post(reverse("web:account_password"), {"old_password": PASSWORD, "password": NEW,
                                                           "password2": NEW})
    assert response.status_code == 302
    assert here.get("/").status_code == 200 and there.get("/").status_code == 302
    assert User.objects.get(pk=world.editor.pk).check_password(NEW)
    entry = AuditEntry.objects.get(action="content.user.password_changed")
    assert entry.data == {"by": "self", "sign_ins_ended": 1}
    assert "/account/sessions/" in here.get(reverse("web:account_sessions")).request["PATH_INFO"]
    assert here.get(reverse("web:account_sessions")).content.decode().count('data-testid="session-row"') == 1


def test_the_admins_password_pages_go_through_the_audited_service(world):
    staff = world.admin
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    browser = _browser("203.0.113.37", "D")
    admin = Client()
    admin.force_login(staff)
    url = f"/admin/content/user/{world.editor.pk}/password/"
    assert admin.get(url).status_code == 200
    response = admin.post(url, {"password1": NEW, "password2": NEW, "usable_password": "true"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.get(pk=world.editor.pk).check_password(NEW)
    entry = AuditEntry.objects.get(action="content.user.password_changed")
    assert entry.actor_id == staff.pk and entry.data["by"] == "admin"
    assert browser.get("/").status_code == 302
    # /admin/password_change/ is the audited page
    response = admin.get("/admin/password_change/")
    assert response.status_code == 302 and response["Location"] == reverse("web:account_password")


def test_a_session_ends_after_session_absolute_hours_however_active(world, settings):
    import time

    from project.middleware import SIGNED_IN_AT_KEY

    browser = _browser("203.0.113.38", "E")
    assert browser.get("/").status_code == 200
    session = browser.session
    session[SIGNED_IN_AT_KEY] = int(time.time() - settings.SESSION_ABSOLUTE_HOURS * 3600 - 5)
    session.save()
    response = browser.get("/")
    assert response.status_code == 302 and "expired=1" in response["Location"]
    assert browser.get("/").status_code == 302  # signed out on the server
    assert browser.get("/api/v1/drafts/").status_code in (401, 403)
