"""In-app notifications on the workflow's events, with optional e-mail.

Called by the workflow services inside their transaction:

* every decision notifies the draft's editor: a return (with the failed
  dimensions and their comments), a tier passed (and which tier is next), the
  approval; so do a publication and a retraction;
* an approval also notifies every publisher authorised to publish to the account
  (the publisher role and the object permission ``publish_account``, directly
  or through a group), minus
  the author when the policy keeps authors from publishing their own drafts;
* a round whose current tier nobody may decide (found by
  ``manage.py check_review_coverage``) notifies the editor and the unit
  administrators of the account's unit and the units above it.

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

Marking read on action (``acted_on``): when a user decides, publishes,
retracts, resubmits (or submits) or withdraws a submission, his own
notifications about it are marked read in the same transaction — he has acted
on them. A publication also clears every publisher's "待发布" item of that
submission: nothing is left for them to do. (Opening the page a notification
links to marks it read too; the web layer does that, since it owns the links.)
"""
from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import get_users_with_perms

from content import roles
from reviewers import checklist
from workflow import live
from workflow import mail as notification_mail
from workflow.models import Notification

Kind = Notification.Kind


def email_enabled():
    return bool(getattr(settings, "NOTIFY_EMAIL", True))


def _title(text):
    return text if len(text) <= 200 else text[:199] + "…"


def _rows(recipient_ids, *, kind, title, message, submission, actor):
    """Unsaved rows of one notification to each recipient but the actor."""
    actor_id = getattr(actor, "pk", None)
    title = _title(title)
    return [Notification(recipient_id=i, kind=kind, title=title, message=message, submission=submission)
            for i in dict.fromkeys(recipient_ids) if i and i != actor_id]


def _write(rows):
    """Write ``rows`` (of one or several kinds) in one insert and deliver them as one batch."""
    if not rows:
        return []
    rows = Notification.objects.bulk_create(rows)
    deliver(rows)
    return rows


def _notify(recipient_ids, *, kind, title, message, submission, actor):
    return _write(_rows(recipient_ids, kind=kind, title=title, message=message, submission=submission, actor=actor))


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
    for kind in dict.fromkeys(r.kind for r in rows):
        same = [r for r in rows if r.kind == kind]
        live.notification_created(user_ids=[r.recipient_id for r in same], kind=kind, title=same[0].title)
    if email_enabled():
        notification_mail.notification_emails_send.enqueue(notification_ids=[r.pk for r in rows])


def _editors(submission):
    return [submission.draft.author_id, submission.submitted_by_id]


def _name(submission):
    return submission.revision.title or submission.draft.title


def _signature_lines(decision):
    """One countersign signature's reasons: who, then each failed dimension and the note."""
    who = str(decision.reviewer)
    lines = [f"{checklist.DIMENSION_LABELS[dim]}（{who}）：{decision.comments.get(dim, '')}"
             for dim in checklist.failed_dimensions(decision.verdicts)]
    if decision.note:
        lines.append(_("%(who)s的审核意见：%(note)s") % {"who": who, "note": decision.note})
    return lines


def returned(*, submission, actor, tier_name, verdicts, comments, note, other_signatures=()):
    """The editor hears why: the returning signature's failed dimensions and
    note, and at a countersign tier every other signer's reasons too."""
    reasons = [f"{checklist.DIMENSION_LABELS[dim]}：{comments.get(dim, '')}"
               for dim in checklist.failed_dimensions(verdicts)]
    message = "\n".join([_("退回理由："), *reasons] + ([_("审核意见：%(note)s") % {"note": note}] if note else []))
    others = [line for d in other_signatures for line in _signature_lines(d)]
    if others:
        message += "\n" + "\n".join([_("其他会签人员意见："), *others])
    return _notify(_editors(submission), kind=Kind.RETURNED, submission=submission, actor=actor, message=message,
                   title=_("《%(title)s》被退回修改（%(tier)s）") % {"title": _name(submission), "tier": tier_name})


def assigned(*, submission, actor, assignee, tier_name, note=""):
    """The assignee hears that the tier's lead gave him the item."""
    message = _("%(who)s将《%(title)s》（%(tier)s）指派给您审核。") % {
        "who": str(actor), "title": _name(submission), "tier": tier_name}
    if note:
        message += "\n" + _("指派说明：%(note)s") % {"note": note}
    return _notify([assignee.pk], kind=Kind.ASSIGNED, submission=submission, actor=actor, message=message,
                   title=_("《%(title)s》指派给您审核（%(tier)s）") % {"title": _name(submission), "tier": tier_name})


def mentioned(*, draft, actor, recipients, body):
    """Users @mentioned in a draft's discussion (who may see it) hear of it;
    the notification points at the draft's latest submission, if any."""
    submission = draft.submissions.order_by("-id").first()
    return _notify(recipients, kind=Kind.MENTIONED, submission=submission, actor=actor, message=body[:500],
                   title=_("%(who)s在《%(title)s》的讨论中提到您") % {"who": str(actor), "title": draft.title})


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
    rows = _rows(_editors(submission), kind=Kind.APPROVED, submission=submission, actor=actor,
                 title=_("《%(title)s》审核通过，待发布") % {"title": _name(submission)},
                 message=_("全部审核层级已通过，等待授权发布人发布到“%(account)s”。") % {"account": account.name})
    publishers = get_users_with_perms(account, only_with_perms_in=["publish_account"], with_superusers=False,
                                      with_group_users=True).filter(is_active=True)
    # a grant counts only with the publisher role (content.permissions.grant_in_force)
    ids = [pk for pk, user_roles, is_superuser in publishers.values_list("pk", "roles", "is_superuser")
           if is_superuser or roles.PUBLISHER in (user_roles or [])]
    if not submission.allow_author_publish:
        authors = set(_editors(submission))
        ids = [i for i in ids if i not in authors]
    rows += _rows(ids, kind=Kind.TO_PUBLISH, submission=submission, actor=actor,
                  title=_("待发布：《%(title)s》（%(account)s）") % {"title": _name(submission), "account": account.name},
                  message=_("该稿件已通过全部审核层级，请发布到“%(account)s”。") % {"account": account.name})
    return _write(rows)  # one insert and one e-mail task for the editor's and the publishers' rows


