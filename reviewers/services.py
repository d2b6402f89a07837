"""Writes: tier membership, claiming tasks, the pre-check lexicon, and the
building blocks the workflow uses to store pre-check reports, open rounds,
open tasks and record decisions."""
from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Case, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from content import permissions as content_permissions
from content import roles
from content import services as content_services
from content.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from content.models import Draft, MediaAccount, Organization, Revision, User
from reviewers import checklist, countersign, permissions, selectors
from reviewers.models import (
    SEVERITY_LABELS, Absence, Decision, LexiconEntry, LexiconState, PersonTitle, PrecheckReport, ReviewRound, ReviewTask,
    TierMembership,
)
from reviewers.precheck import Lexicon
from reviewers.precheck.lexicon import normalize_term


# ---------------------------------------------------------------- membership

@transaction.atomic
def membership_grant(*, actor: User, user_id: int, tier: int, org_id: int | None = None,
                     account_id: int | None = None, is_lead: bool = False) -> TierMembership:
    """Let a user decide at a tier for one account or a unit subtree
    (``is_lead``: as the tier's lead, who may assign its items)."""
    if (org_id is None) == (account_id is None):
        raise ValidationFailed(_("请指定一个单位或一个账号（二者选一）"), code="scope_required")
    try:
        tier = int(tier)
    except (TypeError, ValueError):
        tier = 0
    if tier < 1:
        raise ValidationFailed(fields={"tier": [_("审核层级必须是正整数")]})
    scope = (MediaAccount.objects.select_related("org").filter(pk=account_id).first() if account_id
             else Organization.objects.filter(pk=org_id).first())
    if scope is None:
        raise ValidationFailed(fields={"account" if account_id else "org": [_("对象不存在")]})
    if not permissions.can_manage_memberships(actor, scope):
        raise NotAllowed()
    user = User.objects.filter(pk=user_id).first() if str(user_id).isdigit() else None
    if user is None:
        raise ValidationFailed(fields={"user": [_("用户不存在")]})
    refusal = content_permissions.grantee_refusal(user, roles.REVIEWER)
    if refusal is None and user.pk == actor.pk:
        refusal = content_permissions.roles_refusal(actor, user, [], ["tier"])
    if refusal:
        raise ValidationFailed(refusal.message, code=refusal.code, fields={"user": [refusal.message]})
    try:
        with transaction.atomic():
            membership = TierMembership.objects.create(user=user, tier=tier, org_id=org_id, account_id=account_id,
                                                       is_lead=bool(is_lead))
    except IntegrityError:
        raise Conflict(_("该用户已拥有此审核层级"), code="membership_exists") from None
    org_path = scope.org.path if account_id else scope.path
    audit_record(action="reviewers.membership.granted", actor=actor, target_type="reviewers.tiermembership",
                 target_id=membership.pk, org_path=org_path, account_id=account_id,
                 data={"user_id": user.pk, "username": user.username, "tier": tier, "org_id": org_id,
                       "account_id": account_id, "is_lead": bool(is_lead)})
    return membership


@transaction.atomic
def membership_revoke(*, actor: User, membership_id: int, audit_data: dict[str, Any] | None = None) -> None:
    """Revoke a tier membership. Callers use workflow.services.membership_revoke,
    which first checks that no tier is left without anyone (and passes what it
    found as ``audit_data``, added to the entry)."""
    membership = (TierMembership.objects.select_for_update(of=("self",)).select_related("org", "account", "account__org", "user")
                  .filter(pk=membership_id).first())
    if membership is None:
        raise NotFound()
    scope = membership.account or membership.org
    if not permissions.can_manage_memberships(actor, scope):
        raise NotAllowed()
    data = {"user_id": membership.user_id, "username": membership.user.username, "tier": membership.tier,
            "org_id": membership.org_id, "account_id": membership.account_id, **(audit_data or {})}
    org_path = membership.account.org.path if membership.account_id else membership.org.path
    audit_record(action="reviewers.membership.revoked", actor=actor, target_type="reviewers.tiermembership",
                 target_id=membership.pk, org_path=org_path, account_id=membership.account_id, data=data)
    membership.delete()


