"""The business operations of the review workflow.

Each function is one transaction: it locks the submission (or draft), re-reads
it, checks the rules through workflow.permissions, runs the state machine's
transition, saves, and writes its audit entries before committing.
"""
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition

from audit.services import audit_record
from content import permissions as content_permissions
from content import selectors as content_selectors
from content import services as content_services
from content.errors import AccountClosed, Conflict, NotAllowed, NotFound, ValidationFailed
from reviewers import checklist
from reviewers import selectors as reviewer_selectors
from reviewers import services as reviewer_services
from reviewers.models import ReviewRound
from workflow import live, notifications, permissions, selectors, states
from workflow.models import Notification, PolicyTier, ReviewPolicy, Submission


# ---------------------------------------------------------------- helpers

def _raise(refusal):
    code, message, kind = refusal
    if code == AccountClosed.code:
        raise AccountClosed(message)
    raise (Conflict if kind == permissions.CONFLICT else NotAllowed)(message, code=code)


def _lock_submission(submission_id):
    """Lock the row, then read it with what the rules need."""
    if not str(submission_id).isdigit() or not Submission.objects.select_for_update().filter(
            pk=submission_id).values_list("pk", flat=True).exists():
        raise NotFound(_("送审单不存在"))
    return selectors.submission_detail(submission_id)


def _visible_or_deny(actor, submission):
    # The same answer for "not yours" and "does not exist": nothing leaks.
    if submission is None or not permissions.can_view_submission(actor, submission):
        raise NotAllowed(_("没有权限访问该送审单"), code="permission_denied")


def _audit(action, *, actor, submission, data=None, outcome="success"):
    audit_record(
        action=action, actor=actor, target_type="workflow.submission", target_id=submission.pk,
        org_path=submission.account.org.path, account_id=submission.account_id, draft_id=submission.draft_id,
        outcome=outcome,
        data={"state": submission.state, "round": submission.round_no, "revision": submission.revision.number,
              "hash": submission.revision.content_hash, **(data or {})},
    )


def _save(submission):
    try:
        submission.save()
    except ConcurrentTransition:
        raise Conflict(_("该送审单已被他人处理，请刷新后查看最新状态"), code="concurrent_transition") from None


def _check_repost(revision):
    missing = content_services.repost_missing_fields(revision)
    if missing:
        names = "、".join(m[0].replace("转载稿件必须填写", "") for m in missing.values())
        raise ValidationFailed(_("转载稿件缺少：%(names)s") % {"names": names}, code="repost_incomplete",
                               fields=missing)


def _lock_draft(draft_id):
    draft = content_selectors.draft_for_update(draft_id)
    if draft is None:
        raise NotAllowed(_("没有权限访问该稿件"))
    return draft


_FIELD_LABELS = {"body": _("正文"), "title": _("标题"), "repost": _("转载信息")}


def _finding_brief(finding):
    where = str(_FIELD_LABELS.get(finding["field"], finding["field"]))
    if finding["field"] != "repost":
        where += _("第%(n)d字") % {"n": finding["start"] + 1}
    return f"{where}：{finding['message']}"


def _precheck_gate(*, revision, tiers, gate):
    """Store the revision's pre-check report and apply the policy's gate.

    A secrecy blocker stops the submission when the gate says so (nothing is
    written: the caller's transaction rolls back). Otherwise returns the
    report, the round's tiers (with the policy's extra tier appended when the
    report has a political or secrecy blocker), whether the first tier must
    record an override reason to pass the report's blockers, and the name of
    the extra tier added ("" when none).
    """
    report = reviewer_services.precheck_store(revision=revision)
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


# ---------------------------------------------------------------- policies

def _clean_tiers(tiers):
    if not isinstance(tiers, (list, tuple)) or not tiers:
        raise ValidationFailed(fields={"tiers": [_("至少需要一个审核层级")]})
    if len(tiers) > 9:
        raise ValidationFailed(fields={"tiers": [_("审核层级不能超过 9 级")]})
    cleaned = []
    for index, tier in enumerate(tiers, start=1):
        name = str((tier or {}).get("name", "")).strip() if isinstance(tier, dict) else ""
        try:
            due = int((tier or {}).get("due_hours", 24))
        except (TypeError, ValueError):
            due = 0
        if not name or len(name) > 50:
            raise ValidationFailed(fields={"tiers": [_("第 %(n)d 级的名称不能为空且不超过 50 字") % {"n": index}]})
        if due < 1 or due > 24 * 90:
            raise ValidationFailed(fields={"tiers": [_("第 %(n)d 级的时限应为 1 到 2160 小时") % {"n": index}]})
        cleaned.append({"order": index, "name": name, "due_hours": due})
    return cleaned


