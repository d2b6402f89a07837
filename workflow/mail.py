"""The e-mail of notifications: a background task per batch (enqueued by
workflow.notifications inside the service's transaction) and the delivery it
runs. Delivery is not a change of record, so it is not audited; failures are
logged and retried by the task (content.background). Kept apart from
workflow.services because the services notify, and notifying enqueues this."""
from __future__ import annotations

import logging

from django.core import mail
from django.db import transaction
from django.utils import timezone

from content import permissions as content_permissions
from content import services as content_services
from content.background import background_task
from content.errors import NotAllowed
from content.models import User
from workflow.models import Notification

logger = logging.getLogger("workflow.notifications")


@background_task
def notification_emails_send(*, notification_ids):
    """E-mail a batch of notifications, each at most once (``emailed_at``)."""
    return {"sent": emails_send(actor=content_services.system_actor(), notification_ids=notification_ids)}


def emails_send(*, actor: User, notification_ids: list[int]) -> int:
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
                message = notification.email_message()
                connection.send_messages([mail.EmailMessage(connection=connection, **message)])
                Notification.objects.filter(pk=pk).update(emailed_at=timezone.now())
                sent += 1
    logger.info("notification e-mail: %d of %d sent", sent, len(ids))
    return sent