# ---------------------------------------------------------------- claiming

def _lock_task(task_id):
    task = (ReviewTask.objects.select_for_update(of=("self",)).select_related("round", "round__draft", "account", "account__org")
            .filter(pk=task_id).first())
    if task is None:
        raise NotFound(_("审核任务不存在"))
    return task


def _audit_task(action, *, actor, task, data=None):
    audit_record(action=action, actor=actor, target_type="reviewers.reviewtask", target_id=task.pk,
                 org_path=task.account.org.path, account_id=task.account_id, draft_id=task.round.draft_id,
                 data={"submission_id": task.round.submission_id, "tier": task.tier, **(data or {})})


@transaction.atomic
def task_claim(*, actor: User, task_id: int) -> ReviewTask:
    """Claim an open task so that colleagues at the same tier leave it alone."""
    task = _lock_task(task_id)
    if task.status != ReviewTask.Status.OPEN:
        raise Conflict(_("该任务已处理完毕"), code="task_closed")
    refusal = permissions.decide_refusal(
        actor, task, author_id=task.round.draft.author_id,
        signed_reviewer_ids=set(task.round.decisions.values_list("reviewer_id", flat=True)))
    if refusal:
        refusal.raise_()
    if task.claimed_by_id == actor.pk:
        return task
    task.claimed_by = actor
    task.claimed_at = timezone.now()
    task.save(update_fields=["claimed_by", "claimed_at"])
    _audit_task("reviewers.task.claimed", actor=actor, task=task)
    return task


@transaction.atomic
def task_release(*, actor: User, task_id: int) -> ReviewTask:
    """Give a claimed task back to the tier's queue (the claimer, or a security administrator)."""
    task = _lock_task(task_id)
    if task.claimed_by_id is None:
        raise Conflict(_("该任务未被认领"), code="task_not_claimed")
    if task.claimed_by_id != actor.pk and permissions.assign_refusal(actor, task) is not None:
        raise NotAllowed(_("只能释放自己认领的任务"))
    previous = task.claimed_by_id
    task.claimed_by = None
    task.claimed_at = None
    task.assigned_by = None
    task.assign_note = ""
    task.save(update_fields=["claimed_by", "claimed_at", "assigned_by", "assign_note"])
    _audit_task("reviewers.task.released", actor=actor, task=task, data={"released_from": previous})
    return task


@transaction.atomic
def task_assign(*, actor: User, task_id: int, assignee_id: int, note: str = "") -> ReviewTask:
    """The tier's lead (or a security administrator) gives an open task to a named
    member: a claim made by someone else, with an optional note. Assigning a
    claimed task again is a reassignment (recorded with whom it was taken
    from). The assignee must be one who may decide the task."""
    task = _lock_task(task_id)
    if task.status != ReviewTask.Status.OPEN:
        raise Conflict(_("该任务已处理完毕"), code="task_closed")
    refusal = permissions.assign_refusal(actor, task)
    if refusal:
        refusal.raise_()
    note = str(note or "").strip()
    if len(note) > 500:
        raise ValidationFailed(fields={"note": [_("指派说明不能超过 500 个字符")]})
    assignee = User.objects.filter(pk=assignee_id, is_active=True).first() if str(assignee_id).isdigit() else None
    if assignee is None:
        raise ValidationFailed(fields={"user": [_("用户不存在")]})
    refusal = permissions.decide_refusal(
        assignee, task, author_id=task.round.draft.author_id,
        signed_reviewer_ids=set(task.round.decisions.values_list("reviewer_id", flat=True)), ignore_claim=True)
    if refusal:
        raise ValidationFailed(_("不能指派给该用户：%(why)s") % {"why": refusal.message}, code="cannot_assign",
                               fields={"user": [refusal.message]})
    previous = task.claimed_by_id
    task.claimed_by = assignee
    task.claimed_at = timezone.now()
    task.assigned_by = actor
    task.assign_note = note
    task.save(update_fields=["claimed_by", "claimed_at", "assigned_by", "assign_note"])
    _audit_task("reviewers.task.assigned", actor=actor, task=task,
                data={"assignee_id": assignee.pk, "assignee": assignee.username, "note": note,
                      "reassigned_from": previous})
    return task


