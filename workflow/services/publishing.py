"""Publishing the exact approved revision (先审后发, 授权发布), now or at a
scheduled time, and retracting it.

An account without a channel (or with the manual one) is published by hand:
the publisher gives the address and the publication is *published* at once.
Through a channel the publication is *sending* and the delivery task is
enqueued in the same transaction (workflow.services.delivery). A schedule is a
task enqueued for its time that calls ``submission_publish`` as the publisher,
so every rule is checked again then.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from content import permissions as content_permissions
from content import selectors as content_selectors
from content import services as content_services
from content.background import background_task
from content.errors import Conflict, DomainError, NotFound, ValidationFailed, error_text
from content.models import ChannelKind, Publication, User
from reviewers.models import Decision
from workflow import notifications, permissions
from workflow.errors import PublicationHidden
from workflow.models import ScheduledPublication, Submission
from workflow.services import delivery
from workflow.services.common import audit_submission, deny_unless_visible, lock_submission, save_submission


def _publishable(actor, submission_id):
    """Lock and check everything publishing needs (role, state, grant, not the
    author, the exact approved hash); returns the submission, read with its
    account's channel (``account.channel``, when it has one), whether a
    schedule of it is pending (``scheduled``) and the actor's grant."""
    # The actor is reloaded first (lock_submission). Read with the row after its lock (the decisions and
    # the schedules are written under it): the current round's decisions approved exactly this
    # revision's hash (some did, none other), a pending schedule, the actor's grant.
    decisions = Decision.objects.filter(round_id=OuterRef("current_round_id"))
    submission = lock_submission(submission_id, actor=actor, related=("account__channel",), facts={
        "approved_this": Exists(decisions.filter(revision_hash=OuterRef("revision__content_hash"))),
        "approved_other": Exists(decisions.exclude(revision_hash=OuterRef("revision__content_hash"))),
        "scheduled": Exists(ScheduledPublication.objects.filter(submission_id=OuterRef("pk"),
                                                                state=ScheduledPublication.State.SCHEDULED)),
        "publish_granted": content_permissions.grant_exists(actor, "publish_account", OuterRef("account_id"))})
    deny_unless_visible(actor, submission)
    refusal = permissions.publish_refusal(actor, submission, granted=submission.publish_granted)
    if refusal:
        refusal.raise_()
    revision = submission.revision
    current = submission.draft.current_revision_id  # read with the submission, after its lock
    if (current != revision.pk or not submission.approved_this or submission.approved_other
            or revision.recompute_hash() != revision.content_hash):
        raise Conflict(_("待发布内容与审核通过的内容不一致（哈希不符），已拒绝发布"), code="hash_mismatch")
    return submission


@transaction.atomic
def submission_publish(*, actor: User, submission_id: int, external_url: str = "",
                       external_id: str = "") -> Submission:
    """Publish the exact approved revision (先审后发) by an authorised user (授权发布):
    by hand with its address, or through the account's channel (*sending*,
    the delivery enqueued in this transaction)."""
    submission = _publishable(actor, submission_id)
    external_url = str(external_url or "").strip()
    if external_url:
        try:
            URLValidator(schemes=["http", "https"])(external_url)
        except ValidationError:
            raise ValidationFailed(fields={"external_url": [_("外部链接格式不正确")]}) from None
    external_id = str(external_id or "").strip()[:200]
    revision = submission.revision
    channel = getattr(submission.account, "channel", None)  # read with the submission (_publishable)
    kind = channel.kind if channel is not None and not external_url else ChannelKind.MANUAL
    publication = content_services.publication_create(actor=actor, draft=submission.draft, revision=revision,
                                                      external_url=external_url, external_id=external_id,
                                                      channel=kind)
    submission.publish(publication=publication)
    save_submission(submission)
    audit_submission("workflow.submission.published", actor=actor, submission=submission,
           data={"publication_id": publication.pk, "external_url": external_url, "external_id": external_id,
                 "channel": kind, "state": publication.state, "delivery_id": publication.delivery_id})
    if kind == ChannelKind.MANUAL:
        notifications.published(submission=submission, actor=actor, external_url=external_url)
    else:
        content_services.publication_mark_sending(publication=publication, channel=kind)
        delivery.publication_deliver.enqueue(publication_id=publication.pk, delivery_id=publication.delivery_id)
    notifications.published_read(submission=submission, actor=actor)
    if submission.scheduled:  # read under the lock (_publishable): nothing to close otherwise
        _schedules_close(submission, state=ScheduledPublication.State.DONE)
    return submission


