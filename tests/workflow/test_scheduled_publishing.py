"""Scheduled publishing: the task at the time publishes through submission_publish
with every rule checked again; moved and cancelled schedules; the queue; the feed."""
import datetime as dt

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from content import roles
from content import services as content_services
from content.errors import Conflict, NotAllowed, ValidationFailed
from content.models import Publication
from tests import factories
from tests.tasks_support import make_due, run_tasks, tasks_named
from tests.workflow.helpers import approve_all, new_draft, submit
from workflow import selectors, services, states
from workflow.models import Notification, ScheduledPublication, Submission


def approved(world):
    return approve_all(world, submit(world, new_draft(world)))


def schedule(world, sub, hours=2):
    return services.submission_schedule(actor=world.publisher, submission_id=sub.pk,
                                        scheduled_for=timezone.now() + dt.timedelta(hours=hours))


def test_the_task_waits_for_its_time_then_publishes(world):
    sub = approved(world)
    item = schedule(world, sub)
    task = tasks_named("scheduled_publish").get()
    assert abs((task.run_after - item.scheduled_for).total_seconds()) < 1
    assert not [r for r in run_tasks() if r.task_path.endswith(".scheduled_publish")]  # not yet due
    assert Submission.objects.get(pk=sub.pk).state == states.APPROVED
    # time passes: the schedule is due (its task names the time it was made for)
    ScheduledPublication.objects.filter(pk=item.pk).update(scheduled_for=timezone.now() - dt.timedelta(seconds=1))
    tasks_named("scheduled_publish").update(args_kwargs={"args": [], "kwargs": {"schedule_id": item.pk}})
    make_due()
    run_tasks()
    sub = Submission.objects.get(pk=sub.pk)
    assert sub.state == states.PUBLISHED and sub.publication.publisher_id == world.publisher.pk
    item.refresh_from_db()
    assert item.state == "done"
    assert AuditEntry.objects.filter(action="workflow.publication.scheduled").count() == 1


def _due(item):
    ScheduledPublication.objects.filter(pk=item.pk).update(scheduled_for=timezone.now() - dt.timedelta(seconds=1))
    return services.schedule_run(actor=content_services.system_actor(), schedule_id=item.pk)


@pytest.mark.parametrize("change, words", [
    ("revoke", "未获授权"),
    ("role", "没有授权发布人角色"),
    ("close", "已注销"),
    ("revise", "状态"),
])
def test_every_rule_is_checked_again_at_the_time(world, change, words):
    sub = approved(world)
    item = schedule(world, sub)
    if change == "revoke":
        content_services.account_permission_revoke(actor=world.secadmin, account_id=world.account.pk,
                                                   user_id=world.publisher.pk, perm="publish_account")
    elif change == "role":
        content_services.user_set_roles(actor=world.secadmin, user_id=world.publisher.pk, roles_=[])
    elif change == "close":
        content_services.account_close(actor=world.manager, account_id=world.account.pk, reason="合并")
    else:
        services.draft_revise(actor=world.editor, draft_id=sub.draft_id, title="改过的标题", body="<p>新内容</p>")
    result = _due(item)
    assert words in result["failed"], result
    item.refresh_from_db()
    assert item.state == "failed" and words in item.error
    assert not Publication.objects.exists()
    assert Notification.objects.filter(kind="schedule_failed", recipient=world.publisher).exists()
    assert AuditEntry.objects.get(action="workflow.publication.schedule_failed").outcome == "failure"


def test_move_and_cancel(world):
    sub = approved(world)
    item = schedule(world, sub)
    with pytest.raises(Conflict):
        schedule(world, sub)  # one pending schedule per submission
    moved = services.schedule_move(actor=world.publisher, schedule_id=item.pk,
                                   scheduled_for=timezone.now() + dt.timedelta(days=1))
    assert moved.scheduled_for > item.scheduled_for
    old_time = item.scheduled_for.isoformat()
    # the task of the old time finds nothing to do
    assert services.schedule_run(actor=content_services.system_actor(), schedule_id=item.pk,
                                 scheduled_for=old_time) == {"skipped": True}
    with pytest.raises(NotAllowed):
        services.schedule_cancel(actor=world.editor, schedule_id=item.pk)
    services.schedule_cancel(actor=world.publisher, schedule_id=item.pk)
    assert ScheduledPublication.objects.get(pk=item.pk).state == "cancelled"
    assert _due(item) == {"skipped": True}
    assert Submission.objects.get(pk=sub.pk).state == states.APPROVED
    with pytest.raises(Conflict):
        services.schedule_cancel(actor=world.publisher, schedule_id=item.pk)


@pytest.mark.parametrize("when", ["", "not a time", "past", "far"])
def test_bad_times_are_refused(world, when):
    sub = approved(world)
    value = {"past": timezone.now() - dt.timedelta(hours=1),
             "far": timezone.now() + dt.timedelta(days=400)}.get(when, when)
    with pytest.raises(ValidationFailed) as exc:
        services.submission_schedule(actor=world.publisher, submission_id=sub.pk, scheduled_for=value)
    assert "scheduled_for" in exc.value.fields


def test_only_the_accounts_publishers_schedule(world):
    sub = approved(world)
    for intruder in (world.editor, world.manager, factories.superuser()):
        with pytest.raises(NotAllowed):
            services.submission_schedule(actor=intruder, submission_id=sub.pk,
                                         scheduled_for=timezone.now() + dt.timedelta(hours=2))
    assert not ScheduledPublication.objects.exists()


def test_the_queue_lists_pending_items_soonest_first(world, django_assert_num_queries):
    later = schedule(world, approved(world), hours=5)
    sooner = schedule(world, approved(world), hours=1)
    services.schedule_cancel(actor=world.publisher, schedule_id=schedule(world, approved(world), hours=3).pk)
    with django_assert_num_queries(1):
        items = list(selectors.account_schedules(world.account.pk))
        titles = [i.submission.revision.title for i in items]
    assert [i.pk for i in items] == [sooner.pk, later.pk] and len(titles) == 2