def task_auto_assign(*, actor: User, task: ReviewTask, author_id: int) -> ReviewTask | None:
    """Round-robin (轮流指派) for a task that just opened at a tier whose
    policy asks for it: among the tier's members who may decide it and are
    not absent today, the one assigned the fewest of this account's tasks at
    this tier so far (ties: the lowest id). None when nobody is there; the
    task then waits in the tier's queue as usual. Audited like an assignment."""
    members = [u for u in selectors.tier_members(task.account, task.tier)]
    signed = set(task.round.decisions.values_list("reviewer_id", flat=True))
    absent = selectors.absent_user_ids([u.pk for u in members], timezone.localdate())
    eligible = [u for u in members if u.pk not in absent and permissions.decide_refusal(
        u, task, author_id=author_id, signed_reviewer_ids=signed, ignore_claim=True) is None]
    if not eligible:
        return None
    counts = selectors.assignment_counts(task.account, task.tier, [u.pk for u in eligible])
    assignee = min(eligible, key=lambda u: (counts[u.pk], u.pk))
    task.claimed_by, task.claimed_at, task.assigned_by = assignee, timezone.now(), actor
    task.assign_note = _("轮流指派")
    task.save(update_fields=["claimed_by", "claimed_at", "assigned_by", "assign_note"])
    _audit_task("reviewers.task.assigned", actor=actor, task=task,
                data={"assignee_id": assignee.pk, "assignee": assignee.username, "note": task.assign_note,
                      "reassigned_from": None, "auto": True, "skipped_absent": sorted(absent)})
    return assignee


# ---------------------------------------------------------------- the absence calendar (不在岗日历)

ABSENCE_MAX_DAYS = 366  # one absence covers at most a year
ABSENCE_MAX_AHEAD_DAYS = 366  # and starts within a year from today


def _absence_date(value: Any, name: str, label: str) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValidationFailed(fields={name: [_("%(label)s格式应为 YYYY-MM-DD") % {"label": label}]}) from None


def _absence_audit(action: str, *, actor: User, absence: Absence, person: User) -> None:
    audit_record(action=action, actor=actor, target_type="reviewers.absence", target_id=absence.pk,
                 org_path=person.org.path if person.org_id else "",
                 data={"user_id": person.pk, "username": person.username, "starts_on": absence.starts_on.isoformat(),
                       "ends_on": absence.ends_on.isoformat(), "note": absence.note,
                       "for_other": person.pk != actor.pk})