@transaction.atomic
def publication_retract(*, actor: User, publication_id: int, reason: str) -> Submission:
    """Retract a publication (撤稿). The record stays, marked with the reason."""
    content_services.actor_reload(actor)
    sub_id = (Submission.objects.filter(publication_id=publication_id).values_list("pk", flat=True).first()
              if str(publication_id).isdigit() else None)
    if sub_id is None:
        raise PublicationHidden()
    submission = lock_submission(sub_id, hidden=PublicationHidden)
    deny_unless_visible(actor, submission, hidden=PublicationHidden)
    refusal = permissions.retract_refusal(actor, submission)
    if refusal:
        refusal.raise_()
    reason = str(reason or "").strip()
    if not reason:
        raise ValidationFailed(fields={"reason": [_("撤稿必须填写原因")]})
    if len(reason) > 2000:
        raise ValidationFailed(fields={"reason": [_("撤稿原因不能超过 2000 个字符")]})
    publication = content_selectors.publication_for_update(publication_id)
    through_channel = publication.channel != ChannelKind.MANUAL and publication.state == Publication.State.PUBLISHED
    content_services.publication_mark_retracted(actor=actor, publication=publication, reason=reason)
    if through_channel:  # ask the platform to delete it; the task records the answer
        delivery.publication_delete.enqueue(publication_id=publication.pk)
    submission.retract()
    save_submission(submission)
    audit_submission("workflow.submission.retracted", actor=actor, submission=submission,
           data={"publication_id": publication.pk, "reason": reason, "platform_delete": through_channel})
    notifications.retracted(submission=submission, actor=actor, reason=reason)
    notifications.acted_on(submission=submission, actor=actor)
    return submission


# ---------------------------------------------------------------- scheduled publishing

MAX_SCHEDULE_DAYS = 366


def _schedules_close(submission, *, state, error=""):
    return ScheduledPublication.objects.filter(submission=submission, state=ScheduledPublication.State.SCHEDULED) \
        .update(state=state, error=error, finished_at=timezone.now())


def _schedule_time(value):
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValidationFailed(fields={"scheduled_for": [_("定时发布时间格式不正确")]}) from None
    if not isinstance(value, dt.datetime):
        raise ValidationFailed(fields={"scheduled_for": [_("请填写定时发布时间")]})
    if timezone.is_naive(value):  # the unit's time zone (settings.TIME_ZONE)
        value = timezone.make_aware(value)
    now = timezone.now()
    if value <= now + dt.timedelta(minutes=1):
        raise ValidationFailed(fields={"scheduled_for": [_("定时发布时间须晚于现在至少 1 分钟")]})
    if value > now + dt.timedelta(days=MAX_SCHEDULE_DAYS):
        raise ValidationFailed(fields={"scheduled_for": [_("定时发布时间不能超过一年")]})
    return value


def _audit_schedule(action, *, actor, schedule, submission, data=None, outcome="success"):
    audit_record(action=action, actor=actor, target_type="workflow.scheduledpublication", target_id=schedule.pk,
                 org_path=submission.account.org.path, account_id=submission.account_id,
                 draft_id=submission.draft_id, outcome=outcome,
                 data={"submission_id": submission.pk, "scheduled_for": schedule.scheduled_for.isoformat(),
                       "hash": schedule.revision_hash, **(data or {})})


def _enqueue_schedule(schedule):
    scheduled_publish.using(run_after=schedule.scheduled_for).enqueue(
        schedule_id=schedule.pk, scheduled_for=schedule.scheduled_for.isoformat())


@transaction.atomic
def submission_schedule(*, actor: User, submission_id: int, scheduled_for: dt.datetime | str) -> ScheduledPublication:
    """Schedule an approved submission for publication at a time (the rules are checked now and again then)."""
    submission = _publishable(actor, submission_id)
    when = _schedule_time(scheduled_for)
    if submission.scheduled:
        raise Conflict(_("该稿件已安排定时发布，请修改或取消原安排"), code="already_scheduled")
    schedule = ScheduledPublication.objects.create(submission=submission, account=submission.account,
                                                   scheduled_for=when, created_by=actor,
                                                   revision_hash=submission.revision.content_hash)
    _audit_schedule("workflow.publication.scheduled", actor=actor, schedule=schedule, submission=submission)
    _enqueue_schedule(schedule)
    notifications.acted_on(submission=submission, actor=actor, kinds=[notifications.Kind.TO_PUBLISH])
    return schedule


