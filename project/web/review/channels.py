"""Pages of publishing through a channel (the API's twins: project/api/publishing.py).

``web:channel`` — an account's publishing channel, kept by the unit
administrators (content.permissions.channel_refusal): manual, WeChat official
account (AppID, AppSecret, optional interface address; the callback address
and token to enter in the WeChat console are shown) or website webhook
(address, signing key). Secrets are write-only: the form never shows them,
an empty field keeps the stored one.
``web:publication`` — one publication's delivery: its state, the platform's
address or error, and for a failed delivery the publisher's two ways on:
send again (``web:publication_retry``) or publish by hand and give the address
(``web:publication_manual``).
``web:schedule`` schedules an approved item from its publish page;
``web:schedules`` is an account's queue of scheduled items, each moved
(``web:schedule_move``) or cancelled (``web:schedule_cancel``) there.
"""
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from content import permissions as content_permissions
from content import selectors as content_selectors
from content import services as content_services
from content.errors import NotFound
from content.models import ChannelKind
from project.web.common import call_service
from workflow import permissions as workflow_permissions
from workflow import selectors as workflow_selectors
from workflow import services as workflow_services


class ChannelForm(forms.Form):
    kind = forms.ChoiceField(label="发布渠道", choices=ChannelKind.choices,
                             widget=forms.Select(attrs={"data-testid": "channel-kind"}))
    app_id = forms.CharField(label="公众号 AppID", required=False, max_length=64,
                             widget=forms.TextInput(attrs={"data-testid": "channel-app-id"}))
    app_secret = forms.CharField(label="公众号 AppSecret", required=False, max_length=500,
                                 widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                                 help_text="只写：保存后不再显示；不填则保留已保存的")
    api_base = forms.CharField(label="接口地址（可选）", required=False, max_length=300,
                               help_text="默认使用系统设置 WECHAT_API_BASE（微信官方接口）")
    url = forms.CharField(label="网站 Webhook 地址", required=False, max_length=500,
                          widget=forms.URLInput(attrs={"placeholder": "https://"}))
    secret = forms.CharField(label="Webhook 签名密钥", required=False, max_length=500,
                             widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                             help_text="只写，至少 16 个字符；不填则保留已保存的")


def _channel_account(user, pk):
    account = workflow_selectors.account_visible_to(user, pk)
    refusal = content_permissions.channel_refusal(user, account)
    if refusal:
        refusal.raise_()
    return account


@login_required
@require_http_methods(["GET", "POST"])
def channel(request, pk):
    account = _channel_account(request.user, pk)
    current = content_selectors.channel_of(account.pk)
    initial = {"kind": current.kind, "app_id": current.app_id, "api_base": current.api_base,
               "url": current.url} if current else {"kind": ChannelKind.MANUAL}
    form = ChannelForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            result, _error = call_service(request, content_services.channel_set, form=form, account_id=account.pk,
                                          **form.cleaned_data)
            if result is not None:
                messages.success(request, f"已保存“{account.name}”的发布渠道：{result.get_kind_display()}")
                return redirect("web:channel", pk=account.pk)
        status = 400
    wechat = current is not None and current.kind == ChannelKind.WECHAT
    return render(request, "web/publish/channel.html", {
        "account": account, "form": form, "current": current, "has_secret": bool(current and current.secret),
        "callback_url": settings.PUBLISH_SITE_URL + reverse("hook-wechat", args=[account.pk]) if wechat else "",
    }, status=status)


# ---------------------------------------------------------------- one publication's delivery

class ManualForm(forms.Form):
    external_url = forms.CharField(label="人工发布后的文章链接", max_length=500,
                                   widget=forms.URLInput(attrs={"placeholder": "https://",
                                                                "data-testid": "manual-url"}),
                                   error_messages={"required": "请填写在平台上发布后的文章链接"})


def _delivery_context(user, submission, manual_form=None):
    publication = submission.publication
    can_act = workflow_permissions.delivery_refusal(user, submission) is None
    return {"submission": submission, "publication": publication, "can_act": can_act,
            "manual_form": (manual_form or ManualForm()) if can_act else None,
            "can_retract": workflow_permissions.retract_refusal(user, submission) is None}


