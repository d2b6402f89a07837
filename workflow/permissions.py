"""Who may do what to a submission. One function per rule.

``*_refusal(user, submission)`` returns None when the action is allowed, else
``(code, Chinese message, kind)`` where kind is "forbidden" or "conflict".
The services raise from these; ``allowed_actions`` (buttons, API) and the
state machine's ``permission=`` callables ask the same functions.
"""
from django.utils.translation import gettext as _

from content import permissions as content_permissions
from reviewers import permissions as reviewer_permissions
from reviewers import selectors as reviewer_selectors
from reviewers.models import TierMembership
from workflow import states

FORBIDDEN = "forbidden"
CONFLICT = "conflict"


def can_view_submission(user, submission):
    if not content_permissions.is_active_user(user):
        return False
    if submission.draft.author_id == user.pk or content_permissions.can_view_draft(user, submission.draft):
        return True
    return TierMembership.objects.filter(user=user).filter(
        reviewer_permissions.memberships_covering(submission.account)).exists()


def _is_author(user, submission):
    return user.pk in (submission.draft.author_id, submission.submitted_by_id)


def decide_refusal(user, submission, *, signed_reviewer_ids=None):
    if not content_permissions.is_active_user(user):
        return "not_authenticated", _("请先登录"), FORBIDDEN
    if submission.state != states.IN_REVIEW or submission.current_task_id is None:
        return "wrong_state", _("该稿件当前不在审核中（状态：%(state)s）") % {
            "state": states.STATE_LABELS[submission.state]}, CONFLICT
    task = submission.current_task
    if signed_reviewer_ids is None:
        signed_reviewer_ids = reviewer_selectors.signed_reviewer_ids(task.round_id)
    refusal = reviewer_permissions.decide_refusal(user, task, author_id=submission.draft.author_id,
                                                  signed_reviewer_ids=signed_reviewer_ids)
    if refusal:
        code, message = refusal
        return code, message, CONFLICT if code == "claimed_by_other" else FORBIDDEN
    return None


def submit_refusal(user, draft, *, active_state=None):
    """Why ``user`` may not send ``draft`` into review now (first submission or
    resubmission after a return), or None. ``active_state``: the state of the
    draft's active submission, when there is one."""
    if not content_permissions.is_active_user(user) or not content_permissions.can_view_draft(user, draft):
        return "permission_denied", _("没有权限访问该稿件"), FORBIDDEN
    if draft.author_id != user.pk:
        return "not_author", _("只有作者本人可以提交送审"), FORBIDDEN
    if draft.account.is_closed:
        return "account_closed", _("该账号已注销，不能再撰稿、提交或发布"), CONFLICT
    if not content_permissions.can_write_for(user, draft.account):
        return "not_editor", _("没有为该账号撰稿的权限"), FORBIDDEN
    if active_state in (states.IN_REVIEW, states.APPROVED):
        return "already_submitted", _("该稿件已在审核流程中（状态：%(state)s）") % {
            "state": states.STATE_LABELS[active_state]}, CONFLICT
    return None


def withdraw_refusal(user, submission):
    if submission.state not in (states.IN_REVIEW, states.RETURNED):
        return "wrong_state", _("只有审核中或退回修改的稿件可以撤回"), CONFLICT
    if not _is_author(user, submission):
        return "not_author", _("只有作者本人可以撤回"), FORBIDDEN
    return None


def resubmit_refusal(user, submission):
    if submission.state != states.RETURNED:
        return "wrong_state", _("只有退回修改的稿件可以重新提交"), CONFLICT
    if not _is_author(user, submission):
        return "not_author", _("只有作者本人可以重新提交"), FORBIDDEN
    if submission.account.is_closed:
        return "account_closed", _("该账号已注销，不能再撰稿、提交或发布"), CONFLICT
    if not content_permissions.can_write_for(user, submission.account):
        return "not_editor", _("没有为该账号撰稿的权限"), FORBIDDEN
    return None


def publish_refusal(user, submission, checker=None):
    if submission.state != states.APPROVED:
        return "wrong_state", _("只有审核通过的稿件可以发布（当前状态：%(state)s）") % {
            "state": states.STATE_LABELS[submission.state]}, CONFLICT
    if submission.account.is_closed:
        return "account_closed", _("该账号已注销，不能再撰稿、提交或发布"), CONFLICT
    if not content_permissions.can_publish_to(user, submission.account, checker):
        return "not_publisher", _("您未获授权发布到该账号（授权发布）"), FORBIDDEN
    if _is_author(user, submission) and not submission.allow_author_publish:
        return "author_cannot_publish", _("发布人不能是稿件作者（审核策略要求职责分离）"), FORBIDDEN
    return None


def retract_refusal(user, submission, checker=None):
    if submission.state != states.PUBLISHED:
        return "wrong_state", _("只有已发布的稿件可以撤稿"), CONFLICT
    if not (content_permissions.can_publish_to(user, submission.account, checker)
            or content_permissions.can_manage_account(user, submission.account)):
        return "not_publisher", _("只有该账号的授权发布人或账号负责人可以撤稿"), FORBIDDEN
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


ACTION_CHECKS = {
    "decide": decide_refusal,
    "withdraw": withdraw_refusal,
    "resubmit": resubmit_refusal,
    "publish": publish_refusal,
    "retract": retract_refusal,
}


def allowed_actions(user, submission):
    """The actions this user may take on this submission now."""
    return [name for name, check in ACTION_CHECKS.items() if check(user, submission) is None]
