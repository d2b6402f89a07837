"""The reviewer's pages: the live queue, claiming, the review page and the decision.

The queue (``web:queue``) lists workflow.selectors.review_queue_filtered:
filters and sort come from GET through ``QueueFilterForm`` (an invalid value
is ignored with a message, never a 500); ``?fragment=1`` returns only the
table body, which static/web/queue.js fetches again whenever the websocket
(project/web/consumers.py) reports a change, so the server re-applies
permissions and filters. The review page shows the revision with its
pre-check findings, the diff against the previous round, the history and —
when workflow.permissions.decide_refusal lets the user — the five-dimension
decision form. A decision that lost a race (``Conflict``) comes back to the
review page with a message naming the current state, never an error page
(project.web.common.call_service's ``on_conflict``).
"""
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from project.api.review_admin import record_pdf_response
from project.middleware import mark_session_passive
from project.web.autosave import progress as autosave
from content.sanitize import display_html
from project.shared.choices import choice_labels
from project.web.common import call_service, paginate, pk_url, query_without_page
from project.web.diff import diff_has_changes, diff_revisions
from content import selectors as content_selectors
from content.models import MediaAccount
from reviewers import checklist
from reviewers import permissions as reviewer_permissions
from reviewers import selectors as reviewer_selectors
from reviewers.models import SEVERITY_LABELS
from workflow import permissions as workflow_permissions
from workflow import selectors as workflow_selectors
from workflow import services as workflow_services
from workflow import states

DIMENSIONS = checklist.DIMENSIONS
VERDICT_CHOICES = [(v, checklist.VERDICT_LABELS[v]) for v in checklist.VERDICTS]
OUTCOME_PASS, OUTCOME_RETURN = "pass", "return"


# ---------------------------------------------------------------- helpers

def require_reviewer(user):
    """The queue is the reviewers' (the API's /review-queue/ asks the same function)."""
    refusal = workflow_permissions.queue_refusal(user)
    if refusal:
        refusal.raise_()


def state_text(submission):
    """"审核中（复审）", "退回修改", ... for messages."""
    text = str(states.STATE_LABELS[submission.state])
    if submission.state == states.IN_REVIEW and submission.current_task_id:
        text += f"（{submission.current_task.tier_name}）"
    return text


def _safe_next(request, default):
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default


# ---------------------------------------------------------------- the queue

CLAIM_CHOICES = [("", "全部"), ("unclaimed", "未认领"), ("mine", "我认领的"), ("others", "他人认领的"),
                 ("claimed", "已认领")]
SORT_CHOICES = [("due", "截止时间（最早在前）"), ("-due", "截止时间（最晚在前）"), ("submitted", "提交时间（最早在前）"),
                ("-submitted", "提交时间（最新在前）"), ("account", "账号名称")]


class QueueFilterForm(forms.Form):
    account = forms.TypedChoiceField(label="账号", required=False, coerce=int, empty_value=None,
                                     error_messages={"invalid_choice": "账号不在您的审核范围内"})
    tier = forms.TypedChoiceField(label="审核层级", required=False, coerce=int, empty_value=None,
                                  error_messages={"invalid_choice": "您不持有该审核层级"})
    claimed = forms.ChoiceField(label="认领情况", required=False, choices=CLAIM_CHOICES,
                                error_messages={"invalid_choice": "认领情况的取值无效"})
    q = forms.CharField(label="标题包含", required=False, max_length=100,
                        error_messages={"max_length": "标题关键词不能超过 100 个字符"})
    sort = forms.ChoiceField(label="排序", required=False, choices=SORT_CHOICES,
                             error_messages={"invalid_choice": "排序方式无效"})
    overdue = forms.BooleanField(label="仅看已超时", required=False)

    def __init__(self, data=None, *, accounts=(), tiers=()):
        super().__init__(data)
        self.fields["account"].choices = [("", "全部账号")] + [
            (a.pk, f"{a.name}（{a.get_platform_display()}，{a.org.short_name}）") for a in accounts]
        self.fields["tier"].choices = [("", "全部层级")] + [(t, f"第 {t} 级") for t in tiers]
        for name in ("account", "tier", "claimed", "q", "sort"):
            self.fields[name].widget.attrs["data-testid"] = f"queue-filter-{name}"

    def filters(self):
        """The valid filters (an invalid field is left out, i.e. not applied)."""
        data = getattr(self, "cleaned_data", {}) if self.is_bound else {}
        return {"account_id": data.get("account"), "tier": data.get("tier"), "claimed": data.get("claimed") or "",
                "text": (data.get("q") or "").strip(), "sort": data.get("sort") or "due",
                "overdue_only": bool(data.get("overdue"))}


