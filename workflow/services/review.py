"""Submitting, resubmitting, deciding and withdrawing: the review rounds.

Submit and resubmit share one step that applies the policy's pre-check gate and
opens a round; a decision records the five verdicts and then takes one of three
outcomes (return, next tier, approve) around one shared "decided" entry."""
from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from django.db.models import Max, OuterRef
from django.utils.translation import gettext as _

from audit import services as audit_services
from content import permissions as content_permissions
from content import services as content_services
from content.errors import Conflict, ValidationFailed
from content.models import User
from reviewers import checklist, countersign
from reviewers import permissions as reviewer_permissions
from reviewers import selectors as reviewer_selectors
from reviewers import services as reviewer_services
from reviewers.models import ReviewRound
from workflow import live, notifications, permissions, selectors, states
from workflow.models import Submission
from workflow.services.common import audit_submission, deny_unless_visible, lock_draft, lock_submission, save_submission


_FIELD_LABELS = {"body": _("正文"), "title": _("标题"), "repost": _("转载信息")}


def _finding_brief(finding):
    where = str(_FIELD_LABELS.get(finding["field"], finding["field"]))
    if finding["field"] != "repost":
        where += _("第%(n)d字") % {"n": finding["start"] + 1}
    return f"{where}：{finding['message']}"


def _precheck_gate(*, revision, tiers, gate, stored=None, lexicon=None):
    """Store the revision's pre-check report and apply the policy's gate.

    A secrecy blocker stops the submission when the gate says so (nothing is
    written: the caller's transaction rolls back). Otherwise returns the
    report, the round's tiers (with the policy's extra tier appended when the
    report has a political or secrecy blocker), whether the first tier must
    record an override reason to pass the report's blockers, and the name of
    the extra tier added ("" when none). ``stored`` and ``lexicon``: what the
    caller read already (reviewers.services.precheck_store).
    """
    report = reviewer_services.precheck_store(revision=revision, stored=stored, lexicon=lexicon)
    if gate["secrecy_blocks"]:
        stopped = report.blockers(dimensions=("secrecy",))
        if stopped:
            briefs = [_finding_brief(f) for f in stopped]
            fields = {}
            for finding, brief in zip(stopped, briefs):
                fields.setdefault("title" if finding["field"] == "title" else "body", []).append(brief)
            shown = "；".join(briefs[:3]) + (_("等") if len(briefs) > 3 else "")
            raise ValidationFailed(
                _("机审发现 %(n)d 处保密阻断项（涉密标志或个人信息），稿件不能提交，请修改后再提交：%(list)s") % {
                    "n": len(stopped), "list": shown},
                code="precheck_blocked", fields=fields)
    override_required = bool(gate["blockers_need_override"] and report.blockers())
    extra_tier = ""
    if gate["extra_tier"] and report.blockers(dimensions=states.EXTRA_TIER_DIMENSIONS):
        extra_tier = gate["extra_tier"]
        last = max((t["order"] for t in tiers), default=0)
        tiers = [*tiers, {"order": last + 1, "name": extra_tier, "due_hours": states.EXTRA_TIER_DUE_HOURS}]
    return report, tiers, override_required, extra_tier


def _precheck_audit_data(report, override_required, extra_tier):
    return {"report_id": report.pk, "lexicon_version": report.lexicon_version,
            "max_severity": report.max_severity, "blockers": len(report.blockers()),
            "total": len(report.findings), "override_required": override_required, "extra_tier": extra_tier}