def _policy_scope(org_id, account_id):
    if (org_id is None) == (account_id is None):
        raise ValidationFailed(_("请指定一个单位或一个账号（二者选一）"), code="scope_required")
    if account_id is not None:
        account = content_selectors.account_by_id(account_id)
        if account is None:
            raise ValidationFailed(fields={"account": [_("账号不存在")]})
        return account.org, account
    org = content_selectors.org_by_id(org_id)
    if org is None:
        raise ValidationFailed(fields={"org": [_("单位不存在")]})
    return org, None


def _policy_audit(action, *, actor, policy, org, before=None):
    audit_record(action=action, actor=actor, target_type="workflow.reviewpolicy", target_id=policy.pk,
                 org_path=org.path, account_id=policy.account_id,
                 data={"before": before, "after": {"name": policy.name, "org_id": policy.org_id,
                                                   "account_id": policy.account_id,
                                                   "allow_author_publish": policy.allow_author_publish,
                                                   "tiers": policy.tier_defs(),
                                                   "precheck_gate": policy.precheck_gate()}})


def _clean_extra_tier(value):
    value = str(value or "").strip()
    if len(value) > 50:
        raise ValidationFailed(fields={"precheck_extra_tier": [_("机审加审层级的名称不能超过 50 字")]})
    return value


@transaction.atomic
def policy_create(*, actor, name, tiers, org_id=None, account_id=None, allow_author_publish=False,
                  precheck_secrecy_blocks=True, precheck_blockers_need_override=True, precheck_extra_tier=""):
    """Create the review policy of a unit subtree or an account: its tiers and
    its pre-check gate (see _precheck_gate)."""
    org, account = _policy_scope(org_id, account_id)
    if not content_permissions.has_scoped_role(actor, "unit_admin", org):
        raise NotAllowed()
    cleaned = _clean_tiers(tiers)
    name = str(name or "").strip()
    if not name:
        raise ValidationFailed(fields={"name": [_("策略名称不能为空")]})
    extra_tier = _clean_extra_tier(precheck_extra_tier)
    try:
        with transaction.atomic():
            policy = ReviewPolicy.objects.create(name=name[:100], org=None if account else org, account=account,
                                                 allow_author_publish=bool(allow_author_publish),
                                                 precheck_secrecy_blocks=bool(precheck_secrecy_blocks),
                                                 precheck_blockers_need_override=bool(
                                                     precheck_blockers_need_override),
                                                 precheck_extra_tier=extra_tier)
    except IntegrityError:
        raise Conflict(_("该单位或账号已有审核策略，请修改现有策略"), code="policy_exists") from None
    PolicyTier.objects.bulk_create([PolicyTier(policy=policy, **t) for t in cleaned])
    _policy_audit("workflow.policy.created", actor=actor, policy=policy, org=org)
    return policy


