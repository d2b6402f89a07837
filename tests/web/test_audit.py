"""The auditor's pages: search (scoped to his subtree), an entry's detail, the
chain check and the export, each of the last two audited."""
import csv
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEntry
from content import roles
from content import services as content_services
from tests import factories
from tests.audit.test_chain import tamper
from tests.workflow.helpers import new_draft, submit

pytestmark = pytest.mark.django_db




def _rows(response):
    return list(response.context["page"].object_list)


def _change(world, n, start=0):
    for i in range(n):
        content_services.account_change(actor=world.manager, account_id=world.account.pk,
                                        changes={"remarks": f"备注{start + i}"})


# ---------------------------------------------------------------- who may read

def test_only_auditors_may_read_the_log(world, as_user):
    for user in (world.editor, world.manager, world.admin):
        client = as_user(user)
        for name in ("web:audit", "web:audit_verify", "web:audit_export"):
            response = client.get(reverse(name))
            assert response.status_code == 403, (user, name)
            assert "只有审计人员可以查看审计日志" in response.content.decode()
        entry = AuditEntry.objects.order_by("seq").first()
        assert client.get(reverse("web:audit_entry", args=[entry.pk])).status_code == 403
    assert AuditEntry.objects.filter(action__in=("audit.export", "audit.verify")).count() == 0


def test_an_auditor_of_a_city_sees_only_his_city(world, as_user):
    sz_account = factories.account(world.other_city, name="深圳账号", handle="sz-1")
    content_services.account_change(actor=factories.superuser(), account_id=sz_account.pk, changes={"followers": 9})
    _change(world, 1)
    city_auditor = world.outsider  # an auditor of 深圳市教育局
    rows = _rows(as_user(city_auditor).get(reverse("web:audit"), {"action": "content.account."}))
    assert rows and {e.account_id for e in rows} == {sz_account.pk}
    assert all(e.org_path.startswith(world.other_city.path) for e in rows)
    # the province's auditor sees both cities
    rows = _rows(as_user(world.auditor).get(reverse("web:audit"), {"action": "content.account."}))
    assert {sz_account.pk, world.account.pk} <= {e.account_id for e in rows}
    # an entry of Guangzhou is hidden from Shenzhen's auditor, as one that does not exist
    gz_entry = AuditEntry.objects.filter(account_id=world.account.pk).first()
    client = as_user(city_auditor)
    assert client.get(reverse("web:audit_entry", args=[gz_entry.pk])).status_code == 403
    assert client.get(reverse("web:audit_entry", args=[10**9])).status_code == 403
    # and a unit outside his subtree is not a choice
    response = client.get(reverse("web:audit"), {"org": "GZ"})
    assert response.status_code == 400 and response.context["form"].errors["org"]


def test_search_filters(world, as_user):
    draft = new_draft(world)
    submit(world, draft)
    _change(world, 2)
    client = as_user(world.auditor)
    rows = _rows(client.get(reverse("web:audit"), {"draft": draft.pk}))
    assert [e.action for e in rows] == ["workflow.submission.submitted", "content.draft.created"]  # newest first
    rows = _rows(client.get(reverse("web:audit"), {"actor": "manager", "action": "content.account.changed"}))
    assert len(rows) == 2 and all(e.actor_id == world.manager.pk for e in rows)
    rows = _rows(client.get(reverse("web:audit"), {"action": "workflow.submission."}))
    assert [e.action for e in rows] == ["workflow.submission.submitted"]
    rows = _rows(client.get(reverse("web:audit"), {"account": world.account.pk, "org": "GZS1"}))
    assert rows and all(e.account_id == world.account.pk for e in rows)
    today = rows[0].created_at.astimezone().date().isoformat()
    assert _rows(client.get(reverse("web:audit"), {"date_from": today, "date_to": today, "draft": draft.pk}))
    assert not _rows(client.get(reverse("web:audit"), {"date_from": "2000-01-01", "date_to": "2000-01-02"}))
    correlation = rows[0].correlation_id
    same = _rows(client.get(reverse("web:audit"), {"correlation": correlation}))
    assert same and all(e.correlation_id == correlation for e in same)


