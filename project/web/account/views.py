"""我的账号: the user's active sign-ins (browsers and API tokens: device,
address, last seen) with ending any of them (content.services.sign_in_end),
and changing his password (content.services.user_set_password: the rules,
the history, every other session and token ended). Both audited by the
services."""
from django import forms
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from content import selectors as content_selectors
from content import services as content_services
from project.api.authentication import token_ttl
from project.web.common import call_service


@login_required
def sessions(request):
    rows = content_selectors.sign_ins_active(request.user, token_ttl=token_ttl())
    current = request.session.session_key
    return render(request, "web/account/sessions.html", {"rows": rows, "current": current})


@login_required
@require_POST
def session_end(request, pk):
    sign_in = content_services.sign_in_end(actor=request.user, sign_in_id=pk)
    if sign_in.session_key and sign_in.session_key == request.session.session_key:
        return redirect("web:login")
    messages.success(request, "已结束该会话。")
    return redirect("web:account_sessions")


class PasswordForm(forms.Form):
    old_password = forms.CharField(label="原密码", widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
                                   strip=False)
    password = forms.CharField(label="新密码", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                               strip=False,
                               help_text="至少 8 位，包含大写字母、小写字母、数字、符号中的至少三类；不能与用户名、"
                                         "姓名相近，不能是常见密码，不能与最近 5 次用过的密码相同。")
    password2 = forms.CharField(label="确认新密码", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                                strip=False)

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password2") and data["password"] != data["password2"]:
            self.add_error("password2", "两次输入的新密码不一致")
        return data


@login_required
@require_http_methods(["GET", "POST"])
def password_change(request):
    form = PasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _user, error = call_service(request, content_services.user_set_password, form=form, user_id=request.user.pk,
                                    password=form.cleaned_data["password"],
                                    old_password=form.cleaned_data["old_password"],
                                    keep_session_key=request.session.session_key or "")
        if error is None:
            # Keep this session signed in (its auth hash changed with the password).
            request.user.refresh_from_db()
            old_key = request.session.session_key
            update_session_auth_hash(request, request.user)
            content_services.sign_in_rekey(old_key=old_key, new_key=request.session.session_key)
            messages.success(request, "密码已修改；您在其他设备上的登录和接口令牌已失效。")
            return redirect("web:home")
    status = 400 if request.method == "POST" else 200
    return render(request, "web/account/password.html", {"form": form}, status=status)
