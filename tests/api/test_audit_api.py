"""The audit log over the API: filters, subtree scope, verification, and the
export that inspectors take away."""
import csv
import datetime as dt
import io
import json
from urllib.parse import unquote

import pytest
from asgiref.sync import async_to_sync
from django.core.handlers.asgi import ASGIRequest
from rest_framework.test import APIClient

from audit.models import AuditEntry
from audit.services import audit_record
from project.shared import files as export
from tests.api.helpers import URL, assert_error, in_review, new_draft
from tests.factories import superuser


def _results(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_filters(world, api):
    draft = new_draft(world)
    sub = in_review(world)
    auditor = api(world.auditor)
    entries = _results(auditor.get(f"{URL}/audit/entries/", {"target_type": "content.draft", "target_id": draft.pk}))
    assert [e["action"] for e in entries] == ["content.draft.created"]
    prefix = _results(auditor.get(f"{URL}/audit/entries/", {"action": "workflow.submission."}))
    assert [e["target_id"] for e in prefix] == [str(sub.pk)]
    mine = _results(auditor.get(f"{URL}/audit/entries/", {"actor": world.editor.pk, "page_size": 200}))
    assert {e["actor"] for e in mine} == {world.editor.pk} and len(mine) == 3
    by_account = auditor.get(f"{URL}/audit/entries/", {"account": world.account.pk}).json()["count"]
    assert by_account >= 4
    other_city = _results(auditor.get(f"{URL}/audit/entries/", {"org": "SZ"}))
    assert other_city and all(e["org_path"].startswith("/GD/SZ/") for e in other_city)
    last = AuditEntry.objects.order_by("-seq").first()
    since = _results(auditor.get(f"{URL}/audit/entries/", {"from": last.created_at.isoformat()}))
    assert [e["seq"] for e in since] == [last.seq]
    until = auditor.get(f"{URL}/audit/entries/", {"to": last.created_at.isoformat(), "page_size": 200}).json()
    assert last.seq not in [e["seq"] for e in until["results"]]
    today = last.created_at.astimezone().date().isoformat()
    assert auditor.get(f"{URL}/audit/entries/", {"from": today, "to": today}).json()["count"] >= 1


def test_auditors_read_only_their_subtree(world, api):
    in_review(world)
    outsider = api(world.outsider).get(f"{URL}/audit/entries/", {"page_size": 200}).json()["results"]
    assert outsider and all(e["org_path"].startswith("/GD/SZ/") for e in outsider)
    province = api(world.auditor).get(f"{URL}/audit/entries/", {"page_size": 200}).json()
    assert any(e["org_path"].startswith("/GD/GZ/GZS1/") for e in province["results"])
    # Entries without a unit (failed logins for unknown usernames) are for superusers and the auditors of a
    # top-level unit (the province has no parent), never for a city's.
    audit_record(action="auth.login_failed", actor_label="mallory", outcome="failure")
    for reader, sees in ((world.auditor, True), (superuser(), True), (world.outsider, False)):
        labels = {e["actor_label"] for e in _results(api(reader).get(f"{URL}/audit/entries/", {"action": "auth."}))}
        assert ("mallory" in labels) is sees, reader


def test_the_list_keeps_its_documented_order_and_sorts_on_request(world, api):
    in_review(world)
    auditor = api(world.auditor)
    default = [e["seq"] for e in _results(auditor.get(f"{URL}/audit/entries/", {"page_size": 200}))]
    assert default == sorted(default) and len(default) > 3  # oldest first, as documented
    newest = [e["seq"] for e in _results(auditor.get(f"{URL}/audit/entries/", {"page_size": 200, "order": "-seq"}))]
    assert newest == sorted(default, reverse=True)
    assert [e["seq"] for e in _results(auditor.get(f"{URL}/audit/entries/", {"order": "-seq", "page_size": 1}))] == [
        max(default)]
    assert_error(auditor.get(f"{URL}/audit/entries/", {"order": "created_at"}), 400, "invalid")
    # the field names of an entry are unchanged
    [entry] = _results(auditor.get(f"{URL}/audit/entries/", {"order": "-seq", "page_size": 1}))
    assert set(entry) == {"seq", "created_at", "actor", "actor_label", "source_ip", "correlation_id", "action",
                          "action_label", "target_type", "target_id", "org_path", "account_id", "draft_id",
                          "outcome", "outcome_label", "data", "prev_hash", "hash"}


def test_the_export_is_in_chain_order_and_its_times_read_as_local_date_times(world, api):
    in_review(world)
    rows = _csv_rows(api(world.auditor).get(f"{URL}/audit/export/", {"order": "-seq"}))  # order: list only
    assert rows[0][1] == "时间（北京时间 UTC+08:00）"
    seqs = [int(row[0]) for row in rows[1:]]
    assert seqs == sorted(seqs)
    last = AuditEntry.objects.get(seq=seqs[-1])
    assert rows[-1][1] == last.created_at.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d %H:%M:%S")
    lines = b"".join(api(world.auditor).get(f"{URL}/audit/export/", {"format": "jsonl"}).streaming_content)
    first = json.loads(lines.decode().splitlines()[0])
    assert dt.datetime.fromisoformat(first["created_at"]).utcoffset() == dt.timedelta(hours=8)


def test_the_export_is_named_by_its_filter(world, api):
    draft = new_draft(world)
    response = api(world.auditor).get(f"{URL}/audit/export/", {"draft": draft.pk, "target_type": "content.draft",
                                                              "target_id": draft.pk, "from": "2026-11-01",
                                                              "to": "2026-11-30", "format": "jsonl"})
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith(f'attachment; filename="audit-GD-draft{draft.pk}-draft{draft.pk}-20261101-20261130'
                                  f'.jsonl"; ')
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == (
        f"省教育厅审计日志_稿件{draft.pk}_稿件{draft.pk}_20261101-20261130.jsonl")
    # a free-text action or target cannot put path or quote characters in the name
    response = api(world.auditor).get(f"{URL}/audit/export/", {"action": 'x/../"y', "target_type": "a\\b"})
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    ascii_name = disposition.split('filename="', 1)[1].split('"', 1)[0]
    name = unquote(disposition.split("filename*=UTF-8''")[1])
    assert not set('/\\"') & set(ascii_name + name) and ascii_name.isascii()


def test_verify_reports_and_is_recorded(world, api):
    result = api(world.auditor).get(f"{URL}/audit/verify/").json()
    assert result["ok"] is True and result["reason"] == "" and len(result["head_hash"]) == 64
    entry = AuditEntry.objects.filter(action="audit.verify").latest("seq")
    assert entry.actor_id == world.auditor.pk and entry.data["count"] == result["count"]


def test_verify_names_the_first_broken_entry(world, api):
    from django.db import connection

    victim = AuditEntry.objects.order_by("seq")[3]
    with connection.cursor() as cursor:
        triggers = []
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type='trigger' AND tbl_name='audit_auditentry'")
            triggers = cursor.fetchall()
            for name, _sql in triggers:
                cursor.execute(f"DROP TRIGGER {name}")
            cursor.execute("UPDATE audit_auditentry SET actor_label = 'forged' WHERE seq = %s", [victim.seq])
            for _name, sql in triggers:
                cursor.execute(sql)
        else:
            cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER USER")
            cursor.execute("UPDATE audit_auditentry SET actor_label = 'forged' WHERE seq = %s", [victim.seq])
            cursor.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER USER")
    result = api(world.auditor).get(f"{URL}/audit/verify/").json()
    assert result["ok"] is False and result["first_broken_seq"] == victim.seq and result["reason"]
    assert AuditEntry.objects.filter(action="audit.verify").latest("seq").outcome == "failure"


def _csv_rows(response):
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_export_is_named_by_unit_and_dates(world, api):
    response = api(world.auditor).get(f"{URL}/audit/export/", {"org": "GZ", "from": "2026-01-01",
                                                              "to": "2026-01-31"})
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="audit-GZ-20260101-20260131.csv"; ')
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "广州市教育局审计日志_20260101-20260131.csv"
    assert response["Cache-Control"] == "no-store"
    entry = AuditEntry.objects.filter(action="audit.export").latest("seq")
    assert entry.data["filters"] == {"org": "GZ", "from": "2025-12-31T16:00:00+00:00",
                                     "to": "2026-01-31T16:00:00+00:00"}
    assert entry.org_path == "/GD/GZ/"
    response = api(world.auditor).get(f"{URL}/audit/export/", {"format": "jsonl"})
    assert response["Content-Type"].startswith("application/x-ndjson")
    assert 'filename="audit-GD-until-' in response["Content-Disposition"]
    assert unquote(response["Content-Disposition"].split("''")[1]).startswith("省教育厅审计日志_截至")


def test_export_scope_and_its_own_entry(world, api):
    in_review(world)
    rows = _csv_rows(api(world.outsider).get(f"{URL}/audit/export/"))
    paths = {row[10] for row in rows[1:]}
    assert paths and all(p.startswith("/GD/SZ/") for p in paths)
    rows = _csv_rows(api(world.auditor).get(f"{URL}/audit/export/"))
    seqs = [int(row[0]) for row in rows[1:]]
    # Every entry of the province up to the moment of the export, not the export's own entry.
    export_entry = AuditEntry.objects.filter(action="audit.export").latest("seq")
    expected = list(AuditEntry.objects.filter(org_path__startswith="/GD/", seq__lt=export_entry.seq)
                    .order_by("seq").values_list("seq", flat=True))
    assert seqs == expected and export_entry.seq not in seqs
    assert export_entry.data["rows"] == len(expected) and export_entry.data["filters"] == {}


def test_csv_cells_cannot_become_formulas(world, api):
    APIClient().post(f"{URL}/auth/token/", {"username": "=HYPERLINK(\"http://x\")", "password": "x"},
                     format="json")
    # the lockout records the username as it counts it (case folded)
    rows = _csv_rows(api(superuser()).get(f"{URL}/audit/export/", {"action": "auth.login_failed"}))
    assert rows[1][3] == "'=hyperlink(\"http://x\")"
    lines = b"".join(api(superuser()).get(f"{URL}/audit/export/", {"action": "auth.login_failed",
                                                                   "format": "jsonl"}).streaming_content)
    assert json.loads(lines.decode().splitlines()[0])["actor_label"] == "=hyperlink(\"http://x\")"  # verbatim


def test_export_streams_in_blocks(world, monkeypatch):
    monkeypatch.setattr(export, "BLOCK_ROWS", 3)
    queryset = AuditEntry.objects.order_by("seq")
    total = queryset.count()
    blocks = export.csv_blocks(export.rows_of(queryset))
    assert not isinstance(blocks, list)
    assert next(blocks).startswith("\ufeff序号,")
    first = next(blocks)
    assert first.count("\r\n") == 3
    rest = list(blocks)
    assert sum(b.count("\r\n") for b in rest) == total - 3


def test_export_under_asgi_is_an_async_stream(world):
    """Under daphne the rows are pulled block by block in the request's thread,
    never read whole into memory by Django's sync-to-async fallback."""
    scope = {"type": "http", "method": "GET", "path": "/api/v1/audit/export/", "query_string": b"", "headers": []}
    request = ASGIRequest(scope, io.BytesIO(b""))
    queryset = AuditEntry.objects.order_by("seq")
    response = export.streaming_response(request, queryset, "csv", filename="审计.csv", ascii_filename="a.csv")
    assert response.is_async

    async def read():
        return b"".join([part async for part in response])

    raw = async_to_sync(read)()
    wsgi = b"".join(export.streaming_response(object(), queryset, "csv", filename="审计.csv",
                                              ascii_filename="a.csv").streaming_content)
    assert raw == wsgi and raw.count(b"\r\n") == queryset.count() + 1


def test_only_auditors_export(world, api):
    before = AuditEntry.objects.filter(action="audit.export").count()
    assert_error(api(world.admin).get(f"{URL}/audit/export/"), 403, "permission_denied")
    assert AuditEntry.objects.filter(action="audit.export").count() == before


@pytest.mark.parametrize("query", ["from=2026-01-01T00:00:00%2B08:00", "to=2026-01-01T00:00:00Z", "from=2026-01-01"])
def test_dates_in_any_iso_form(world, api, query):
    assert api(world.auditor).get(f"{URL}/audit/entries/?{query}").status_code == 200
