"""The daily operations job: duty gaps a week ahead to the unit administrators,
overdue patrols to the inspector, problem deadlines to the responsible person
and escalation; each once. And the dormant watch's 无更新 problems."""
import datetime as dt

import pytest

from audit.models import AuditEntry
from content import services as content_services
from content.errors import NotAllowed
from operations import services, states, tasks
from operations.models import Problem
from project import periodic
from reporting import services as reporting_services
from tests import factories
from tests.operations.helpers import TODAY, problem
from tests.stats_helpers import publish
from tests.tasks_support import run_tasks
from workflow.models import Notification

pytestmark = pytest.mark.django_db


def send(days=0):
    return services.operations_reminders_send(actor=content_services.system_actor(),
                                              today=TODAY + dt.timedelta(days=days))


def told(kind):
    return list(Notification.objects.filter(kind=kind).order_by("id").values_list("recipient__username", flat=True))


def test_only_the_system_runs_it(world):
    with pytest.raises(NotAllowed):
        services.operations_reminders_send(actor=world.admin)


def test_duty_gaps_a_week_ahead_go_to_the_unit_administrators(world):
    school_admin = factories.user("schooladmin", org_=world.school, roles_=["system_admin"])
    for i in range(8):
        if i != 3:
            services.duty_assign(actor=world.manager, org_id=world.school.pk, day=TODAY + dt.timedelta(days=i),
                                 person_id=world.editor.pk)
    counts = send()
    assert counts["duty_gap"] == 1
    assert told("duty_gap") == [school_admin.username]
    note = Notification.objects.get(kind="duty_gap")
    assert (TODAY + dt.timedelta(days=3)).isoformat() in note.title
    assert send()["duty_gap"] == 0  # once
    entry = AuditEntry.objects.get(action="operations.reminder.duty_gap")
    assert entry.data["recipients"] == [school_admin.pk]


def test_overdue_patrols_go_to_the_inspector_once(world):
    services.patrol_plan_create(actor=world.manager, account_id=world.account.pk, every_days=1,
                                inspector_id=world.auditor.pk)
    assert send()["patrol_overdue"] == 0
    assert send(2)["patrol_overdue"] == 1
    assert send(2)["patrol_overdue"] == 0
    assert told("patrol_due") == ["auditor"]
    assert AuditEntry.objects.filter(action="operations.reminder.patrol_overdue").count() == 1


def test_problem_deadlines_remind_then_escalate(world):
    p = problem(world, deadline=TODAY + dt.timedelta(days=2))
    assert send()["problem_due_soon"] == 1
    assert send()["problem_due_soon"] == 0
    counts = send(3)
    assert (counts["problem_overdue"], counts["problem_escalated"]) == (1, 1)
    assert told("problem_due") == ["editor", "editor", "sysadmin"]
    assert AuditEntry.objects.filter(action="operations.reminder.problem_escalated", target_id=str(p.pk)).exists()
    assert AuditEntry.objects.filter(action="operations.reminder.problem_due_soon").count() == 1
    assert AuditEntry.objects.filter(action="operations.reminder.problem_overdue").count() == 1
    services.problem_rectify(actor=world.editor, problem_id=p.pk, note="已整改")
    services.problem_confirm(actor=world.manager, problem_id=p.pk)
    assert sum(send(5).values()) == 0


def test_the_periodic_job_runs_the_task(world):
    job = next(j for j in periodic.JOBS if j.name == "operations_reminders")
    assert job.task is tasks.operations_reminders and job.every == periodic.DAILY
    problem(world, deadline=TODAY)
    periodic.enqueue_due(jobs=[job])
    [row] = [r for r in run_tasks() if r.task_path.endswith("operations_reminders")]
    assert row.status == "SUCCESSFUL" and row.return_value["problem_due_soon"] == 1


def dormant_sweep(days):
    return reporting_services.dormant_reminders_send(actor=content_services.system_actor(),
                                                     today=TODAY + dt.timedelta(days=days))


def test_the_dormant_watch_opens_one_problem_per_silence_and_a_publication_rectifies_it(world):
    dormant_sweep(10)
    assert not Problem.objects.exists()  # 督办, not yet 不合格
    dormant_sweep(14)
    dormant_sweep(20)
    [p] = Problem.objects.all()
    assert (p.kind, p.source, p.state, p.episode) == ("not_updated", states.SOURCE_DORMANT, "open",
                                                      TODAY.isoformat())
    opened = AuditEntry.objects.get(action="operations.problem.opened")
    assert opened.data["source"] == "dormant" and opened.actor_label.startswith("system")
    publish(world)
    dormant_sweep(0)
    p.refresh_from_db()
    assert p.state == states.RECTIFYING and "恢复发布" in p.rectification_note
    assert AuditEntry.objects.get(action="operations.problem.rectified").data["automatic"] is True
    p = services.problem_confirm(actor=world.manager, problem_id=p.pk)  # a person confirms
    assert p.state == states.RECTIFIED
