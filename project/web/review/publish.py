"""The publisher's pages: approved items waiting, publishing, retracting.

``web:publish_list`` lists workflow.selectors.submissions_awaiting_publication
and the user's recent publications (with a retract form where
workflow.permissions.retract_refusal allows it). ``web:publish`` shows the
exact approved revision with who passed each tier (the approving round's
sign-offs) and publishes it (workflow.services.submission_publish, which checks
授权发布 and the approved hash); ``web:retract`` is the confirmation step of a
retraction: a required reason and a box to tick, checked on the server, which
also reminds the publisher that the post must be deleted on the platform by
hand (workflow.services.publication_retract marks the record only). Opening
the publish page marks the publisher's notifications that link to it read.
"""
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods

from content import permissions as content_permissions
from content import selectors as content_selectors
from content.sanitize import display_html
from project.web.common import call_service, paginate, query_without_page
from project.web.review.channels import ScheduleForm
from project.web.review.notifications import mark_read_on_open
from project.web.review.views import state_text
from reviewers import selectors as reviewer_selectors
from workflow import permissions as workflow_permissions
from workflow import selectors as workflow_selectors
from workflow import services as workflow_services
from workflow import states

RECENT_PUBLICATIONS = 20


class PublishForm(forms.Form):
    external_url = forms.CharField(
        label="外部链接（发布后的网址）", required=False, max_length=500,
        widget=forms.URLInput(attrs={"placeholder": "https://", "data-testid": "publish-url"}),
        help_text="可选：发布到平台后的文章链接，记入发布记录和审计日志",
        error_messages={"max_length": "外部链接不能超过 500 个字符"})


class RetractForm(forms.Form):
    reason = forms.CharField(
        label="撤稿原因", max_length=2000, widget=forms.Textarea(attrs={"rows": 2, "data-testid": "retract-reason"}),
        error_messages={"required": "撤稿必须填写原因", "max_length": "撤稿原因不能超过 2000 个字符"})
    confirm = forms.BooleanField(
        label="我已确认撤稿，并将到平台上删除已发布的文章", required=True,
        widget=forms.CheckboxInput(attrs={"data-testid": "retract-confirm"}),
        error_messages={"required": "请勾选确认：撤稿只在本系统中标注，平台上的文章须由您手动删除"})


def platform_reminder(submission, publication):
    """What the publisher must still do himself: delete the post on the platform
    (the connectors do not delete it yet)."""
    account = submission.account
    if publication.channel != "manual" and publication.reached_published:
        return (f"系统将请求{account.get_platform_display()}删除“{account.name}”上的这篇文章，"
                "删除结果记录在发布记录中；删除失败时请到平台上手动删除。")
    where = f"“{account.name}”（{account.get_platform_display()}）"
    url = f"：{publication.external_url}" if publication.external_url else ""
    return f"请登录{where}删除已发布的文章{url}。本系统只标注撤稿，不会删除平台上的文章。"


def _require_publisher(user):
    """The publisher's pages are the publishers' (the same role check as publish_refusal's)."""
    refusal = workflow_permissions.publishing_refusal(user)
    if refusal:
        refusal.raise_()


@login_required
def publish_list(request):
    user = request.user
    _require_publisher(user)
    page = paginate(request, workflow_selectors.submissions_awaiting_publication(user))
    recent = list(workflow_selectors.publications_of_publisher(user)[:RECENT_PUBLICATIONS])
    checker = content_permissions.AccountPermissionChecker(user)
    checker.prefetch_perms(list({s.account for s in recent}))  # one query for every row's retract check
    published = [{"s": s, "p": s.publication,
                  "can_retract": workflow_permissions.retract_refusal(user, s, checker) is None}
                 for s in recent]
    return render(request, "web/publish/list.html", {
        "page": page, "query": query_without_page(request), "published": published,
    })


def signoffs(submission):
    """Who passed each tier of the round that approved the revision (one query)."""
    if not submission.current_round_id:
        return []
    return list(reviewer_selectors.decisions_of_rounds([submission.current_round_id]))


def _publish_context(user, submission, form):
    refusal = workflow_permissions.publish_refusal(user, submission)
    if refusal and refusal.forbidden:
        refusal.raise_()  # 403, as the API answers
    return {"submission": submission, "revision": submission.revision, "state_label": state_text(submission),
            "body": mark_safe(display_html(submission.revision.body_html)),
            "signoffs": signoffs(submission) if submission.state in (states.APPROVED, states.PUBLISHED) else [],
            "form": form if refusal is None else None, "refusal": refusal.message if refusal else "",
            "channel": content_selectors.channel_of(submission.account_id), "schedule_form": ScheduleForm()}


def _state_message(error, current):
    return f"{error.message}。当前状态：{state_text(current)}"


@login_required
@require_http_methods(["GET", "POST"])
def publish(request, pk):
    user = request.user
    _require_publisher(user)
    submission = workflow_selectors.submission_visible_to(user, pk)
    if request.method == "GET":
        context = _publish_context(user, submission, PublishForm())  # refuses first, then the page counts as opened
        mark_read_on_open(request, submission_ids=[submission.pk])
        return render(request, "web/publish/publish.html", context)
    form = PublishForm(request.POST)
    if form.is_valid():
        result, _error = call_service(
            request, workflow_services.submission_publish, form=form, submission_id=submission.pk,
            external_url=form.cleaned_data["external_url"], on_conflict=reverse("web:publish", args=[submission.pk]),
            conflict_message=lambda error: _state_message(error, workflow_selectors.submission_detail(submission.pk)))
        if result is not None:
            if result.publication.state == "sending":
                messages.success(request, f"正在发送：《{submission.revision.title}》（{submission.account.name}），"
                                          "平台确认后将通知您")
                return redirect("web:publication", pk=result.publication_id)
            messages.success(request, f"已发布：《{submission.revision.title}》（{submission.account.name}）")
            return redirect("web:publish_list")
    return render(request, "web/publish/publish.html", _publish_context(user, submission, form), status=400)


@login_required
@require_http_methods(["GET", "POST"])
def retract(request, pk):
    """GET: the publication and the reason form; POST: retract."""
    user = request.user
    submission = workflow_selectors.publication_visible_to(user, pk)
    refusal = workflow_permissions.retract_refusal(user, submission)
    if refusal and refusal.forbidden:
        refusal.raise_()  # 403, as the API answers
    form = RetractForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            result, _error = call_service(
                request, workflow_services.publication_retract, form=form,
                publication_id=submission.publication_id, reason=form.cleaned_data["reason"],
                on_conflict=reverse("web:retract", args=[pk]),
                conflict_message=lambda error: _state_message(error, workflow_selectors.submission_for_publication(pk)))
            if result is not None:
                messages.success(request, f"已撤稿：《{submission.revision.title}》，发布记录保留并标注撤稿原因。"
                                          + platform_reminder(submission, submission.publication))
                return redirect("web:publish_list")
        status = 400
    return render(request, "web/publish/retract.html", {
        "submission": submission, "publication": submission.publication, "form": form if refusal is None else None,
        "refusal": refusal.message if refusal else "", "state_label": state_text(submission),
        "reminder": platform_reminder(submission, submission.publication)}, status=status)
