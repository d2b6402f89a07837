"""The audit pages as an auditor reads them (issue 11): entries without a unit
reach the auditors of the top unit, the home page counts failed logins, the
newest entries come first, targets carry their names, a decision is a table
of its five dimensions, and the export's times and file name read well."""
import csv
import datetime as dt
import io
import json
import re
from urllib.parse import unquote

import pytest
from django.test import Client
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from audit.services import audit_record
from content import roles
from content import services as content_services
from tests import factories
from tests.workflow.helpers import decide, new_draft, submit

pytestmark = pytest.mark.django_db


def _rows(response):
    assert response.status_code == 200, response.content.decode()[:500]
    return list(response.context["page"].object_list)


def _fail_login(client, username, times=1):
    for _ in range(times):
        response = client.post(reverse("web:login"), {"username": username, "password": "wrong-password-1"})
        assert response.status_code == 200


def _content(response):
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode("utf-8")


def _filenames(response):
    disposition = response["Content-Disposition"]
    ascii_name = re.search(r'filename="([^"]+)"', disposition).group(1)
    return unquote(disposition.split("filename*=UTF-8''")[1]), ascii_name


# ---------------------------------------------------------------- entries without a unit

def test_failed_logins_of_unknown_usernames_reach_the_auditor_of_the_top_unit(world, client, as_user):
    _fail_login(client, "nobody-such")
    entry = AuditEntry.objects.get(action="auth.login_failed", actor_label="nobody-such")
    assert entry.org_path == ""
    # the province (no parent) auditor: in the search, and its page opens
    province = as_user(world.auditor)
    assert entry.pk in {e.pk for e in _rows(province.get(reverse("web:audit"), {"action": "auth.login_failed"}))}
    assert province.get(reverse("web:audit_entry", args=[entry.pk])).status_code == 200
    assert entry.pk in {e.pk for e in _rows(province.get(reverse("web:audit")))}
    # a unit chosen in the filter still means that unit's subtree only
    assert entry.pk not in {e.pk for e in _rows(province.get(reverse("web:audit"), {"org": "GZ"}))}
    # the top unit's export carries it too
    text = _content(province.get(reverse("web:audit_export"), {"action": "auth.login_failed", "format": "csv"}))
    assert "nobody-such" in text
    # a city's auditor does not see it, as if it did not exist (as_user logs the one test client in anew)
    city = as_user(world.outsider)
    assert entry.pk not in {e.pk for e in _rows(city.get(reverse("web:audit"), {"action": "auth.login_failed"}))}
    assert city.get(reverse("web:audit_entry", args=[entry.pk])).status_code == 403
    text = _content(city.get(reverse("web:audit_export"), {"action": "auth.login_failed", "format": "csv"}))
    assert "nobody-such" not in text
    # and a superuser reads everything
    rows = _rows(as_user(factories.superuser()).get(reverse("web:audit"), {"action": "auth.login_failed"}))
    assert entry.pk in {e.pk for e in rows}


def test_an_auditor_of_a_top_unit_without_the_role_sees_nothing(world, as_user):
    """The rule is about auditors: a top unit's administrator still may not read the log."""
    assert as_user(world.admin).get(reverse("web:audit")).status_code == 403


