"""Who may do what to a submission. One function per rule.

``*_refusal(user, ...)`` returns None when the action is allowed, else a
``content.errors.Refusal`` (code, Chinese message, kind: FORBIDDEN or
CONFLICT). The services raise it (``refusal.raise_()``); ``allowed_actions``
(buttons, API) and the state machine's ``permission=`` callables ask the same
functions.

A role is the precondition of a capability and is asked first, whatever the
object's state: a user without it is refused (403) the same way on every page
and endpoint. Grants and tier memberships are the scope (content.permissions,
reviewers.permissions).
"""
from django.utils.translation import gettext as _

from content import permissions as content_permissions
from content import roles
from content.errors import CONFLICT, Refusal
from reviewers import permissions as reviewer_permissions
from reviewers import selectors as reviewer_selectors
from workflow import states


def can_view_submission(user, submission):
    """The author, whoever may view the draft's account, and the reviewers
    (role and a tier membership) covering the account."""
    if not content_permissions.is_active_user(user):
        return False
    if submission.draft.author_id == user.pk or content_permissions.can_view_draft(user, submission.draft):
        return True
    return reviewer_permissions.reviews_account(user, submission.account)


def can_discuss_draft(user, draft):
    """The discussion of a draft (read and write): whoever may see the draft
    (its editor and the account's viewers) and the reviewers covering its
    account. A comment changes nothing else."""
    if not content_permissions.is_active_user(user):
        return False
    return content_permissions.can_view_draft(user, draft) or reviewer_permissions.reviews_account(user, draft.account)


def _is_author(user, submission):
    return user.pk in (submission.draft.author_id, submission.submitted_by_id)


def queue_refusal(user):
    """The review queue (page and API): reviewers only."""
    return content_permissions.role_refusal(user, roles.REVIEWER)


def can_manage_policies(user, org):
    """Review policies (their tiers and due times) applying in ``org``: the
    system administrator (系统管理员) of the subtree."""
    return content_permissions.has_scoped_role(user, roles.SYSTEM_ADMIN, org)


def _own_unit_refusal(user, allowed, message):
    if not content_permissions.is_active_user(user):
        return Refusal("permission_denied", _("请先登录"))
    if user.is_superuser:
        return None
    if user.org_id is None or not allowed(user, user.org):
        return Refusal("permission_denied", message)
    return None


def policy_admin_refusal(user):
    """The review-policy pages and API (/manage/policies/, /api/v1/policies/):
    a superuser or a system administrator (the services then check the policy's unit)."""
    return _own_unit_refusal(user, can_manage_policies, _("只有系统管理员可以设置审核策略"))


def membership_admin_refusal(user):
    """Tier memberships and users' roles (/manage/tiers/, /manage/users/<id>/roles/,
    /api/v1/memberships/): a superuser or a security administrator."""
    return _own_unit_refusal(user, content_permissions.can_manage_roles, _("只有安全管理员可以设置角色和审核层级"))


def review_admin_refusal(user):
    """The administration overview (/manage/, 单位管理): a superuser, a system
    administrator or a security administrator of his own unit; each section of
    the page and each change asks its own rule."""
    return _own_unit_refusal(
        user, lambda u, org: any(content_permissions.has_scoped_role(u, r, org) for r in roles.ADMINISTRATORS),
        _("只有系统管理员或安全管理员可以访问此页面"))


def publishing_refusal(user):
    """The publisher's pages: publishers only (the publish action asks publish_refusal)."""
    return content_permissions.role_refusal(user, roles.PUBLISHER)


def decide_refusal(user, submission, *, signed_reviewer_ids=None, member=None):
    """Why ``user`` may not decide ``submission``'s current task now, or None.
    ``signed_reviewer_ids`` and ``member``: read by the caller already
    (reviewers.permissions.decide_refusal); read here when not given."""
    refusal = content_permissions.role_refusal(user, roles.REVIEWER)
    if refusal:
        return refusal
    if submission.state != states.IN_REVIEW or submission.current_task_id is None:
        return Refusal("wrong_state", _("该稿件当前不在审核中（状态：%(state)s）") % {
            "state": states.STATE_LABELS[submission.state]}, CONFLICT)
    task = submission.current_task
    if signed_reviewer_ids is None:
        signed_reviewer_ids = reviewer_selectors.signed_reviewer_ids(task.round_id)
    return reviewer_permissions.decide_refusal(user, task, author_id=submission.draft.author_id,
                                               signed_reviewer_ids=signed_reviewer_ids, member=member)


