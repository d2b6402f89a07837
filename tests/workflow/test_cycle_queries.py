"""What one full cycle (create, submit, three tier decisions, publish) costs in
SQL queries, step by step: pinned so that a regression fails here, not only in
``make bench`` (bench/bench_engine.py (a)). BEGIN, COMMIT and savepoints count,
as Django reports them on each database."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEntry
from content import services as content_services
from tests.factories import ALL_PASS
from workflow import services

pytestmark = pytest.mark.django_db

# per step. An audit append is two statements on both (the head read, then one write). SQLite has no
# separate lock statements (its transaction holds the write lock from BEGIN IMMEDIATE) and reads the
# actor's row with the step's first read; PostgreSQL locks the actor's row and the submission's (or the
# draft's) in one statement, reads the decision's "seen" values in it, and the row after it.
BUDGET = {
    "sqlite": {"create": 8, "submit": 12, "decide": 12, "decide_last": 13, "publish": 10},
    "postgresql": {"create": 9, "submit": 13, "decide": 12, "decide_last": 13, "publish": 11},
}
TOTAL = {"sqlite": 67, "postgresql": 70}


def _cycle(world, n):
    costs = {}

    def step(name, call):
        with CaptureQueriesContext(connection) as ctx:
            result = call()
        costs.setdefault(name, []).append(len(ctx.captured_queries))
        return result

    draft = step("create", lambda: content_services.draft_create(
        actor=world.editor, account_id=world.account.pk, title=f"稿件{n}", body=f"<p>正文{n}，全校师生参加。</p>"))
    sub = step("submit", lambda: services.submission_submit(actor=world.editor, draft_id=draft.pk))
    for i, reviewer in enumerate(world.reviewers):
        sub = step("decide_last" if i == len(world.reviewers) - 1 else "decide",
                   lambda r=reviewer, s=sub: services.submission_decide(actor=r, submission_id=s.pk,
                                                                        verdicts=ALL_PASS, comments={}))
    step("publish", lambda: services.submission_publish(actor=world.publisher, submission_id=sub.pk))
    return costs


def test_a_full_cycle_stays_within_its_query_budget_with_one_audit_append_per_step(world):
    _cycle(world, 1)  # content types, permissions and the lexicon cached
    before = AuditEntry.objects.count()
    costs = _cycle(world, 2)
    budget = BUDGET[connection.vendor]
    for name, counts in costs.items():
        for count in counts:
            assert count <= budget[name], (name, count)
    # one entry per step, and the approval's own entry appended together with the last decision's
    assert AuditEntry.objects.count() - before == 7
    total = sum(sum(c) for c in costs.values())
    assert total <= TOTAL[connection.vendor], costs