def test_search_refuses_bad_filters_with_messages(world, as_user):
    response = as_user(world.auditor).get(reverse("web:audit"), {
        "actor": "nobody", "action": "no.such.action", "draft": "abc", "date_from": "2026-02-01",
        "date_to": "2026-01-01"})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"actor", "action", "draft", "date_to"}
    body = response.content.decode()
    assert "没有这个用户名" in body and "截止日期不能早于起始日期" in body


def _search_queries(client, params):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("web:audit"), params)
    assert response.status_code == 200
    return len(captured), response.context["page"].paginator.count


def test_search_costs_the_same_queries_for_3_and_20_entries(world, as_user):
    client = as_user(world.auditor)
    params = {"action": "content.account.changed", "actor": "manager"}
    _change(world, 3)
    few, count_few = _search_queries(client, params)
    _change(world, 17, start=3)
    many, count_many = _search_queries(client, params)
    assert (count_few, count_many) == (3, 20)
    assert few == many


# ---------------------------------------------------------------- one entry

def test_entry_detail_shows_before_and_after_escaped(world, as_user):
    payload = "<img src=x onerror=alert(1)>"
    content_services.account_change(actor=world.manager, account_id=world.account.pk,
                                    changes={"remarks": payload, "followers": 12})
    entry = AuditEntry.objects.get(action="content.account.changed")
    response = as_user(world.auditor).get(reverse("web:audit_entry", args=[entry.pk]))
    assert response.status_code == 200
    rows = {r["key"]: r for r in response.context["rows"]}
    assert rows["followers"]["label"] == "粉丝量（关注数）"
    assert (rows["followers"]["before"], rows["followers"]["after"]) == ("—", "12")
    assert rows["remarks"]["after"] == payload
    body = response.content.decode()
    assert payload not in body and "&lt;img src=x onerror=alert(1)&gt;" in body
    assert entry.hash in body and entry.prev_hash in body
    assert f"?correlation={entry.correlation_id}" in body
    assert entry.actor_label in body


def test_entry_detail_tables_before_after_and_pretty_prints_the_rest(world, as_user):
    user = world.editor
    content_services.user_set_roles(actor=world.secadmin, user_id=user.pk, roles_=[roles.EDITOR, roles.PUBLISHER])
    client = as_user(world.auditor)
    entry = AuditEntry.objects.get(action="content.user.roles_changed")
    rows = client.get(reverse("web:audit_entry", args=[entry.pk])).context["rows"]
    assert rows[0]["before"] == '["editor"]' and rows[0]["after"] == '["editor", "publisher"]'
    draft = new_draft(world)
    entry = AuditEntry.objects.get(action="content.draft.created", draft_id=draft.pk)
    response = client.get(reverse("web:audit_entry", args=[entry.pk]))
    assert response.context["rows"] == []
    assert json.loads(response.context["pretty"])["title"] == draft.title


# ---------------------------------------------------------------- the chain check

def test_verify_shows_ok_and_is_audited(world, as_user):
    client = as_user(world.auditor)
    assert client.get(reverse("web:audit_verify")).status_code == 200
    assert not AuditEntry.objects.filter(action="audit.verify").exists()  # a GET only shows the button
    count = AuditEntry.objects.count()
    response = client.post(reverse("web:audit_verify"))
    assert response.status_code == 200
    result = response.context["result"]
    assert result.ok and result.count == count
    assert "校验通过" in response.content.decode()
    entry = AuditEntry.objects.get(action="audit.verify")
    assert entry.actor_id == world.auditor.pk and entry.data["ok"] is True and entry.outcome == "success"


def test_verify_names_the_first_broken_entry_of_a_tampered_chain(world, as_user):
    tamper("UPDATE audit_auditentry SET prev_hash = %s WHERE seq = %s", ["f" * 64, 3])
    response = as_user(world.auditor).post(reverse("web:audit_verify"))
    assert response.status_code == 200
    result = response.context["result"]
    assert (result.ok, result.first_broken_seq, result.reason) == (False, 3, "link")
    body = response.content.decode()
    assert "校验未通过" in body and 'data-testid="verify-broken-seq">3<' in body
    assert "与前一条的哈希链接不符" in body
    entry = AuditEntry.objects.filter(action="audit.verify").get()
    assert entry.outcome == "failure" and entry.data["first_broken_seq"] == 3


# ---------------------------------------------------------------- export

def _content(response):
    return b"".join(response.streaming_content).decode("utf-8")


