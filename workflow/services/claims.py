"""Claiming and releasing a queue item, announced on the live queue."""
from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from content import services as content_services
from content.errors import Conflict
from content.models import User
from reviewers import services as reviewer_services
from reviewers.models import ReviewTask
from workflow import live, notifications, selectors, states


def _current_task_submission(actor, submission_id, task_id):
    """The submission whose current task the actor wants to claim or release."""
    submission = selectors.submission_visible_to(actor, submission_id)
    if submission.state != states.IN_REVIEW or submission.current_task_id is None:
        raise Conflict(_("该稿件已不在审核中（当前状态：%(state)s）") % {
            "state": states.STATE_LABELS[submission.state]}, code="wrong_state")
    if task_id not in (None, "") and str(task_id) != str(submission.current_task_id):
        raise Conflict(_("该稿件已进入“%(tier)s”，请刷新后查看最新状态") % {
            "tier": submission.current_task.tier_name}, code="tier_moved")
    return submission


@transaction.atomic
def submission_claim(*, actor: User, submission_id: int, task_id: int | str | None = None) -> ReviewTask:
    """Claim a submission's current review task (reviewers.services.task_claim)
    so that colleagues at the same tier leave it alone; the tier's queue pages
    hear of it after commit. ``task_id``: the task the reviewer saw — when the
    submission has moved on meanwhile, a conflict instead of claiming the next
    tier's task unseen."""
    content_services.actor_reload(actor)
    submission = _current_task_submission(actor, submission_id, task_id)
    task = reviewer_services.task_claim(actor=actor, task_id=submission.current_task_id)
    live.queue_changed(account=submission.account, tier=task.tier, submission_id=submission.pk, event=live.CLAIMED)
    return task


@transaction.atomic
def submission_release(*, actor: User, submission_id: int, task_id: int | str | None = None) -> ReviewTask:
    """Give a claimed task back to its tier's queue (reviewers.services.task_release), announced live."""
    submission = _current_task_submission(actor, submission_id, task_id)
    task = reviewer_services.task_release(actor=actor, task_id=submission.current_task_id)
    live.queue_changed(account=submission.account, tier=task.tier, submission_id=submission.pk, event=live.RELEASED)
    return task


@transaction.atomic
def submission_assign(*, actor: User, submission_id: int, assignee_id: int, note: str = "",
                      task_id: int | str | None = None) -> ReviewTask:
    """The tier's lead assigns the submission's current task to a named member
    (reviewers.services.task_assign); the assignee is notified, and the item is
    his in the queue (claimed by him), announced live."""
    content_services.actor_reload(actor)
    submission = _current_task_submission(actor, submission_id, task_id)
    task = reviewer_services.task_assign(actor=actor, task_id=submission.current_task_id, assignee_id=assignee_id,
                                         note=note)
    notifications.assigned(submission=submission, actor=actor, assignee=task.claimed_by,
                           tier_name=task.tier_name, note=task.assign_note)
    live.queue_changed(account=submission.account, tier=task.tier, submission_id=submission.pk, event=live.CLAIMED)
    return task