@transaction.atomic
def submission_submit(*, actor: User, draft_id: int) -> Submission:
    """Send a draft's current revision into tiered review.

    A first submission opens round 1; a draft whose submission was returned is
    resubmitted as the next round of that same submission. Either way the
    revision's pre-check report is stored and the policy's gate applied
    (_precheck_gate): a secrecy blocker may refuse the submission.
    """
    # read with the draft after its lock: its active submission, the actor's grant on its account and
    # whether its current revision has a pre-check report stored yet
    draft = lock_draft(draft_id, actor=actor, facts={
        **selectors.active_submission_reads(),
        "draft_granted": content_permissions.grant_exists(actor, "draft_account", OuterRef("account_id")),
        "precheck_stored": reviewer_selectors.precheck_stored_exists(OuterRef("current_revision_id")),
        **reviewer_selectors.lexicon_state_reads()})
    active_id, stored = draft.active_submission_id, draft.precheck_stored
    refusal = permissions.submit_refusal(actor, draft, active_state=draft.active_submission_state,
                                         granted=draft.draft_granted)
    if refusal:
        refusal.raise_()
    revision = draft.current_revision
    revision.draft = draft  # the locked row, with its account and unit: the pre-check reads them
    content_services.repost_check(revision)
    if active_id is not None:
        return _resubmit(actor=actor, submission_id=active_id, revision=revision)
    tiers, allow_author_publish, gate = selectors.effective_review_setup(draft.account)
    lexicon = reviewer_selectors.current_lexicon(state=reviewer_selectors.lexicon_state_of(draft))
    report, tiers, override_required, extra_tier = _precheck_gate(revision=revision, tiers=tiers, gate=gate,
                                                                  stored=stored, lexicon=lexicon)
    # Under the draft's lock, with no active submission found: no other transaction creates one meanwhile.
    submission = Submission.objects.create(draft=draft, account=draft.account, submitted_by=actor,
                                           revision=revision, allow_author_publish=allow_author_publish)
    return _open_round(actor=actor, submission=submission, revision=revision, number=1, tiers=tiers,
                       report=report, override_required=override_required, extra_tier=extra_tier,
                       action="workflow.submission.submitted",
                       move=lambda review_round, task: _point_at(submission, review_round, task),
                       # created in this transaction: no notification is about it yet
                       unread=False)


def _resubmit(*, actor, submission_id, revision):
    submission = lock_submission(submission_id)
    refusal = permissions.resubmit_refusal(actor, submission)
    if refusal:
        refusal.raise_()
    tiers, allow_author_publish, gate = selectors.effective_review_setup(submission.account)
    report, tiers, override_required, extra_tier = _precheck_gate(revision=revision, tiers=tiers, gate=gate)
    number = (ReviewRound.objects.filter(submission_id=submission.pk).aggregate(n=Max("number"))["n"] or 0) + 1
    submission.allow_author_publish = allow_author_publish
    return _open_round(actor=actor, submission=submission, revision=revision, number=number, tiers=tiers,
                       report=report, override_required=override_required, extra_tier=extra_tier,
                       action="workflow.submission.resubmitted",
                       move=lambda review_round, task: submission.resubmit(revision=revision,
                                                                           review_round=review_round, task=task))


def _point_at(submission, review_round, task):
    # A new submission starts in review (the field's default): it only needs its round and task.
    submission.current_round = review_round
    submission.current_task = task


def _open_round(*, actor, submission, revision, number, tiers, report, override_required, extra_tier, action, move,
                unread=None):
    """The step submit and resubmit share: open round ``number`` at its first
    tier, move the submission into it (``move``), save, audit, announce.
    ``unread``: False when the actor has no notification about the submission
    to mark read (notifications.acted_on)."""
    review_round, task = reviewer_services.round_open(submission_id=submission.pk, number=number,
                                                      draft=submission.draft, revision=revision, tiers=tiers,
                                                      precheck=report, precheck_override_required=override_required)
    move(review_round, task)
    save_submission(submission)
    _auto_assign(submission, task)
    audit_submission(action, actor=actor, submission=submission,
                     data={"tier": task.tier, "tier_name": task.tier_name, "tiers": tiers,
                           "precheck": _precheck_audit_data(report, override_required, extra_tier)})
    live.queue_changed(account=submission.account, tier=task.tier, submission_id=submission.pk, event=live.ENTERED)
    notifications.acted_on(submission=submission, actor=actor, unread=unread)
    return submission


# ---------------------------------------------------------------- decide

