"""Races on one submission, with real threads and real row locks (PostgreSQL).

Each thread runs the service in its own connection and transaction. Exactly
one wins; the other gets a clear domain error; nothing is half-written.
"""
import threading

import pytest
from django.db import connection

from audit.selectors import chain_verify
from content.errors import Conflict, DomainError
from content.models import Publication
from reviewers.models import Decision, ReviewTask
from tests import factories
from tests.factories import verdicts
from tests.workflow.helpers import approve_all, new_draft, submit
from workflow import services, states
from workflow.models import Submission

pytestmark = pytest.mark.django_db(transaction=True)


def race(*calls):
    """Start the calls together; return each one's result or exception."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as exc:  # noqa: BLE001 - the result under test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.mark.parametrize("attempt", range(3))
def test_two_decisions_at_the_same_tier_exactly_one_wins(on_postgres, world, attempt):
    sub = submit(world, new_draft(world))
    v, c = verdicts()
    results = race(*[
        (lambda r=r: services.submission_decide(actor=r, submission_id=sub.pk, verdicts=v, comments=c,
                                                expected_tier=1))
        for r in (world.reviewers[0], world.reviewer1b)
    ])
    winners = [r for r in results if isinstance(r, Submission)]
    losers = [r for r in results if isinstance(r, Exception)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert isinstance(losers[0], Conflict), repr(losers[0])
    assert Decision.objects.count() == 1
    assert ReviewTask.objects.filter(status=ReviewTask.Status.DONE).count() == 1
    assert ReviewTask.objects.filter(status=ReviewTask.Status.OPEN, tier=2).count() == 1
    assert Submission.objects.get(pk=sub.pk).current_task.tier == 2
    assert chain_verify().ok


def test_two_decisions_without_an_expected_tier_still_give_one_winner(on_postgres, world):
    sub = submit(world, new_draft(world))
    v, c = verdicts()
    results = race(*[
        (lambda r=r: services.submission_decide(actor=r, submission_id=sub.pk, verdicts=v, comments=c))
        for r in (world.reviewers[0], world.reviewer1b)
    ])
    assert sum(isinstance(r, Submission) for r in results) == 1, results
    assert sum(isinstance(r, DomainError) for r in results) == 1, results
    assert Decision.objects.count() == 1
    assert chain_verify().ok


def test_a_pass_and_a_return_racing_leave_one_consistent_outcome(on_postgres, world):
    sub = submit(world, new_draft(world))
    ok_v, ok_c = verdicts()
    bad_v, bad_c = verdicts(wording="错字")
    results = race(
        lambda: services.submission_decide(actor=world.reviewers[0], submission_id=sub.pk, verdicts=ok_v,
                                           comments=ok_c, expected_tier=1),
        lambda: services.submission_decide(actor=world.reviewer1b, submission_id=sub.pk, verdicts=bad_v,
                                           comments=bad_c, expected_tier=1),
    )
    assert sum(isinstance(r, Submission) for r in results) == 1, results
    final = Submission.objects.get(pk=sub.pk)
    decision = Decision.objects.get()
    expected_state = states.IN_REVIEW if decision.outcome == Decision.Outcome.PASS else states.RETURNED
    assert final.state == expected_state
    assert chain_verify().ok


def test_two_publishes_exactly_one_publication(on_postgres, world):
    second = factories.user("publisher2", org_=world.school, roles_=["publisher"])
    factories.grant(world.account, second, "publish_account")
    sub = approve_all(world, submit(world, new_draft(world)))
    results = race(
        lambda: services.submission_publish(actor=world.publisher, submission_id=sub.pk),
        lambda: services.submission_publish(actor=second, submission_id=sub.pk),
    )
    assert sum(isinstance(r, Submission) for r in results) == 1, results
    loser = next(r for r in results if isinstance(r, Exception))
    assert isinstance(loser, Conflict) and loser.code == "wrong_state"
    assert Publication.objects.count() == 1
    assert Submission.objects.get(pk=sub.pk).state == states.PUBLISHED
    assert chain_verify().ok


def test_edit_racing_a_decision_never_approves_unreviewed_content(on_postgres, world):
    sub = submit(world, new_draft(world))
    sub = services.submission_decide(actor=world.reviewers[0], submission_id=sub.pk, verdicts=verdicts()[0],
                                     comments={})
    sub = services.submission_decide(actor=world.reviewers[1], submission_id=sub.pk, verdicts=verdicts()[0],
                                     comments={})
    v, c = verdicts()
    results = race(
        lambda: services.submission_decide(actor=world.reviewers[2], submission_id=sub.pk, verdicts=v, comments=c,
                                           expected_tier=3),
        lambda: services.draft_revise(actor=world.editor, draft_id=sub.draft_id, title="改后的标题",
                                      body="<p>改后的正文</p>"),
    )
    assert not any(isinstance(r, Exception) and not isinstance(r, DomainError) for r in results), results
    final = Submission.objects.get(pk=sub.pk)
    # whichever came first, an approved submission is never left on a superseded revision
    if final.state == states.APPROVED:
        assert final.revision_id == final.draft.current_revision_id
    else:
        assert final.state == states.RETURNED
    assert chain_verify().ok


@pytest.mark.parametrize("attempt", range(3))
def test_a_role_removed_while_publishing_comes_first_or_refuses(on_postgres, world, attempt):
    """Removing a role ends the capability at once: a publication racing the
    removal either committed before it (its entry comes first in the chain) or
    is refused; never published after the role was gone. The service locks the
    actor's row and reads his roles again; user_set_roles locks the same row."""
    from audit.models import AuditEntry
    from content import services as content_services
    from content.errors import NotAllowed
    from content.models import User

    sub = approve_all(world, submit(world, new_draft(world)))
    publisher = User.objects.get(pk=world.publisher.pk)  # read before, as an authenticated request holds him
    published, removed = race(
        lambda: services.submission_publish(actor=publisher, submission_id=sub.pk),
        lambda: content_services.user_set_roles(actor=world.secadmin, user_id=world.publisher.pk, roles_=[]),
    )
    assert not isinstance(removed, Exception), repr(removed)
    changed = AuditEntry.objects.get(action="content.user.roles_changed", target_id=str(world.publisher.pk))
    if isinstance(published, Exception):
        assert isinstance(published, NotAllowed) and published.code == "not_publisher", repr(published)
        assert not Publication.objects.exists()
    else:
        entry = AuditEntry.objects.get(action="workflow.submission.published")
        assert entry.seq < changed.seq
    assert chain_verify().ok