_UNREAD = object()


def bulk_pass_refusal(submission, *, max_severity=_UNREAD):
    """Why ``submission`` may not be passed in bulk from the queue (besides
    the decision's own rules, decide_refusal), or None: its current tier's
    policy allows bulk passing, and its round's pre-check found nothing of
    warning or above. ``max_severity``: the round's report's, when the caller
    read it already ("" without findings, None without a report)."""
    if submission.state != states.IN_REVIEW or submission.current_task_id is None:
        return Refusal("wrong_state", _("该稿件当前不在审核中"), CONFLICT)
    review_round, task = submission.current_round, submission.current_task
    tier = next((t for t in review_round.tiers if t["order"] == task.tier), {})
    if not tier.get("bulk_pass"):
        return Refusal("bulk_not_allowed", _("“%(tier)s”层级的审核策略不允许批量通过") % {"tier": task.tier_name})
    if max_severity is _UNREAD:
        max_severity = review_round.precheck.max_severity if review_round.precheck_id else None
    if max_severity is None:
        return Refusal("precheck_missing", _("该稿件没有机审报告，不能批量通过"))
    severity = max_severity
    if severity in ("blocker", "warning"):
        return Refusal("precheck_findings", _("机审发现警告及以上的问题，请逐篇审核"))
    return None


def submit_refusal(user, draft, *, active_state=None, granted=None):
    """Why ``user`` may not send ``draft`` into review now (first submission or
    resubmission after a return), or None. ``active_state``: the state of the
    draft's active submission, when there is one; ``granted``: his
    ``draft_account`` grant, when the caller read it (content.permissions.has_account_perm)."""
    if not content_permissions.is_active_user(user) or not content_permissions.can_view_draft(user, draft):
        return Refusal("permission_denied", _("没有权限访问该稿件"))
    if draft.author_id != user.pk:
        return Refusal("not_author", _("只有作者本人可以提交送审"))
    refusal = content_permissions.write_refusal(user, draft.account, granted=granted)
    if refusal:
        return refusal
    if active_state in (states.IN_REVIEW, states.APPROVED):
        return Refusal("already_submitted", _("该稿件已在审核流程中（状态：%(state)s）") % {
            "state": states.STATE_LABELS[active_state]}, CONFLICT)
    return None


def withdraw_refusal(user, submission):
    """The author, holding the editor role, while in review or returned."""
    refusal = content_permissions.role_refusal(user, roles.EDITOR)
    if refusal:
        return refusal
    if submission.state not in (states.IN_REVIEW, states.RETURNED):
        return Refusal("wrong_state", _("只有审核中或退回修改的稿件可以撤回"), CONFLICT)
    if not _is_author(user, submission):
        return Refusal("not_author", _("只有作者本人可以撤回"))
    return None


def resubmit_refusal(user, submission):
    refusal = content_permissions.role_refusal(user, roles.EDITOR)
    if refusal:
        return refusal
    if submission.state != states.RETURNED:
        return Refusal("wrong_state", _("只有退回修改的稿件可以重新提交"), CONFLICT)
    if not _is_author(user, submission):
        return Refusal("not_author", _("只有作者本人可以重新提交"))
    return content_permissions.write_refusal(user, submission.account)


def publish_refusal(user, submission, checker=None, granted=None):
    """授权发布: the publisher role, an approved submission, the account's
    ``publish_account`` grant (``granted``: when the caller read it,
    content.permissions.has_account_perm), and not the author unless the policy allows."""
    refusal = content_permissions.role_refusal(user, roles.PUBLISHER)
    if refusal:
        return refusal
    if submission.state != states.APPROVED:
        return Refusal("wrong_state", _("只有审核通过的稿件可以发布（当前状态：%(state)s）") % {
            "state": states.STATE_LABELS[submission.state]}, CONFLICT)
    refusal = content_permissions.publish_to_refusal(user, submission.account, checker, granted)
    if refusal:
        return refusal
    if _is_author(user, submission) and not submission.allow_author_publish:
        return Refusal("author_cannot_publish", _("发布人不能是稿件作者（审核策略要求职责分离）"))
    return None


