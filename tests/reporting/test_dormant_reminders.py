"""The daily dormant-account sweep: account managers hear once per threshold
(提醒 / 督办 / 不合格) and silence, in-app, by e-mail and in the audit log."""
import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from audit.models import AuditEntry
from content import roles
from content import services as content_services
from content.errors import NotAllowed
from reporting import services, tasks
from tests import factories
from tests.tasks_support import run_tasks
from tests.workflow.helpers import approve_all, new_draft, submit
from workflow import services as workflow_services
from workflow.models import Notification

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def sweep(days_from_now):
    return services.dormant_reminders_send(actor=content_services.system_actor(),
                                           today=TODAY + dt.timedelta(days=days_from_now))


def told():
    return list(Notification.objects.filter(kind="dormant").order_by("id").values_list("recipient__username", "title"))


def test_each_threshold_is_told_once_to_the_account_managers(world):
    world.manager.email = "manager@example.org"
    world.manager.save()
    assert sweep(6) == {"warn": 0, "escalate": 0, "fail": 0}  # registered today: 6 days silent
    assert sweep(7) == {"warn": 1, "escalate": 0, "fail": 0}
    assert sweep(8) == {"warn": 0, "escalate": 0, "fail": 0}
    assert sweep(10) == {"warn": 0, "escalate": 1, "fail": 0}
    assert sweep(14) == {"warn": 0, "escalate": 0, "fail": 1}
    assert sweep(30) == {"warn": 0, "escalate": 0, "fail": 0}
    assert told() == [("manager", "【提醒】账号“广州一中”已 7 天未更新"),
                      ("manager", "【督办】账号“广州一中”已 10 天未更新"),
                      ("manager", "【不合格】账号“广州一中”已 14 天未更新")]
    last = Notification.objects.filter(kind="dormant").order_by("id").last()
    assert "达到“不合格”标准（14 天）" in last.message and "单项否决" in last.message
    assert last.submission_id is None
    entries = AuditEntry.objects.filter(action="reporting.dormant.reminded").order_by("seq")
    assert [e.data["level"] for e in entries] == ["warn", "escalate", "fail"]
    assert all(e.target_type == "content.mediaaccount" and e.account_id == world.account.pk
               and e.data["recipients"] == [world.manager.pk] for e in entries)
    run_tasks()
    assert [m.to for m in mail.outbox] == [["manager@example.org"]] * 3


def test_an_account_first_seen_at_fail_gets_that_reminder_alone(world):
    assert sweep(20) == {"warn": 0, "escalate": 0, "fail": 1}
    assert sweep(21) == {"warn": 0, "escalate": 0, "fail": 0}


def test_a_new_silence_after_a_publication_is_told_again(world):
    content_services.account_change(actor=world.manager, account_id=world.account.pk,
                                    changes={"opened_on": (TODAY - dt.timedelta(days=9)).isoformat()})
    assert sweep(0)["warn"] == 1  # opened nine days ago, never published
    sub = approve_all(world, submit(world, new_draft(world)))
    workflow_services.submission_publish(actor=world.publisher, submission_id=sub.pk)
    assert sweep(1) == {"warn": 0, "escalate": 0, "fail": 0}  # published today
    assert sweep(7)["warn"] == 1  # a week after the publication: a new silence
    assert sweep(8)["warn"] == 0


def test_the_nearest_account_managers_are_told(world):
    content_services.user_update(actor=factories.superuser(), user_id=world.manager.pk, is_active=False)
    assert sweep(7)["warn"] == 0  # nobody manages the school, the city or the province: nobody to tell
    assert not AuditEntry.objects.filter(action="reporting.dormant.reminded").exists()
    city_manager = factories.user("citymanager", org_=world.city, roles_=[roles.ACCOUNT_MANAGER])
    assert sweep(8)["warn"] == 1
    assert [u for u, _title in told()] == [city_manager.username]  # not the other city's manager (outsider)


def test_the_daily_task_runs_as_the_system_actor_and_links_to_the_dormant_watch(client, world):
    content_services.account_change(actor=world.manager, account_id=world.account.pk,
                                    changes={"opened_on": (TODAY - dt.timedelta(days=15)).isoformat()})
    tasks.dormant_sweep.enqueue(period=TODAY.isoformat())
    [row] = [r for r in run_tasks() if r.task_path.endswith("dormant_sweep")]
    assert row.status == "SUCCESSFUL" and row.return_value["fail"] == 1
    assert AuditEntry.objects.get(action="reporting.dormant.reminded").actor.username == "system"
    client.force_login(world.manager)
    n = Notification.objects.get(kind="dormant")
    response = client.post(f"/review/notifications/{n.pk}/read/", {"open": "1"})
    assert response["Location"] == "/stats/dormant/"
    assert client.get("/stats/dormant/").status_code == 200


def test_only_the_system_actor_or_a_superuser_sweeps(world):
    with pytest.raises(NotAllowed):
        services.dormant_reminders_send(actor=world.manager)