def test_home_page_counts_failed_logins_and_lockouts_for_auditors(world, client, as_user, monkeypatch):
    # eight days ago: outside the window
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() - dt.timedelta(days=8))
    audit_record(action="auth.login_failed", actor_label="old-try", outcome="failure", data={"username": "old-try"})
    monkeypatch.setattr(timezone, "now", real_now)
    _fail_login(client, "nobody-such", times=2)
    # from another address: five failures of one address lock the address too
    _fail_login(Client(REMOTE_ADDR="203.0.113.50"), "editor", times=settings.LOGIN_MAX_FAILURES)  # locks him
    assert AuditEntry.objects.filter(action="auth.locked").count() == 1

    auditor = as_user(world.auditor)
    with CaptureQueriesContext(connection) as captured:
        response = auditor.get(reverse("web:home"))
    security = response.context["security"]
    assert (security["failed"], security["failed_unscoped"], security["locked"]) == (
        2 + settings.LOGIN_MAX_FAILURES, 2 + settings.LOGIN_MAX_FAILURES, 1)
    audit_queries = [q["sql"] for q in captured.captured_queries if "audit_auditentry" in q["sql"]]
    assert len(audit_queries) == 1 and audit_queries[0].startswith("SELECT"), audit_queries  # one count query
    body = response.content.decode()
    assert 'data-testid="home-security"' in body
    assert f"登录失败 <strong>{2 + settings.LOGIN_MAX_FAILURES}</strong> 次" in body
    assert "账户锁定 <strong>1</strong> 次" in body
    # each count links to the search that lists exactly those entries
    client = as_user(world.auditor)
    listed = client.get(security["failed_url"]).context["page"].paginator.count
    assert listed == security["failed"]
    assert client.get(security["locked_url"]).context["page"].paginator.count == 1

    # a city's auditor: nothing of another city, nothing without a unit
    security = as_user(world.outsider).get(reverse("web:home")).context["security"]
    assert (security["failed"], security["locked"], security["shows_unscoped"]) == (0, 0, False)
    # whoever may not read the log has no such card
    response = as_user(world.editor).get(reverse("web:home"))
    assert response.context["security"] is None and 'data-testid="home-security"' not in response.content.decode()


# ---------------------------------------------------------------- order

def _account_changes(world, n, start=0):
    for i in range(n):
        content_services.account_change(actor=world.manager, account_id=world.account.pk,
                                        changes={"remarks": f"备注{start + i}"})


def test_the_page_lists_the_newest_first_and_sorts_on_request(world, as_user):
    _account_changes(world, 3)
    client = as_user(world.auditor)
    params = {"action": "content.account.changed"}
    newest = [e.seq for e in _rows(client.get(reverse("web:audit"), params))]
    assert newest == sorted(newest, reverse=True) and len(newest) == 3
    assert [e.seq for e in _rows(client.get(reverse("web:audit"), {**params, "order": "seq"}))] == sorted(newest)
    assert [e.seq for e in _rows(client.get(reverse("web:audit"), {**params, "order": "-seq"}))] == newest
    response = client.get(reverse("web:audit"), {**params, "order": "created_at"})
    assert response.status_code == 400 and response.context["form"].errors["order"]
    # the export follows the chain whatever the page's order
    text = _content(client.get(reverse("web:audit_export"), {**params, "order": "-seq", "format": "csv"}))
    exported = [int(r["序号"]) for r in csv.DictReader(io.StringIO(text[1:]))]
    assert exported == sorted(newest)
    export = AuditEntry.objects.get(action="audit.export")
    assert "order" not in export.data["filters"]


# ---------------------------------------------------------------- targets by name

def _targets(response):
    return {(e.target_type, e.target_id): (e.target_type_label, e.target_name) for e in _rows(response)}


def test_targets_are_shown_by_name(world, client, as_user):
    draft = new_draft(world, title="春季开学通知")
    submission = submit(world, draft)
    _account_changes(world, 1)
    content_services.user_set_roles(actor=world.secadmin, user_id=world.editor.pk, roles_=[roles.EDITOR])
    _fail_login(client, "nobody-such")
    response = as_user(world.auditor).get(reverse("web:audit"))
    targets = _targets(response)
    assert targets[("content.mediaaccount", str(world.account.pk))] == ("新媒体账号", "广州一中（微信公众号）")
    assert targets[("content.draft", str(draft.pk))] == ("稿件", "春季开学通知")
    assert targets[("workflow.submission", str(submission.pk))] == ("送审单", "春季开学通知")
    assert targets[("content.user", str(world.editor.pk))] == ("用户", "editor（编辑甲）")
    assert targets[("content.user", "")] == ("用户", "nobody-such")  # the username tried
    body = response.content.decode()
    assert "content.mediaaccount #" not in body and "content.draft #" not in body
    assert "春季开学通知" in body and f'href="{reverse("web:account_detail", args=[world.account.pk])}"' in body
    # the entry's page names it too
    entry = AuditEntry.objects.get(action="content.draft.created", draft_id=draft.pk)
    page = as_user(world.auditor).get(reverse("web:audit_entry", args=[entry.pk]))
    target = page.content.decode().split('data-testid="audit-entry-target">', 1)[1].split("</dd>", 1)[0]
    assert "稿件" in target and "春季开学通知" in target
    # and so are its account and its draft
    assert page.context["names"] == {"account": "广州一中（微信公众号）", "draft": "春季开学通知"}