def _queue_row(submission, user, now, waiting=None, *, urls, platforms):
    """One row of the queue's table. What the template would compute for each
    row through a tag or a filter — the rows' links, the platform's label, the
    times as the ``date`` filter renders them — is computed here, the same text
    at a fraction of the cost: ``urls`` are project.web.common.pk_url's,
    ``platforms`` project.shared.choices.choice_labels."""
    task = submission.current_task
    submitted_at = submission.current_round.started_at if submission.current_round_id else submission.created_at
    platform = submission.account.platform
    summary = submission.precheck_summary if isinstance(submission.precheck_summary, dict) else None
    by_severity = (summary or {}).get("by_severity") or {}
    return {
        "s": submission,
        "task": task,
        "overdue": task.due_at < now,
        "precheck": None if summary is None else {
            "blockers": by_severity.get("blocker", 0), "warnings": by_severity.get("warning", 0),
            "infos": by_severity.get("info", 0), "total": summary.get("total", 0)},
        "claimed_by_me": task.claimed_by_id == user.pk,
        "waiting": (waiting or {}).get(task.pk),
        "bulk": workflow_permissions.bulk_pass_refusal(
            submission, max_severity=getattr(submission, "precheck_max_severity", None)) is None,
        "submitted_at": submitted_at,
        "submitted": _time_texts(submitted_at),
        "due": _time_texts(task.due_at),
        "platform_label": platforms.get(platform, platform),
        "review_url": urls["review"](submission.pk),
        "claim_url": urls["claim"](submission.pk),
        "release_url": urls["release"](submission.pk),
    }


def _time_texts(value):
    """{"iso", "short"}: ``value|date:"c"`` and ``value|date:"m-d H:i"`` (the
    filter shows the current time zone's time; DateFormat's "c" is isoformat())."""
    local = timezone.localtime(value)
    return {"iso": local.isoformat(), "short": local.strftime("%m-%d %H:%M")}


@login_required
def queue(request):
    user = request.user
    require_reviewer(user)
    fragment = request.GET.get("fragment") == "1"
    if fragment:
        # The page fetches its table by itself when the queue changes: that is
        # not the reviewer's activity and must not extend his idle session.
        mark_session_passive(request)
    memberships = reviewer_selectors.user_memberships(user)  # read once for the filters and the queue
    accounts, tiers = workflow_selectors.queue_filter_choices(user, memberships=memberships)
    accounts = list(accounts)
    form = QueueFilterForm(request.GET or None, accounts=accounts, tiers=tiers)
    if form.is_bound and not form.is_valid() and not fragment:
        problems = "；".join(e for errs in form.errors.values() for e in errs)
        messages.error(request, f"筛选条件有误，已忽略无效的条件：{problems}")
    now = timezone.now()
    page = paginate(request, workflow_selectors.review_queue_filtered(user, now=now, memberships=memberships,
                                                                      **form.filters()))
    waiting = workflow_selectors.waiting_signatures(s.current_task for s in page.object_list)
    urls = {"review": pk_url("web:review"), "claim": pk_url("web:task_claim"), "release": pk_url("web:task_release")}
    platforms = choice_labels(MediaAccount, "platform")
    context = {
        "rows": [_queue_row(s, user, now, waiting, urls=urls, platforms=platforms) for s in page.object_list],
        "page": page,
        "form": form,
        "query": query_without_page(request),
        "fragment_url": reverse("web:queue"),
        "now": now,
    }
    if fragment:
        response = render(request, "web/review/_queue_rows.html", context)
        response["Cache-Control"] = "no-store"
        return response
    return render(request, "web/review/queue.html", context)