@transaction.atomic
def absence_create(*, actor: User, starts_on: dt.date | str, ends_on: dt.date | str, note: str = "",
                   user_id: int | None = None) -> Absence:
    """Record that a reviewer is away from ``starts_on`` to ``ends_on`` (both
    included): round-robin assignment passes him over on those days. His own
    (``user_id`` None), or, for a unit administrator, a reviewer's of his
    subtree (reviewers.permissions.absence_keep_refusal). Not in the past,
    at most a year long, starting within a year, not overlapping another of
    his absences (409 ``absence_overlap``). Audited."""
    actor = content_services.actor_reload(actor)
    person_id = actor.pk if user_id is None else user_id
    # The person's row is locked, so that two overlapping absences recorded at once cannot both pass the check.
    person = (User.objects.select_for_update(no_key=True, of=("self",)).select_related("org")
              .filter(pk=person_id).first() if str(person_id).isdigit() else None)
    if person is None:
        raise ValidationFailed(fields={"user": [_("用户不存在")]})
    refusal = permissions.absence_keep_refusal(actor, person)
    if refusal:
        refusal.raise_()
    if person.pk != actor.pk and roles.REVIEWER not in (person.roles or []):
        message = _("只能为审核人登记不在岗日期")
        raise ValidationFailed(message, code="absence_not_reviewer", fields={"user": [message]})
    start = _absence_date(starts_on, "starts_on", _("开始日期"))
    end = _absence_date(ends_on, "ends_on", _("结束日期"))
    note = (note or "").strip()
    today = timezone.localdate()
    if end < start:
        raise ValidationFailed(_("结束日期不能早于开始日期"), code="absence_range",
                               fields={"ends_on": [_("结束日期不能早于开始日期")]})
    if end < today:
        raise ValidationFailed(_("不能登记已经过去的日期"), code="absence_past",
                               fields={"ends_on": [_("不能登记已经过去的日期")]})
    if (end - start).days + 1 > ABSENCE_MAX_DAYS:
        message = _("一次登记最长 %(days)d 天") % {"days": ABSENCE_MAX_DAYS}
        raise ValidationFailed(message, code="absence_too_long", fields={"ends_on": [message]})
    if start > today + dt.timedelta(days=ABSENCE_MAX_AHEAD_DAYS):
        message = _("只能登记一年之内开始的不在岗日期")
        raise ValidationFailed(message, code="absence_too_far", fields={"starts_on": [message]})
    if len(note) > 200:
        raise ValidationFailed(fields={"note": [_("说明最多 200 个字")]})
    overlap = Absence.objects.filter(user=person, starts_on__lte=end, ends_on__gte=start).order_by("starts_on").first()
    if overlap is not None:
        raise Conflict(_("与已登记的不在岗日期（%(start)s 至 %(end)s）重叠") % {
            "start": overlap.starts_on.isoformat(), "end": overlap.ends_on.isoformat()}, code="absence_overlap")
    absence = Absence.objects.create(user=person, starts_on=start, ends_on=end, note=note)
    _absence_audit("reviewers.absence.recorded", actor=actor, absence=absence, person=person)
    return absence


@transaction.atomic
def absence_delete(*, actor: User, absence_id: int | str) -> None:
    """Delete an absence (back early, or recorded by mistake): whoever may
    record it (absence_keep_refusal); one that already ended stays, as the
    record of why assignments passed him over (409 ``absence_ended``). One the
    actor may not see is refused as unknown. Audited with its dates."""
    actor = content_services.actor_reload(actor)
    absence = (Absence.objects.select_for_update(of=("self",)).select_related("user", "user__org")
               .filter(pk=absence_id).first() if str(absence_id).isdigit() else None)
    if absence is None or selectors.absence_visible_to(actor, absence.pk) is None:
        raise NotAllowed(_("不在岗记录不存在或无权查看"), code="absence_hidden")
    refusal = permissions.absence_keep_refusal(actor, absence.user)
    if refusal:
        refusal.raise_()
    if absence.ends_on < timezone.localdate():
        raise Conflict(_("已经结束的不在岗记录不能删除"), code="absence_ended")
    _absence_audit("reviewers.absence.deleted", actor=actor, absence=absence, person=absence.user)
    absence.delete()


# ---------------------------------------------------------------- building blocks for workflow

def round_open(*, submission_id: int, number: int, draft: Draft, revision: Revision,
               tiers: Sequence[dict[str, Any]], precheck: PrecheckReport | None = None,
               precheck_override_required: bool = False) -> tuple[ReviewRound, ReviewTask]:
    """Open a review round for a revision and its first tier's task.

    ``precheck``: the revision's stored PrecheckReport; with
    ``precheck_override_required`` the first tier must give a reason to pass."""
    if not tiers:
        raise ValidationFailed(_("审核策略没有任何审核层级"), code="policy_empty")
    review_round = ReviewRound.objects.create(submission_id=submission_id, number=number, draft=draft,
                                              revision=revision, account=draft.account, tiers=list(tiers),
                                              precheck=precheck,
                                              precheck_override_required=bool(precheck_override_required))
    task = task_open(review_round=review_round, tier_def=tiers[0])
    return review_round, task