def submission_decide(*, actor: User, submission_id: int, verdicts: dict[str, Any],
                      comments: dict[str, Any] | None = None, note: str = "",
                      expected_tier: int | None = None, expected_hash: str | None = None,
                      precheck_override: str = "", bulk: bool = False) -> Submission:
    """A reviewer's decision at the current tier, on all five dimensions.

    All pass: the next tier's task opens, or the submission is approved after
    the last tier. Any fail: the round ends and the draft returns to its
    editor with the reasons. ``expected_tier`` / ``expected_hash`` name what
    the reviewer looked at; when omitted they are taken from the submission
    as it stood before the lock, so of two simultaneous decisions exactly one
    succeeds and the other gets a conflict.

    ``precheck_override``: the first tier's reason for passing a round whose
    pre-check report has blockers, when the policy's gate asked for one
    (``ReviewRound.asks_override_at``); stored on the decision and audited
    (``workflow.submission.precheck_overridden``). Ignored elsewhere.

    ``bulk``: a bulk pass from the queue (workflow.services.submissions_bulk_pass):
    also refused unless workflow.permissions.bulk_pass_refusal allows it,
    checked under the lock; the audit entry says so.
    """
    # What the reviewer saw, when he did not say: the submission as it stood before its lock. On
    # PostgreSQL the lock statement reads it (lock_submission's ``seen``: its snapshot is taken at its
    # start, before the lock). On SQLite the transaction holds the database's write lock from its BEGIN
    # (IMMEDIATE), so a read inside it would already see a simultaneous decision's commit: the read stays
    # before the transaction there.
    unseen = (expected_tier is None or expected_hash is None) and str(submission_id).isdigit()
    seen_in_lock = unseen and connection.vendor == "postgresql"
    if unseen and not seen_in_lock:
        expected_tier, expected_hash = _expected(
            Submission.objects.filter(pk=submission_id).values_list("current_task__tier", "revision__content_hash")
            .first(), expected_tier, expected_hash)
    # batched: the decision's entries (decided, and returned, approved or the override) are one append
    with transaction.atomic(), audit_services.batched():
        seen = {} if seen_in_lock else None
        # read with the row after its lock: whether he signed this round already, holds the tier, has
        # unread notifications about it (decide_refusal and acted_on take them instead of asking again)
        submission = lock_submission(submission_id, actor=actor, seen=seen, facts={
            "actor_signed": reviewer_selectors.signed_in_round_exists(actor, round_id=OuterRef("current_round_id")),
            "actor_member": reviewer_permissions.membership_exists(
                actor, tier=OuterRef("current_task__tier"), account_id=OuterRef("account_id"),
                org_path=OuterRef("account__org__path")),
            "actor_unread": notifications.unread_exists(actor)})
        if seen:
            expected_tier, expected_hash = _expected((seen["tier"], seen["hash"]), expected_tier, expected_hash)
        deny_unless_visible(actor, submission)
        _check_still_current(submission, expected_tier=expected_tier, expected_hash=expected_hash)
        refusal = permissions.decide_refusal(actor, submission,
                                             signed_reviewer_ids={actor.pk} if submission.actor_signed else set(),
                                             member=submission.actor_member)
        if refusal:
            refusal.raise_()
        if bulk:
            refusal = permissions.bulk_pass_refusal(
                submission, max_severity=reviewer_selectors.precheck_max_severity(submission.current_round))
            if refusal:
                refusal.raise_()
        verdicts, comments, note, override = _clean_decision(submission, verdicts, comments, note, precheck_override)
        revision, task = submission.revision, submission.current_task
        if revision.recompute_hash() != revision.content_hash:
            raise Conflict(_("稿件内容与其哈希不符，已拒绝审核"), code="hash_mismatch")
        group_id = countersign.signing_group(task.groups, reviewer_permissions.task_signed_groups(task),
                                             reviewer_permissions.user_group_ids(actor)) if task.groups else None
        decision = reviewer_services.decision_record(task=task, reviewer=actor, revision=revision,
                                                     verdicts=verdicts, comments=comments, note=note,
                                                     precheck_override=override, group_id=group_id)
        decision.bulk = bool(bulk)
        notifications.acted_on(submission=submission, actor=actor, unread=submission.actor_unread)
        if decision.outcome == decision.Outcome.RETURN:
            # the task is closed with its round (_decided_return)
            live.queue_changed(account=submission.account, tier=task.tier, submission_id=submission.pk,
                               event=live.LEFT)
            return _decided_return(actor=actor, submission=submission, task=task, decision=decision)
        progress = reviewer_services.task_progress(task, latest=decision)
        if not progress.met:
            return _decided_signed(actor=actor, submission=submission, task=task, decision=decision,
                                   progress=progress)
        later = [t for t in submission.current_round.tiers if t["order"] > task.tier]
        if later:  # else the task is closed with its round (_decided_approve)
            reviewer_services.task_complete(task=task)
        live.queue_changed(account=submission.account, tier=task.tier, submission_id=submission.pk,
                           event=live.LEFT)
        if later:
            return _decided_next_tier(actor=actor, submission=submission, task=task, decision=decision,
                                      next_tier=later[0])
        return _decided_approve(actor=actor, submission=submission, task=task, decision=decision)