@login_required
@require_POST
def task_claim(request, pk):
    workflow_selectors.submission_visible_to(request.user, pk)
    task, _error = call_service(request, workflow_services.submission_claim, submission_id=pk,
                                task_id=request.POST.get("task") or None)
    if task is not None:
        messages.success(request, f"已认领（{task.tier_name}），同事的队列中将显示由您处理。")
    return redirect(_safe_next(request, reverse("web:queue")))


@login_required
@require_POST
def task_release(request, pk):
    workflow_selectors.submission_visible_to(request.user, pk)
    task, _error = call_service(request, workflow_services.submission_release, submission_id=pk,
                                task_id=request.POST.get("task") or None)
    if task is not None:
        messages.success(request, f"已释放（{task.tier_name}），该稿件回到本层级的公共队列。")
    return redirect(_safe_next(request, reverse("web:queue")))


@login_required
@require_POST
def bulk_pass(request):
    """The queue's "批量通过" action: each selected item through
    workflow.services.submissions_bulk_pass, the outcome of each told."""
    require_reviewer(request.user)
    ids = [int(v) for v in request.POST.getlist("submissions") if v.isascii() and v.isdigit()][:100]
    results, _error = call_service(request, workflow_services.submissions_bulk_pass, submission_ids=ids,
                                   comment=request.POST.get("comment", ""))
    if results is not None:
        passed = [r for r in results if r["ok"]]
        failed = [r for r in results if not r["ok"]]
        if passed:
            messages.success(request, f"已批量通过 {len(passed)} 篇稿件。")
        for r in failed:
            messages.error(request, f"送审单 {r['id']} 未通过：{r['detail']}")
    return redirect(reverse("web:queue"))


@login_required
@require_POST
def task_assign(request, pk):
    """The tier's lead assigns the current task to a member (the review page's form)."""
    workflow_selectors.submission_visible_to(request.user, pk)
    assignee = content_selectors.user_by_username((request.POST.get("user") or "").strip()[:150])
    if assignee is None:
        messages.error(request, "指派失败：用户不存在")
        return redirect(_safe_next(request, reverse("web:review", args=[pk])))
    task, _error = call_service(request, workflow_services.submission_assign, submission_id=pk,
                                assignee_id=assignee.pk, note=request.POST.get("note", ""),
                                task_id=request.POST.get("task") or None)
    if task is not None:
        messages.success(request, f"已指派给{assignee.get_full_name() or assignee.username}（{task.tier_name}）。")
    return redirect(_safe_next(request, reverse("web:review", args=[pk])))


@login_required
def review_record(request, pk):
    """The printable review record (审稿单), audited like the PDF."""
    record = workflow_services.submission_record_export(actor=request.user, submission_id=pk, fmt="html")
    return render(request, "web/review/record.html", {"record": record})


@login_required
def review_record_pdf(request, pk):
    record = workflow_services.submission_record_export(actor=request.user, submission_id=pk, fmt="pdf")
    return record_pdf_response(record, record["submission_id"])


# ---------------------------------------------------------------- the review page and the decision

