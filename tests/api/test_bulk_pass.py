"""Bulk pass (批量通过): only items whose pre-check found nothing of warning or
above, at tiers whose policy allows it; each decided through the same service
with its own audit entry; one failure does not affect the others; the API and
the queue page's checkboxes."""
import re

import pytest

from audit.models import AuditEntry
from reviewers.models import Decision
from tests.api.helpers import assert_error
from tests.web.review_support import count_queries
from tests.workflow.helpers import new_draft, submit
from workflow import services, states
from workflow.models import Submission

pytestmark = pytest.mark.django_db

URL = "/api/v1"


@pytest.fixture
def bulk(world):
    services.policy_create(actor=world.admin, name="例行通知", account_id=world.account.pk,
                           tiers=[{"name": "初审", "bulk_pass": True}, {"name": "复审"}, {"name": "终审"}])
    return world


def test_bulk_pass_decides_each_item_and_reports_each(bulk):
    w = bulk
    clean = [submit(w, new_draft(w, title=f"例行通知{n}")) for n in range(3)]
    warned = submit(w, new_draft(w, title="关于召开会议的通知", body="<p>请于明天上午九点到会议室开会，清家长准时。</p>"))
    warned.current_round.precheck.refresh_from_db()
    results = services.submissions_bulk_pass(actor=w.reviewers[0],
                                             submission_ids=[s.pk for s in clean] + [warned.pk, 999999],
                                             comment="例行通知，同意")
    by_id = {r["id"]: r for r in results}
    assert [by_id[s.pk]["ok"] for s in clean] == [True, True, True]
    for s in clean:
        s.refresh_from_db()
        assert s.current_task.tier == 2
        assert Decision.objects.get(round=s.current_round, tier=1).note == "例行通知，同意"
    if warned.current_round.precheck.max_severity in ("warning", "blocker"):
        assert by_id[warned.pk]["code"] == "precheck_findings"
    assert by_id[999999] == {"id": 999999, "ok": False, "code": "permission_denied",
                             "detail": "没有权限访问该送审单"}
    assert AuditEntry.objects.filter(action="workflow.submission.decided").count() == 3 + (
        0 if warned.current_round.precheck.max_severity in ("warning", "blocker") else 1)
    # tier 2's policy does not allow it: refused per item
    [second] = services.submissions_bulk_pass(actor=w.reviewers[1], submission_ids=[clean[0].pk])
    assert (second["ok"], second["code"]) == (False, "bulk_not_allowed")
    # a lost race (already decided) is one item's failure
    [again] = services.submissions_bulk_pass(actor=w.reviewers[0], submission_ids=[clean[1].pk])
    assert again["ok"] is False


def test_bulk_pass_through_the_api(api, bulk):
    w = bulk
    subs = [submit(w, new_draft(w, title=f"例行通知{n}")) for n in range(2)]
    response = api(w.reviewers[0]).post(f"{URL}/review-queue/bulk-pass/",
                                        {"submissions": [s.pk for s in subs], "comment": "同意"}, format="json")
    assert response.status_code == 200
    assert [(r["id"], r["ok"], r["code"]) for r in response.json()] == [(s.pk, True, "ok") for s in subs]
    assert_error(api(w.reviewers[0]).post(f"{URL}/review-queue/bulk-pass/", {"submissions": []}, format="json"), 400)
    assert_error(api(w.editor).post(f"{URL}/review-queue/bulk-pass/", {"submissions": [1]}, format="json"), 403)
    assert_error(api(w.reviewers[0]).post(f"{URL}/review-queue/bulk-pass/", {"submissions": ["x"]}, format="json"),
                 400)


def test_the_queue_offers_checkboxes_only_where_bulk_passing_is_allowed(client, bulk):
    w = bulk
    subs = [submit(w, new_draft(w, title=f"例行通知{n}")) for n in range(2)]
    client.force_login(w.reviewers[0])
    client.get("/review/queue/")
    small, response = count_queries(lambda: client.get("/review/queue/"))
    html = response.content.decode()
    assert sorted(re.findall(r'name="submissions" value="(\d+)"', html)) == sorted(str(s.pk) for s in subs)
    for n in range(5):
        submit(w, new_draft(w, title=f"更多{n}"))
    large, _response = count_queries(lambda: client.get("/review/queue/"))
    assert large == small
    response = client.post("/review/queue/bulk-pass/", {"submissions": [str(s.pk) for s in subs], "comment": "同意"})
    assert response.status_code == 302
    assert all(Submission.objects.get(pk=s.pk).current_task.tier == 2 for s in subs)
    assert Submission.objects.filter(state=states.IN_REVIEW).count() == 7


@pytest.mark.django_db(transaction=True)
def test_bulk_pass_runs_outside_a_request_transaction(on_postgres, bulk):
    """The web view calls the service in autocommit: each item is its own
    transaction, and nothing may lock a row before the first one opens (on
    PostgreSQL a lock outside a transaction is an error; the browser story
    found it). PostgreSQL only: SQLite takes no row locks, so it cannot fail there."""
    w = bulk
    subs = [submit(w, new_draft(w, title=f"例行通知{n}")) for n in range(2)]
    results = services.submissions_bulk_pass(actor=w.reviewers[0], submission_ids=[s.pk for s in subs])
    assert [r["ok"] for r in results] == [True, True]
    assert all(Submission.objects.get(pk=s.pk).current_task.tier == 2 for s in subs)
