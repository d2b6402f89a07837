"""The daily digest e-mail: off by default, per user preference (audited); what
waits for him (decisions due, drafts returned, items to publish), once per day;
the periodic job derived from JOBS."""
import datetime as dt

import pytest
from django.core import mail

from audit.models import AuditEntry
from content import services as content_services
from project import periodic
from tests.workflow.helpers import decide, new_draft, submit
from workflow import services
from workflow.models import DigestSent

pytestmark = pytest.mark.django_db


def _send(day=dt.date(2026, 12, 3)):
    return services.digests_send(actor=content_services.system_actor(), day=day)


def test_nobody_gets_a_digest_unless_he_turned_it_on(world):
    submit(world, new_draft(world))
    assert _send()["sent"] == 0 and mail.outbox == []


def test_a_digest_lists_what_waits_and_goes_once_a_day(world):
    for u in (world.reviewers[0], world.editor, world.publisher):
        u.email = f"{u.username}@example.edu.cn"
        u.save(update_fields=["email"])
        services.digest_preference_set(actor=u, daily=True)
    assert AuditEntry.objects.filter(action="workflow.digest.preference_changed").count() == 3
    waiting = submit(world, new_draft(world, title="待审核的通知"))
    returned = submit(world, new_draft(world, title="被退回的通知"))
    decide(world.reviewers[0], returned, wording="错别字")
    approved = submit(world, new_draft(world, title="待发布的通知"))
    for r in world.reviewers:
        approved = decide(r, approved)
    result = _send()
    assert result["sent"] == 3
    bodies = {m.to[0]: m.body for m in mail.outbox}
    assert "待审核的通知" in bodies["reviewer1@example.edu.cn"]
    assert "被退回的通知" in bodies["editor@example.edu.cn"]
    assert "待发布的通知" in bodies["publisher@example.edu.cn"]
    assert waiting.pk
    assert _send()["sent"] == 0 and len(mail.outbox) == 3  # once per day
    assert DigestSent.objects.count() == 3
    services.digest_preference_set(actor=world.editor, daily=False)
    assert _send(dt.date(2026, 12, 4))["sent"] == 2


def test_the_digest_is_a_daily_periodic_job():
    [job] = [j for j in periodic.JOBS if j.name == "daily_digest"]
    assert job.every == periodic.DAILY and job.task.module_path.endswith("daily_digest")


def test_the_notifications_page_switches_the_digest(client, world):
    client.force_login(world.editor)
    assert "开启每日待办摘要邮件" in client.get("/review/notifications/").content.decode()
    assert client.post("/review/notifications/digest/", {"daily": "1"}).status_code == 302
    assert "关闭每日待办摘要邮件" in client.get("/review/notifications/").content.decode()
