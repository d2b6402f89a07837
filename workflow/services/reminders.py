"""Reminders: a recipient is told once per subject and threshold.

``reminders_record`` is the building block that every reminder goes through
(review tasks here, dormant accounts in reporting): inside the caller's
transaction it writes, per recipient, the notification and its ``Reminder``
row, whose unique key (kind, subject, threshold, episode, recipient) makes a
second run, or a run beside it, remind nobody twice; then it delivers the new
notifications (live badge, e-mail task). The caller audits what was sent.

``review_reminders_send`` is the hourly job's service (workflow.tasks.review_reminders):

* a task a reviewer may decide now (``workflow.permissions.decide_refusal``)
  that is due within REVIEW_DUE_SOON_HOURS: 审核即将到期, to each such reviewer;
* once it is overdue: 审核已超时, to the same reviewers, and once 超时督办 to the
  tier's other members (those held back only by another reviewer's claim) and
  the system administrators of the account's unit (the nearest unit up the tree
  that has any).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from collections import Counter

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from content import permissions as content_permissions
from content import roles
from content import selectors as content_selectors
from content.errors import NotAllowed
from content.models import User
from reviewers import selectors as reviewer_selectors
from workflow import notifications, permissions, selectors
from workflow.models import Notification, Reminder, Submission


def reminders_record(*, kind: str, subject_id: int, threshold: str, recipient_ids: Iterable[int],
                     notification_kind: str, title: str, message: str, submission: Submission | None = None,
                     episode: str = "") -> list[int]:
    """Building block (inside the caller's transaction): remind each recipient
    not yet reminded of this subject at this threshold (and episode). Returns
    the ids reminded now, in order."""
    reminded, rows = [], []
    for recipient_id in dict.fromkeys(i for i in recipient_ids if i):
        try:
            with transaction.atomic():  # a savepoint: a duplicate leaves neither row behind
                row = notifications.new_row(recipient_id, kind=notification_kind, title=title, message=message,
                                            submission=submission)
                Reminder.objects.create(kind=kind, subject_id=subject_id, threshold=threshold, episode=episode,
                                        recipient_id=recipient_id, notification=row)
        except IntegrityError:
            continue  # already reminded (earlier, or by a run beside this one)
        reminded.append(recipient_id)
        rows.append(row)
    notifications.deliver(rows)
    return reminded


def _local(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def _who_is_told(submission, signed):
    """(may decide now, held back only by another's claim): the tier's members
    as workflow.permissions.decide_refusal sees them."""
    task = submission.current_task
    deciders, others = [], []
    for user in reviewer_selectors.tier_members(task.account, task.tier):
        refusal = permissions.decide_refusal(user, submission, signed_reviewer_ids=signed)
        if refusal is None:
            deciders.append(user.pk)
        elif refusal.code == "claimed_by_other":
            others.append(user.pk)
    return deciders, others


# One registered audit code per threshold, written out so that the registry's test finds them.
REMINDER_ACTIONS = {"due_soon": "workflow.reminder.due_soon", "overdue": "workflow.reminder.overdue",
                    "escalated": "workflow.reminder.escalated"}


def _audit(threshold, *, actor, submission, recipients):
    task = submission.current_task
    audit_record(action=REMINDER_ACTIONS[threshold], actor=actor, target_type="reviewers.reviewtask",
                 target_id=task.pk, org_path=submission.account.org.path, account_id=submission.account_id,
                 draft_id=submission.draft_id,
                 data={"submission": submission.pk, "tier": task.tier, "tier_name": task.tier_name,
                       "due_at": task.due_at.isoformat(), "claimed_by": task.claimed_by_id,
                       "recipients": recipients})


def _texts(threshold, submission):
    task = submission.current_task
    values = {"title": submission.revision.title or submission.draft.title, "tier": task.tier_name,
              "account": submission.account.name, "due": _local(task.due_at)}
    if threshold == Reminder.Threshold.DUE_SOON:
        return (Notification.Kind.DUE_SOON, _("审核提醒：《%(title)s》%(tier)s将于 %(due)s 到期") % values,
                _("账号“%(account)s”的稿件《%(title)s》在%(tier)s待您审核，截止时间 %(due)s，请及时处理。") % values)
    if threshold == Reminder.Threshold.OVERDUE:
        return (Notification.Kind.OVERDUE, _("审核超时：《%(title)s》%(tier)s已超过截止时间") % values,
                _("账号“%(account)s”的稿件《%(title)s》在%(tier)s待您审核，截止时间 %(due)s 已过，请尽快处理。") % values)
    claimer = task.claimed_by
    values["who"] = (_("已由%(name)s认领") % {"name": claimer.get_full_name() or claimer.username} if claimer
                     else _("尚无人认领"))
    return (Notification.Kind.ESCALATED, _("超时督办：《%(title)s》%(tier)s已超时") % values,
            _("账号“%(account)s”的稿件《%(title)s》在%(tier)s已超过截止时间 %(due)s，%(who)s。"
              "请督促审核，或安排本层级其他审核人处理。") % values)


def _remind(actor, submission, now, counts):
    task = submission.current_task
    signed = reviewer_selectors.signed_reviewer_ids(task.round_id)
    deciders, others = _who_is_told(submission, signed)
    threshold = Reminder.Threshold.OVERDUE if task.due_at <= now else Reminder.Threshold.DUE_SOON
    steps = [(threshold, deciders)]
    if threshold == Reminder.Threshold.OVERDUE:
        admins = [u.pk for u in content_selectors.nearest_role_holders(submission.account.org, roles.SYSTEM_ADMIN)]
        steps.append((Reminder.Threshold.ESCALATED, [i for i in others + admins if i not in deciders]))
    for step, recipients in steps:
        kind, title, message = _texts(step, submission)
        reminded = reminders_record(kind=Reminder.Kind.REVIEW_TASK, subject_id=task.pk, threshold=step,
                                    recipient_ids=recipients, notification_kind=kind, title=title, message=message,
                                    submission=submission)
        if reminded:
            _audit(step, actor=actor, submission=submission, recipients=reminded)
            counts[str(step)] += len(reminded)


def review_reminders_send(*, actor: User, now: dt.datetime | None = None) -> dict[str, int]:
    """Remind the reviewers of tasks due soon or overdue, and escalate overdue
    ones; each reminder at most once per task, threshold and recipient. One
    transaction per task. Returns counts by threshold."""
    if not content_permissions.can_run_scheduled_work(actor):
        raise NotAllowed()
    now = now or timezone.now()
    counts = Counter()
    cutoff = now + dt.timedelta(hours=int(settings.REVIEW_DUE_SOON_HOURS))
    for submission in list(selectors.submissions_due_by(cutoff)):
        with transaction.atomic():
            _remind(actor, submission, now, counts)
    return {str(t): counts.get(str(t), 0) for t in
            (Reminder.Threshold.DUE_SOON, Reminder.Threshold.OVERDUE, Reminder.Threshold.ESCALATED)}
