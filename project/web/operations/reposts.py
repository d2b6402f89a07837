"""The repost assignment pages (重要信息转载): the list with the form that
assigns one, an assignment's page (who has and who has not reposted, found
from their publications), its .xlsx export. Drafts are prefilled from an
assignment by the editor's page (/drafts/new/?assignment=ID)."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from content import selectors as content_selectors
from content.errors import NotAllowed
from operations import permissions, selectors, services
from project.shared.files import repost_export_response
from project.web.common import call_service

HIDDEN = "没有权限访问该转载任务"


@login_required
@require_http_methods(["GET", "POST"])
def repost_list(request):
    user = request.user
    org = user.org if user.org_id else None
    may_assign = org is not None and permissions.can_assign_repost(user, org)
    status = 200
    if request.method == "POST":
        if org is None:
            raise NotAllowed("没有所属单位，不能布置转载任务")
        values = request.POST
        assignment, error = call_service(
            request, services.repost_assign, org_id=org.pk, title=values.get("title", ""),
            source_name=values.get("source_name", ""), original_url=values.get("original_url", ""),
            deadline=values.get("deadline", ""), account_ids=values.getlist("accounts"),
            target_org_id=values.get("target_org") or None, original_title=values.get("title", ""),
            note=values.get("note", ""))
        if error is None:
            messages.success(request, "已布置转载任务。")
            return redirect("web:repost_detail", pk=assignment.pk)
        status = 400  # the message is on the page
    return render(request, "web/operations/reposts.html", {
        "assignments": selectors.repost_assignments_visible(user=user), "may_assign": may_assign,
        "units": list(content_selectors.org_subtree(org)) if may_assign else [],
        "accounts": list(content_selectors.open_accounts_in_subtree(org)[:500]) if may_assign else [],
        "today": timezone.localdate(),
    }, status=status)


@login_required
def repost_detail(request, pk):
    assignment = selectors.repost_assignment_visible_to(request.user, pk)
    if assignment is None:
        raise NotAllowed(HIDDEN)
    rows = selectors.repost_status(assignment)
    return render(request, "web/operations/repost_detail.html", {
        "a": assignment, "done": [r for r in rows if r.done], "missing": [r for r in rows if not r.done],
        "today": timezone.localdate(),
    })


@login_required
def repost_export(request, pk):
    return repost_export_response(request.user, pk)