@transaction.atomic
def policy_change(*, actor, policy_id, name=None, tiers=None, allow_author_publish=None,
                  precheck_secrecy_blocks=None, precheck_blockers_need_override=None, precheck_extra_tier=None):
    """Change a policy (None: unchanged). Rounds already open keep the tiers
    and the pre-check gate they started with."""
    policy = (ReviewPolicy.objects.select_for_update(of=("self",)).select_related("org", "account", "account__org")
              .filter(pk=policy_id).first())
    if policy is None:
        raise NotFound()
    org = policy.account.org if policy.account_id else policy.org
    if not content_permissions.has_scoped_role(actor, "unit_admin", org):
        raise NotAllowed()
    before = {"name": policy.name, "allow_author_publish": policy.allow_author_publish, "tiers": policy.tier_defs(),
              "precheck_gate": policy.precheck_gate()}
    if name is not None:
        if not str(name).strip():
            raise ValidationFailed(fields={"name": [_("策略名称不能为空")]})
        policy.name = str(name).strip()[:100]
    if allow_author_publish is not None:
        policy.allow_author_publish = bool(allow_author_publish)
    if precheck_secrecy_blocks is not None:
        policy.precheck_secrecy_blocks = bool(precheck_secrecy_blocks)
    if precheck_blockers_need_override is not None:
        policy.precheck_blockers_need_override = bool(precheck_blockers_need_override)
    if precheck_extra_tier is not None:
        policy.precheck_extra_tier = _clean_extra_tier(precheck_extra_tier)
    policy.save()
    if tiers is not None:
        cleaned = _clean_tiers(tiers)
        policy.tiers.all().delete()
        PolicyTier.objects.bulk_create([PolicyTier(policy=policy, **t) for t in cleaned])
    _policy_audit("workflow.policy.changed", actor=actor, policy=policy, org=org, before=before)
    return policy


@transaction.atomic
def policy_delete(*, actor, policy_id):
    policy = (ReviewPolicy.objects.select_for_update(of=("self",)).select_related("org", "account", "account__org")
              .filter(pk=policy_id).first())
    if policy is None:
        raise NotFound()
    org = policy.account.org if policy.account_id else policy.org
    if not content_permissions.has_scoped_role(actor, "unit_admin", org):
        raise NotAllowed()
    audit_record(action="workflow.policy.deleted", actor=actor, target_type="workflow.reviewpolicy",
                 target_id=policy.pk, org_path=org.path, account_id=policy.account_id,
                 data={"before": {"name": policy.name, "tiers": policy.tier_defs()}})
    policy.delete()


# ---------------------------------------------------------------- drafts

@transaction.atomic
def draft_revise(*, actor, draft_id, title, body="", is_repost=False, source_name="", source_url="",
                 original_title=""):
    """Save a new immutable revision of a draft.

    Saving content identical to the current revision creates nothing. A new
    revision while the draft is in review or approved ends that round
    (superseded): the submission goes back to "returned" and the author must
    resubmit, so the new content passes every tier again.
    """
    draft = _lock_draft(draft_id)
    if not content_permissions.can_view_draft(actor, draft):
        raise NotAllowed(_("没有权限访问该稿件"))
    draft.account.ensure_open()
    if not content_permissions.can_edit_draft(actor, draft):
        raise NotAllowed(_("只有作者本人可以修改稿件"))
    fields = content_services.build_revision_fields(
        title=title, body=body, is_repost=is_repost, source_name=source_name, source_url=source_url,
        original_title=original_title)
    if draft.current_revision_id and draft.current_revision.content_hash == fields["content_hash"]:
        return draft.current_revision
    # Lock order everywhere: draft, then submission, then (last, inside
    # audit_record) the audit chain head. Taking the submission before any
    # audit entry keeps this from deadlocking against a reviewer's decision.
    active = selectors.active_submission_for_draft(draft)
    submission = None
    if active is not None and active.state in (states.IN_REVIEW, states.APPROVED):
        submission = _lock_submission(active.pk)
        if submission.state not in (states.IN_REVIEW, states.APPROVED):
            submission = None  # a decision returned it while we waited
    revision = content_services.revision_append(actor=actor, draft=draft, fields=fields)
    audit_record(action="content.draft.revised", actor=actor, target_type="content.draft", target_id=draft.pk,
                 org_path=draft.account.org.path, account_id=draft.account_id, draft_id=draft.pk,
                 data=content_services.draft_audit_data(revision))
    if submission is not None:
        ended_round = submission.current_round
        ended_task = submission.current_task
        submission.supersede()
        _save(submission)
        reviewer_services.round_end(review_round=ended_round, outcome=ReviewRound.Outcome.SUPERSEDED)
        _audit("workflow.submission.superseded", actor=actor, submission=submission,
               data={"new_revision": revision.number, "new_hash": revision.content_hash})
        if ended_task is not None:
            live.queue_changed(account=submission.account, tier=ended_task.tier, submission_id=submission.pk,
                               event=live.LEFT)
    return revision


# ---------------------------------------------------------------- submit