class DecisionForm(forms.Form):
    """The five dimensions (pass/fail each, a comment on fail), a note, the
    pre-check override reason when the round asks for it, and what the
    reviewer looked at (tier and content hash). Which button was pressed
    ("通过" or "退回修改") must agree with the verdicts."""

    expected_tier = forms.IntegerField(widget=forms.HiddenInput, min_value=1,
                                       error_messages={"required": "页面已过期，请刷新后再审核",
                                                       "invalid": "页面已过期，请刷新后再审核"})
    expected_hash = forms.CharField(widget=forms.HiddenInput, max_length=64,
                                    error_messages={"required": "页面已过期，请刷新后再审核"})
    note = forms.CharField(label="审核意见（可选）", required=False, max_length=4000,
                           widget=forms.Textarea(attrs={"rows": 3, "data-testid": "decision-note"}),
                           error_messages={"max_length": "审核意见不能超过 4000 个字符"})
    precheck_override = forms.CharField(
        label="放行机审阻断项的理由", required=False, max_length=2000,
        help_text="机审报告有阻断项：初审通过须填写放行理由（记入审计日志）",
        widget=forms.Textarea(attrs={"rows": 2, "data-testid": "decision-override"}),
        error_messages={"max_length": "放行理由不能超过 2000 个字符"})
    outcome = forms.ChoiceField(choices=[(OUTCOME_PASS, "通过"), (OUTCOME_RETURN, "退回修改")],
                                error_messages={"required": "请点击“通过”或“退回修改”",
                                                "invalid_choice": "请点击“通过”或“退回修改”"})

    def __init__(self, *args, override_required=False, **kwargs):
        super().__init__(*args, **kwargs)
        for dim in DIMENSIONS:
            label = checklist.DIMENSION_LABELS[dim]
            self.fields[dim] = forms.ChoiceField(
                label=label, required=False, choices=VERDICT_CHOICES, widget=forms.RadioSelect,
                error_messages={"invalid_choice": f"请对{label}给出“通过”或“不通过”"})
            self.fields[f"{dim}_comment"] = forms.CharField(
                label=f"{label}意见", required=False, max_length=checklist.MAX_COMMENT,
                widget=forms.Textarea(attrs={"rows": 2, "data-testid": f"comment-{dim}"}),
                error_messages={"max_length": "意见不能超过 2000 个字符"})
        self.override_required = override_required
        if not override_required:
            del self.fields["precheck_override"]

    def dimension_rows(self):
        return [{"dim": dim, "verdict": self[dim], "comment": self[f"{dim}_comment"]} for dim in DIMENSIONS]

    def clean(self):
        data = super().clean()
        verdicts = {dim: data.get(dim) for dim in DIMENSIONS}
        outcome = data.get("outcome")
        if all(verdicts.values()):
            failed = [str(checklist.DIMENSION_LABELS[d]) for d in checklist.failed_dimensions(verdicts)]
            if outcome == OUTCOME_PASS and failed:
                self.add_error("outcome", f"{'、'.join(failed)}为“不通过”，不能选择“通过”；请点击“退回修改”")
            if outcome == OUTCOME_RETURN and not failed:
                self.add_error("outcome", "五个维度均为“通过”，不能退回；如需退回，请将相应维度标为“不通过”并填写意见")
        return data

    def service_arguments(self):
        data = self.cleaned_data
        return {
            "verdicts": {dim: data[dim] for dim in DIMENSIONS if data.get(dim)},
            "comments": {dim: data[f"{dim}_comment"] for dim in DIMENSIONS if data.get(f"{dim}_comment")},
            "note": data.get("note", ""),
            "expected_tier": data["expected_tier"],
            "expected_hash": data["expected_hash"],
            "precheck_override": data.get("precheck_override", ""),
        }

    def attach_service_error(self, error):
        """Put the service's messages next to their dimension ("verdicts.legal" →
        the legal radios, "comments.legal" → its comment box)."""
        placed = False
        for key, msgs in error.fields.items():
            head, _sep, dim = key.partition(".")
            name = {"verdicts": dim, "comments": f"{dim}_comment"}.get(head, key)
            for msg in msgs:
                if name in self.fields:
                    self.add_error(name, msg)
                    placed = True
                else:
                    self.add_error(None, msg)
        if not placed:
            self.add_error(None, error.message)