def task_open(*, review_round: ReviewRound, tier_def: dict[str, Any]) -> ReviewTask:
    now = timezone.now()
    signatures, groups = countersign.clean_rule(tier_def.get("signatures", 1), tier_def.get("groups"))
    return ReviewTask.objects.create(
        round=review_round, tier=tier_def["order"], tier_name=tier_def["name"], account_id=review_round.account_id,
        due_at=now + dt.timedelta(hours=tier_def.get("due_hours") or 24), signatures=signatures, groups=groups,
    )


def round_end(*, review_round: ReviewRound, outcome: str, completed: ReviewTask | None = None) -> None:
    """Close a round; any task still open in it is cancelled. ``completed``:
    the round's task whose decision ends it, closed as done (task_complete)
    by the same update."""
    review_round.outcome = outcome
    review_round.ended_at = timezone.now()
    review_round.save(update_fields=["outcome", "ended_at"])
    still_open = Q(round=review_round, status=ReviewTask.Status.OPEN)
    if completed is None:
        ReviewTask.objects.filter(still_open).update(status=ReviewTask.Status.CANCELLED)
        return
    ReviewTask.objects.filter(still_open | Q(pk=completed.pk)).update(status=Case(
        When(pk=completed.pk, then=Value(ReviewTask.Status.DONE)), default=Value(ReviewTask.Status.CANCELLED)))
    completed.status = ReviewTask.Status.DONE


def decision_record(*, task: ReviewTask, reviewer: User, revision: Revision, verdicts: dict[str, str],
                    comments: dict[str, str], note: str, precheck_override: str = "",
                    group_id: int | None = None) -> Decision:
    """Record one validated signature at an open task (the caller holds the
    submission's lock). The task stays open: the caller closes it
    (task_complete) when its countersign rule is met or the signature fails a
    dimension. ``group_id``: the office the signature counts for."""
    if task.status != ReviewTask.Status.OPEN:
        raise Conflict(_("本层级已审核完毕，您的决定未保存"), code="already_decided")
    outcome = Decision.Outcome.PASS if checklist.all_passed(verdicts) else Decision.Outcome.RETURN
    # The unique constraints (one signature per person per round, one per office per task) back up the
    # rules the caller checked under the submission's lock (workflow.permissions.decide_refusal,
    # countersign.signing_group): no other transaction signs this task meanwhile.
    return Decision.objects.create(
        task=task, round=task.round, tier=task.tier, tier_name=task.tier_name, reviewer=reviewer,
        revision=revision, revision_hash=revision.content_hash, comments=comments, note=note,
        precheck_override=precheck_override or "", outcome=outcome, group_id=group_id, **verdicts,
    )


def task_progress(task: ReviewTask, *, latest: Decision | None = None) -> countersign.Progress:
    """Where the task's countersign rule stands, from its passing signatures
    (one query). ``latest``: the passing signature just recorded on the still
    open task; a task that needs one signature of no particular office is met
    by it without a query (an earlier pass would have closed the task)."""
    if latest is not None and task.signatures <= 1 and not task.groups:
        return countersign.progress(task.signatures, task.groups, [latest.group_id])
    signed = Decision.objects.filter(task=task, outcome=Decision.Outcome.PASS).values_list("group_id", flat=True)
    return countersign.progress(task.signatures, task.groups, list(signed))


def task_complete(*, task: ReviewTask) -> None:
    """Close a task whose tier is decided (rule met, or a signature returned the draft)."""
    task.status = ReviewTask.Status.DONE
    task.save(update_fields=["status"])


# ---------------------------------------------------------------- the pre-check lexicon

LEXICON_FIELDS = ("wrong", "right", "dimension", "severity", "note")
_LEXICON_MAX = {"wrong": 100, "right": 100, "note": 300}


