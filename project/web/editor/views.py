"""The editor's pages (编辑): my drafts, the editor, the pre-check, submit,
withdraw, returned reasons and the diff of two revisions.

Every view is for logged-in users and checks the object with the project's
permission functions; "not yours" and "does not exist" get the same 403
(workflow.selectors.draft_visible_to, rendered by the middleware). The
buttons come from the refusal functions the services raise from
(content.permissions.revise_refusal, workflow.permissions.submit_refusal and
allowed_actions).
"""
from types import SimpleNamespace

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from content import permissions as content_permissions
from content import roles
from content import selectors as content_selectors
from content import services as content_services
from content.models import MediaAccount
from content.sanitize import clean_html
from project.errors import status_for
from project.web.autosave import progress as autosave
from project.web.common import call_service, paginate, query_without_page
from project.web.diff import diff_has_changes, diff_revisions
from project.web.editor.forms import DraftForm, DraftSearchForm, content_from_post
from project.web.review.notifications import mark_read_on_open
from reviewers import selectors as reviewer_selectors
from reviewers.checklist import DIMENSION_LABELS, DIMENSIONS, VERDICT_LABELS
from reviewers.models import SEVERITY_LABELS
from operations import selectors as operations_selectors
from workflow import permissions as workflow_permissions
from workflow import selectors as workflow_selectors
from workflow import services as workflow_services
from workflow import states

# Filter values of the drafts list: the latest submission's state, or "none"
# for drafts never submitted.
NOT_SUBMITTED = "none"
STATE_FILTERS = [("", "全部"), (NOT_SUBMITTED, "未提交"), *[(k, str(v)) for k, v in states.STATE_CHOICES]]
SUPERSEDING_STATES = (states.IN_REVIEW, states.APPROVED)
DRAFTS_PER_PAGE = 50
FIELD_LABELS = {"title": "标题", "body": "正文", "repost": "转载信息"}
SEVERITIES = tuple(SEVERITY_LABELS)  # most serious first


# ---------------------------------------------------------------- helpers

def _editable_draft(user, pk):
    draft = workflow_selectors.draft_visible_to(user, pk)
    refusal = content_permissions.revise_refusal(user, draft)
    if refusal:
        refusal.raise_()
    return draft


def _require_editor(user):
    refusal = content_permissions.role_refusal(user, roles.EDITOR)
    if refusal:
        refusal.raise_()


def _active_state(draft):
    """The state of the draft's active submission: the latest one's, when it is active."""
    state = draft.latest_submission_state
    return state if state in states.ACTIVE_STATES else None


def writable_accounts(user):
    return list(content_selectors.accounts_user_may(user, "draft_account")
                .exclude(status=MediaAccount.Status.CLOSED).select_related("org").order_by("org__path", "name"))


def _wants_json(request):
    return "application/json" in request.headers.get("Accept", "")


def _is_fetch(request):
    return request.headers.get("X-Requested-With") in ("fetch", "XMLHttpRequest") or _wants_json(request)


def _sanitised_post(request):
    """The posted form data with the body passed through the one HTML policy,
    so that a re-rendered editor never holds markup the policy refuses."""
    data = request.POST.copy()
    data["body"] = clean_html(data.get("body", ""))
    return data


def state_label(state):
    return str(states.STATE_LABELS.get(state, "未提交")) if state else "未提交"


# ---------------------------------------------------------------- the pre-check, shaped for the page