def _override_field_needed(submission):
    """Whether the decision form asks for the pre-check override reason
    (the one rule: ReviewRound.asks_override_at)."""
    review_round, task = submission.current_round, submission.current_task
    return review_round is not None and task is not None and review_round.asks_override_at(task.tier)


def _findings_by_dimension(report):
    if report is None:
        return []
    grouped = report.findings_by_dimension()
    out = []
    for dim in DIMENSIONS:
        items = [{"index": report.findings.index(f), "severity": f["severity"],
                  "severity_label": SEVERITY_LABELS.get(f["severity"], f["severity"]), "message": f["message"],
                  "text": f.get("text", ""), "suggestion": f.get("suggestion", ""), "field": f.get("field", "body")}
                 for f in grouped.get(dim, [])]
        out.append({"dim": dim, "label": checklist.DIMENSION_LABELS[dim], "findings": items,
                    "blockers": sum(1 for i in items if i["severity"] == "blocker")})
    return out


def _history(submission, hidden=frozenset()):
    """The rounds and their decisions; ``hidden``: the open countersign tier's
    signatures the viewer may not see yet (workflow.selectors.hidden_signature_ids)."""
    rounds = []
    for review_round in submission.review_rounds:
        decisions = []
        for d in review_round.decisions.all():
            if d.pk in hidden:
                continue
            decisions.append({
                "d": d,
                "verdicts": [{"label": checklist.DIMENSION_LABELS[dim], "verdict": getattr(d, dim),
                              "verdict_label": checklist.VERDICT_LABELS.get(getattr(d, dim), ""),
                              "comment": (d.comments or {}).get(dim, "")} for dim in DIMENSIONS],
            })
        rounds.append({"r": review_round, "decisions": decisions,
                       "is_current": review_round.pk == submission.current_round_id})
    return rounds


def _diff_context(submission):
    """The diff from the round before the current one to the revision under review."""
    rounds = list(submission.review_rounds)
    current = next((i for i, r in enumerate(rounds) if r.pk == submission.current_round_id), len(rounds) - 1)
    if current < 1:
        return None
    previous = rounds[current - 1]
    rows = diff_revisions(previous.revision, submission.revision)
    return {"diff_rows": rows, "changed": diff_has_changes(rows),
            "left_label": f"第 {previous.number} 轮（版本 {previous.revision.number}）",
            "right_label": f"第 {rounds[current].number} 轮（版本 {submission.revision.number}）"}


def _content_views(revision, report):
    """The formatted content (images, tables, links with their targets) with
    the findings marked in it, shown by default, and the plain text with the
    same marks as the other view. ``formatted_marked`` is False when the
    findings could only be placed in the plain text."""
    if report is None:
        return {"body_formatted": mark_safe(display_html(revision.body_html)), "body_marked": None,
                "formatted_marked": False}
    formatted = reviewer_selectors.precheck_marked_html(report, revision.body_html)
    return {"body_formatted": formatted if formatted is not None else mark_safe(display_html(revision.body_html)),
            "formatted_marked": formatted is not None,
            "body_marked": reviewer_selectors.precheck_highlighted_html(report)}