def _expected(seen, expected_tier, expected_hash):
    """The expected tier and hash, each taken from ``seen`` (tier, hash) when not given."""
    if not seen:
        return expected_tier, expected_hash
    return (seen[0] if expected_tier is None else expected_tier,
            seen[1] if expected_hash is None else expected_hash)


def _auto_assign(submission, task):
    """A tier whose policy asks for round-robin assignment gives the new task
    to a member at once (reviewers.services.task_auto_assign) and tells him."""
    tier = next((t for t in submission.current_round.tiers if t["order"] == task.tier), {})
    if not tier.get("auto_assign"):
        return
    system = content_services.system_actor()
    assignee = reviewer_services.task_auto_assign(actor=system, task=task, author_id=submission.draft.author_id)
    if assignee is not None:
        notifications.assigned(submission=submission, actor=system, assignee=assignee, tier_name=task.tier_name,
                               note=task.assign_note)


def _progress_data(progress):
    return {"signatures_needed": progress.needed, "signatures_passed": progress.signed,
            "signatures_remaining": progress.remaining, "groups_missing": list(progress.missing_groups)}


def _decided_signed(*, actor, submission, task, decision, progress):
    """A passing signature at a countersign tier whose rule is not met yet:
    recorded and audited; the round stays at the tier."""
    save_submission(submission)  # bumps updated_at: the queue and the page see the change
    _decided(actor=actor, submission=submission, task=task, decision=decision, **_progress_data(progress))
    _audit_override(actor=actor, submission=submission, review_round=submission.current_round, decision=decision)
    live.queue_changed(account=submission.account, tier=task.tier, submission_id=submission.pk,
                       event=live.SIGNED)
    return submission


def _check_still_current(submission, *, expected_tier, expected_hash):
    """The decision is about what the reviewer saw: still in review, at that
    tier, with that content; else a conflict (a lost race)."""
    if submission.state != states.IN_REVIEW:
        raise Conflict(_("该稿件已不在审核中（当前状态：%(state)s），您的决定未保存") % {
            "state": states.STATE_LABELS[submission.state]}, code="wrong_state")
    if expected_tier is not None and submission.current_task.tier != int(expected_tier):
        raise Conflict(_("该稿件已由他人在“第%(tier)s级”作出决定，您的决定未保存") % {"tier": expected_tier},
                       code="tier_moved")
    if expected_hash and expected_hash != submission.revision.content_hash:
        raise Conflict(_("稿件内容已变化，请查看最新版本后再审核"), code="hash_mismatch")


def _clean_decision(submission, verdicts, comments, note, precheck_override):
    """The validated verdicts, comments, note and override reason (ValidationFailed otherwise)."""
    clean_verdicts, clean_comments, errors = checklist.validate_checklist(verdicts, comments)
    note = str(note or "").strip()
    if len(note) > 4000:
        errors["note"] = [_("审核意见不能超过 4000 个字符")]
    if errors:
        raise ValidationFailed(_("审核意见填写不完整"), code="invalid_checklist", fields=errors)
    override = ""
    if submission.current_round.asks_override_at(submission.current_task.tier) and checklist.all_passed(
            clean_verdicts):
        override = str(precheck_override or "").strip()
        if not override:
            raise ValidationFailed(
                _("机审报告有阻断项：初审通过须填写放行理由（将记入审计日志）"), code="precheck_override_required",
                fields={"precheck_override": [_("请填写放行机审阻断项的理由")]})
        if len(override) > 2000:
            raise ValidationFailed(fields={"precheck_override": [_("放行理由不能超过 2000 个字符")]})
    return clean_verdicts, clean_comments, note, override


def _decided(*, actor, submission, task, decision, **extra):
    """The entry every decision writes, whatever its outcome."""
    data = {"decision_id": decision.pk, "tier": task.tier, "tier_name": task.tier_name,
            "verdicts": decision.verdicts, "comments": decision.comments, "note": decision.note,
            "outcome": decision.outcome, "revision_hash": decision.revision_hash, **extra}
    if decision.group_id is not None:
        data["group_id"] = decision.group_id
    if getattr(decision, "bulk", False):
        data["bulk"] = True
    if decision.precheck_override:
        data["precheck_override"] = decision.precheck_override
    audit_submission("workflow.submission.decided", actor=actor, submission=submission, data=data)


