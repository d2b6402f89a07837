"""The re-check pages (已发布内容复查): the list of re-checks with the form
that starts one for an account or a unit and period, and one re-check's
result — per account, the published items that now have findings, each with
links to its draft and its audit trail, for a person to decide whether to
correct (a retraction or correction through the existing workflow)."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from content import selectors as content_selectors
from content.errors import NotAllowed
from operations import permissions, selectors, services
from project.web.common import call_service


def _home_org(user):
    return user.org if user.org_id else None


@login_required
@require_http_methods(["GET", "POST"])
def recheck_list(request):
    user = request.user
    org = _home_org(user)
    may_run = user.is_superuser or (org is not None and permissions.can_run_recheck(user, org))
    if request.method == "POST":
        values = request.POST
        account = values.get("account", "").strip()
        run, error = call_service(request, services.recheck_request, account_id=account or None,
                                  org_id=None if account else values.get("org") or (org.pk if org else None),
                                  date_from=values.get("date_from", ""), date_to=values.get("date_to", ""))
        if error is None:
            messages.success(request, "已发起复查，完成后刷新本页查看结果。")
            return redirect("web:recheck_detail", pk=run.pk)
        return redirect("web:rechecks")
    today = timezone.localdate()
    accounts = list(content_selectors.accounts_in_scope(user).order_by("org__path", "name")[:500]) if may_run else []
    return render(request, "web/operations/rechecks.html", {
        "runs": list(selectors.recheck_runs_visible(user=user)[:50]), "may_run": may_run, "accounts": accounts,
        "date_from": today.replace(month=1, day=1), "date_to": today,
    })


@login_required
def recheck_detail(request, pk):
    run = selectors.recheck_run_visible_to(request.user, pk)
    if run is None:
        raise NotAllowed("没有权限访问该复查记录")
    return render(request, "web/operations/recheck_detail.html", {
        "run": run, "groups": selectors.recheck_items_by_account(run, user=request.user),
    })
