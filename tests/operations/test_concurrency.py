"""Races on one problem and one duty shift, with real threads and row locks
(PostgreSQL): exactly one wins, the other gets a clear domain error, the
audit chain stays whole."""
import datetime as dt

import pytest

from audit.models import AuditEntry
from audit.selectors import chain_verify
from content.errors import Conflict
from operations import services, states
from operations.models import DutyAssignment, Problem
from tests.operations.helpers import TODAY, problem
from tests.workflow.test_concurrency import race

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("attempt", range(2))
def test_confirm_and_reopen_at_once_one_wins(on_postgres, world, attempt):
    p = problem(world)
    services.problem_rectify(actor=world.editor, problem_id=p.pk, note="已处理")
    results = race(lambda: services.problem_confirm(actor=world.auditor, problem_id=p.pk),
                   lambda: services.problem_reopen(actor=world.admin, problem_id=p.pk, reason="未通过"))
    winners = [r for r in results if isinstance(r, Problem)]
    losers = [r for r in results if isinstance(r, Exception)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert isinstance(losers[0], Conflict) and losers[0].code == "invalid_state", repr(losers[0])
    p.refresh_from_db()
    assert p.state in (states.RECTIFIED, states.OPEN)
    assert AuditEntry.objects.filter(action__in=["operations.problem.confirmed", "operations.problem.reopened"],
                                     target_id=str(p.pk)).count() == 1
    assert AuditEntry.objects.filter(action="operations.problem.refused", target_id=str(p.pk)).count() == 1
    assert chain_verify().ok


def test_two_keepers_roster_the_same_shift(on_postgres, world):
    day = TODAY + dt.timedelta(days=3)
    results = race(*[
        (lambda who=who: services.duty_assign(actor=world.manager, org_id=world.school.pk, day=day,
                                              person_id=who.pk))
        for who in (world.editor, world.editor2)])
    assert DutyAssignment.objects.filter(org=world.school, day=day).count() == 1
    assert all(isinstance(r, (DutyAssignment, Conflict)) for r in results), results
    assert chain_verify().ok