@transaction.atomic
def submission_submit(*, actor, draft_id):
    """Send a draft's current revision into tiered review.

    A first submission opens round 1; a draft whose submission was returned is
    resubmitted as the next round of that same submission. Either way the
    revision's pre-check report is stored and the policy's gate applied
    (_precheck_gate): a secrecy blocker may refuse the submission.
    """
    draft = _lock_draft(draft_id)
    if not content_permissions.can_view_draft(actor, draft):
        raise NotAllowed(_("没有权限访问该稿件"))
    if draft.author_id != actor.pk:
        raise NotAllowed(_("只有作者本人可以提交送审"), code="not_author")
    draft.account.ensure_open()
    if not content_permissions.can_write_for(actor, draft.account):
        raise NotAllowed(_("没有为该账号撰稿的权限"), code="not_editor")
    revision = draft.current_revision
    _check_repost(revision)
    active = selectors.active_submission_for_draft(draft)
    if active is not None:
        if active.state != states.RETURNED:
            raise Conflict(_("该稿件已在审核流程中（状态：%(state)s）") % {"state": states.STATE_LABELS[active.state]},
                           code="already_submitted")
        return _resubmit(actor=actor, submission_id=active.pk, revision=revision)
    tiers, allow_author_publish, gate = selectors.effective_review_setup(draft.account)
    report, tiers, override_required, extra_tier = _precheck_gate(revision=revision, tiers=tiers, gate=gate)
    try:
        with transaction.atomic():
            submission = Submission.objects.create(draft=draft, account=draft.account, submitted_by=actor,
                                                   revision=revision, allow_author_publish=allow_author_publish)
    except IntegrityError:
        raise Conflict(_("该稿件已在审核流程中"), code="already_submitted") from None
    review_round, task = reviewer_services.round_open(submission_id=submission.pk, number=1, draft=draft,
                                                      revision=revision, tiers=tiers, precheck=report,
                                                      precheck_override_required=override_required)
    submission.current_round = review_round
    submission.current_task = task
    _save(submission)
    _audit("workflow.submission.submitted", actor=actor, submission=submission,
           data={"tier": task.tier, "tier_name": task.tier_name, "tiers": tiers,
                 "precheck": _precheck_audit_data(report, override_required, extra_tier)})
    live.queue_changed(account=submission.account, tier=task.tier, submission_id=submission.pk, event=live.ENTERED)
    return submission


def _resubmit(*, actor, submission_id, revision):
    submission = _lock_submission(submission_id)
    refusal = permissions.resubmit_refusal(actor, submission)
    if refusal:
        _raise(refusal)
    tiers, allow_author_publish, gate = selectors.effective_review_setup(submission.account)
    report, tiers, override_required, extra_tier = _precheck_gate(revision=revision, tiers=tiers, gate=gate)
    number = (ReviewRound.objects.filter(submission_id=submission.pk).aggregate(n=Max("number"))["n"] or 0) + 1
    review_round, task = reviewer_services.round_open(submission_id=submission.pk, number=number,
                                                      draft=submission.draft, revision=revision, tiers=tiers,
                                                      precheck=report, precheck_override_required=override_required)
    submission.allow_author_publish = allow_author_publish
    submission.resubmit(revision=revision, review_round=review_round, task=task)
    _save(submission)
    _audit("workflow.submission.resubmitted", actor=actor, submission=submission,
           data={"tier": task.tier, "tier_name": task.tier_name, "tiers": tiers,
                 "precheck": _precheck_audit_data(report, override_required, extra_tier)})
    live.queue_changed(account=submission.account, tier=task.tier, submission_id=submission.pk, event=live.ENTERED)
    return submission


# ---------------------------------------------------------------- decide

