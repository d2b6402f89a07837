"""Account security in the browser: five wrong passwords lock a user (the
right one is refused with the same message) and the administrator unlocks him;
a user ends his other session; a password past PASSWORD_MAX_AGE_DAYS is
changed before anything else. Each context signs in from an address of its
own (X-Forwarded-For behind the one trusted proxy the test server has)."""
import re

from playwright.sync_api import expect

from tests.browser.helpers import PASSWORD, sign_in

NEW_PASSWORD = "Changed#2026xy"


def _context(open_as, address):
    return open_as(None, extra_http_headers={"X-Forwarded-For": address})


def _sign_in(page, username, password):
    sign_in(page, username, password)  # with the demo authenticator's code for publisher_sz


def test_lockout_and_unlock(open_as, app_server):
    attacker = _context(open_as, "198.51.100.21").page()
    for _ in range(5):
        _sign_in(attacker, "publisher_sz", "wrong-password-1")
        expect(attacker.locator(".form-errors")).to_contain_text("用户名或密码错误")
    owner = _context(open_as, "198.51.100.22").page()
    _sign_in(owner, "publisher_sz", PASSWORD)
    expect(owner.locator(".form-errors")).to_contain_text("用户名或密码错误")  # locked: the same message
    pk = app_server.shell("from content.models import User; print(User.objects.get(username='publisher_sz').pk)")
    admin = open_as("secadmin").page(f"/manage/users/{pk.strip().splitlines()[-1]}/roles/")
    lock = admin.get_by_test_id("sign-in-lock")
    expect(lock).to_contain_text("连续登录失败 5 次")
    lock.get_by_test_id("unlock").click()
    expect(admin.locator(".messages")).to_contain_text("已解除")
    expect(admin.get_by_test_id("sign-in-lock")).to_contain_text("未锁定")
    _sign_in(owner, "publisher_sz", PASSWORD)
    expect(owner).not_to_have_url("/login/")
    expect(owner.locator(".user-box")).to_contain_text("冯发布")


def test_ending_another_session(open_as):
    laptop = _context(open_as, "198.51.100.23").page()
    phone = _context(open_as, "198.51.100.24").page()
    _sign_in(laptop, "manager", PASSWORD)
    _sign_in(phone, "manager", PASSWORD)
    expect(phone.locator(".user-box")).to_be_visible()
    laptop.goto("/account/sessions/")
    other = laptop.get_by_test_id("session-row").filter(has_text="198.51.100.24")
    expect(other).to_have_count(1)
    other.get_by_test_id("session-end").click()
    expect(laptop.locator(".messages")).to_contain_text("已结束该会话")
    expect(laptop.get_by_test_id("session-row").filter(has_text="198.51.100.24")).to_have_count(0)
    phone.goto("/")
    expect(phone).to_have_url(re.compile(r"/login/"))  # signed out on the server
    laptop.goto("/")
    expect(laptop.locator(".user-box")).to_be_visible()


def test_an_expired_password_is_changed_before_anything_else(open_as, app_server):
    app_server.shell("import datetime as dt\nfrom django.utils import timezone\nfrom content.models import User\n"
                     "User.objects.filter(username='editor_gd').update("
                     "password_changed_at=timezone.now() - dt.timedelta(days=91))")
    try:
        page = _context(open_as, "198.51.100.25").page()
        _sign_in(page, "editor_gd", PASSWORD)
        expect(page).to_have_url(re.compile(r"/account/password/$"))
        expect(page.locator(".messages")).to_contain_text("超过 90 天")
        page.goto("/drafts/")
        expect(page).to_have_url(re.compile(r"/account/password/$"))
        page.locator("#id_old_password").fill(PASSWORD)
        page.locator("#id_password").fill("short")
        page.locator("#id_password2").fill("short")
        page.get_by_role("button", name="修改密码").click()
        expect(page.locator(".field.has-error")).to_contain_text("密码太短")
        page.locator("#id_old_password").fill(PASSWORD)
        page.locator("#id_password").fill(NEW_PASSWORD)
        page.locator("#id_password2").fill(NEW_PASSWORD)
        page.get_by_role("button", name="修改密码").click()
        expect(page.locator(".messages")).to_contain_text("密码已修改")
        page.goto("/drafts/")
        expect(page).to_have_url(re.compile(r"/drafts/$"))
    finally:
        app_server.shell("from content.models import User\nu = User.objects.get(username='editor_gd')\n"
                         f"u.set_password({PASSWORD!r}); u.save()")
