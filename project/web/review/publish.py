"""The publisher's pages: approved items waiting, publishing, retracting.

``web:publish_list`` lists workflow.selectors.submissions_awaiting_publication
and the user's recent publications (with a retract form where
workflow.permissions.retract_refusal allows it). ``web:publish`` shows the
exact approved revision and publishes it (workflow.services.submission_publish,
which checks 授权发布 and the approved hash); ``web:retract`` retracts a
publication with a required reason (workflow.services.publication_retract).
"""
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods
from guardian.core import ObjectPermissionChecker

from content import roles
from content.errors import Conflict, NotAllowed
from project.web.common import call_service, paginate, query_without_page
from project.web.review.views import state_text, visible_submission
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


def _require_publisher(user):
    if not (user.is_superuser or user.has_role(roles.PUBLISHER)):
        raise NotAllowed("只有授权发布人可以使用发布页面")


@login_required
def publish_list(request):
    user = request.user
    _require_publisher(user)
    page = paginate(request, workflow_selectors.submissions_awaiting_publication(user))
    recent = list(workflow_selectors.publications_of_publisher(user)[:RECENT_PUBLICATIONS])
    checker = ObjectPermissionChecker(user)
    checker.prefetch_perms(list({s.account for s in recent}))  # one query for every row's retract check
    published = [{"s": s, "p": s.publication,
                  "can_retract": workflow_permissions.retract_refusal(user, s, checker) is None}
                 for s in recent]
    return render(request, "web/publish/list.html", {
        "page": page, "query": query_without_page(request), "published": published,
        "retract_form": RetractForm(auto_id="id_%s"),
    })


def _publish_context(user, submission, form):
    refusal = workflow_permissions.publish_refusal(user, submission)
    if refusal and refusal[2] == workflow_permissions.FORBIDDEN and submission.state == states.APPROVED:
        raise NotAllowed(refusal[1])
    return {"submission": submission, "revision": submission.revision, "state_label": state_text(submission),
            "form": form if refusal is None else None, "refusal": refusal[1] if refusal else ""}


@login_required
@require_http_methods(["GET", "POST"])
def publish(request, pk):
    user = request.user
    _require_publisher(user)
    submission = visible_submission(user, pk)
    if request.method == "GET":
        return render(request, "web/publish/publish.html", _publish_context(user, submission, PublishForm()))
    form = PublishForm(request.POST)
    if form.is_valid():
        result, error = call_service(request, workflow_services.submission_publish, form=form,
                                     submission_id=submission.pk, external_url=form.cleaned_data["external_url"])
        if result is not None:
            messages.success(request, f"已发布：《{submission.revision.title}》（{submission.account.name}）")
            return redirect("web:publish_list")
        if isinstance(error, NotAllowed):
            raise error
        if isinstance(error, Conflict):
            current = workflow_selectors.submission_detail(submission.pk)
            messages.error(request, f"{error.message}。当前状态：{state_text(current)}")
            return redirect("web:publish", pk=submission.pk)
    return render(request, "web/publish/publish.html", _publish_context(user, submission, form), status=400)


@login_required
@require_http_methods(["GET", "POST"])
def retract(request, pk):
    """GET: the publication and the reason form; POST: retract."""
    user = request.user
    submission = workflow_selectors.submission_for_publication(pk)
    if submission is None or not workflow_permissions.can_view_submission(user, submission):
        raise NotAllowed("没有权限访问该发布记录")
    refusal = workflow_permissions.retract_refusal(user, submission)
    if refusal and refusal[2] == workflow_permissions.FORBIDDEN:
        raise NotAllowed(refusal[1])
    form = RetractForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            result, error = call_service(request, workflow_services.publication_retract, form=form,
                                         publication_id=submission.publication_id,
                                         reason=form.cleaned_data["reason"])
            if result is not None:
                messages.success(request, f"已撤稿：《{submission.revision.title}》，发布记录保留并标注撤稿原因。")
                return redirect("web:publish_list")
            if isinstance(error, NotAllowed):
                raise error
            if isinstance(error, Conflict):
                # call_service put the message on the form; a state change is a page message instead
                current = workflow_selectors.submission_for_publication(pk)
                messages.error(request, f"{error.message}。当前状态：{state_text(current)}")
                return redirect("web:retract", pk=pk)
        status = 400
    return render(request, "web/publish/retract.html", {
        "submission": submission, "publication": submission.publication, "form": form if refusal is None else None,
        "refusal": refusal[1] if refusal else "", "state_label": state_text(submission)}, status=status)