def _lock_schedule(actor, schedule_id):
    content_services.actor_reload(actor)
    schedule = (ScheduledPublication.objects.select_for_update(of=("self",))
                .filter(pk=schedule_id if str(schedule_id).isdigit() else None).first())
    if schedule is None:
        raise NotFound(_("定时发布安排不存在"))
    submission = lock_submission(schedule.submission_id)
    deny_unless_visible(actor, submission)
    refusal = permissions.schedule_refusal(actor, submission)
    if refusal:
        refusal.raise_()
    if schedule.state != ScheduledPublication.State.SCHEDULED:
        raise Conflict(_("该定时发布已执行或已取消"), code="wrong_state")
    return schedule, submission


@transaction.atomic
def schedule_move(*, actor: User, schedule_id: int, scheduled_for: dt.datetime | str) -> ScheduledPublication:
    """Move a pending schedule to another time (the old time's task finds nothing to do)."""
    schedule, submission = _lock_schedule(actor, schedule_id)
    before = schedule.scheduled_for.isoformat()
    schedule.scheduled_for = _schedule_time(scheduled_for)
    schedule.save(update_fields=["scheduled_for"])
    _audit_schedule("workflow.publication.schedule_moved", actor=actor, schedule=schedule, submission=submission,
                    data={"before": before})
    _enqueue_schedule(schedule)
    return schedule


@transaction.atomic
def schedule_cancel(*, actor: User, schedule_id: int) -> ScheduledPublication:
    schedule, submission = _lock_schedule(actor, schedule_id)
    schedule.state = ScheduledPublication.State.CANCELLED
    schedule.finished_at = timezone.now()
    schedule.save(update_fields=["state", "finished_at"])
    _audit_schedule("workflow.publication.schedule_cancelled", actor=actor, schedule=schedule, submission=submission)
    return schedule


def schedule_run(*, actor: User, schedule_id: int, scheduled_for: str = "") -> dict[str, Any]:
    """At the time: publish as the publisher who scheduled it, through
    ``submission_publish`` and all its rules. A refusal (a grant revoked, the
    account closed, a new revision saved, ...) fails the schedule with the
    reason and tells the publisher. A moved or cancelled schedule is left alone."""
    if not content_permissions.can_run_scheduled_work(actor):
        raise NotFound(_("定时发布安排不存在"))
    schedule = ScheduledPublication.objects.select_related("created_by", "submission").filter(pk=schedule_id).first()
    if (schedule is None or schedule.state != ScheduledPublication.State.SCHEDULED
            or (scheduled_for and schedule.scheduled_for.isoformat() != scheduled_for)):
        return {"skipped": True}
    if schedule.scheduled_for > timezone.now():
        return {"skipped": True, "early": True}
    publisher = schedule.created_by
    reason = ""
    try:
        with transaction.atomic():
            submission = lock_submission(schedule.submission_id)
            if submission.revision.content_hash != schedule.revision_hash:
                raise Conflict(_("安排定时发布后稿件内容已变化"), code="hash_mismatch")
            submission_publish(actor=publisher, submission_id=schedule.submission_id)
    except DomainError as exc:
        reason = error_text(exc)
    if not reason:
        return {"published": schedule.submission_id}
    with transaction.atomic():
        locked = ScheduledPublication.objects.select_for_update().get(pk=schedule.pk)
        if locked.state != ScheduledPublication.State.SCHEDULED:
            return {"skipped": True}
        locked.state, locked.error, locked.finished_at = ScheduledPublication.State.FAILED, reason, timezone.now()
        locked.save(update_fields=["state", "error", "finished_at"])
        submission = Submission.objects.select_related("account", "account__org", "draft", "revision").get(
            pk=schedule.submission_id)
        _audit_schedule("workflow.publication.schedule_failed", actor=actor, schedule=locked, submission=submission,
                        outcome="failure", data={"reason": reason})
        notifications.schedule_failed(submission=submission, actor=actor, publisher_id=publisher.pk, reason=reason)
    return {"failed": reason}


@background_task
def scheduled_publish(*, schedule_id: int, scheduled_for: str = "") -> dict[str, Any]:
    """The task enqueued for a schedule's time (run_after): ``schedule_run`` as the system actor."""
    return schedule_run(actor=content_services.system_actor(), schedule_id=schedule_id, scheduled_for=scheduled_for)