def precheck_view(*, findings, plain_text, title, gate=None):
    """Template context for a pre-check: findings grouped by dimension, counts
    by severity, the title and body with findings highlighted (``<mark>``).
    ``findings`` are dicts (``Finding.as_dict()`` or a stored report's)."""
    report = SimpleNamespace(plain_text=plain_text, findings=findings)
    shown = []
    for index, f in enumerate(findings):
        where = FIELD_LABELS.get(f.get("field", "body"), "")
        if f.get("field", "body") != "repost":
            where += f"第 {f['start'] + 1} 字"
        shown.append({**f, "index": index, "where": where,
                      "dimension_label": DIMENSION_LABELS.get(f["dimension"], f["dimension"]),
                      "severity_label": SEVERITY_LABELS.get(f["severity"], f["severity"])})
    groups = [{"dimension": d, "label": DIMENSION_LABELS[d], "findings": [f for f in shown if f["dimension"] == d]}
              for d in DIMENSIONS]
    counts = [{"severity": s, "label": SEVERITY_LABELS[s], "n": sum(1 for f in findings if f["severity"] == s)}
              for s in SEVERITIES]
    secrecy_blockers = [f for f in shown if f["severity"] == "blocker" and f["dimension"] == "secrecy"]
    gate = gate or states.DEFAULT_PRECHECK_GATE
    return {
        "total": len(findings),
        "groups": groups,
        "counts": counts,
        "title_html": reviewer_selectors.precheck_highlighted_html(report, field="title", text=title),
        "body_html": reviewer_selectors.precheck_highlighted_html(report),
        "has_blocker": any(f["severity"] == "blocker" for f in findings),
        "secrecy_blockers": secrecy_blockers,
        "blocks_submission": bool(secrecy_blockers) and gate.get("secrecy_blocks", True),
    }


def precheck_of_content(content, account=None):
    report = reviewer_selectors.precheck_run(**content, org=account.org if account is not None else None)
    gate = workflow_selectors.effective_gate(account) if account is not None else None
    return precheck_view(findings=[f.as_dict() for f in report.findings], plain_text=report.plain_text,
                         title=report.title, gate=gate)


def precheck_of_revision(revision, account):
    report = reviewer_selectors.precheck_run_revision(revision)
    return precheck_view(findings=[f.as_dict() for f in report.findings], plain_text=report.plain_text,
                         title=revision.title, gate=workflow_selectors.effective_gate(account))


# ---------------------------------------------------------------- my drafts

@login_required
def draft_list(request):
    """我的稿件: the user's drafts with the state of each one's latest
    submission, searched by state, title, account and date of the last
    change. A constant number of queries: the account choices, the count, the page."""
    user = request.user
    form = DraftSearchForm(request.GET or None, states=STATE_FILTERS,
                           accounts=list(content_selectors.accounts_of_author_drafts(user)))
    if form.is_bound and not form.is_valid():
        problems = "；".join(e for errs in form.errors.values() for e in errs)
        messages.error(request, f"筛选条件有误，已忽略无效的条件：{problems}")
    filters = form.filters()
    state = filters.pop("state")
    drafts = workflow_selectors.drafts_of_author(user, **filters)
    if state == NOT_SUBMITTED:
        drafts = drafts.filter(latest_submission_state__isnull=True)
    elif state in states.STATE_LABELS:
        drafts = drafts.filter(latest_submission_state=state)
    page = paginate(request, drafts, per_page=DRAFTS_PER_PAGE)
    for draft in page.object_list:
        draft.state_label = state_label(draft.latest_submission_state)
    searching = bool(state or any(filters.values()))
    return render(request, "web/drafts/list.html", {
        "page": page, "state": state, "form": form, "searching": searching, "query": query_without_page(request),
        "can_create": content_permissions.holds_role(request.user, roles.EDITOR),
    })


# ---------------------------------------------------------------- new draft and edit

