"""/api/v1/rechecks/ and /api/v1/reposts/: re-checks of published content and
repost assignments through the API — the same services and selectors as the
pages, the result per account, completion found from real publications, the
.xlsx export, and refusals as 4xx JSON with a Chinese detail and a code."""
import datetime as dt
import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEntry
from reviewers import services as reviewers_services
from tests import factories
from tests.api.helpers import URL, assert_error
from tests.operations import test_reposts as repost_support
from tests.stats_helpers import publish
from tests.tasks_support import run_tasks

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
SOURCE = repost_support.URL


# ---------------------------------------------------------------- re-checks

@pytest.fixture
def flagged(world):
    publish(world, title="关于举行秋季运动会的通知")
    item = publish(world, title="关于开展读书月活动的通知")
    reviewers_services.lexicon_entry_create(actor=world.admin, wrong="读书月", right="读书节", dimension="wording",
                                            severity="warning", note="本市统一称读书节")
    return item


def test_recheck_request_and_result(world, api, flagged):
    manager = api(world.manager)
    response = manager.post(f"{URL}/rechecks/", {"account": world.account.pk, "date_from": TODAY.isoformat(),
                                                 "date_to": TODAY.isoformat()}, format="json")
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["state"] == "queued" and body["trigger"] == "manual" and body["account"]["id"] == world.account.pk
    assert body["requested_by"]["username"] == "manager"
    run_tasks()
    result = manager.get(f"{URL}/rechecks/{body['id']}/").json()
    assert result["state"] == "done" and result["checked"] == 2 and result["flagged"] == 1
    assert result["lexicon_version"]
    [group] = result["accounts"]
    assert group["account"]["id"] == world.account.pk
    [item] = group["items"]
    assert item["title"] == "关于开展读书月活动的通知" and item["new_count"] == 1
    assert item["publication"] == flagged.pk and item["draft"] == flagged.draft_id
    assert [(f["text"], f["severity"], f["new"]) for f in item["findings"]] == [("读书月", "warning", True)]
    assert item["links"] == {"draft": f"/drafts/{flagged.draft_id}/", "trail": f"/audit/?draft={flagged.draft_id}"}
    listed = manager.get(f"{URL}/rechecks/", {"state": "done"}).json()
    assert [r["id"] for r in listed["results"]] == [body["id"]]
    assert manager.get(f"{URL}/rechecks/", {"state": "queued"}).json()["results"] == []
    actions = list(AuditEntry.objects.values_list("action", flat=True))
    assert "operations.recheck.requested" in actions and "operations.recheck.finished" in actions


def test_recheck_of_the_callers_unit_by_default(world, api, flagged):
    response = api(world.manager).post(f"{URL}/rechecks/", {"date_from": TODAY.isoformat(),
                                                            "date_to": TODAY.isoformat()}, format="json")
    assert response.status_code == 202
    assert response.json()["org"]["code"] == "GZS1" and response.json()["account"] is None


def test_recheck_refusals(world, api, flagged):
    manager = api(world.manager)
    day = TODAY.isoformat()
    body = assert_error(manager.post(f"{URL}/rechecks/", {"account": world.account.pk, "date_from": day,
                                                          "date_to": (TODAY - dt.timedelta(days=1)).isoformat()},
                                     format="json"), 400, "invalid")
    assert body["fields"]["date_to"] == ["截止日期不能早于起始日期"]
    body = assert_error(manager.post(f"{URL}/rechecks/", {"account": world.account.pk, "date_from": day,
                                                          "date_to": (TODAY + dt.timedelta(days=500)).isoformat()},
                                     format="json"), 400)
    assert "date_to" in body["fields"]
    assert "date_from" in assert_error(manager.post(f"{URL}/rechecks/", {"account": world.account.pk,
                                                                          "date_from": "2026-02-30",
                                                                          "date_to": day}, format="json"),
                                       400)["fields"]
    assert "account" in assert_error(manager.post(f"{URL}/rechecks/", {"account": 999999, "date_from": day,
                                                                        "date_to": day}, format="json"), 400)["fields"]
    assert "org" in assert_error(manager.post(f"{URL}/rechecks/", {"org": "NOPE", "date_from": day, "date_to": day},
                                              format="json"), 400)["fields"]
    assert "extra" in assert_error(manager.post(f"{URL}/rechecks/", {"date_from": day, "date_to": day, "extra": 1},
                                                format="json"), 400)["fields"]
    assert_error(api(world.editor).post(f"{URL}/rechecks/", {"account": world.account.pk, "date_from": day,
                                                              "date_to": day}, format="json"), 403)
    run = manager.post(f"{URL}/rechecks/", {"account": world.account.pk, "date_from": day, "date_to": day},
                       format="json").json()
    hidden = assert_error(api(world.outsider).get(f"{URL}/rechecks/{run['id']}/"), 403)
    assert hidden["detail"] == "没有权限访问该复查记录"
    assert assert_error(api(world.outsider).get(f"{URL}/rechecks/999999/"), 403)["detail"] == hidden["detail"]


# ---------------------------------------------------------------- repost assignments

