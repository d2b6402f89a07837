"""Races between real processes (PostgreSQL): 20 forked processes, each with its
own connection, run the services on the same submissions at the same moment;
and a process killed with SIGKILL in the middle of a transition.

The processes are forked from the test (after it closed its connection), so
they start at once with Django already set up, and each opens its own
connection to the test database. A barrier releases them together.
"""
import multiprocessing
import os
import signal
import time

import pytest
from django.db import connection, connections

from audit.models import AuditEntry
from audit.selectors import chain_verify
from content.errors import Conflict, DomainError
from content.models import Publication
from reviewers.models import Decision, ReviewTask
from tests import factories
from tests.factories import verdicts
from tests.workflow.helpers import approve_all, decide, new_draft, submit
from workflow import services, states
from workflow.models import Submission

pytestmark = pytest.mark.django_db(transaction=True)

PROCESSES = 20
CONTEXT = multiprocessing.get_context("fork")


def outcome(call):
    """What one service call came to: ``ok``, ``conflict:<code>``, ``refused:<code>``
    (another domain error) or ``error:<type>: <message>`` (anything else, such as a
    deadlock the service let through)."""
    try:
        call()
        return "ok"
    except Conflict as exc:
        return f"conflict:{exc.code}"
    except DomainError as exc:
        return f"refused:{exc.code}"
    except Exception as exc:  # noqa: BLE001 - the result under test
        return f"error:{type(exc).__name__}: {exc}"


def _child(index, work, barrier, results):
    try:
        barrier.wait(timeout=60)
        results.put((index, work(index)))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        results.put((index, [("process", f"error:{type(exc).__name__}: {exc}")]))
    finally:
        connections.close_all()


def in_processes(work, count=PROCESSES, timeout=120):
    """Run ``work(index)`` in ``count`` forked processes released together;
    return {index: its list of (label, outcome)}."""
    connections.close_all()  # the children must not share this process's connection
    barrier = CONTEXT.Barrier(count)
    results = CONTEXT.Queue()
    processes = [CONTEXT.Process(target=_child, args=(i, work, barrier, results)) for i in range(count)]
    for process in processes:
        process.start()
    collected = {}
    deadline = time.monotonic() + timeout
    while len(collected) < count and time.monotonic() < deadline:
        try:
            index, outcomes = results.get(timeout=max(0.1, deadline - time.monotonic()))
        except Exception:  # noqa: BLE001 - queue.Empty: the deadline passed
            break
        collected[index] = outcomes
    for process in processes:
        process.join(timeout=30)
        if process.is_alive():
            process.kill()
    assert len(collected) == count, f"only {len(collected)} of {count} processes reported"
    assert all(process.exitcode == 0 for process in processes), [p.exitcode for p in processes]
    return collected


def tally(collected):
    """{label: {outcome: count}} over every process."""
    counts = {}
    for outcomes in collected.values():
        for label, result in outcomes:
            counts.setdefault(label, {}).setdefault(result, 0)
            counts[label][result] += 1
    return counts


def assert_no_errors(collected):
    errors = [result for outcomes in collected.values() for _label, result in outcomes
              if not (result == "ok" or result.startswith("conflict:"))]
    assert not errors, errors