def _lexicon_snapshot(entry):
    return {"wrong": entry.wrong, "right": entry.right, "dimension": entry.dimension, "severity": entry.severity,
            "note": entry.note, "enabled": entry.enabled, "origin": entry.origin}


def _clean_lexicon_fields(values):
    """Validate the given lexicon fields; return them cleaned or raise ValidationFailed."""
    cleaned, errors = {}, {}
    for name, value in values.items():
        value = str(value if value is not None else "").strip()
        if name in _LEXICON_MAX and len(value) > _LEXICON_MAX[name]:
            errors[name] = [_("不能超过 %(n)d 个字符") % {"n": _LEXICON_MAX[name]}]
        cleaned[name] = value
    if "wrong" in cleaned and not normalize_term(cleaned["wrong"]):
        errors["wrong"] = [_("不规范写法不能为空")]
    if "dimension" in cleaned and cleaned["dimension"] not in checklist.DIMENSIONS:
        errors["dimension"] = [_("未知的审核维度")]
    if "severity" in cleaned and cleaned["severity"] not in SEVERITY_LABELS:
        errors["severity"] = [_("未知的严重程度")]
    if errors:
        raise ValidationFailed(_("词库条目填写有误"), fields=errors)
    return cleaned


def _lexicon_lock_state():
    """Lock the lexicon state row (created when missing): the first lock of
    every lexicon change, so changes queue and each gets its own version."""
    state = LexiconState.objects.select_for_update().filter(pk=1).first()
    if state is None:
        try:
            with transaction.atomic():
                LexiconState.objects.create(pk=1, version=0, token="")
        except IntegrityError:
            pass
        state = LexiconState.objects.select_for_update().get(pk=1)
    return state


def _lexicon_bump(state):
    """Advance the locked state: every process rebuilds its lexicon on its next pre-check."""
    state.version += 1
    state.token = uuid.uuid4().hex
    state.save(update_fields=["version", "token", "updated_at"])
    return state.version


def _lexicon_guard(actor):
    if not permissions.can_manage_lexicon(actor):
        raise NotAllowed(_("只有顶级单位的管理员可以维护机审词库"))


def _audit_lexicon(action, *, actor, entry, version, before=None):
    org = getattr(actor, "org", None) if actor is not None else None
    audit_record(action=action, actor=actor, target_type="reviewers.lexiconentry", target_id=entry.pk,
                 org_path=org.path if org is not None else "",
                 data={"before": before, "after": _lexicon_snapshot(entry), "lexicon_version": version})


def _lock_lexicon_entry(entry_id):
    entry = (LexiconEntry.objects.select_for_update().filter(pk=entry_id).first()
             if str(entry_id).isdigit() else None)
    if entry is None:
        raise NotFound(_("词库条目不存在"))
    return entry


def _save_lexicon_entry(entry, *, create=False):
    try:
        with transaction.atomic():
            if create:
                entry.save(force_insert=True)
            else:
                entry.save()
    except IntegrityError:
        raise Conflict(_("该维度下已有相同的不规范写法"), code="lexicon_entry_exists",
                       fields={"wrong": [_("该维度下已有相同的不规范写法")]}) from None


@transaction.atomic
def lexicon_entry_create(*, actor: User, wrong: str, right: str = "", dimension: str, severity: str = "warning",
                         note: str = "", enabled: bool = True) -> LexiconEntry:
    """Add a lexicon entry (origin "admin"). In force for every process's next pre-check."""
    _lexicon_guard(actor)
    fields = _clean_lexicon_fields({"wrong": wrong, "right": right, "dimension": dimension, "severity": severity,
                                    "note": note})
    state = _lexicon_lock_state()
    entry = LexiconEntry(**fields, enabled=bool(enabled), origin=LexiconEntry.Origin.ADMIN)
    _save_lexicon_entry(entry, create=True)
    version = _lexicon_bump(state)
    _audit_lexicon("reviewers.lexicon.created", actor=actor, entry=entry, version=version)
    return entry