@login_required
def publication(request, pk):
    submission = workflow_selectors.publication_visible_to(request.user, pk)
    return render(request, "web/publish/publication.html", _delivery_context(request.user, submission))


def _refuse_unless_delivery_allowed(user, submission):
    refusal = workflow_permissions.delivery_refusal(user, submission)
    if refusal and refusal.forbidden:
        refusal.raise_()


@login_required
@require_POST
def publication_retry(request, pk):
    submission = workflow_selectors.publication_visible_to(request.user, pk)
    _refuse_unless_delivery_allowed(request.user, submission)
    result, _error = call_service(request, workflow_services.publication_retry, publication_id=pk,
                                  on_conflict=reverse("web:publication", args=[pk]))
    if result is not None:
        messages.success(request, "已重新发送，平台确认后将通知您")
    return redirect("web:publication", pk=pk)


@login_required
@require_POST
def publication_manual(request, pk):
    submission = workflow_selectors.publication_visible_to(request.user, pk)
    _refuse_unless_delivery_allowed(request.user, submission)
    form = ManualForm(request.POST)
    if form.is_valid():
        result, _error = call_service(request, workflow_services.publication_complete_manually, form=form,
                                      publication_id=pk, external_url=form.cleaned_data["external_url"],
                                      on_conflict=reverse("web:publication", args=[pk]))
        if result is not None:
            messages.success(request, "已改为人工发布并记录文章链接")
            return redirect("web:publication", pk=pk)
    submission = workflow_selectors.publication_visible_to(request.user, pk)
    return render(request, "web/publish/publication.html", _delivery_context(request.user, submission, form),
                  status=400)


# ---------------------------------------------------------------- scheduled publishing

class ScheduleForm(forms.Form):
    scheduled_for = forms.DateTimeField(
        label="定时发布时间（本单位时区）", input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "data-testid": "schedule-time"}),
        error_messages={"required": "请填写定时发布时间", "invalid": "时间格式不正确"})


@login_required
@require_POST
def schedule(request, pk):
    """Schedule an approved submission (from its publish page)."""
    submission = workflow_selectors.submission_visible_to(request.user, pk)
    refusal = workflow_permissions.publish_refusal(request.user, submission)
    if refusal and refusal.forbidden:
        refusal.raise_()
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
        return redirect("web:publish", pk=pk)
    result, _error = call_service(request, workflow_services.submission_schedule, submission_id=pk,
                                  scheduled_for=form.cleaned_data["scheduled_for"],
                                  on_conflict=reverse("web:publish", args=[pk]))
    if result is None:
        return redirect("web:publish", pk=pk)
    messages.success(request, f"已安排于 {result.scheduled_for:%Y-%m-%d %H:%M} 发布（到时重新检查全部规则）")
    return redirect("web:schedules", pk=submission.account_id)


@login_required
def schedules(request, pk):
    account = workflow_selectors.account_visible_to(request.user, pk)
    refusal = workflow_permissions.schedule_queue_refusal(request.user, account)
    if refusal:
        refusal.raise_()
    return render(request, "web/publish/schedules.html", {
        "account": account, "schedules": list(workflow_selectors.account_schedules(account.pk)),
        "form": ScheduleForm()})


def _schedule_account(request, pk):
    found = workflow_selectors.schedule_account_id(pk)
    if found is None:
        raise NotFound("定时发布安排不存在")
    return found


@login_required
@require_POST
def schedule_move(request, pk):
    account_id = _schedule_account(request, pk)
    form = ScheduleForm(request.POST)
    if form.is_valid():
        result, _error = call_service(request, workflow_services.schedule_move, schedule_id=pk,
                                      scheduled_for=form.cleaned_data["scheduled_for"],
                                      on_conflict=reverse("web:schedules", args=[account_id]))
        if result is not None:
            messages.success(request, f"已改为 {result.scheduled_for:%Y-%m-%d %H:%M} 发布")
    else:
        messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
    return redirect("web:schedules", pk=account_id)


@login_required
@require_POST
def schedule_cancel(request, pk):
    account_id = _schedule_account(request, pk)
    result, _error = call_service(request, workflow_services.schedule_cancel, schedule_id=pk,
                                  on_conflict=reverse("web:schedules", args=[account_id]))
    if result is not None:
        messages.success(request, "已取消定时发布")
    return redirect("web:schedules", pk=account_id)
