"""Every list costs the same number of queries for 2 rows as for 20."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from content import services as content_services
from tests.api.helpers import URL, in_review, new_draft
from tests.factories import account
from workflow import services as workflow_services


def _queries(client, url, params):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200, response.content
    return len(captured), response.json()["count"]


def _accounts(world, n):
    for i in range(n):
        account(world.school, name=f"账号{i}", handle=f"qc-{world.account.pk}-{n}-{i}")


def _drafts(world, n):
    for i in range(n):
        new_draft(world, title=f"稿件{i}")


def _queue(world, n):
    for _ in range(n):
        in_review(world)


def _filings(world, n):
    for i in range(n):
        content_services.account_change(actor=world.manager, account_id=world.account.pk,
                                        changes={"followers": i + 1, "staff": [{"name": f"甲{i}", "phone": "13900000001"}]})


def _revisions(world, n):
    draft = world.qc_draft
    for i in range(n):
        workflow_services.draft_revise(actor=world.editor, draft_id=draft.pk, title=f"第{i}稿", body=f"<p>{i}</p>")


def _audit(world, n):
    for i in range(n):
        content_services.account_change(actor=world.manager, account_id=world.account.pk,
                                        changes={"remarks": f"备注{i}"})


# (list, reader, url, params, add rows, rows already there)
LISTS = [
    ("accounts", "admin", "/accounts/", {}, _accounts),
    ("drafts", "editor", "/drafts/", {}, _drafts),
    ("review-queue", "reviewer1", "/review-queue/", {}, _queue),
    ("filings", "manager", "/accounts/{account}/filings/", {}, _filings),
    ("revisions", "editor", "/drafts/{draft}/revisions/", {}, _revisions),
    ("audit", "auditor", "/audit/entries/", {"action": "content.account.changed"}, _audit),
]


@pytest.mark.parametrize("name, reader, path, params, add", LISTS, ids=[entry[0] for entry in LISTS])
def test_list_query_count_is_constant(world, api, django_assert_num_queries, name, reader, path, params, add):
    world.qc_draft = new_draft(world, title="版本") if name == "revisions" else None
    user = {"admin": world.admin, "editor": world.editor, "reviewer1": world.reviewers[0],
            "manager": world.manager, "auditor": world.auditor}[reader]
    client = api(user)
    url = URL + path.format(account=world.account.pk, draft=world.qc_draft.pk if world.qc_draft else 0)
    params = {**params, "page_size": 200}
    add(world, 2)
    _queries(client, url, params)  # warm caches (content types) once
    small, small_count = _queries(client, url, params)
    add(world, 18)
    with django_assert_num_queries(small):
        response = client.get(url, params)
    assert response.json()["count"] >= small_count + 18
    assert len(response.json()["results"]) == response.json()["count"]


def test_the_review_queue_page_of_fifty_costs_at_most_four_queries(world, api):
    """Issue 18's hot path: the API's queue page of 50 with more waiting; goal <= 5
    queries, four made: the token and its user, the reviewer's memberships, the
    page with its count (project.shared.pagination.CountingPaginator)."""
    for _ in range(60):
        in_review(world)
    client = api(world.reviewers[0])
    client.get(URL + "/review-queue/")  # warm caches (content types) once
    with CaptureQueriesContext(connection) as captured:
        response = client.get(URL + "/review-queue/")
    assert response.status_code == 200
    assert response.json()["count"] == 60 and len(response.json()["results"]) == 50
    assert len(captured) <= 4, [q["sql"][:120] for q in captured.captured_queries]
