"""Marking notifications read (reading state: not audited). Their e-mail is
workflow.mail."""
from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone
from django.utils.translation import gettext as _

from content.errors import NotAllowed
from content.models import User
from workflow.models import Notification


def notification_mark_read(*, actor: User, notification_id: int | str) -> Notification:
    """Mark one of the actor's notifications read (idempotent). Someone else's,
    or an unknown one, is refused alike."""
    mine = Notification.objects.filter(pk=notification_id, recipient_id=actor.pk) if str(
        notification_id).isdigit() else Notification.objects.none()
    if not mine.exists():
        raise NotAllowed(_("没有权限访问该通知"))
    mine.filter(read_at__isnull=True).update(read_at=timezone.now())
    return mine.get()


def notifications_mark_read(*, actor: User, notification_ids: Iterable[int | str]) -> int:
    """Mark those of ``notification_ids`` that are the actor's read (others are
    ignored); returns how many changed. The pages call it for the notifications
    that link to the page being opened."""
    ids = [int(i) for i in notification_ids if str(i).isdigit()]
    if not ids:
        return 0
    return Notification.objects.filter(pk__in=ids, recipient_id=actor.pk, read_at__isnull=True).update(
        read_at=timezone.now())


def notifications_mark_all_read(*, actor: User) -> int:
    """Mark every unread notification of the actor read; returns how many."""
    return Notification.objects.filter(recipient_id=actor.pk, read_at__isnull=True).update(read_at=timezone.now())
