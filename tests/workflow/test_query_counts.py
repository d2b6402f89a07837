"""Queues and lists cost a constant number of queries, whatever their length."""
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.workflow.helpers import approve_all, new_draft, submit
from workflow import selectors


def _touch_queue(user):
    rows = list(selectors.review_queue(user))
    for s in rows:
        (s.account.name, s.account.org.name, s.draft.title, s.draft.author.name, s.current_task.tier_name,
         s.current_task.due_at, s.current_task.claimed_by, s.submitted_by.name, s.revision.number)
    return rows


def _count(fn):
    with CaptureQueriesContext(connection) as ctx:
        result = fn()
    return len(ctx.captured_queries), result


def test_review_queue_is_constant_and_oldest_due_first(world):
    for i in range(2):
        submit(world, new_draft(world, title=f"稿件{i}"))
    small, rows = _count(lambda: _touch_queue(world.reviewers[0]))
    assert len(rows) == 2
    for i in range(2, 12):
        submit(world, new_draft(world, title=f"稿件{i}"))
    large, rows = _count(lambda: _touch_queue(world.reviewers[0]))
    assert len(rows) == 12 and large == small
    due = [s.current_task.due_at for s in rows]
    assert due == sorted(due)
    # tier 2 sees nothing yet; the author sees nothing of his own
    assert _touch_queue(world.reviewers[1]) == []
    assert _touch_queue(world.editor) == []


def test_publisher_queue_and_author_lists_are_constant(world):
    def touch_pub():
        return [(s.account.name, s.draft.title, s.draft.author.name, s.revision.title)
                for s in selectors.submissions_awaiting_publication(world.publisher)]

    def touch_drafts():
        return [(d.account.name, d.account.org.name, d.author.name, d.current_revision.number,
                 d.current_revision.author.name, d.latest_submission_state)
                for d in selectors.drafts_of_author(world.editor)]

    approve_all(world, submit(world, new_draft(world, title="甲")))
    touch_pub()  # warm the content-type cache guardian consults once per process
    counts_small = [_count(f)[0] for f in (touch_pub, touch_drafts)]
    for i in range(6):
        approve_all(world, submit(world, new_draft(world, title=f"乙{i}")))
    counts_large = [_count(f)[0] for f in (touch_pub, touch_drafts)]
    assert counts_large == counts_small == [counts_small[0], 1]
    assert len(touch_pub()) == 7 and len(touch_drafts()) == 7
