"""The daily digest e-mail (每日待办摘要): per user who turned it on, what waits
for him — decisions due (his review queue), drafts returned to him, approved
items he may publish. Sent by the periodic job ``daily_digest``
(project/periodic.py), at most once per user and day (``DigestSent``); nothing
is sent when nothing waits. The preference is off by default."""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from content import permissions as content_permissions
from content import services as content_services
from content.errors import NotAllowed
from content.models import User
from workflow import selectors
from workflow.models import DigestPreference, DigestSent

logger = logging.getLogger("workflow.notifications")


@transaction.atomic
def digest_preference_set(*, actor: User, daily: bool) -> DigestPreference:
    """Turn the actor's own daily digest on or off (audited)."""
    content_services.actor_reload(actor)
    if not content_permissions.is_active_user(actor):
        raise NotAllowed()
    preference, _created = DigestPreference.objects.select_for_update().get_or_create(user=actor)
    before = preference.daily
    preference.daily = bool(daily)
    preference.save(update_fields=["daily", "updated_at"])
    audit_record(action="workflow.digest.preference_changed", actor=actor, target_type="content.user",
                 target_id=actor.pk, org_path=actor.org.path if actor.org_id else "",
                 data={"before": before, "after": preference.daily})
    return preference


def _digest_message(user, content):
    lines = [_("%(name)s，您好！以下是今天等待您处理的事项：") % {"name": user.get_full_name() or user.username}, ""]
    if content["due"]:
        lines.append(_("待审核（%(n)d）：") % {"n": len(content["due"])})
        lines += [f"  · {s.draft.title}（{s.current_task.tier_name}，截止 "
                  f"{timezone.localtime(s.current_task.due_at):%m-%d %H:%M}）" for s in content["due"][:20]]
    if content["returned"]:
        lines.append(_("退回修改（%(n)d）：") % {"n": len(content["returned"])})
        lines += [f"  · {s.draft.title}" for s in content["returned"][:20]]
    if content["to_publish"]:
        lines.append(_("待发布（%(n)d）：") % {"n": len(content["to_publish"])})
        lines += [f"  · {s.draft.title}（{s.account.name}）" for s in content["to_publish"][:20]]
    lines += ["", _("请登录教育系统新媒体内容审核发布系统处理。不需要此邮件时，可在“通知”页面关闭每日摘要。")]
    return {"subject": f"[{_('新媒体审核发布')}] " + _("每日待办摘要"), "body": "\n".join(lines), "to": [user.email]}


def digest_content(user: User) -> dict[str, list]:
    """What waits for ``user``: decisions due, drafts returned, items to publish."""
    return {"due": list(selectors.review_queue(user)[:50]),
            "returned": list(selectors.returned_submissions_of(user)[:50]),
            "to_publish": list(selectors.submissions_awaiting_publication(user)[:50])}


def digests_send(*, actor: User, day: dt.date | None = None) -> dict[str, Any]:
    """Send the day's digest to each active user with the preference on and
    an address, once (a user's row and mail in one transaction; a mail server
    error rolls his back and propagates, so the task retries). Returns counts."""
    if not content_permissions.can_run_scheduled_work(actor):
        raise NotAllowed()
    day = day or timezone.localdate()
    users = (User.objects.filter(is_active=True, digest_preference__daily=True).exclude(email="")
             .exclude(pk__in=DigestSent.objects.filter(day=day).values("user_id")).order_by("pk"))
    sent = empty = 0
    with mail.get_connection() as connection:
        for user in users:
            content = digest_content(user)
            if not any(content.values()):
                empty += 1
                continue
            try:
                with transaction.atomic():
                    DigestSent.objects.create(user=user, day=day,
                                              counts={k: len(v) for k, v in content.items()})
                    connection.send_messages([mail.EmailMessage(connection=connection,
                                                                **_digest_message(user, content))])
            except IntegrityError:  # a run beside this one sent it
                continue
            sent += 1
    logger.info("daily digest %s: %d sent, %d with nothing waiting", day, sent, empty)
    return {"day": day.isoformat(), "sent": sent, "empty": empty}