def test_a_target_that_no_longer_exists_keeps_its_type_and_id(world, as_user):
    audit_record(action="content.draft.created", target_type="content.draft", target_id=987654,
                 org_path=world.school.path, draft_id=987654)
    [entry] = _rows(as_user(world.auditor).get(reverse("web:audit"), {"draft": 987654}))
    assert (entry.target_type_label, entry.target_name, entry.target_missing) == ("稿件", "", True)


def _search_queries(client, params):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("web:audit"), params)
    assert response.status_code == 200
    return len(captured), response.context["page"].paginator.count


def test_target_names_cost_one_query_per_type_whatever_the_page_length(world, as_user):
    """Accounts, drafts and submissions on one page: three name look-ups, for 3 rows or 30 of each."""
    client = as_user(world.auditor)
    params = {"account": world.account.pk}

    def add(n):
        _account_changes(world, n, start=AuditEntry.objects.count())
        for i in range(n):
            submit(world, new_draft(world, title=f"稿件{AuditEntry.objects.count()}-{i}"))

    add(3)
    few, count_few = _search_queries(client, params)
    add(12)
    many, count_many = _search_queries(client, params)
    assert count_many > count_few >= 9
    assert few == many
    names = {e.target_name for e in _rows(client.get(reverse("web:audit"), params))}
    assert "" not in names


# ---------------------------------------------------------------- a decision as a table

def test_a_decision_shows_its_five_dimensions_with_chinese_labels(world, as_user):
    submission = submit(world, new_draft(world))
    decide(world.reviewers[0], submission, political="标题表述不当")
    client = as_user(world.auditor)
    decided = AuditEntry.objects.get(action="workflow.submission.decided")
    response = client.get(reverse("web:audit_entry", args=[decided.pk]))
    rows = response.context["checklist_rows"]
    assert [r["dimension"] for r in rows] == ["政治关", "法律关", "政策关", "保密关", "文字关"]
    assert [r["verdict"] for r in rows] == ["不通过", "通过", "通过", "通过", "通过"]
    assert rows[0]["comment"] == "标题表述不当" and rows[1]["comment"] == ""
    fields = {f["key"]: (f["label"], f["value"]) for f in response.context["field_rows"]}
    assert fields["tier"] == ("审核层级（序号）", "第1级")
    assert fields["tier_name"] == ("审核层级", "初审")
    assert fields["outcome"] == ("结论", "退回修改")
    assert fields["state"] == ("状态", "退回修改")
    assert not {"verdicts", "comments"} & set(fields)  # tabled once, as the checklist
    body = response.content.decode()
    table = body.split('data-testid="audit-entry-checklist"', 1)[1].split("</table>", 1)[0]
    assert "<th scope=\"col\">维度</th><th scope=\"col\">结论</th><th scope=\"col\">意见</th>" in table
    assert "政治关" in table and "标题表述不当" in table
    visible = re.sub(r"<[^>]+>", " ", table)  # the text a reader sees, without the tags' attributes
    assert "political" not in visible and "fail" not in visible and "verdicts" not in visible
    shown = re.sub(r"<[^>]+>", " ", body.split('data-testid="audit-entry-fields"', 1)[1].split("</table>", 1)[0])
    assert "tier_name" not in shown and "decision_id" not in shown and "审核层级" in shown and "审核决定编号" in shown
    # the raw JSON stays available, folded
    assert json.loads(response.context["pretty"])["verdicts"]["political"] == "fail"

    returned = AuditEntry.objects.get(action="workflow.submission.returned")
    rows = client.get(reverse("web:audit_entry", args=[returned.pk])).context["checklist_rows"]
    assert [(r["dimension"], r["verdict"], r["comment"]) for r in rows] == [("政治关", "不通过", "标题表述不当")]