def schedule_refusal(user, submission, checker=None):
    """Move or cancel a scheduled publication, see the account's queue of
    them: a publisher authorised for the account (role and grant)."""
    refusal = content_permissions.role_refusal(user, roles.PUBLISHER)
    if refusal:
        return refusal
    return content_permissions.publish_to_refusal(user, submission.account, checker)


def schedule_queue_refusal(user, account):
    """The page and API list of an account's scheduled publications: its publishers."""
    refusal = content_permissions.role_refusal(user, roles.PUBLISHER)
    if refusal:
        return refusal
    if not content_permissions.can_view_account(user, account):
        return Refusal("not_publisher", _("您未获授权发布到该账号（授权发布）"))
    return content_permissions.publish_to_refusal(user, account)


def delivery_refusal(user, submission, checker=None):
    """Send a failed delivery again, or complete it by hand: a publisher
    authorised for the account, and the publication failed."""
    refusal = content_permissions.role_refusal(user, roles.PUBLISHER)
    if refusal:
        return refusal
    publication = submission.publication
    if publication is None or publication.state != "failed":
        return Refusal("wrong_state", _("只有发送失败的发布记录可以重新发送或改为人工发布"), CONFLICT)
    return content_permissions.publish_to_refusal(user, submission.account, checker)


def _retract_denied():
    return Refusal("not_publisher", _("只有该账号的授权发布人或账号负责人可以撤稿"))


def retract_refusal(user, submission, checker=None):
    """撤稿: a publisher authorised for the account (role and grant), or an
    account manager of the account's subtree — not a system administrator."""
    if not (content_permissions.holds_role(user, roles.PUBLISHER)
            or content_permissions.holds_role(user, roles.ACCOUNT_MANAGER)):
        return _retract_denied()
    if submission.state != states.PUBLISHED:
        return Refusal("wrong_state", _("只有已发布的稿件可以撤稿"), CONFLICT)
    if not (content_permissions.can_publish_to(user, submission.account, checker)
            or content_permissions.has_scoped_role(user, roles.ACCOUNT_MANAGER, submission.account.org)):
        return _retract_denied()
    return None


# -- adapters for django-fsm's permission=: (instance, user) -> bool

def transition_can_decide(submission, user):
    return decide_refusal(user, submission) is None


def transition_can_withdraw(submission, user):
    return withdraw_refusal(user, submission) is None


def transition_can_resubmit(submission, user):
    return resubmit_refusal(user, submission) is None


def transition_can_publish(submission, user):
    return publish_refusal(user, submission) is None


def transition_can_retract(submission, user):
    return retract_refusal(user, submission) is None


def _draft_active_state(submission):
    """The state of the draft's active submission (at most one per draft): this
    one when it is active, else the draft's other active one, if any."""
    if submission.state in states.ACTIVE_STATES:
        return submission.state
    from workflow.models import Submission  # late import: breaks the cycle workflow.permissions ↔ workflow.models

    return (Submission.objects.filter(draft_id=submission.draft_id, state__in=states.ACTIVE_STATES)
            .values_list("state", flat=True).first())


def _submit_check(user, submission):
    if submission.draft.author_id != user.pk:  # saves the query below for everyone else
        return submit_refusal(user, submission.draft)
    return submit_refusal(user, submission.draft, active_state=_draft_active_state(submission))


ACTION_CHECKS = {
    "submit": _submit_check,
    "decide": decide_refusal,
    "withdraw": withdraw_refusal,
    "resubmit": resubmit_refusal,
    "publish": publish_refusal,
    "retract": retract_refusal,
}


def allowed_actions(user, submission):
    """The actions this user may take on this submission (and its draft) now.
    ``submit`` is the draft's: sending its current revision into review."""
    return [name for name, check in ACTION_CHECKS.items() if check(user, submission) is None]