def _decided_return(*, actor, submission, task, decision):
    review_round = submission.current_round
    submission.return_for_changes()
    save_submission(submission)
    reviewer_services.round_end(review_round=review_round, outcome=ReviewRound.Outcome.RETURNED, completed=task)
    _decided(actor=actor, submission=submission, task=task, decision=decision)
    verdicts = decision.verdicts
    audit_submission("workflow.submission.returned", actor=actor, submission=submission,
                     data={"tier": task.tier, "failed": checklist.failed_dimensions(verdicts),
                           "comments": decision.comments,
                           "signatures": [d.pk for d in reviewer_selectors.task_signatures(task.pk)]})
    others = list(reviewer_selectors.task_signatures(task.pk).exclude(pk=decision.pk))
    notifications.returned(submission=submission, actor=actor, tier_name=task.tier_name,
                           verdicts=verdicts, comments=decision.comments, note=decision.note,
                           other_signatures=others)
    return submission


def _decided_next_tier(*, actor, submission, task, decision, next_tier):
    review_round = submission.current_round
    next_task = reviewer_services.task_open(review_round=review_round, tier_def=next_tier)
    submission.pass_tier(next_task=next_task)
    save_submission(submission)
    _auto_assign(submission, next_task)
    _decided(actor=actor, submission=submission, task=task, decision=decision, next_tier=next_task.tier)
    _audit_override(actor=actor, submission=submission, review_round=review_round, decision=decision)
    live.queue_changed(account=submission.account, tier=next_task.tier, submission_id=submission.pk,
                       event=live.ENTERED)
    notifications.tier_passed(submission=submission, actor=actor, tier_name=task.tier_name,
                              next_tier_name=next_task.tier_name, note=decision.note)
    return submission


def _decided_approve(*, actor, submission, task, decision):
    review_round = submission.current_round
    submission.approve()
    save_submission(submission)
    reviewer_services.round_end(review_round=review_round, outcome=ReviewRound.Outcome.APPROVED, completed=task)
    _decided(actor=actor, submission=submission, task=task, decision=decision)
    _audit_override(actor=actor, submission=submission, review_round=review_round, decision=decision)
    audit_submission("workflow.submission.approved", actor=actor, submission=submission)
    notifications.approved(submission=submission, actor=actor)
    return submission


# Pre-check rules whose finding text is personal data (their suggestion is the masked form).
_PERSONAL_DATA_RULES = frozenset({"secrecy.resident_id", "secrecy.resident_id_15", "secrecy.mobile",
                                  "secrecy.bank_card", "secrecy.personal_email"})


def _audit_override(*, actor, submission, review_round, decision):
    """A separate entry naming what the first tier let through, and why."""
    if not decision.precheck_override:
        return
    report = review_round.precheck
    blockers = [{"rule": f["rule"], "dimension": f["dimension"], "field": f["field"], "start": f["start"],
                 "end": f["end"],
                 # personal data stays out of the log: its masked form instead
                 "text": f["suggestion"] if f["rule"] in _PERSONAL_DATA_RULES else f["text"]}
                for f in (report.blockers() if report is not None else [])]
    audit_submission("workflow.submission.precheck_overridden", actor=actor, submission=submission,
           data={"decision_id": decision.pk, "tier": decision.tier, "tier_name": decision.tier_name,
                 "reason": decision.precheck_override, "report_id": report.pk if report else None,
                 "lexicon_version": report.lexicon_version if report else "", "blockers": blockers})


@transaction.atomic
def submission_withdraw(*, actor: User, submission_id: int) -> Submission:
    content_services.actor_reload(actor)
    submission = lock_submission(submission_id)
    deny_unless_visible(actor, submission)
    refusal = permissions.withdraw_refusal(actor, submission)
    if refusal:
        refusal.raise_()
    open_round = submission.current_round if submission.state == states.IN_REVIEW else None
    open_task = submission.current_task if open_round is not None else None
    submission.withdraw()
    save_submission(submission)
    if open_round is not None:
        reviewer_services.round_end(review_round=open_round, outcome=ReviewRound.Outcome.WITHDRAWN)
    audit_submission("workflow.submission.withdrawn", actor=actor, submission=submission)
    notifications.acted_on(submission=submission, actor=actor)
    if open_task is not None:
        live.queue_changed(account=submission.account, tier=open_task.tier, submission_id=submission.pk,
                           event=live.LEFT)
    return submission