# ---------------------------------------------------------------- the export

def test_csv_times_are_local_date_times_named_by_their_zone(world, as_user):
    _account_changes(world, 1)
    client = as_user(world.auditor)
    text = _content(client.get(reverse("web:audit_export"), {"action": "content.account.changed", "format": "csv"}))
    [row] = list(csv.DictReader(io.StringIO(text[1:])))
    entry = AuditEntry.objects.get(action="content.account.changed")
    local = timezone.localtime(entry.created_at, timezone.get_default_timezone())
    assert row["时间（北京时间 UTC+08:00）"] == local.strftime("%Y-%m-%d %H:%M:%S")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", row["时间（北京时间 UTC+08:00）"])
    # JSON Lines keeps ISO 8601 with the offset
    line = _content(client.get(reverse("web:audit_export"), {"action": "content.account.changed",
                                                              "format": "jsonl"})).splitlines()[0]
    assert dt.datetime.fromisoformat(json.loads(line)["created_at"]) == entry.created_at
    assert json.loads(line)["created_at"].endswith("+08:00")


@pytest.mark.parametrize("zone, header", [
    ("Europe/Berlin", "时间（Europe/Berlin UTC+01:00/UTC+02:00）"),
    ("UTC", "时间（UTC）"),
    ("America/St_Johns", "时间（America/St_Johns UTC-03:30/UTC-02:30）"),
])
def test_the_csv_time_header_follows_the_time_zone_setting(world, as_user, settings, zone, header):
    settings.TIME_ZONE = zone
    _account_changes(world, 1)
    text = _content(as_user(world.auditor).get(reverse("web:audit_export"),
                                               {"action": "content.account.changed", "format": "csv"}))
    [row] = list(csv.DictReader(io.StringIO(text[1:])))
    entry = AuditEntry.objects.get(action="content.account.changed")
    assert row[header] == timezone.localtime(entry.created_at).strftime("%Y-%m-%d %H:%M:%S")


def test_the_export_file_name_says_what_it_holds(world, as_user):
    draft = new_draft(world)
    client = as_user(world.auditor)
    name, ascii_name = _filenames(client.get(reverse("web:audit_export"), {
        "draft": draft.pk, "date_from": "2026-11-01", "date_to": "2026-11-30", "format": "csv"}))
    assert name == f"省教育厅审计日志_稿件{draft.pk}_20261101-20261130.csv"
    assert ascii_name == f"audit-GD-draft{draft.pk}-20261101-20261130.csv"
    name, ascii_name = _filenames(client.get(reverse("web:audit_export"), {
        "org": "GZS1", "account": world.account.pk, "actor": "manager", "action": "content.account.",
        "date_from": "2026-11-01", "format": "jsonl"}))
    today = timezone.localdate().strftime("%Y%m%d")
    assert name == (f"广州一中审计日志_账号{world.account.pk}_用户{world.manager.pk}_账号备案与授权_"
                    f"20261101-{today}.jsonl")
    assert ascii_name == (f"audit-GZS1-account{world.account.pk}-user{world.manager.pk}-content.account-"
                          f"20261101-{today}.jsonl")
    name, _ascii = _filenames(client.get(reverse("web:audit_export"), {"action": "auth.login_failed",
                                                                        "format": "csv"}))
    assert name == f"省教育厅审计日志_登录失败_截至{today}.csv"


def test_the_page_and_the_api_name_the_same_export_alike(world, as_user):
    from tests.factories import api_token
    from rest_framework.test import APIClient

    draft = new_draft(world)
    page = _filenames(as_user(world.auditor).get(reverse("web:audit_export"), {
        "draft": draft.pk, "account": world.account.pk, "date_from": "2026-11-01", "date_to": "2026-11-30"}))
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(world.auditor)}")
    response = api.get("/api/v1/audit/export/", {"draft": draft.pk, "account": world.account.pk,
                                                 "from": "2026-11-01", "to": "2026-11-30"})
    assert response.status_code == 200
    assert f"稿件{draft.pk}_账号{world.account.pk}" in page[0] and _filenames(response) == page