def submission_decide(*, actor, submission_id, verdicts, comments=None, note="", expected_tier=None,
                      expected_hash=None, precheck_override=""):
    """A reviewer's decision at the current tier, on all five dimensions.

    All pass: the next tier's task opens, or the submission is approved after
    the last tier. Any fail: the round ends and the draft returns to its
    editor with the reasons. ``expected_tier`` / ``expected_hash`` name what
    the reviewer looked at; when omitted they are taken from the submission
    as it stood before the lock, so of two simultaneous decisions exactly one
    succeeds and the other gets a conflict.

    ``precheck_override``: the first tier's reason for passing a round whose
    pre-check report has blockers, when the policy's gate asked for one
    (``ReviewRound.precheck_override_required``); stored on the decision and
    audited (``workflow.submission.precheck_overridden``). Ignored elsewhere.
    """
    if expected_tier is None or expected_hash is None:
        seen = Submission.objects.filter(pk=submission_id).values_list(
            "current_task__tier", "revision__content_hash").first() if str(submission_id).isdigit() else None
        if seen:
            expected_tier = seen[0] if expected_tier is None else expected_tier
            expected_hash = seen[1] if expected_hash is None else expected_hash
    with transaction.atomic():
        return _decide_locked(actor=actor, submission_id=submission_id, verdicts=verdicts, comments=comments,
                              note=note, expected_tier=expected_tier, expected_hash=expected_hash,
                              precheck_override=precheck_override)


def _override_needed(review_round, task, verdicts):
    """The round's gate asks the first tier for a reason to pass the report's blockers."""
    first = min((t["order"] for t in review_round.tiers), default=1)
    return review_round.precheck_override_required and task.tier == first and checklist.all_passed(verdicts)


def _decide_locked(*, actor, submission_id, verdicts, comments, note, expected_tier, expected_hash,
                   precheck_override=""):
    submission = _lock_submission(submission_id)
    _visible_or_deny(actor, submission)
    if submission.state != states.IN_REVIEW:
        raise Conflict(_("该稿件已不在审核中（当前状态：%(state)s），您的决定未保存") % {
            "state": states.STATE_LABELS[submission.state]}, code="wrong_state")
    task = submission.current_task
    if expected_tier is not None and task.tier != int(expected_tier):
        raise Conflict(_("该稿件已由他人在“第%(tier)s级”作出决定，您的决定未保存") % {"tier": expected_tier},
                       code="tier_moved")
    revision = submission.revision
    if expected_hash and expected_hash != revision.content_hash:
        raise Conflict(_("稿件内容已变化，请查看最新版本后再审核"), code="hash_mismatch")
    refusal = permissions.decide_refusal(actor, submission)
    if refusal:
        _raise(refusal)
    clean_verdicts, clean_comments, errors = checklist.validate_checklist(verdicts, comments)
    note = str(note or "").strip()
    if len(note) > 4000:
        errors["note"] = [_("审核意见不能超过 4000 个字符")]
    if errors:
        raise ValidationFailed(_("审核意见填写不完整"), code="invalid_checklist", fields=errors)
    review_round = submission.current_round
    override = ""
    if _override_needed(review_round, task, clean_verdicts):
        override = str(precheck_override or "").strip()
        if not override:
            raise ValidationFailed(
                _("机审报告有阻断项：初审通过须填写放行理由（将记入审计日志）"), code="precheck_override_required",
                fields={"precheck_override": [_("请填写放行机审阻断项的理由")]})
        if len(override) > 2000:
            raise ValidationFailed(fields={"precheck_override": [_("放行理由不能超过 2000 个字符")]})
    if revision.recompute_hash() != revision.content_hash:
        raise Conflict(_("稿件内容与其哈希不符，已拒绝审核"), code="hash_mismatch")
    decision = reviewer_services.decision_record(task=task, reviewer=actor, revision=revision,
                                                 verdicts=clean_verdicts, comments=clean_comments, note=note,
                                                 precheck_override=override)
    decided = {"decision_id": decision.pk, "tier": task.tier, "tier_name": task.tier_name,
               "verdicts": clean_verdicts, "comments": clean_comments, "note": note, "outcome": decision.outcome}
    if override:
        decided["precheck_override"] = override
    live.queue_changed(account=submission.account, tier=task.tier, submission_id=submission.pk, event=live.LEFT)
    if decision.outcome == decision.Outcome.RETURN:
        submission.return_for_changes()
        _save(submission)
        reviewer_services.round_end(review_round=review_round, outcome=ReviewRound.Outcome.RETURNED)
        _audit("workflow.submission.decided", actor=actor, submission=submission, data=decided)
        _audit("workflow.submission.returned", actor=actor, submission=submission,
               data={"tier": task.tier, "failed": checklist.failed_dimensions(clean_verdicts),
                     "comments": clean_comments})
        notifications.returned(submission=submission, actor=actor, tier_name=task.tier_name,
                               verdicts=clean_verdicts, comments=clean_comments, note=note)
        return submission
    later = [t for t in review_round.tiers if t["order"] > task.tier]
    if later:
        next_task = reviewer_services.task_open(review_round=review_round, tier_def=later[0])
        submission.pass_tier(next_task=next_task)
        _save(submission)
        decided["next_tier"] = next_task.tier
        _audit("workflow.submission.decided", actor=actor, submission=submission, data=decided)
        _audit_override(actor=actor, submission=submission, review_round=review_round, decision=decision)
        live.queue_changed(account=submission.account, tier=next_task.tier, submission_id=submission.pk,
                           event=live.ENTERED)
        notifications.tier_passed(submission=submission, actor=actor, tier_name=task.tier_name,
                                  next_tier_name=next_task.tier_name, note=note)
        return submission
    submission.approve()
    _save(submission)
    reviewer_services.round_end(review_round=review_round, outcome=ReviewRound.Outcome.APPROVED)
    _audit("workflow.submission.decided", actor=actor, submission=submission, data=decided)
    _audit_override(actor=actor, submission=submission, review_round=review_round, decision=decision)
    _audit("workflow.submission.approved", actor=actor, submission=submission)
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
    _audit("workflow.submission.precheck_overridden", actor=actor, submission=submission,
           data={"decision_id": decision.pk, "tier": decision.tier, "tier_name": decision.tier_name,
                 "reason": decision.precheck_override, "report_id": report.pk if report else None,
                 "lexicon_version": report.lexicon_version if report else "", "blockers": blockers})