def _editor_page(request, *, form, draft=None, precheck=None, status=200, restored=None):
    account_id = draft.account_id if draft else None
    key = autosave.draft_key(draft.pk) if draft else autosave.DRAFT_NEW_KEY
    return render(request, "web/drafts/edit.html", {
        **autosave.page_context(key, autosave.draft_base(draft), restored),
        "form": form, "draft": draft, "precheck": precheck,
        "needs_confirm": form.needs_confirm,
        "state_label": state_label(draft.latest_submission_state) if draft else "",
        "precheck_url": reverse("web:draft_precheck", args=[draft.pk]) if draft else reverse("web:draft_precheck"),
        "upload_url": reverse("web:image_upload"),
        "account_id": account_id,
        "no_accounts": "account" in form.fields and len(form.fields["account"].widget.choices) <= 1,
    }, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def draft_new(request):
    _require_editor(request.user)
    accounts = writable_accounts(request.user)
    if request.method == "GET":
        initial = {"account": accounts[0].pk} if len(accounts) == 1 else {}
        initial.update(_assignment_initial(request))
        # Unsaved content of a new draft (autosaved, e.g. before the session ended) comes back.
        initial, restored = autosave.restore(
            request, autosave.DRAFT_NEW_KEY, initial=initial, base="",
            values_for_form=lambda data: autosave.draft_values(data, accounts=accounts))
        return _editor_page(request, form=DraftForm(accounts=accounts, initial=initial), restored=restored)
    form = DraftForm(_sanitised_post(request), accounts=accounts)
    if not form.is_valid():
        return _editor_page(request, form=form, status=400)
    draft, error = autosave.call_and_clear(request, autosave.DRAFT_NEW_KEY, content_services.draft_create, form=form,
                                           account_id=form.cleaned_data["account"], **form.content())
    if error is not None:
        return _editor_page(request, form=form, status=status_for(error))
    messages.success(request, f"稿件已创建（第 {draft.current_revision.number} 版）。")
    return redirect("web:draft_detail", pk=draft.pk)


def _assignment_initial(request):
    """A draft started from a repost assignment (?assignment=ID) is a repost
    with the assignment's source fields set (its title as the headline)."""
    value = request.GET.get("assignment", "")
    assignment = operations_selectors.repost_assignment_visible_to(request.user, value) if value else None
    return operations_selectors.repost_draft_prefill(assignment) if assignment is not None else {}


def _revision_initial(draft):
    rev = draft.current_revision
    if rev is None:
        return {"title": draft.title}
    return {"title": rev.title, "body": rev.body_html, "is_repost": rev.is_repost, "source_name": rev.source_name,
            "source_url": rev.source_url, "original_title": rev.original_title}


@login_required
@require_http_methods(["GET", "POST"])
def draft_edit(request, pk):
    draft = _editable_draft(request.user, pk)
    needs_confirm = draft.latest_submission_state in SUPERSEDING_STATES
    if request.method == "GET":
        # Unsaved content of this draft (autosaved, e.g. before the session ended) comes back.
        initial, restored = autosave.restore(request, autosave.draft_key(draft.pk), initial=_revision_initial(draft),
                                             base=autosave.draft_base(draft), values_for_form=autosave.draft_values)
        return _editor_page(request, form=DraftForm(initial=initial, needs_confirm=needs_confirm), draft=draft,
                            restored=restored)
    form = DraftForm(_sanitised_post(request), needs_confirm=needs_confirm)
    if not form.is_valid():
        return _editor_page(request, form=form, draft=draft, status=400)
    before = draft.current_revision_id
    revision, error = autosave.call_and_clear(request, autosave.draft_key(draft.pk), workflow_services.draft_revise,
                                              form=form, draft_id=draft.pk, **form.content())
    if error is not None:
        return _editor_page(request, form=form, draft=draft, status=status_for(error))
    if revision.pk == before:
        messages.info(request, "内容与当前版本完全相同，没有生成新版本。")
    else:
        messages.success(request, f"已保存为第 {revision.number} 版。")
        if needs_confirm:
            messages.warning(request, "本轮审核已作废，稿件已退回给您，请确认内容后重新提交审核。")
    return redirect("web:draft_detail", pk=draft.pk)


# ---------------------------------------------------------------- the pre-check (writes nothing)

@login_required
@require_POST
def draft_precheck(request, pk=None):
    """Run the pre-check on the posted, unsaved content. A fetch gets the
    findings fragment (or JSON); a plain form post gets the editor page back
    with the content kept and the findings shown."""
    draft = _editable_draft(request.user, pk) if pk is not None else None
    if draft is None:
        _require_editor(request.user)
    data = _sanitised_post(request)
    content = content_from_post(data)
    account = draft.account if draft else None
    if account is None and str(data.get("account", "")).isdigit():
        candidate = content_selectors.account_by_id(data["account"])
        if candidate is not None and content_permissions.can_write_for(request.user, candidate):
            account = candidate
    precheck = precheck_of_content(content, account)
    if _wants_json(request):
        return JsonResponse({
            "total": precheck["total"], "blocks_submission": precheck["blocks_submission"],
            "findings": [{k: f[k] for k in ("dimension", "severity", "field", "start", "end", "text", "message",
                                            "suggestion", "rule")}
                         for g in precheck["groups"] for f in g["findings"]],
            "title_html": str(precheck["title_html"]), "body_html": str(precheck["body_html"]),
        }, json_dumps_params={"ensure_ascii": False})
    if _is_fetch(request):
        return render(request, "web/drafts/_precheck.html", {"precheck": precheck, "unsaved": True})
    if draft is not None:
        form = DraftForm(initial=data.dict(), needs_confirm=draft.latest_submission_state in SUPERSEDING_STATES)
    else:
        form = DraftForm(initial=data.dict(), accounts=writable_accounts(request.user))
    form.initial["is_repost"] = content["is_repost"]
    return _editor_page(request, form=form, draft=draft, precheck=precheck)


# ---------------------------------------------------------------- the draft page

def _last_round(submission):
    rounds = getattr(submission, "review_rounds", None) or []
    return rounds[-1] if rounds else None


def _decision_rows(decision):
    comments = decision.comments or {}
    return [{"dimension": d, "label": DIMENSION_LABELS[d], "verdict": getattr(decision, d),
             "verdict_label": VERDICT_LABELS.get(getattr(decision, d), getattr(decision, d)),
             "comment": comments.get(d, "")} for d in DIMENSIONS]


def _detail_context(request, draft):
    user = request.user
    discussion = {"comments": workflow_selectors.draft_comments(draft), "discussion_draft": draft}
    submission = None
    if draft.latest_submission_id:
        submission = workflow_selectors.submission_with_history(draft.latest_submission_id)
    revisions = list(content_selectors.draft_revisions(draft=draft))
    rounds = []
    if submission is not None:
        for review_round in submission.review_rounds:
            decisions = list(review_round.decisions.all())
            rounds.append({"round": review_round, "decisions": [
                {"decision": d, "rows": _decision_rows(d)} for d in decisions]})
    last = rounds[-1] if rounds else None
    actions = workflow_permissions.allowed_actions(user, submission) if submission is not None else []
    can_edit = content_permissions.can_edit_draft(user, draft)
    can_submit = workflow_permissions.submit_refusal(user, draft, active_state=_active_state(draft)) is None
    state = draft.latest_submission_state
    stored = None
    if draft.current_revision is not None and submission is not None:
        report = reviewer_selectors.precheck_report_for(draft.current_revision)
        if report is not None:
            stored = precheck_view(findings=report.findings, plain_text=report.plain_text,
                                   title=draft.current_revision.title)
    current_no = draft.current_revision.number if draft.current_revision else 0
    pending = None
    if can_edit:
        entry = content_selectors.work_in_progress_for(user, autosave.draft_key(draft.pk))
        if entry is not None:
            pending = {"label": autosave.saved_label(entry.updated_at)}
    no_decider = bool(state == states.IN_REVIEW and submission is not None
                      and workflow_selectors.stranded_submissions(submission_ids=[submission.pk]))
    return {
        **discussion,
        "draft": draft, "revision": draft.current_revision, "submission": submission,
        "state": state, "state_label": state_label(state),
        "revisions": revisions, "rounds": rounds, "last_round": last,
        "can_edit": can_edit,
        "can_submit": can_submit,
        "is_resubmit": state == states.RETURNED,
        "can_withdraw": "withdraw" in actions,
        "edit_supersedes": state in SUPERSEDING_STATES,
        "stored_precheck": stored,
        "diff_a": max(current_no - 1, 1), "diff_b": current_no,
        "unsaved_work": pending,  # autosaved changes not yet saved as a revision
        "no_decider": no_decider,
    }


@login_required
def draft_detail(request, pk):
    draft = workflow_selectors.draft_visible_to(request.user, pk)
    mark_read_on_open(request, draft_id=draft.pk)  # the notifications that link here are read now
    return render(request, "web/drafts/detail.html", _detail_context(request, draft))


@login_required
@require_POST
def draft_comment(request, pk):
    """Post a comment to the draft's discussion (workflow.services.draft_comment_add), back to the page."""
    comment, _error = call_service(request, workflow_services.draft_comment_add, draft_id=pk,
                                   body=request.POST.get("body", ""))
    if comment is not None:
        messages.success(request, "已发表讨论。")
    nxt = request.POST.get("next") or ""
    target = nxt if nxt.startswith("/") and not nxt.startswith("//") else reverse("web:draft_detail", args=[pk])
    return redirect(target)


# ---------------------------------------------------------------- submit and withdraw

@login_required
@require_POST
def draft_submit(request, pk):
    draft = workflow_selectors.draft_visible_to(request.user, pk)
    resubmit = draft.latest_submission_state == states.RETURNED
    detail = reverse("web:draft_detail", args=[draft.pk])
    # What is submitted is the saved revision: unsaved edits of the editor are dropped with it.
    submission, error = autosave.call_and_clear(request, autosave.draft_key(draft.pk),
                                                workflow_services.submission_submit, draft_id=draft.pk,
                                                on_conflict=detail)
    if error is not None and error.code == "precheck_blocked":
        # The message names the findings; the page shows them in the text.
        draft = workflow_selectors.draft_visible_to(request.user, pk)
        context = _detail_context(request, draft)
        context["blocked_precheck"] = precheck_of_revision(draft.current_revision, draft.account)
        return render(request, "web/drafts/detail.html", context, status=400)
    if error is None:
        task = submission.current_task
        messages.success(request, ("已重新提交审核" if resubmit else "已提交审核")
                         + (f"，当前环节：{task.tier_name}。" if task is not None else "。"))
    return redirect(detail)


@login_required
@require_POST
def draft_withdraw(request, pk):
    draft = workflow_selectors.draft_visible_to(request.user, pk)
    if not draft.latest_submission_id:
        messages.error(request, "该稿件尚未提交审核，无需撤回。")
        return redirect("web:draft_detail", pk=draft.pk)
    _submission, error = call_service(request, workflow_services.submission_withdraw,
                                      submission_id=draft.latest_submission_id)
    if error is None:
        messages.success(request, "已撤回送审。稿件仍保留，可修改后再次提交。")
    return redirect("web:draft_detail", pk=draft.pk)


# ---------------------------------------------------------------- diff of two revisions

def _number(value):
    return int(value) if str(value).isdigit() else None


def _revision_label(revision):
    return f"第 {revision.number} 版（{timezone.localtime(revision.created_at):%Y-%m-%d %H:%M} · {revision.author}）"


@login_required
def draft_diff(request, pk):
    draft = workflow_selectors.draft_visible_to(request.user, pk)
    revisions = list(content_selectors.draft_revisions(draft=draft))
    by_number = {r.number: r for r in revisions}
    current = draft.current_revision.number if draft.current_revision else (revisions[-1].number if revisions else 0)
    a, b = _number(request.GET.get("a")), _number(request.GET.get("b"))
    if (request.GET.get("a") and a not in by_number) or (request.GET.get("b") and b not in by_number):
        messages.warning(request, "所选版本不存在，已改为比较最近两个版本。")
        a = b = None
    b = b if b in by_number else current
    if a not in by_number:
        a = b - 1 if (b - 1) in by_number else b
    old, new = by_number.get(a), by_number.get(b)
    rows = diff_revisions(old, new) if new is not None else []
    return render(request, "web/drafts/diff.html", {
        "draft": draft, "revisions": revisions, "a": a, "b": b, "old": old, "new": new,
        "diff_rows": rows, "has_changes": diff_has_changes(rows),
        "repost_changed": bool(old and new and any(
            getattr(old, f) != getattr(new, f) for f in ("is_repost", "source_name", "source_url", "original_title"))),
        "left_label": _revision_label(old) if old else "（无）",
        "right_label": _revision_label(new) if new else "（无）",
    })