def published(*, submission, actor, external_url="", publisher_id=None):
    """The editor hears of the publication; after a channel's delivery (the
    system acting) the publisher who clicked does too."""
    message = _("已发布到“%(account)s”。") % {"account": submission.account.name}
    if external_url:
        message += "\n" + _("外部链接：%(url)s") % {"url": external_url}
    return _notify([*_editors(submission), publisher_id], kind=Kind.PUBLISHED, submission=submission, actor=actor,
                   message=message, title=_("《%(title)s》已发布") % {"title": _name(submission)})


def delivery_failed(*, submission, actor, publisher_id, error):
    """The publisher and the editor hear the platform's error; the publisher may send again or publish by hand."""
    return _notify([publisher_id, *_editors(submission)], kind=Kind.DELIVERY_FAILED, submission=submission,
                   actor=actor, title=_("《%(title)s》发送到“%(account)s”失败") % {
                       "title": _name(submission), "account": submission.account.name},
                   message=_("平台返回：%(error)s\n授权发布人可以重新发送，或在平台上发布后改为人工发布。") % {"error": error})


def schedule_failed(*, submission, actor, publisher_id, reason):
    return _notify([publisher_id], kind=Kind.SCHEDULE_FAILED, submission=submission, actor=actor,
                   title=_("《%(title)s》的定时发布未能执行") % {"title": _name(submission)},
                   message=_("原因：%(reason)s") % {"reason": reason})


def retracted(*, submission, actor, reason):
    return _notify(_editors(submission), kind=Kind.RETRACTED, submission=submission, actor=actor,
                   title=_("《%(title)s》已撤稿") % {"title": _name(submission)},
                   message=_("撤稿原因：%(reason)s") % {"reason": reason})


def no_decider(*, submission, task, admin_ids, actor=None):
    """The current tier of a round has no eligible decider: the editor hears
    why the item waits, the security administrators what to grant."""
    tier = _("“%(name)s”（第 %(n)d 级）") % {"name": task.tier_name, "n": task.tier}
    account = submission.account.name
    then = (_("已通知安全管理员授予该层级，授予后稿件即出现在审核人的队列中。") if admin_ids
            else _("请联系安全管理员授予该层级，授予后稿件即出现在审核人的队列中。"))
    rows = _notify(_editors(submission), kind=Kind.NO_DECIDER, submission=submission, actor=actor,
                   title=_("《%(title)s》在%(tier)s无可审核人员") % {"title": _name(submission), "tier": tier},
                   message=_("当前层级无可审核人员：%(tier)s没有可以审核该稿件的人员（作者本人和本轮已签署其他层级的人员"
                             "不能审核）。") % {"tier": tier} + then)
    rows += _notify(admin_ids, kind=Kind.NO_DECIDER_ADMIN, submission=submission, actor=actor,
                    title=_("待处理：“%(account)s”的%(tier)s无可审核人员") % {"account": account, "tier": tier},
                    message=_("《%(title)s》（送审单 %(id)d，第 %(round)d 轮）停在%(tier)s，没有可以审核它的人员。"
                              "请在单位管理页面为账号“%(account)s”或其所属单位授予该层级，"
                              "授予对象须持有审核人角色，且不是作者、未签署本轮其他层级。") % {
                        "title": _name(submission), "id": submission.pk, "round": submission.round_no,
                        "tier": tier, "account": account})
    return rows
def unread_exists(actor):
    """An annotation for a submission's read: whether ``actor`` has unread
    notifications about it (what ``acted_on`` would mark read; pass it as
    ``unread``)."""
    return Exists(_unread_of(actor, OuterRef("pk")))


def _unread_of(actor, submission_id):
    """The actor's unread notifications about a submission (an id or an expression)."""
    return Notification.objects.filter(recipient_id=actor.pk, submission_id=submission_id, read_at__isnull=True)


def acted_on(*, submission, actor, kinds=None, unread=None):
    """``actor`` acted on ``submission``: his unread notifications about it are
    read (only those of ``kinds`` when given). Returns how many. ``unread``:
    False when the caller read (``unread_exists``, in this transaction) that he
    has none: nothing to update, no query."""
    if getattr(actor, "pk", None) is None or unread is False:
        return 0
    qs = _unread_of(actor, submission.pk)
    if kinds is not None:
        qs = qs.filter(kind__in=kinds)
    return qs.update(read_at=timezone.now())


def published_read(*, submission, actor):
    """The submission is published: the publisher has acted on his
    notifications about it (``acted_on``), and every publisher's "待发布" item
    of it is read, for nothing is left to do. One update. Returns how many."""
    mine = Q(recipient_id=actor.pk) if getattr(actor, "pk", None) is not None else Q(pk__in=[])
    return Notification.objects.filter(mine | Q(kind=Kind.TO_PUBLISH), submission_id=submission.pk,
                                       read_at__isnull=True).update(read_at=timezone.now())