@transaction.atomic
def lexicon_entry_update(*, actor: User, entry_id: int, wrong: str | None = None, right: str | None = None,
                         dimension: str | None = None, severity: str | None = None,
                         note: str | None = None) -> LexiconEntry:
    """Change the given fields of an entry (None: unchanged). No change, no entry in the log."""
    _lexicon_guard(actor)
    given = {name: value for name, value in (("wrong", wrong), ("right", right), ("dimension", dimension),
                                             ("severity", severity), ("note", note)) if value is not None}
    fields = _clean_lexicon_fields(given)
    state = _lexicon_lock_state()
    entry = _lock_lexicon_entry(entry_id)
    changed = {name: value for name, value in fields.items() if getattr(entry, name) != value}
    if not changed:
        return entry
    before = _lexicon_snapshot(entry)
    for name, value in changed.items():
        setattr(entry, name, value)
    _save_lexicon_entry(entry)
    version = _lexicon_bump(state)
    _audit_lexicon("reviewers.lexicon.changed", actor=actor, entry=entry, version=version, before=before)
    return entry


@transaction.atomic
def lexicon_entry_set_enabled(*, actor: User, entry_id: int, enabled: bool) -> LexiconEntry:
    """Disable (or enable again) an entry; entries are never deleted."""
    _lexicon_guard(actor)
    state = _lexicon_lock_state()
    entry = _lock_lexicon_entry(entry_id)
    if entry.enabled == bool(enabled):
        return entry
    before = _lexicon_snapshot(entry)
    entry.enabled = bool(enabled)
    _save_lexicon_entry(entry)
    version = _lexicon_bump(state)
    _audit_lexicon("reviewers.lexicon.enabled" if entry.enabled else "reviewers.lexicon.disabled",
                   actor=actor, entry=entry, version=version, before=before)
    return entry


# ---------------------------------------------------------------- the names-and-titles table (领导姓名职务)

PERSON_TITLE_FIELDS = ("name", "title", "unit", "valid_from", "valid_to")


def _person_title_snapshot(row: PersonTitle) -> dict[str, Any]:
    return {"org": row.org_id, "name": row.name, "title": row.title, "unit": row.unit,
            "valid_from": row.valid_from.isoformat() if row.valid_from else None,
            "valid_to": row.valid_to.isoformat() if row.valid_to else None, "enabled": row.enabled}


def _clean_person_title_fields(fields: dict[str, Any], *, current: PersonTitle | None = None) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name in ("name", "title", "unit"):
        if name in fields:
            value = " ".join(str(fields[name] or "").split())
            limit = PersonTitle._meta.get_field(name).max_length
            if name != "unit" and not value:
                errors[name] = [_("此项不能为空")]
            elif len(value) > limit:
                errors[name] = [_("不能超过 %(n)d 个字符") % {"n": limit}]
            cleaned[name] = value
    for name in ("valid_from", "valid_to"):
        if name in fields:
            value = fields[name]
            if value in ("", None):
                cleaned[name] = None
            elif isinstance(value, dt.date):
                cleaned[name] = value
            else:
                try:
                    cleaned[name] = dt.date.fromisoformat(str(value))
                except ValueError:
                    errors[name] = [_("日期格式应为 YYYY-MM-DD")]
    start = cleaned.get("valid_from", current.valid_from if current else None)
    end = cleaned.get("valid_to", current.valid_to if current else None)
    if start and end and end < start and "valid_to" not in errors:
        errors["valid_to"] = [_("截止日期不能早于起始日期")]
    if errors:
        raise ValidationFailed(fields=errors)
    return cleaned


def _person_title_guard(actor: User, org: Organization) -> None:
    if not permissions.can_manage_person_titles(actor, org):
        raise NotAllowed(_("只有该单位或上级单位的管理员可以维护姓名职务表"))


def _audit_person_title(action: str, *, actor: User, row: PersonTitle, before: dict[str, Any] | None = None) -> None:
    audit_record(action=action, actor=actor, target_type="reviewers.persontitle", target_id=row.pk,
                 org_path=row.org.path, data={"before": before, "after": _person_title_snapshot(row)})


