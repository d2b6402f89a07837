"""Two factors on the pages (GB/T 22239 8.1.4.1 d): the sign-in's second step,
enrolment (QR code drawn here with segno, served as an SVG image so that the
page keeps its Content-Security-Policy: no inline script or style, img-src
'self') and the user's own page (status, enrolment, new recovery codes).

The session is signed in (``auth.login``) only after both factors: after the
right password a user who needs a second factor
(content.selectors.second_factor_applies) gets a *pending* step in his
anonymous session (his id, his password's auth hash, when, where to go next),
valid MFA_PENDING_SECONDS, and ``/login/code/`` asks for his authenticator's
code or one recovery code; a user who must have one and has none enrols there
first (QR, secret, first code), and sees his ten recovery codes once. Every
code tried there is a login attempt of project.lockout (a wrong one counts and
locks like a wrong password). The admin's login (/admin/login/) leads into the
same step.
"""
import io
import time
from base64 import b32encode

import segno
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import REDIRECT_FIELD_NAME, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from content import selectors as content_selectors
from content import services as content_services
from content.errors import ValidationFailed
from project import lockout
from project.web.common import call_service

PENDING_KEY = "_second_factor_pending"

WRONG_CODE = "验证码或恢复码不正确；连续错误 5 次将锁定账号 30 分钟。"
WRONG_FIRST_CODE = "验证码不正确：请输入身份验证器当前显示的 6 位数字；连续错误 5 次将锁定账号 30 分钟。"
LOCKED = "错误次数过多，账号已锁定，请稍后再试或联系安全管理员。"


# ---------------------------------------------------------------- the pending step

def ask_second_factor(request, user, next_url):
    """The password was right and a code is needed: remember the user in
    this (still anonymous) session for the code step, and go there."""
    request.session.cycle_key()
    request.session[PENDING_KEY] = {"user": user.pk, "backend": user.backend, "hash": user.get_session_auth_hash(),
                                    "at": int(time.time()), "next": next_url}
    return redirect("web:login_code")


def pending_sign_in(request):
    """(user, pending data) of the session's pending step, or None (none,
    too old, the user deactivated or his password changed since)."""
    data = request.session.get(PENDING_KEY) if hasattr(request, "session") else None
    if not isinstance(data, dict):
        return None
    user = content_selectors.user_by_id(data.get("user") or 0)
    fresh = time.time() - data.get("at", 0) <= settings.MFA_PENDING_SECONDS
    if user is None or not user.is_active or not fresh or not constant_time_compare(
            data.get("hash", ""), user.get_session_auth_hash()):
        request.session.pop(PENDING_KEY, None)
        return None
    return user, data


class TwoStepLogin:
    """A LoginView whose right password signs in only users without a second factor."""

    def form_valid(self, form):
        user = form.get_user()
        if content_selectors.second_factor_applies(user):
            return ask_second_factor(self.request, user, self.get_success_url())
        return super().form_valid(form)


class AdminLoginView(TwoStepLogin, auth_views.LoginView):
    pass


@never_cache
def admin_login(request):
    """/admin/login/: the admin's own form (staff only, AdminAuthenticationForm),
    with the same second step as the site's login page (AdminSite.login's
    context, as Django builds it)."""
    site = admin.site
    if request.method == "GET" and site.has_permission(request):
        return redirect(reverse("admin:index", current_app=site.name))
    context = {**site.each_context(request), "title": _("Log in"), "subtitle": None,
               "app_path": request.get_full_path(), "username": request.user.get_username()}
    if REDIRECT_FIELD_NAME not in request.GET and REDIRECT_FIELD_NAME not in request.POST:
        context[REDIRECT_FIELD_NAME] = reverse("admin:index", current_app=site.name)
    request.current_app = site.name
    return AdminLoginView.as_view(extra_context=context, authentication_form=AdminAuthenticationForm,
                                  template_name="admin/login.html")(request)


class CodeForm(forms.Form):
    otp = forms.CharField(label="验证码", max_length=32, strip=True,
                          widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text",
                                                        "autofocus": True}),
                          error_messages={"required": "请输入验证码"})

    def __init__(self, *args, enrolling=False, **kwargs):
        super().__init__(*args, **kwargs)
        if enrolling:
            self.fields["otp"].help_text = "身份验证器中本系统的 6 位数字验证码。"
        else:
            self.fields["otp"].label = "验证码或恢复码"
            self.fields["otp"].help_text = ("身份验证器显示的 6 位数字；设备不在身边时，可输入一个恢复码"
                                            "（每个只能用一次）。")