def test_twenty_processes_race_every_transition_of_three_submissions(on_postgres, world):
    subs = [submit(world, new_draft(world, title=f"并发测试稿件{n}")) for n in range(3)]
    sub_ids = [s.pk for s in subs]
    tier_members = {
        tier: [factories.user(f"race_t{tier}_{i}", org_=world.city, roles_=["reviewer"], name=f"并发审核{tier}-{i}")
               for i in range(PROCESSES)]
        for tier in (1, 2, 3)
    }
    for tier, members in tier_members.items():
        for member in members:
            factories.tier(member, tier, org_=world.city)
    publishers = [factories.user(f"race_pub{i}", org_=world.school, roles_=["publisher"], name=f"并发发布{i}")
                  for i in range(PROCESSES)]
    for publisher in publishers:
        factories.grant(world.account, publisher, "publish_account")
    entries_before = AuditEntry.objects.count()
    v, c = verdicts()

    def deciding(tier):
        def work(index):
            actor = tier_members[tier][index]
            order = sub_ids[index % 3:] + sub_ids[:index % 3]  # spread who locks what first
            return [(f"decide:{pk}:{tier}", outcome(lambda pk=pk: services.submission_decide(
                actor=actor, submission_id=pk, verdicts=v, comments=c, expected_tier=tier))) for pk in order]
        return work

    for tier in (1, 2):
        collected = in_processes(deciding(tier))
        assert_no_errors(collected)
        counts = tally(collected)
        for pk in sub_ids:
            assert counts[f"decide:{pk}:{tier}"].get("ok") == 1, counts
            assert sum(counts[f"decide:{pk}:{tier}"].values()) == PROCESSES

    # The last tier's decisions race the publishes: half the processes decide, the
    # others publish as soon as (and as often as) they can until each item is published.
    def deciding_or_publishing(index):
        if index < PROCESSES // 2:
            return deciding(3)(index)
        actor = publishers[index]
        outcomes, pending = [], list(sub_ids[index % 3:] + sub_ids[:index % 3])
        deadline = time.monotonic() + 30
        while pending and time.monotonic() < deadline:
            for pk in list(pending):
                result = outcome(lambda pk=pk: services.submission_publish(actor=actor, submission_id=pk))
                outcomes.append((f"publish:{pk}", result))
                if result == "ok" or Submission.objects.get(pk=pk).state == states.PUBLISHED:
                    pending.remove(pk)
            time.sleep(0.02)
        outcomes.extend((f"publish:{pk}", "error:gave up") for pk in pending)
        return outcomes

    collected = in_processes(deciding_or_publishing)
    assert_no_errors(collected)
    counts = tally(collected)
    for pk in sub_ids:
        assert counts[f"decide:{pk}:3"].get("ok") == 1, counts
        assert counts[f"publish:{pk}"].get("ok") == 1, counts  # zero double publications
        assert set(counts[f"publish:{pk}"]) <= {"ok", "conflict:wrong_state"}, counts

    for pk in sub_ids:
        sub = Submission.objects.get(pk=pk)
        assert sub.state == states.PUBLISHED
        assert Decision.objects.filter(round__submission_id=pk).count() == 3
        assert ReviewTask.objects.filter(round__submission_id=pk, status=ReviewTask.Status.OPEN).count() == 0
        assert Publication.objects.filter(revision_id=sub.revision_id).count() == 1
        assert AuditEntry.objects.filter(action="workflow.submission.published", target_id=str(pk)).count() == 1
    # One entry per successful step (3 decisions and a publication per item) and none for the refusals,
    # or a refusal's entry: either way the chain holds.
    assert AuditEntry.objects.count() > entries_before
    assert chain_verify().ok


# ---------------------------------------------------------------- SIGKILL in the middle of a transition


def _write_then_hang(ready):
    """A database execute wrapper (Django's instrumentation hook): after the
    transition's first write reached the database, tell the parent and hang,
    inside the still open transaction, until killed."""
    def wrapper(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.lstrip().upper().startswith(("INSERT", "UPDATE")):
            ready.set()
            time.sleep(600)
        return result
    return wrapper


def _transition_killed_after_its_first_write(transition):
    connections.close_all()
    ready = CONTEXT.Event()

    def child():
        try:
            with connection.execute_wrapper(_write_then_hang(ready)):
                transition()
        finally:
            os._exit(3)  # never reached when killed; a transition that wrote nothing must not pass

    process = CONTEXT.Process(target=child)
    process.start()
    assert ready.wait(timeout=60), "the transition wrote nothing within 60 s"
    os.kill(process.pid, signal.SIGKILL)
    process.join(timeout=30)
    assert process.exitcode == -signal.SIGKILL


def test_a_decision_killed_after_its_first_write_leaves_nothing_behind(on_postgres, world):
    sub = submit(world, new_draft(world))
    entries, decisions = AuditEntry.objects.count(), Decision.objects.count()
    v, c = verdicts()
    _transition_killed_after_its_first_write(lambda: services.submission_decide(
        actor=world.reviewers[0], submission_id=sub.pk, verdicts=v, comments=c, expected_tier=1))
    after = Submission.objects.get(pk=sub.pk)
    assert (after.state, after.current_task_id) == (states.IN_REVIEW, sub.current_task_id)
    assert ReviewTask.objects.get(pk=sub.current_task_id).status == ReviewTask.Status.OPEN
    assert (AuditEntry.objects.count(), Decision.objects.count()) == (entries, decisions)
    assert chain_verify().ok
    # The killed process's locks died with its connection: the same decision now succeeds.
    assert decide(world.reviewers[0], sub).current_task.tier == 2
    assert chain_verify().ok


def test_a_publication_killed_after_its_first_write_leaves_nothing_behind(on_postgres, world):
    sub = approve_all(world, submit(world, new_draft(world)))
    entries = AuditEntry.objects.count()
    _transition_killed_after_its_first_write(
        lambda: services.submission_publish(actor=world.publisher, submission_id=sub.pk))
    assert Submission.objects.get(pk=sub.pk).state == states.APPROVED
    assert not Publication.objects.exists()
    assert AuditEntry.objects.count() == entries
    assert chain_verify().ok
    assert services.submission_publish(actor=world.publisher, submission_id=sub.pk).state == states.PUBLISHED
    assert Publication.objects.count() == 1
    assert chain_verify().ok
