"""Shared helpers of the reviewer/publisher/notification page tests
(test_review*.py, test_publish*.py, test_notifications*.py, test_live_queue*.py)."""
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import ALL_PASS
from tests.workflow.helpers import approve_all, decide, new_draft, submit

__all__ = ["ALL_PASS", "approve_all", "decide", "new_draft", "submit", "login", "count_queries",
           "decision_post", "messages_of", "submitted", "bare"]


def login(client, user):
    client.force_login(user)
    return client


def count_queries(fn):
    with CaptureQueriesContext(connection) as ctx:
        result = fn()
    return len(ctx.captured_queries), result


def submitted(world, n=1, *, title="稿件"):
    return [submit(world, new_draft(world, title=f"{title}{i}")) for i in range(n)]


def decision_post(submission, *, outcome="pass", fails=None, comments=None, tier=None, content_hash=None, **extra):
    """The POST body of the decision form as a browser sends it."""
    fails = fails or {}
    data = {"expected_tier": tier if tier is not None else submission.current_task.tier,
            "expected_hash": content_hash or submission.revision.content_hash, "outcome": outcome, "note": ""}
    for dim in ALL_PASS:
        data[dim] = "fail" if dim in fails else "pass"
        text = (comments or {}).get(dim, fails.get(dim, ""))
        data[f"{dim}_comment"] = text
    data.update(extra)
    return data


def messages_of(response):
    """The texts of the messages block of a rendered page."""
    html = response.content.decode()
    return [re.sub(r"<[^>]+>", "", m) for m in re.findall(r'<li class="message[^"]*">(.*?)</li>', html, re.S)]


def bare(html):
    """Diff HTML without its screen-reader markers (project.web.diff: “［删除：…］”)."""
    return re.sub(r'<span class="visually-hidden">[^<]*</span>', "", str(html))
