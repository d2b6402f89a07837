"""Marking notifications read (reading state: not audited), and sending their
e-mail (a background task's service: delivery, not a change of record, so not
audited either; failures are logged and retried by the task)."""
import logging

from django.core import mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from content import permissions as content_permissions
from content.errors import NotAllowed
from workflow import notifications
from workflow.models import Notification

logger = logging.getLogger("workflow.notifications")


def notification_mark_read(*, actor, notification_id):
    """Mark one of the actor's notifications read (idempotent). Someone else's,
    or an unknown one, is refused alike."""
    mine = Notification.objects.filter(pk=notification_id, recipient_id=actor.pk) if str(
        notification_id).isdigit() else Notification.objects.none()
    if not mine.exists():
        raise NotAllowed(_("没有权限访问该通知"))
    mine.filter(read_at__isnull=True).update(read_at=timezone.now())
    return mine.get()


def notifications_mark_all_read(*, actor):
    """Mark every unread notification of the actor read; returns how many."""
    return Notification.objects.filter(recipient_id=actor.pk, read_at__isnull=True).update(read_at=timezone.now())


def notification_emails_send(*, actor, notification_ids):
    """E-mail each of these notifications to its recipient, at most once: those
    already e-mailed, those whose recipient is inactive or has no address are
    skipped. Each one is locked, sent and marked (``emailed_at``) in its own
    transaction, so a second run, or a run beside it, sends nothing twice; a
    mail server error rolls back that one and propagates (the task retries the
    batch later). Returns how many were sent."""
    if not content_permissions.can_run_scheduled_work(actor):
        raise NotAllowed()
    ids = [int(i) for i in notification_ids if str(i).isdigit()]
    pending = list(Notification.objects.filter(pk__in=ids, emailed_at__isnull=True, recipient__is_active=True)
                   .exclude(recipient__email="").order_by("pk").values_list("pk", flat=True))
    sent = 0
    if not pending:
        return sent
    with mail.get_connection() as connection:
        for pk in pending:
            with transaction.atomic():
                notification = (Notification.objects.select_for_update(of=("self",)).select_related("recipient")
                                .filter(pk=pk, emailed_at__isnull=True).first())
                if notification is None:  # sent by a run beside this one
                    continue
                message = notifications.email_message(notification)
                connection.send_messages([mail.EmailMessage(connection=connection, **message)])
                Notification.objects.filter(pk=pk).update(emailed_at=timezone.now())
                sent += 1
    logger.info("notification e-mail: %d of %d sent", sent, len(ids))
    return sent