def render_review(request, submission, *, form=None, status=200):
    user = request.user
    revision = submission.revision
    report = reviewer_selectors.precheck_report_for(revision)
    refusal = workflow_permissions.decide_refusal(user, submission)
    task = submission.current_task
    key, restored = autosave.review_key(submission.pk), None
    if refusal is None and form is None:
        # The reviewer's unsaved verdicts and comments (autosaved, e.g. before his session ended) come back.
        initial, restored = autosave.restore(
            request, key, initial={"expected_tier": task.tier, "expected_hash": revision.content_hash},
            base=autosave.review_base(submission), values_for_form=autosave.review_values)
        form = DecisionForm(initial=initial, override_required=_override_field_needed(submission))
    context = {
        **autosave.page_context(key, autosave.review_base(submission), restored),
        "submission": submission,
        "revision": revision,
        "task": task,
        "state_label": states.STATE_LABELS[submission.state],
        "report": report,
        **_content_views(revision, report),
        "title_marked": (reviewer_selectors.precheck_highlighted_html(report, field="title", text=revision.title)
                         if report else None),
        "findings": _findings_by_dimension(report),
        "history": _history(submission, workflow_selectors.hidden_signature_ids(user, submission)),
        "signing": workflow_selectors.current_signatures(user, submission),
        "comments": workflow_selectors.draft_comments(submission.draft),
        "discussion_draft": submission.draft,
        "diff": _diff_context(submission),
        "form": form if refusal is None else None,
        "decide_refusal": refusal.message if refusal else "",
        "can_claim": task is not None and refusal is None and task.claimed_by_id is None,
        "can_release": task is not None and (task.claimed_by_id == user.pk or (
            task.claimed_by_id is not None and reviewer_permissions.assign_refusal(user, task) is None)),
        "can_assign": task is not None and reviewer_permissions.assign_refusal(user, task) is None,
        "assignable": (reviewer_selectors.tier_members(task.account, task.tier)
                       if task is not None and reviewer_permissions.assign_refusal(user, task) is None else []),
        "dimension_labels": [(d, checklist.DIMENSION_LABELS[d]) for d in DIMENSIONS],
    }
    return render(request, "web/review/review.html", context, status=status)


@login_required
def review(request, pk):
    return render_review(request, workflow_selectors.submission_visible_to(request.user, pk, history=True))


def conflict_message(error, submission):
    """A decision that lost a race: what happened and the state now."""
    now = state_text(submission)
    if error.code == "hash_mismatch":
        return f"稿件内容已变化，您的决定未保存，请查看最新版本后再审核。当前状态：{now}"
    if submission.state == states.WITHDRAWN:
        return f"该稿件已被作者撤回，您的决定未保存。当前状态：{now}"
    if error.code == "claimed_by_other":
        return f"{error.message}，您的决定未保存。当前状态：{now}"
    return f"该稿件已由其他审核人处理，您的决定未保存。当前状态：{now}"


@login_required
@require_POST
def decide(request, pk):
    user = request.user
    submission = workflow_selectors.submission_visible_to(user, pk, history=True)
    form = DecisionForm(request.POST, override_required=_override_field_needed(submission))
    if not form.is_valid():
        return render_review(request, submission, form=form, status=400)
    # The decision is recorded: the autosaved draft of it is dropped in the same transaction.
    result, error = autosave.call_and_clear(
        request, autosave.review_key(submission.pk), workflow_services.submission_decide, form=form,
        submission_id=submission.pk, on_conflict=reverse("web:review", args=[submission.pk]),
        conflict_message=lambda error: conflict_message(error, workflow_selectors.submission_detail(submission.pk)),
        **form.service_arguments())
    if error is not None:
        return render_review(request, submission, form=form, status=400)
    if result.state == states.IN_REVIEW and result.current_task_id == submission.current_task_id:
        # a countersign tier (会签) that still waits for other signatures
        messages.success(request, f"已会签：《{submission.revision.title}》的“{result.current_task.tier_name}”"
                                  f"还需其他人员签署。")
    elif result.state == states.RETURNED:
        messages.success(request, f"已退回修改：《{submission.revision.title}》，退回理由已通知编辑。")
    elif result.state == states.APPROVED:
        messages.success(request, f"审核通过：《{submission.revision.title}》已通过全部审核层级，待发布。")
    else:
        messages.success(request, f"本级审核通过：《{submission.revision.title}》已进入“{result.current_task.tier_name}”。")
    return redirect("web:queue")