def _lock_person_title(row_id: int) -> PersonTitle:
    row = (PersonTitle.objects.select_for_update().select_related("org").filter(pk=row_id).first()
           if str(row_id).isdigit() else None)
    if row is None:
        raise NotFound(_("姓名职务条目不存在"))
    return row


@transaction.atomic
def person_title_create(*, actor: User, org_id: int, name: str, title: str, unit: str = "",
                        valid_from: dt.date | str | None = None, valid_to: dt.date | str | None = None,
                        enabled: bool = True) -> PersonTitle:
    """Add a row of the names-and-titles table for ``org``'s subtree."""
    org = Organization.objects.filter(pk=org_id).first() if str(org_id).isdigit() else None
    if org is None:
        raise NotFound(_("单位不存在"))
    _person_title_guard(actor, org)
    fields = _clean_person_title_fields({"name": name, "title": title, "unit": unit, "valid_from": valid_from,
                                         "valid_to": valid_to})
    row = PersonTitle.objects.create(org=org, enabled=bool(enabled), **fields)
    _audit_person_title("reviewers.person_title.created", actor=actor, row=row)
    return row


@transaction.atomic
def person_title_update(*, actor: User, row_id: int, **changes: Any) -> PersonTitle:
    """Change the given fields (``name``, ``title``, ``unit``, ``valid_from``,
    ``valid_to``) of a row. No change, no entry in the log."""
    unknown = set(changes) - set(PERSON_TITLE_FIELDS)
    if unknown:
        raise ValidationFailed(_("未知字段：%(f)s") % {"f": "、".join(sorted(unknown))})
    row = _lock_person_title(row_id)
    _person_title_guard(actor, row.org)
    fields = _clean_person_title_fields(changes, current=row)
    changed = {name: value for name, value in fields.items() if getattr(row, name) != value}
    if not changed:
        return row
    before = _person_title_snapshot(row)
    for name, value in changed.items():
        setattr(row, name, value)
    row.save()
    _audit_person_title("reviewers.person_title.changed", actor=actor, row=row, before=before)
    return row


@transaction.atomic
def person_title_set_enabled(*, actor: User, row_id: int, enabled: bool) -> PersonTitle:
    """Disable (or enable again) a row; rows are never deleted, so the log keeps who held what."""
    row = _lock_person_title(row_id)
    _person_title_guard(actor, row.org)
    if row.enabled == bool(enabled):
        return row
    before = _person_title_snapshot(row)
    row.enabled = bool(enabled)
    row.save()
    _audit_person_title("reviewers.person_title.enabled" if row.enabled else "reviewers.person_title.disabled",
                        actor=actor, row=row, before=before)
    return row


# ---------------------------------------------------------------- the pre-check report (building block)

def precheck_store(*, revision: Revision, lexicon: Lexicon | None = None,
                   stored: bool | None = None) -> PrecheckReport:
    """Building block: the stored pre-check report of ``revision`` with the
    lexicon in force (``lexicon``: to pin one). An existing report for the
    same revision and lexicon version is reused; the caller's transaction
    audits the operation that needed it. The caller holds the lock of the
    revision's draft (content.selectors.draft_for_update), so no other
    transaction stores the same report meanwhile. ``stored``: False when the
    caller read, under that lock, that the revision has no report at all
    (``selectors.precheck_stored_exists``): none is looked for."""
    lexicon = selectors.current_lexicon() if lexicon is None else lexicon
    existing = None if stored is False else PrecheckReport.objects.filter(
        revision=revision, lexicon_version=lexicon.version).first()
    if existing is not None:
        return existing
    report = selectors.precheck_run_revision(revision, lexicon=lexicon)
    return PrecheckReport.objects.create(
        revision=revision, lexicon_version=report.lexicon_version,
        findings=[finding.as_dict() for finding in report.findings], summary=report.summary(),
        max_severity=report.max_severity or "", plain_text=report.plain_text)