@pytest.fixture
def second(world):
    account = factories.account(world.school, name="广州一中头条", platform="toutiao", handle="gz1z-tt")
    factories.grant(account, world.editor, "draft_account")
    factories.grant(account, world.publisher, "publish_account")
    return account


def _assign(client, **extra):
    body = {"title": "教育部：做好寒假安全工作", "source_name": "教育部", "original_url": SOURCE,
            "deadline": (TODAY + dt.timedelta(days=2)).isoformat(), "target_org": "GZS1", **extra}
    return client.post(f"{URL}/reposts/", body, format="json")


def test_assign_and_find_who_has_reposted(world, api, second):
    admin = api(world.admin)
    response = _assign(admin, org="GD", note="请各校转载")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["org"]["code"] == "GD" and body["target_org"]["code"] == "GZS1"
    assert body["done"] == 0 and body["missing"] == 2 and body["overdue"] is False
    assert {r["account"]["id"] for r in body["accounts"]} == {world.account.pk, second.pk}
    assert body["draft_prefill"] == {"title": "教育部：做好寒假安全工作", "is_repost": True, "source_name": "教育部",
                                     "source_url": SOURCE, "original_title": "教育部：做好寒假安全工作"}
    # completion is found: a repost published with the same source (after normalisation)
    published = repost_support._repost(world, world.account,
                                         "http://moe.gov.cn/jyb_xwfb/s5147/202612/t20261201_1.html")
    detail = api(world.manager).get(f"{URL}/reposts/{body['id']}/").json()
    assert detail["done"] == 1 and detail["missing"] == 1
    rows = {r["account"]["id"]: r for r in detail["accounts"]}
    assert rows[world.account.pk]["done"] is True and rows[world.account.pk]["publication"]["id"] == published.publication_id
    assert rows[second.pk]["done"] is False and rows[second.pk]["publication"] is None
    listed = api(world.editor).get(f"{URL}/reposts/").json()
    assert [a["id"] for a in listed["results"]] == [body["id"]]
    # the export: the same workbook as the page's, audited
    export = api(world.manager).get(f"{URL}/reposts/{body['id']}/export/")
    assert export.status_code == 200
    assert export["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert export["Content-Disposition"].startswith(f'attachment; filename="repost-{body["id"]}.xlsx"')
    assert export["X-Content-Type-Options"] == "nosniff"
    values = [[c.value for c in row] for row in openpyxl.load_workbook(io.BytesIO(export.content)).active.iter_rows()]
    assert values[0] == ["转载任务", "教育部：做好寒假安全工作"] + [None] * 4
    table = {v[1]: v[3] for v in values[6:]}
    assert table == {"广州一中": "是", "广州一中头条": "否"}
    actions = list(AuditEntry.objects.values_list("action", flat=True))
    assert "operations.repost.assigned" in actions and "operations.repost.exported" in actions


def test_named_accounts_and_the_callers_unit(world, api, second):
    response = _assign(api(world.manager), target_org="", accounts=[second.pk])
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["org"]["code"] == "GZS1" and body["target_org"] is None
    assert [r["account"]["id"] for r in body["accounts"]] == [second.pk]


def test_repost_refusals(world, api, second):
    admin = api(world.admin)
    past = (TODAY - dt.timedelta(days=1)).isoformat()
    body = assert_error(_assign(admin, deadline=past), 400, "invalid")
    assert body["fields"]["deadline"] == ["转载期限不能早于今天"]
    assert "original_url" in assert_error(_assign(admin, original_url="not a url"), 400)["fields"]
    assert "title" in assert_error(_assign(admin, title=""), 400)["fields"]
    assert "target_org" in assert_error(_assign(admin, target_org="NOPE"), 400)["fields"]
    assert "accounts" in assert_error(_assign(admin, target_org="", accounts=[]), 400)["fields"]
    assert assert_error(_assign(admin, target_org="", accounts=["1"]), 400)["fields"] == {"accounts.0": ["请填写整数"]}
    # a city's manager may not assign to another city's school
    outsider = assert_error(_assign(api(world.outsider)), 400)
    assert outsider["fields"]["target_org"] == ["只能布置给本单位及下级单位"]
    assert_error(_assign(api(world.editor)), 403)
    assert_error(_assign(api(world.auditor)), 403)
    assignment = _assign(admin).json()
    hidden = assert_error(api(world.outsider).get(f"{URL}/reposts/{assignment['id']}/"), 403)
    assert hidden["detail"] == "没有权限访问该转载任务"
    assert assert_error(api(world.outsider).get(f"{URL}/reposts/{assignment['id']}/export/"), 403)["detail"] == \
        hidden["detail"]
    assert assert_error(api(world.manager).get(f"{URL}/reposts/999999/"), 403)["detail"] == hidden["detail"]


def test_constant_queries(world, api, flagged):
    manager = api(world.manager)
    day = TODAY.isoformat()

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert manager.get(f"{URL}/rechecks/").status_code == 200
        return len(queries)

    manager.post(f"{URL}/rechecks/", {"account": world.account.pk, "date_from": day, "date_to": day}, format="json")
    small = count()
    for _ in range(4):
        manager.post(f"{URL}/rechecks/", {"org": "GZS1", "date_from": day, "date_to": day}, format="json")
    assert count() == small