def test_export_csv_holds_the_filtered_entries_and_is_audited(world, as_user):
    draft = new_draft(world)
    submit(world, draft)
    _change(world, 1)
    client = as_user(world.auditor)
    response = client.get(reverse("web:audit_export"), {"draft": draft.pk, "org": "GZS1", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    assert "audit-GZS1-" in response["Content-Disposition"]
    text = _content(response)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    assert [r["动作代码"] for r in rows] == ["content.draft.created", "workflow.submission.submitted"]
    assert rows[0]["动作"] == "创建稿件"
    export = AuditEntry.objects.get(action="audit.export")
    assert export.actor_id == world.auditor.pk
    assert export.data == {"format": "csv", "filters": {"draft": draft.pk, "org": "GZS1"}, "rows": 2}


def test_export_jsonl_and_formula_guard(world, as_user):
    content_services.account_change(actor=world.manager, account_id=world.account.pk,
                                    changes={"remarks": "=HYPERLINK(1)"})
    client = as_user(world.auditor)
    params = {"action": "content.account.changed"}
    lines = _content(client.get(reverse("web:audit_export"), {**params, "format": "jsonl"})).splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["data"]["changes"]["remarks"]["new"] == "=HYPERLINK(1)"
    text = _content(client.get(reverse("web:audit_export"), {**params, "actor": "manager", "format": "csv"}))
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    assert len(rows) == 1 and rows[0]["操作人"].startswith("manager")
    assert AuditEntry.objects.filter(action="audit.export").count() == 2


def test_export_refuses_a_bad_format_or_filter(world, as_user):
    client = as_user(world.auditor)
    response = client.get(reverse("web:audit_export"), {"format": "xls"})
    assert response.status_code == 400 and "导出格式只能是 CSV、JSON Lines 或 Excel（XLSX）" in response.content.decode()
    response = client.get(reverse("web:audit_export"), {"format": "csv", "actor": "nobody"})
    assert response.status_code == 400
    assert not AuditEntry.objects.filter(action="audit.export").exists()


def test_export_of_a_city_auditor_leaves_out_other_cities(world, as_user):
    sz_account = factories.account(world.other_city, name="深圳账号", handle="sz-1")
    _change(world, 1)
    text = _content(as_user(world.outsider).get(reverse("web:audit_export"), {"action": "content.account."}))
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    assert rows and {r["账号编号"] for r in rows} == {str(sz_account.pk)}


def test_the_page_and_the_api_map_a_search_the_same_way(world, as_user):
    """One mapping (project.shared.audit_log.entry_filters): the same search on
    the page and the API finds the same entries, and their exports record the
    same filters — a date "to" includes its day on both."""
    from tests.factories import api_token
    from rest_framework.test import APIClient

    from project.shared.audit_log import entry_filters

    draft = new_draft(world)
    submit(world, draft)
    _change(world, 2)
    from django.utils import timezone

    today = timezone.localdate(AuditEntry.objects.latest("seq").created_at).isoformat()
    client = as_user(world.auditor)
    page_query = {"org": "GZS1", "action": "content.account.", "actor": "manager", "date_from": today, "date_to": today}
    page = client.get(reverse("web:audit"), page_query)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(world.auditor)}")
    # (the page lists newest first by default, the API by sequence unless asked)
    api_query = {"org": "GZS1", "action": "content.account.", "actor": world.manager.pk, "from": today, "to": today,
                 "order": "-seq"}
    listed = api.get("/api/v1/audit/entries/", api_query).json()
    assert [e.seq for e in _rows(page)] == [e["seq"] for e in listed["results"]]
    assert listed["count"] == 2
    client.get(reverse("web:audit_export"), {**page_query, "format": "csv"})
    api.get("/api/v1/audit/export/", {**api_query, "format": "csv"})
    page_export, api_export = AuditEntry.objects.filter(action="audit.export").order_by("seq")
    page_filters = dict(page_export.data["filters"])
    assert page_filters.pop("actor_username") == "manager"  # the page's form names the user
    assert page_filters == api_export.data["filters"]
    # and the mapping itself: a date is a whole local day
    search = entry_filters(date_from=_date(today), date_to=_date(today))
    assert (search.filters["date_to"] - search.filters["date_from"]).days == 1


def _date(text):
    import datetime as dt

    return dt.date.fromisoformat(text)
