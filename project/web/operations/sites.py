"""The website patrol pages (网站自动巡查): a report per site — summary of the
latest (or a chosen) run, its findings by kind with 核实/排除 for each one
awaiting a person, the trend against earlier runs — and the forms that start
a run, set the schedule, confirm or dismiss a finding. Every write goes
through operations.services; every page asks operations.permissions."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from content.errors import NotAllowed
from operations import permissions, selectors, services, states
from project.web.common import call_service
from workflow import selectors as workflow_selectors

HIDDEN_FINDING = "没有权限访问该巡查发现"


def _account(user, pk):
    account = workflow_selectors.account_visible_to(user, pk)
    if not permissions.can_view_operations(user, account.org):
        raise NotAllowed("没有权限查看该账号的网站巡查")
    return account


def _trend(runs):
    """Earlier runs, oldest first, with their counts per kind (the report's trend table)."""
    rows = []
    for run in reversed(runs):
        counts = run.counts or {}
        rows.append({"run": run, "cells": [(label, counts.get(kind, 0)) for kind, label in states.FINDING_KIND_LABELS.items()],
                     "total": sum(counts.values())})
    return rows


@login_required
def site_report(request, pk):
    user = request.user
    account = _account(user, pk)
    runs = selectors.site_patrol_runs(account)
    run = None
    wanted = request.GET.get("run")
    if wanted:
        run = selectors.site_patrol_run_visible_to(user, wanted)
        if run is None or run.account_id != account.pk:
            raise NotAllowed("没有权限访问该巡查记录")
    elif runs:
        run = next((r for r in runs if r.state == states.RUN_DONE), runs[0])
    findings = selectors.site_findings_of(run) if run else []
    groups = []
    for kind, label in states.FINDING_KIND_LABELS.items():
        rows = [f for f in findings if f.kind == kind]
        if rows:
            groups.append({"kind": kind, "label": label, "rows": rows})
    return render(request, "web/operations/site_report.html", {
        "account": account, "run": run, "runs": runs, "groups": groups, "trend": _trend(runs),
        "kinds": list(states.FINDING_KIND_LABELS.values()),
        "pending": sum(1 for f in findings if f.status == states.FINDING_PENDING),
        "address": selectors.account_web_address(account), "schedule": selectors.site_patrol_schedule(account),
        "may_run": permissions.can_run_site_patrol(user, account),
        "may_decide": permissions.can_inspect(user, account.org),
        "running": selectors.site_patrol_active(account.pk),
    })


@login_required
@require_POST
def site_run(request, pk):
    account = _account(request.user, pk)
    run, error = call_service(request, services.site_patrol_request, account_id=account.pk)
    if error is None:
        messages.success(request, "已发起网站巡查，完成后刷新本页查看报告。")
    return redirect("web:site_report", pk=account.pk)


@login_required
@require_POST
def site_schedule(request, pk):
    account = _account(request.user, pk)
    active = request.POST.get("active") == "1"
    _schedule, error = call_service(request, services.site_patrol_schedule_set, account_id=account.pk,
                                    every_days=request.POST.get("every_days", ""), active=active)
    if error is None:
        messages.success(request, "巡查计划已保存。" if active else "已停止定期巡查。")
    return redirect("web:site_report", pk=account.pk)


@login_required
@require_POST
def site_finding_decide(request, pk, decision):
    finding = selectors.site_finding_visible_to(request.user, pk)
    if finding is None:
        raise NotAllowed(HIDDEN_FINDING)
    service = services.site_finding_confirm if decision == "confirm" else services.site_finding_dismiss
    _finding, error = call_service(request, service, finding_id=finding.pk, note=request.POST.get("note", ""))
    if error is None:
        messages.success(request, "已核实该发现。" if decision == "confirm" else "已排除该发现，今后不再报告。")
    return redirect(f"{_report_url(finding)}#finding-{finding.pk}")


def _report_url(finding):
    return reverse("web:site_report", args=[finding.account_id]) + f"?run={finding.run_id}"
