"""Round-robin assignment per policy: a task entering a tier goes to the member
with the fewest assignments there, passing over those absent today (the absence
calendar), the author and this round's signers; audited and notified."""
import datetime as dt

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from reviewers.models import Absence
from tests.workflow.helpers import countersign_members, decide, new_draft, submit
from workflow import services
from workflow.models import Notification

pytestmark = pytest.mark.django_db


def test_tasks_are_assigned_in_turn_skipping_the_absent(world):
    extra = countersign_members(world, 1, 2, prefix="rr")
    services.policy_create(actor=world.admin, name="轮流指派", account_id=world.account.pk, auto_assign=True,
                           tiers=[{"name": "初审"}, {"name": "复审"}, {"name": "终审"}])
    members = sorted([world.reviewers[0], world.reviewer1b, *extra], key=lambda u: u.pk)
    today = timezone.localdate()
    Absence.objects.create(user=members[0], starts_on=today - dt.timedelta(days=1), ends_on=today + dt.timedelta(days=1))
    given = [submit(world, new_draft(world, title=f"轮流{n}")).current_task.claimed_by_id for n in range(6)]
    present = [m.pk for m in members[1:]]
    assert members[0].pk not in given
    assert sorted(given) == sorted(present * 2)  # each present member twice, in turn
    entry = AuditEntry.objects.filter(action="reviewers.task.assigned").order_by("seq").first()
    assert entry.data["auto"] is True and entry.data["skipped_absent"] == [members[0].pk]
    assert Notification.objects.filter(kind=Notification.Kind.ASSIGNED).count() == 6
    # the next tier's task is assigned too, to its only member
    sub = submit(world, new_draft(world, title="下一级"))
    sub = decide(sub.current_task.claimed_by, sub)
    assert sub.current_task.tier == 2 and sub.current_task.claimed_by_id == world.reviewers[1].pk


def test_without_the_policy_flag_nothing_is_assigned(world):
    sub = submit(world, new_draft(world))
    assert sub.current_task.claimed_by_id is None
    assert not AuditEntry.objects.filter(action="reviewers.task.assigned").exists()
