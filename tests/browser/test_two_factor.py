"""Two factors in the browser: a new publisher enrols at his first sign-in
(the QR code drawn by the site loads under its Content-Security-Policy, the
secret typed in as an authenticator app would, the first code) and sees his
ten recovery codes once; he signs in again with his authenticator's code, then
with a recovery code, which works once only."""
import re

from playwright.sync_api import expect

from tests import totp
from tests.browser.helpers import PASSWORD, shot

USERNAME = "publisher_mfa"


def _new_publisher(app_server):
    app_server.shell(
        "from content import services\nfrom content.models import Organization, User\n"
        f"if not User.objects.filter(username='{USERNAME}').exists():\n"
        f"    services.user_create(actor=None, username='{USERNAME}', password='{PASSWORD}', name='马发布',\n"
        "                         org=Organization.objects.get(code='GZ'), roles_=['publisher'])\n"
        f"    User.objects.filter(username='{USERNAME}').update(must_change_password=False)\n")


def _password(page):
    page.goto("/login/")
    page.get_by_label("用户名").fill(USERNAME)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/login/code/$"))


def _code(page, value):
    page.get_by_label(re.compile("验证码")).fill(value)
    page.get_by_test_id("otp-form").get_by_role("button").first.click()


def _sign_out(page):
    page.locator("form[action='/logout/'] button").click()
    expect(page).to_have_url(re.compile(r"/login/"))


def test_enrolment_sign_in_with_a_code_and_with_a_recovery_code(open_as, app_server):
    _new_publisher(app_server)
    session = open_as(None, extra_http_headers={"X-Forwarded-For": "198.51.100.41"})
    page = session.page()

    # ---- first sign-in: the password, then the enrolment, before any session
    _password(page)
    expect(page.get_by_test_id("enrol-required")).to_be_visible()
    qr = page.get_by_test_id("otp-qr")
    expect(qr).to_be_visible()
    # the QR code is an image of its own (an SVG from the server): it has loaded and has a size
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=qr.element_handle(), timeout=10000)
    secret = page.get_by_test_id("otp-secret").inner_text().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    assert page.evaluate("fetch('/session/status/').then(r => r.json())")["authenticated"] is False
    shot(page, "two-factor-enrol")
    _code(page, "000000" if totp.code_at(secret, 0) != "000000" else "111111")  # a wrong first code
    expect(page.locator(".field.has-error")).to_contain_text("验证码不正确")
    _code(page, totp.fresh_code(secret))
    codes = page.get_by_test_id("recovery-code")
    expect(codes).to_have_count(10)
    recovery = codes.all_inner_texts()
    assert len(set(recovery)) == 10
    page.get_by_test_id("recovery-continue").click()
    expect(page.locator(".user-box")).to_contain_text("马发布")
    _sign_out(page)

    # ---- with the authenticator's code
    _password(page)
    expect(page.get_by_test_id("otp-qr")).to_have_count(0)
    _code(page, totp.fresh_code(secret))
    expect(page.locator(".user-box")).to_contain_text("马发布")
    page.goto("/account/two-factor/")
    expect(page.get_by_test_id("recovery-left")).to_have_text("10")
    _sign_out(page)

    # ---- with a recovery code: once
    _password(page)
    _code(page, recovery[0])
    expect(page.locator(".messages")).to_contain_text("还剩 9 个")
    expect(page.locator(".user-box")).to_contain_text("马发布")
    _sign_out(page)
    _password(page)
    _code(page, recovery[0])
    expect(page.locator(".field.has-error")).to_contain_text("验证码或恢复码不正确")
    assert page.evaluate("fetch('/session/status/').then(r => r.json())")["authenticated"] is False
