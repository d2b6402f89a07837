"""Due-time reminders of review tasks (the hourly job): who is told, at which
threshold, at most once each; the escalation of an overdue task; in-app, by
e-mail and in the audit log."""
import datetime as dt

import pytest
from django.core import mail
from django.test import override_settings

from audit.models import AuditEntry
from content import roles
from content import services as content_services
from content.errors import NotAllowed
from reviewers.models import ReviewTask
from tests import factories
from tests.tasks_support import run_tasks
from tests.workflow.helpers import new_draft, submit
from workflow import services, tasks
from workflow.models import Notification, Reminder

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)


def remind(at):
    return services.review_reminders_send(actor=content_services.system_actor(), now=at)


def told(kind):
    return sorted(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


def due_at(sub):
    return ReviewTask.objects.get(pk=sub.current_task_id).due_at


@pytest.fixture
def sub(world):
    return submit(world, new_draft(world, title="秋季运动会"))


def test_reviewers_who_may_decide_are_told_once_when_the_task_is_due_soon(world, sub):
    due = due_at(sub)
    assert remind(due - 5 * H) == {"due_soon": 0, "overdue": 0, "escalated": 0}  # REVIEW_DUE_SOON_HOURS = 4
    assert remind(due - 3 * H) == {"due_soon": 2, "overdue": 0, "escalated": 0}
    assert told("due_soon") == ["reviewer1", "reviewer1b"]  # tier 1 for the account; not tiers 2 and 3
    n = Notification.objects.filter(kind="due_soon").first()
    assert n.submission_id == sub.pk and n.title.startswith("审核提醒：《秋季运动会》初审将于")
    assert "广州一中" in n.message and "请及时处理" in n.message
    assert remind(due - 2 * H) == {"due_soon": 0, "overdue": 0, "escalated": 0}
    assert remind(due - 1 * H)["due_soon"] == 0
    assert Notification.objects.filter(kind="due_soon").count() == 2
    [entry] = AuditEntry.objects.filter(action="workflow.reminder.due_soon")
    assert entry.target_type == "reviewers.reviewtask" and entry.target_id == str(sub.current_task_id)
    assert sorted(entry.data["recipients"]) == sorted([world.reviewers[0].pk, world.reviewer1b.pk])
    assert entry.actor_label and entry.account_id == world.account.pk and entry.draft_id == sub.draft_id


@override_settings(REVIEW_DUE_SOON_HOURS=1)
def test_the_due_soon_window_is_a_setting(world, sub):
    assert remind(due_at(sub) - 2 * H)["due_soon"] == 0
    assert remind(due_at(sub) - H / 2)["due_soon"] == 2


def test_an_overdue_task_is_told_again_and_escalated_once_to_the_unit_administrators(world, sub):
    due = due_at(sub)
    remind(due - 3 * H)
    assert remind(due + H) == {"due_soon": 0, "overdue": 2, "escalated": 1}
    assert told("overdue") == ["reviewer1", "reviewer1b"]
    # nobody is an administrator of the school or the city: the province's is the nearest
    assert told("escalated") == ["sysadmin"]
    escalation = Notification.objects.get(kind="escalated")
    assert escalation.title == "超时督办：《秋季运动会》初审已超时" and "尚无人认领" in escalation.message
    for later in (due + 2 * H, due + 30 * H):
        assert remind(later) == {"due_soon": 0, "overdue": 0, "escalated": 0}
    assert AuditEntry.objects.filter(action="workflow.reminder.overdue").count() == 1
    [entry] = AuditEntry.objects.filter(action="workflow.reminder.escalated")
    assert entry.data["recipients"] == [world.admin.pk]
    assert Reminder.objects.count() == 2 + 2 + 1


def test_a_claimed_task_tells_its_claimer_and_escalates_to_the_other_members(world, sub):
    services.submission_claim(actor=world.reviewers[0], submission_id=sub.pk)
    due = due_at(sub)
    remind(due - 3 * H)
    assert told("due_soon") == ["reviewer1"]
    remind(due + H)
    assert told("overdue") == ["reviewer1"]
    assert told("escalated") == ["reviewer1b", "sysadmin"]
    assert "已由审核1认领" in Notification.objects.filter(kind="escalated").first().message


def test_the_nearest_unit_administrators_are_escalated_to(world, sub):
    near = factories.user("schooladmin", org_=world.school, roles_=[roles.SYSTEM_ADMIN])
    remind(due_at(sub) + H)
    assert told("escalated") == [near.username]


def test_a_task_nobody_may_decide_is_still_escalated(world, sub):
    for user in (world.reviewers[0], world.reviewer1b):
        content_services.user_update(actor=factories.superuser(), user_id=user.pk, is_active=False)
    assert remind(due_at(sub) + H) == {"due_soon": 0, "overdue": 0, "escalated": 1}
    assert told("escalated") == ["sysadmin"]


def test_a_decided_task_is_not_reminded_its_next_tier_is(world, sub):
    from tests.workflow.helpers import decide

    first_due = due_at(sub)
    sub = decide(world.reviewers[0], sub)  # tier 1 passed: tier 2 opens, due a day later
    remind(first_due + H)
    assert told("overdue") == ["reviewer2"]
    assert Reminder.objects.filter(subject_id=sub.current_task_id).count() == 2  # reviewer2 + the escalation


def test_reminders_go_by_e_mail_once(world, sub):
    world.reviewer1b.email = "r1b@example.org"
    world.reviewer1b.save()
    remind(due_at(sub) - 3 * H)
    remind(due_at(sub) - 2 * H)
    run_tasks()
    assert [m.to for m in mail.outbox] == [["r1b@example.org"]]
    assert "审核提醒：《秋季运动会》初审将于" in mail.outbox[0].subject
    run_tasks()
    assert len(mail.outbox) == 1


def test_the_hourly_task_runs_as_the_system_actor(world, sub):
    tasks.review_reminders.enqueue(period="2026-12-01T14:00+08:00")
    run_tasks()  # now: the 24-hour task is not due within 4 hours — nothing to tell
    assert not Notification.objects.filter(kind__in=["due_soon", "overdue"]).exists()
    services.policy_create(actor=factories.superuser(), name="一小时", account_id=world.account.pk,
                           tiers=[{"name": "初审", "due_hours": 1}])
    quick = submit(world, new_draft(world, title="急稿"))
    tasks.review_reminders.enqueue(period="2026-12-01T15:00+08:00")
    [row] = [r for r in run_tasks() if r.task_path.endswith("review_reminders")]
    assert row.status == "SUCCESSFUL" and row.return_value["due_soon"] == 2
    entry = AuditEntry.objects.get(action="workflow.reminder.due_soon")
    assert entry.target_id == str(quick.current_task_id)
    assert entry.actor_label == "system（系统）" and entry.actor.username == "system"


def test_only_the_system_actor_or_a_superuser_runs_the_reminders(world, sub):
    with pytest.raises(NotAllowed):
        services.review_reminders_send(actor=world.admin, now=due_at(sub))
    assert services.review_reminders_send(actor=factories.superuser(), now=due_at(sub))["overdue"] == 2


def test_reminders_link_to_the_review_page(client, world, sub):
    remind(due_at(sub) - 3 * H)
    client.force_login(world.reviewer1b)
    page = client.get("/review/notifications/").content.decode()
    assert f'href="/review/{sub.pk}/"' in page and "审核提醒：《秋季运动会》" in page
    n = Notification.objects.get(recipient=world.reviewer1b)
    response = client.post(f"/review/notifications/{n.pk}/read/", {"open": "1"})
    assert response["Location"] == f"/review/{sub.pk}/"
    assert client.get(response["Location"]).status_code == 200
