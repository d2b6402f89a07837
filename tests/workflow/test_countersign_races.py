"""Countersign signers racing in real processes (PostgreSQL): signers of the same
tier signing at the same moment each count exactly once, and the signature
that meets the rule moves the round on exactly once."""
import pytest

from audit.models import AuditEntry
from audit.selectors import chain_verify
from reviewers.models import Decision, ReviewTask
from tests import factories
from tests.factories import verdicts
from tests.workflow.helpers import decide, new_draft, submit
from tests.workflow.test_process_races import in_processes, outcome, tally
from workflow import services, states
from workflow.models import Submission

pytestmark = pytest.mark.django_db(transaction=True)


def _setup(world, signatures, members):
    people = [factories.user(f"cs_race{i}", org_=world.city, roles_=["reviewer"], name=f"会签并发{i}")
              for i in range(members)]
    for person in people:
        factories.tier(person, 2, org_=world.city)
    services.policy_create(actor=world.admin, name="会签并发", account_id=world.account.pk,
                           tiers=[{"name": "初审"}, {"name": "会签", "signatures": signatures}, {"name": "终审"}])
    subs = []
    for n in range(3):
        sub = submit(world, new_draft(world, title=f"会签并发稿件{n}"))
        subs.append(decide(world.reviewers[0], sub))
    return people, [s.pk for s in subs]


def _signing(people, sub_ids):
    v, c = verdicts()

    def work(index):
        order = sub_ids[index % 3:] + sub_ids[:index % 3]  # spread who locks what first
        return [(f"sign:{pk}", outcome(lambda pk=pk: services.submission_decide(
            actor=people[index], submission_id=pk, verdicts=v, comments=c, expected_tier=2))) for pk in order]
    return work


def _moved_on_once(sub_ids, signatures):
    for pk in sub_ids:
        sub = Submission.objects.get(pk=pk)
        assert sub.state == states.IN_REVIEW and sub.current_task.tier == 3
        tasks = ReviewTask.objects.filter(round=sub.current_round)
        assert sorted(tasks.values_list("tier", flat=True)) == [1, 2, 3]
        assert Decision.objects.filter(round=sub.current_round, tier=2).count() == signatures
        moved = AuditEntry.objects.filter(action="workflow.submission.decided", target_id=str(pk),
                                          data__next_tier=3)
        assert moved.count() == 1


def test_two_signers_at_once_both_count_and_the_round_moves_on_once(on_postgres, world):
    people, sub_ids = _setup(world, 2, 2)
    counts = tally(in_processes(_signing(people, sub_ids), count=2))
    for pk in sub_ids:
        assert counts[f"sign:{pk}"] == {"ok": 2}, counts
    _moved_on_once(sub_ids, 2)
    assert chain_verify().ok


def test_six_signers_racing_for_three_signatures_three_count(on_postgres, world):
    people, sub_ids = _setup(world, 3, 6)
    counts = tally(in_processes(_signing(people, sub_ids), count=6))
    for pk in sub_ids:
        assert counts[f"sign:{pk}"].get("ok") == 3, counts
        assert set(counts[f"sign:{pk}"]) <= {"ok", "conflict:tier_moved"}, counts
    _moved_on_once(sub_ids, 3)
