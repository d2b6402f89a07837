"""Review coverage: changes that could leave a tier that nobody may decide are
checked before they commit, and open rounds stuck at such a tier are found
and announced (workflow.coverage holds the rule, workflow.selectors the reads).

* A policy created, changed or deleted (workflow.services.policies), a tier
  membership revoked and the reviewer role taken from a user (here) compare
  the coverage of the accounts they touch before and after: a tier that could
  be staffed before and cannot after is refused with ``coverage_gap`` (400)
  and a Chinese reason naming account, tier and why, unless the caller
  confirms (``confirm_gaps=True``); a confirmed change records the gaps in its
  audit entry. Gaps that existed already are not the change's fault and do
  not refuse it. Author warnings (an editor who is himself one of the few
  reviewers) never refuse.
* ``stranded_rounds_notify`` (``manage.py check_review_coverage``) tells the
  editor and the security administrators once per round and tier.

Granting never strands anything (it only adds people); its own check is the
grantee's role (reviewers.services.membership_grant).
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from audit import selectors as audit_selectors
from audit.services import audit_record
from content import permissions as content_permissions
from content import roles
from content import selectors as content_selectors
from content import services as content_services
from content.errors import NotAllowed, NotFound, ValidationFailed
from content.models import Organization, User
from reviewers import permissions as reviewer_permissions
from reviewers import selectors as reviewer_selectors
from reviewers import services as reviewer_services
from workflow import coverage, notifications, selectors, states
from workflow.models import Submission
from workflow.services.common import lock_submission

COVERAGE_GAP = "coverage_gap"
NO_DECIDER_ACTION = "workflow.submission.no_decider"


def refuse_new_gaps(before: coverage.CoverageReport, after: coverage.CoverageReport, *, confirmed: bool,
                    what: str) -> dict[str, Any]:
    """Refuse a change that leaves tiers without anyone (see the module).

    ``before``/``after``: CoverageReport of the touched accounts; ``what``:
    the change, as a Chinese phrase ("保存该审核策略"). Returns the data to
    add to the change's audit entry ({} when the change strands nothing)."""
    new = coverage.new_gaps(before, after)
    if not new:
        return {}
    if not confirmed:
        raise ValidationFailed(
            _("%(what)s后，以下审核层级将无人可以审核，稿件会停在该层级无人处理：%(list)s。"
              "请先授予相应的审核层级；如确需如此，请确认后再提交。") % {
                "what": what, "list": coverage.summary_text(new, after.names)},
            code=COVERAGE_GAP)
    return {"coverage_gaps": after.texts(new), "coverage_confirmed": True}


@transaction.atomic
def membership_revoke(*, actor: User, membership_id: int, confirm_gaps: bool = False) -> None:
    """Revoke a tier membership (reviewers.services.membership_revoke), refused
    with ``coverage_gap`` when it would leave a tier of an account nobody may
    decide, unless ``confirm_gaps``. Callers use this one."""
    membership = reviewer_selectors.membership_by_id(membership_id)
    if membership is None:
        raise NotFound(_("该审核层级已不存在（可能已被撤销）"))
    if not reviewer_permissions.can_manage_memberships(actor, membership.account or membership.org):
        raise NotAllowed()
    before, after = selectors.membership_revoke_impact(membership)
    extra = refuse_new_gaps(before, after, confirmed=confirm_gaps, what=_("撤销该审核层级"))
    reviewer_services.membership_revoke(actor=actor, membership_id=membership.pk, audit_data=extra)


@transaction.atomic
def user_set_roles(*, actor: User, user_id: int, roles_: Iterable[str], confirm_gaps: bool = False) -> User:
    """Set a user's roles (content.services.user_set_roles); taking the
    reviewer role from someone whose memberships are the only way to staff a
    tier is refused with ``coverage_gap`` unless ``confirm_gaps``. Callers use
    this one."""
    user = content_selectors.user_by_id(user_id)
    if user is None:
        raise NotFound(_("用户不存在"))
    if not actor.is_superuser and not content_permissions.can_manage_roles(actor, user.org):
        raise NotAllowed(_("只有安全管理员可以设置用户的角色"))
    extra = {}
    losing_reviewer = (roles.REVIEWER in (user.roles or []) and roles.REVIEWER not in set(roles_ or [])
                       and not user.is_superuser)
    if losing_reviewer:
        before, after = selectors.reviewer_role_removal_impact(user)
        extra = refuse_new_gaps(before, after, confirmed=confirm_gaps, what=_("取消该用户的审核人角色"))
    return content_services.user_set_roles(actor=actor, user_id=user.pk, roles_=roles_, audit_data=extra)


# ---------------------------------------------------------------- the periodic check

def stranded_rounds_notify(*, actor: User,
                           org: Organization | None = None) -> tuple[list[Submission], list[Submission]]:
    """Find the submissions in review whose current tier nobody may decide
    (selectors.stranded_submissions) and, once per round and tier, notify the
    draft's editor and the security administrators of the account's unit and the
    units above it, with one audit entry ``workflow.submission.no_decider`` on
    the review task (which is also what makes a second run notify nobody).
    Each item is its own transaction, with the submission locked and the
    finding re-checked. Run as scheduled work (the system actor, or a
    superuser by hand). Returns (stranded submissions, those notified now)."""
    if not content_permissions.can_run_scheduled_work(actor):
        raise NotAllowed()
    found = selectors.stranded_submissions(org=org)
    done = audit_selectors.target_ids_with_action(action=NO_DECIDER_ACTION, target_type="reviewers.reviewtask",
                                                  target_ids=[s.current_task_id for s in found])
    notified = []
    for stale in found:
        if str(stale.current_task_id) in done:
            continue
        with transaction.atomic():
            submission = lock_submission(stale.pk)
            if submission.state != states.IN_REVIEW or submission.current_task_id != stale.current_task_id:
                continue
            if not selectors.stranded_submissions(submission_ids=[submission.pk]):
                continue
            if audit_selectors.target_ids_with_action(action=NO_DECIDER_ACTION, target_type="reviewers.reviewtask",
                                                      target_ids=[submission.current_task_id]):
                continue
            task = submission.current_task
            # who grants the tier: the security administrators of the account's unit and above
            admin_ids = content_selectors.role_holder_ids_above(
                [submission.account.org], roles.SECURITY_ADMIN)[submission.account.org.path]
            rows = notifications.no_decider(submission=submission, task=task, admin_ids=admin_ids, actor=actor)
            audit_record(action=NO_DECIDER_ACTION, actor=actor, target_type="reviewers.reviewtask", target_id=task.pk,
                         org_path=submission.account.org.path, account_id=submission.account_id,
                         draft_id=submission.draft_id,
                         data={"submission_id": submission.pk, "round": submission.round_no, "tier": task.tier,
                               "tier_name": task.tier_name,
                               "notified": sorted({r.recipient_id for r in rows})})
            notified.append(submission)
    return found, notified