# ---------------------------------------------------------------- withdraw

@transaction.atomic
def submission_withdraw(*, actor, submission_id):
    submission = _lock_submission(submission_id)
    _visible_or_deny(actor, submission)
    refusal = permissions.withdraw_refusal(actor, submission)
    if refusal:
        _raise(refusal)
    open_round = submission.current_round if submission.state == states.IN_REVIEW else None
    open_task = submission.current_task if open_round is not None else None
    submission.withdraw()
    _save(submission)
    if open_round is not None:
        reviewer_services.round_end(review_round=open_round, outcome=ReviewRound.Outcome.WITHDRAWN)
    _audit("workflow.submission.withdrawn", actor=actor, submission=submission)
    if open_task is not None:
        live.queue_changed(account=submission.account, tier=open_task.tier, submission_id=submission.pk,
                           event=live.LEFT)
    return submission


# ---------------------------------------------------------------- publish and retract

def _approved_hashes(submission):
    return {d.revision_hash for d in reviewer_selectors.decisions_of_rounds([submission.current_round_id])}


@transaction.atomic
def submission_publish(*, actor, submission_id, external_url="", external_id=""):
    """Publish the exact approved revision (先审后发) by an authorised user (授权发布)."""
    submission = _lock_submission(submission_id)
    _visible_or_deny(actor, submission)
    refusal = permissions.publish_refusal(actor, submission)
    if refusal:
        _raise(refusal)
    external_url = str(external_url or "").strip()
    if external_url:
        from django.core.exceptions import ValidationError
        from django.core.validators import URLValidator

        try:
            URLValidator(schemes=["http", "https"])(external_url)
        except ValidationError:
            raise ValidationFailed(fields={"external_url": [_("外部链接格式不正确")]}) from None
    external_id = str(external_id or "").strip()[:200]
    revision = submission.revision
    draft = content_selectors.draft_current_revision_id(submission.draft_id)
    approved = _approved_hashes(submission)
    if (draft != revision.pk or approved != {revision.content_hash}
            or revision.recompute_hash() != revision.content_hash):
        raise Conflict(_("待发布内容与审核通过的内容不一致（哈希不符），已拒绝发布"), code="hash_mismatch")
    publication = content_services.publication_create(actor=actor, draft=submission.draft, revision=revision,
                                                      external_url=external_url, external_id=external_id)
    submission.publish(publication=publication)
    _save(submission)
    _audit("workflow.submission.published", actor=actor, submission=submission,
           data={"publication_id": publication.pk, "external_url": external_url, "external_id": external_id})
    notifications.published(submission=submission, actor=actor, external_url=external_url)
    return submission


