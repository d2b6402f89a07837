"""In-app notifications on the workflow's events, with optional e-mail.

Called by the workflow services inside their transaction:

* every decision notifies the draft's editor: a return (with the failed
  dimensions and their comments), a tier passed (and which tier is next), the
  approval; so do a publication and a retraction;
* an approval also notifies every user authorised to publish to the account
  (object permission ``publish_account``, directly or through a group), minus
  the author when the policy keeps authors from publishing their own drafts.

The rows are written in the same transaction as the change (a rolled-back
decision leaves no notification behind, a committed one always has its
notification). So is the e-mail: when settings.NOTIFY_EMAIL is on (the
default) the same transaction enqueues one background task for the batch
(workflow.mail.notification_emails_send, keyed by the notification ids), which
a worker runs after the commit and which sends each notification once to a
recipient with an e-mail address (``Notification.emailed_at``); a mail server
that is down is retried with back-off, never the request's problem. The live
badge update to the recipient's own group (workflow.live) goes after commit.
The actor is never notified of his own action.
"""
from django.conf import settings
from django.utils.translation import gettext as _
from guardian.shortcuts import get_users_with_perms

from reviewers import checklist
from workflow import live
from workflow import mail as notification_mail
from workflow.models import Notification

Kind = Notification.Kind


def email_enabled():
    return bool(getattr(settings, "NOTIFY_EMAIL", True))


def _title(text):
    return text if len(text) <= 200 else text[:199] + "…"


def _notify(recipient_ids, *, kind, title, message, submission, actor):
    actor_id = getattr(actor, "pk", None)
    ids = [i for i in dict.fromkeys(recipient_ids) if i and i != actor_id]
    if not ids:
        return []
    title = _title(title)
    rows = Notification.objects.bulk_create([
        Notification(recipient_id=i, kind=kind, title=title, message=message, submission=submission) for i in ids
    ])
    deliver(rows)
    return rows


def new_row(recipient_id, *, kind, title, message, submission=None):
    """One notification row, written now (for a caller that delivers a batch with ``deliver``)."""
    return Notification.objects.create(recipient_id=recipient_id, kind=kind, title=_title(title), message=message,
                                       submission=submission)


def deliver(rows):
    """What leaves the database for notifications just written: the live badge
    (after commit) and, with NOTIFY_EMAIL, one e-mail task for the batch,
    enqueued in the current transaction."""
    if not rows:
        return
    live.notification_created(user_ids=[r.recipient_id for r in rows], kind=rows[0].kind, title=rows[0].title)
    if email_enabled():
        notification_mail.notification_emails_send.enqueue(notification_ids=[r.pk for r in rows])


def _editors(submission):
    return [submission.draft.author_id, submission.submitted_by_id]


def _name(submission):
    return submission.revision.title or submission.draft.title


def returned(*, submission, actor, tier_name, verdicts, comments, note):
    reasons = [f"{checklist.DIMENSION_LABELS[dim]}：{comments.get(dim, '')}"
               for dim in checklist.failed_dimensions(verdicts)]
    message = "\n".join([_("退回理由："), *reasons] + ([_("审核意见：%(note)s") % {"note": note}] if note else []))
    return _notify(_editors(submission), kind=Kind.RETURNED, submission=submission, actor=actor, message=message,
                   title=_("《%(title)s》被退回修改（%(tier)s）") % {"title": _name(submission), "tier": tier_name})


def tier_passed(*, submission, actor, tier_name, next_tier_name, note=""):
    message = _("%(tier)s已通过，进入%(next)s。") % {"tier": tier_name, "next": next_tier_name}
    if note:
        message += "\n" + _("审核意见：%(note)s") % {"note": note}
    return _notify(_editors(submission), kind=Kind.TIER_PASSED, submission=submission, actor=actor, message=message,
                   title=_("《%(title)s》%(tier)s通过，进入%(next)s") % {
                       "title": _name(submission), "tier": tier_name, "next": next_tier_name})


def approved(*, submission, actor):
    """The editor hears the approval; the account's publishers get an item to publish."""
    account = submission.account
    rows = _notify(_editors(submission), kind=Kind.APPROVED, submission=submission, actor=actor,
                   title=_("《%(title)s》审核通过，待发布") % {"title": _name(submission)},
                   message=_("全部审核层级已通过，等待授权发布人发布到“%(account)s”。") % {"account": account.name})
    publishers = get_users_with_perms(account, only_with_perms_in=["publish_account"], with_superusers=False,
                                      with_group_users=True).filter(is_active=True)
    ids = list(publishers.values_list("pk", flat=True))
    if not submission.allow_author_publish:
        authors = set(_editors(submission))
        ids = [i for i in ids if i not in authors]
    rows += _notify(ids, kind=Kind.TO_PUBLISH, submission=submission, actor=actor,
                    title=_("待发布：《%(title)s》（%(account)s）") % {"title": _name(submission), "account": account.name},
                    message=_("该稿件已通过全部审核层级，请发布到“%(account)s”。") % {"account": account.name})
    return rows


def published(*, submission, actor, external_url=""):
    message = _("已发布到“%(account)s”。") % {"account": submission.account.name}
    if external_url:
        message += "\n" + _("外部链接：%(url)s") % {"url": external_url}
    return _notify(_editors(submission), kind=Kind.PUBLISHED, submission=submission, actor=actor, message=message,
                   title=_("《%(title)s》已发布") % {"title": _name(submission)})


def retracted(*, submission, actor, reason):
    return _notify(_editors(submission), kind=Kind.RETRACTED, submission=submission, actor=actor,
                   title=_("《%(title)s》已撤稿") % {"title": _name(submission)},
                   message=_("撤稿原因：%(reason)s") % {"reason": reason})