def _secret_groups(device):
    """The device's secret in base32, in groups of four (to type it in by hand)."""
    text = b32encode(device.bin_key).decode()
    return " ".join(text[i:i + 4] for i in range(0, len(text), 4))


def _enrolment_context(device):
    return {"secret": _secret_groups(device), "qr_url": reverse("web:account_two_factor_qr")}


def _recovery_codes_page(request, codes, next_url, status=200):
    response = render(request, "web/account/recovery_codes.html", {"codes": codes, "next": next_url}, status=status)
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def login_code(request):
    """The sign-in's second step (or, for a user who must have a second
    factor and has none, his enrolment)."""
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    pending = pending_sign_in(request)
    if pending is None:
        messages.warning(request, "请输入用户名和密码登录。")
        return redirect("web:login")
    user, data = pending
    enrolling = content_selectors.totp_device_of(user) is None
    device = content_services.second_factor_enrol_begin(actor=user) if enrolling else None
    form = CodeForm(request.POST or None, enrolling=enrolling)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["otp"]
        found = {}

        def verify():
            if enrolling:
                try:
                    found["codes"] = content_services.second_factor_enrol_confirm(actor=user, code=code)
                except ValidationFailed:
                    return False
                return True
            found["factor"] = content_services.second_factor_verify(user=user, code=code)
            return found["factor"] is not None

        answer = lockout.second_factor_check(request, username=user.username, verify=verify,
                                             factor="otp_enrol" if enrolling else "otp")
        if answer == lockout.SECOND_FACTOR_LOCKED:
            request.session.pop(PENDING_KEY, None)
            messages.error(request, LOCKED)
            return redirect("web:login")
        if answer:
            request.session.pop(PENDING_KEY, None)
            login(request, user, backend=data["backend"])
            if enrolling:
                return _recovery_codes_page(request, found["codes"], data["next"])
            if found["factor"] == "recovery":
                messages.warning(request, "您使用了一个恢复码登录（已失效），还剩 %d 个；如设备丢失，请联系安全管理员重置。"
                                 % content_selectors.recovery_codes_left(user))
            return redirect(data["next"])
        form.add_error("otp", WRONG_FIRST_CODE if enrolling else WRONG_CODE)
    context = {"form": form, "enrolling": enrolling, "pending_user": user, **(_enrolment_context(device) if enrolling else {})}
    return render(request, "web/login_code.html", context, status=400 if request.method == "POST" else 200)


@never_cache
@require_GET
def enrolment_qr(request):
    """The QR code of the enrolment under way (the signed-in user's, or the
    pending sign-in's): an SVG image, never cached."""
    user = request.user if request.user.is_authenticated else (pending_sign_in(request) or (None,))[0]
    device = content_selectors.totp_device_of(user, confirmed=False) if user is not None else None
    if device is None:
        raise Http404("没有进行中的绑定")
    buffer = io.BytesIO()
    segno.make(device.config_url, error="m").save(buffer, kind="svg", scale=5, border=2, xmldecl=False,
                                                  title="绑定身份验证器的二维码")
    response = HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------- the user's own page

@login_required
@require_GET
def two_factor(request):
    status = content_selectors.second_factor_status(request.user)
    return render(request, "web/account/two_factor.html", {"status": status})


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_enrol(request):
    """Enrol of one's own accord (or because a role now needs it): QR, secret, first code."""
    if content_selectors.totp_device_of(request.user) is not None:
        messages.info(request, "已绑定身份验证器。")
        return redirect("web:account_two_factor")
    device = content_services.second_factor_enrol_begin(actor=request.user)
    form = CodeForm(request.POST or None, enrolling=True)
    if request.method == "POST" and form.is_valid():
        codes, error = call_service(request, content_services.second_factor_enrol_confirm, form=form,
                                    code=form.cleaned_data["otp"])
        if error is None:
            return _recovery_codes_page(request, codes, reverse("web:account_two_factor"))
    return render(request, "web/account/two_factor_enrol.html", {"form": form, **_enrolment_context(device)},
                  status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def two_factor_recovery_codes(request):
    """Ten new recovery codes (the old ones stop working), shown once."""
    codes, error = call_service(request, content_services.recovery_codes_regenerate)
    if error is not None:
        return redirect("web:account_two_factor")
    return _recovery_codes_page(request, codes, reverse("web:account_two_factor"))