@transaction.atomic
def publication_retract(*, actor, publication_id, reason):
    """Retract a publication (撤稿). The record stays, marked with the reason."""
    sub_id = (Submission.objects.filter(publication_id=publication_id).values_list("pk", flat=True).first()
              if str(publication_id).isdigit() else None)
    if sub_id is None:
        raise NotAllowed(_("没有权限访问该发布记录"))
    submission = _lock_submission(sub_id)
    _visible_or_deny(actor, submission)
    refusal = permissions.retract_refusal(actor, submission)
    if refusal:
        _raise(refusal)
    reason = str(reason or "").strip()
    if not reason:
        raise ValidationFailed(fields={"reason": [_("撤稿必须填写原因")]})
    if len(reason) > 2000:
        raise ValidationFailed(fields={"reason": [_("撤稿原因不能超过 2000 个字符")]})
    publication = content_selectors.publication_for_update(publication_id)
    content_services.publication_mark_retracted(actor=actor, publication=publication, reason=reason)
    submission.retract()
    _save(submission)
    _audit("workflow.submission.retracted", actor=actor, submission=submission,
           data={"publication_id": publication.pk, "reason": reason})
    notifications.retracted(submission=submission, actor=actor, reason=reason)
    return submission




# ---------------------------------------------------------------- claiming a queue item

def _current_task_submission(actor, submission_id, task_id):
    """The submission whose current task the actor wants to claim or release."""
    submission = selectors.submission_detail(submission_id)
    _visible_or_deny(actor, submission)
    if submission.state != states.IN_REVIEW or submission.current_task_id is None:
        raise Conflict(_("该稿件已不在审核中（当前状态：%(state)s）") % {
            "state": states.STATE_LABELS[submission.state]}, code="wrong_state")
    if task_id not in (None, "") and str(task_id) != str(submission.current_task_id):
        raise Conflict(_("该稿件已进入“%(tier)s”，请刷新后查看最新状态") % {
            "tier": submission.current_task.tier_name}, code="tier_moved")
    return submission


@transaction.atomic
def submission_claim(*, actor, submission_id, task_id=None):
    """Claim a submission's current review task (reviewers.services.task_claim)
    so that colleagues at the same tier leave it alone; the tier's queue pages
    hear of it after commit. ``task_id``: the task the reviewer saw — when the
    submission has moved on meanwhile, a conflict instead of claiming the next
    tier's task unseen."""
    submission = _current_task_submission(actor, submission_id, task_id)
    task = reviewer_services.task_claim(actor=actor, task_id=submission.current_task_id)
    live.queue_changed(account=submission.account, tier=task.tier, submission_id=submission.pk, event=live.CLAIMED)
    return task


@transaction.atomic
def submission_release(*, actor, submission_id, task_id=None):
    """Give a claimed task back to its tier's queue (reviewers.services.task_release), announced live."""
    submission = _current_task_submission(actor, submission_id, task_id)
    task = reviewer_services.task_release(actor=actor, task_id=submission.current_task_id)
    live.queue_changed(account=submission.account, tier=task.tier, submission_id=submission.pk, event=live.RELEASED)
    return task


# ---------------------------------------------------------------- notifications (reading state, not audited)

def notification_mark_read(*, actor, notification_id):
    """Mark one of the actor's notifications read (idempotent). Someone else's,
    or an unknown one, is refused alike."""
    from django.utils import timezone

    mine = Notification.objects.filter(pk=notification_id, recipient_id=actor.pk) if str(
        notification_id).isdigit() else Notification.objects.none()
    if not mine.exists():
        raise NotAllowed(_("没有权限访问该通知"))
    mine.filter(read_at__isnull=True).update(read_at=timezone.now())
    return mine.get()


def notifications_mark_all_read(*, actor):
    """Mark every unread notification of the actor read; returns how many."""
    from django.utils import timezone

    return Notification.objects.filter(recipient_id=actor.pk, read_at__isnull=True).update(read_at=timezone.now())
