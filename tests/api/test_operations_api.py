"""/api/v1/ for daily operations: the issue's contract (duty, patrols,
problems with rectify/confirm/dismiss, counterfeits, problem kinds), errors
with Chinese messages and codes, scoping, and constant query counts."""
import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEntry
from operations import services as ops_services
from tests.api.helpers import URL, assert_error
from tests.factories import account

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def open_problem(client, world, **extra):
    body = {"account": world.account.pk, "kind": "inaccurate", "description": "转载未注明来源",
            "deadline": (TODAY + dt.timedelta(days=7)).isoformat(), "responsible": "editor", **extra}
    return client.post(f"{URL}/problems/", body, format="json")


def test_problem_contract(world, api):
    manager, editor, auditor = api(world.manager), api(world.editor), api(world.auditor)
    response = open_problem(manager, world)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "open" and body["kind"] == "inaccurate" and body["kind_label"] == "信息发布不准确"
    assert body["responsible"]["username"] == "editor" and body["account"]["id"] == world.account.pk
    pk = body["id"]
    assert editor.get(f"{URL}/problems/{pk}/").json()["allowed_actions"] == ["rectify"]
    response = editor.post(f"{URL}/problems/{pk}/rectify/", {"note": "已补注来源"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "rectifying"
    assert_error(editor.post(f"{URL}/problems/{pk}/confirm/"), 403, "not_inspector")
    response = auditor.post(f"{URL}/problems/{pk}/confirm/")
    assert response.status_code == 200 and response.json()["state"] == "rectified"
    assert response.json()["confirmed_by"]["username"] == "auditor"
    assert_error(manager.post(f"{URL}/problems/{pk}/dismiss/", {"reason": "x"}, format="json"), 409, "invalid_state")
    second = open_problem(manager, world).json()["id"]
    response = manager.post(f"{URL}/problems/{second}/dismiss/", {"reason": "经核实不属于本账号"}, format="json")
    assert response.json()["state"] == "not_applicable" and response.json()["closed_reason"] == "经核实不属于本账号"
    states = {p["id"]: p["state"] for p in manager.get(f"{URL}/problems/").json()["results"]}
    assert states == {pk: "rectified", second: "not_applicable"}
    assert [p["id"] for p in manager.get(f"{URL}/problems/", {"state": "rectified"}).json()["results"]] == [pk]


def test_self_confirmation_is_refused_and_audited(world, api):
    manager = api(world.manager)
    pk = open_problem(manager, world, responsible="manager").json()["id"]
    manager.post(f"{URL}/problems/{pk}/rectify/", {"note": "已处理"}, format="json")
    body = assert_error(manager.post(f"{URL}/problems/{pk}/confirm/"), 403, "self_confirm")
    assert body["detail"] == "整改须由整改人以外的人员确认"
    assert AuditEntry.objects.filter(action="operations.problem.refused", target_id=str(pk), outcome="denied").exists()


def test_problem_kinds(world, api):
    kinds = api(world.editor).get(f"{URL}/problems/kinds/").json()
    assert kinds[0] == {"code": "not_updated", "label": "无更新"}
    assert {"code": "identity_mismatch", "label": "内容与认证身份不符"} in kinds


def test_bad_input_is_400_with_chinese_messages(world, api):
    manager = api(world.manager)
    for change, field in (({"kind": "bad"}, "kind"), ({"responsible": "nobody"}, "responsible"),
                          ({"deadline": "2026-13-01"}, "deadline"), ({"account": "1"}, "account"),
                          ({"links": ["javascript:x"]}, "links"), ({"extra": 1}, "extra"),
                          ({"account": 999999}, "account"), ({"description": ""}, "description")):
        body = assert_error(open_problem(manager, world, **change), 400)
        assert field in body["fields"], (change, body)
    assert_error(manager.post(f"{URL}/problems/1/rectify/", {}, format="json"), 400)


def test_hidden_problems_answer_like_missing_ones(world, api):
    pk = open_problem(api(world.manager), world).json()["id"]
    outsider = api(world.outsider)
    for url in (f"/problems/{pk}/", f"/problems/{pk + 1000}/", "/problems/99999999999999999999/"):
        response = outsider.get(URL + url)
        if response.status_code == 404:  # beyond the URL converter
            continue
        assert assert_error(response, 403)["detail"] == "没有权限访问该问题"
    assert outsider.get(f"{URL}/problems/").json()["count"] == 0


def test_duty_and_log(world, api):
    manager, editor = api(world.manager), api(world.editor)
    day = (TODAY - dt.timedelta(days=1)).isoformat()
    response = manager.post(f"{URL}/duty/", {"org": "GZS1", "day": day, "person": "editor"}, format="json")
    assert response.status_code == 201, response.json()
    duty = response.json()
    assert duty["person"]["username"] == "editor" and duty["shift"] == "day" and duty["log"] is None
    assert_error(manager.post(f"{URL}/duty/", {"org": "GZS1", "day": day, "shift": "night", "person": "editor"},
                              format="json"), 400)
    response = editor.post(f"{URL}/duty/{duty['id']}/log/", {"events": "巡查各账号，无异常", "sign": True},
                           format="json")
    assert response.status_code == 200 and response.json()["log"]["signed_by"]["username"] == "editor"
    assert_error(editor.post(f"{URL}/duty/{duty['id']}/log/", {"events": "改"}, format="json"), 409, "log_signed")
    listed = manager.get(f"{URL}/duty/", {"from": day, "to": day}).json()
    assert [d["id"] for d in listed["results"]] == [duty["id"]]
    assert_error(manager.get(f"{URL}/duty/", {"from": "yesterday"}), 400)


def test_patrols_and_counterfeits(world, api):
    manager = api(world.manager)
    response = manager.post(f"{URL}/patrols/", {
        "account": world.account.pk, "period_from": (TODAY - dt.timedelta(days=7)).isoformat(),
        "period_to": TODAY.isoformat(), "checks": ["content"], "problem_kinds": ["slow_response"],
        "notes": "留言三天未回复", "responsible": "editor"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["result"] == "互动回应不及时"
    [problem] = manager.get(f"{URL}/problems/").json()["results"]
    assert problem["source"] == "patrol" and problem["patrol"] == response.json()["id"]
    assert manager.get(f"{URL}/patrols/", {"account": world.account.pk}).json()["count"] == 1
    response = manager.post(f"{URL}/counterfeits/", {"org": "GZS1", "platform": "抖音", "name": "广州一中官方",
                                                     "found_on": TODAY.isoformat(),
                                                     "link": "https://www.douyin.com/user/x"}, format="json")
    assert response.status_code == 201 and response.json()["outcome"] == "pending"
    assert api(world.publisher).get(f"{URL}/counterfeits/").json()["count"] == 1
    assert api(world.outsider).get(f"{URL}/counterfeits/").json()["count"] == 0


def _count(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(URL + url)
    assert response.status_code == 200
    return len(captured), response.json()["count"]


@pytest.mark.parametrize("url", ["/problems/", "/patrols/", "/duty/", "/counterfeits/"])
def test_lists_cost_the_same_for_2_and_12_rows(world, api, url):
    client = api(world.admin)

    def add(n, start):
        for i in range(n):
            target = account(world.school, name=f"qc{start + i}", handle=f"qc-{url}-{start + i}")
            ops_services.problem_open(actor=world.manager, account_id=target.pk, kind="other", description="x",
                                      responsible_id=world.editor.pk)
            ops_services.patrol_record(actor=world.manager, account_id=target.pk, period_from=TODAY,
                                       period_to=TODAY, checks=["content"])
            ops_services.duty_assign(actor=world.manager, org_id=world.school.pk,
                                     day=TODAY + dt.timedelta(days=start + i), person_id=world.editor.pk)
            ops_services.counterfeit_report(actor=world.manager, org_id=world.school.pk, platform="抖音",
                                            name=f"假冒{start + i}", found_on=TODAY)

    add(2, 0)
    small, n_small = _count(client, url)
    add(10, 2)
    large, n_large = _count(client, url)
    assert (n_small, n_large) == (2, 12)
    assert small == large
