"""The timeliness figures as a file beside the notice's forms (form "t" of
reporting.services.statistics_export, /stats/download/?form=t, GET
/api/v1/stats/forms/?form=t): the workbook is opened with openpyxl (and xlrd
for .xls) and each number compared with a count made by hand from the
publications the test makes."""
import datetime as dt
import io

import openpyxl
import pytest
import xlrd
from rest_framework.test import APIClient

from audit.models import AuditEntry
from content import services as content_services
from content.errors import NotAllowed, ValidationFailed
from reporting import services as reporting_services
from reporting.periods import Period
from tests import factories
from tests.stats_helpers import local, publish

D = dt.date
YEAR = 2025  # a past year: the period ends before today
MARCH = Period(D(YEAR, 3, 1), D(YEAR, 3, 31))
HEADS = ["序号", "账号名称", "所属单位", "平台", "期间发布数", "距最近一次发布（天）", "两次发布最长间隔（天）",
         "未按规定更新的天数", "平均每周发布数"]


@pytest.fixture
def timely_world(world, settings):
    settings.DORMANT_FAIL_DAYS = 14
    su = factories.superuser()
    content_services.account_change(actor=su, account_id=world.account.pk, changes={"opened_on": "2018-09-01"})
    world.silent = factories.account(world.school, name="沉默号", platform="weibo", handle="silent",
                                     opened_on="2020-01-01")
    publish(world, when=local(YEAR, 2, 25))                  # before the period: where the silence is counted from
    publish(world, when=local(YEAR, 3, 1))
    publish(world, when=local(YEAR, 3, 20, 9))
    publish(world, when=local(YEAR, 3, 20, 15))               # a second one on the same day
    publish(world, when=local(YEAR, 3, 25), retract=True)    # retracted: not counted
    return world


def _rows(ws):
    return [[("" if v is None else v) for v in row] for row in ws.iter_rows(values_only=True)]


def _by_name(rows):
    top = rows.index(HEADS) + 1
    return {r[1]: r for r in rows[top:] if r[1] in ("广州一中", "沉默号")}


# By hand, for March: the school's account published on 1 and 20 March (three times), last before on 25 February.
#   days since the last: 31 − 20 = 11; gaps 25 Feb → 1 Mar = 4, 1 → 20 Mar = 19, 20 → 31 Mar = 11: longest 19;
#   silent for 14 days or more: 15–19 March = 5 days; per week 3 × 7 / 31 = 0.68.
# The silent account, opened 1 January 2020, never published: 1917 days on 31 March 2025, every day of March out.
SILENT_DAYS = (D(YEAR, 3, 31) - D(2020, 1, 1)).days
EXPECTED = {"广州一中": [3, 11, 19, 5, 0.68], "沉默号": [0, SILENT_DAYS, SILENT_DAYS, 31, 0]}


def test_the_xlsx_holds_the_figures(timely_world):
    w = timely_world
    before = AuditEntry.objects.count()
    export = reporting_services.statistics_export(actor=w.auditor, org=w.city, period=MARCH, form="t",
                                                  today=D(2026, 12, 3))
    assert export.name == "20261203广州市教育局新媒体发布及时性.xlsx"
    assert export.ascii_name == "20261203-GZ-timeliness.xlsx"
    assert export.content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = openpyxl.load_workbook(io.BytesIO(export.content))
    assert book.sheetnames == ["发布及时性"]
    ws = book["发布及时性"]
    rows = _rows(ws)
    assert rows[0][0] == "新媒体（网站）发布及时性统计表"
    assert "填报单位：广州市教育局" in rows[1] and f"统计期间：{YEAR}年3月1日至{YEAR}年3月31日" in rows[1]
    figures = _by_name(rows)
    assert figures["广州一中"][2:4] == ["广州第一中学", "微信公众号"] and figures["沉默号"][3] == "微博"
    assert {name: row[4:9] for name, row in figures.items()} == EXPECTED
    assert all(isinstance(v, (int, float)) for row in figures.values() for v in row[4:9])
    top = rows.index(HEADS) + 1
    assert ws.cell(row=top + 1, column=9).number_format == "0.00"
    assert any("连续未发布已达 14 天" in str(r[0]) for r in rows[top + 2:])
    entry = AuditEntry.objects.order_by("-seq").first()
    assert AuditEntry.objects.count() == before + 1 and entry.action == "workflow.stats.exported"
    assert entry.data["form"] == "t" and entry.data["format"] == "xlsx" and entry.data["rows"] == 2
    assert entry.data["published"] == 3 and entry.data["out_of_compliance"] == 36
    assert entry.data["file"] == export.name and entry.data["sha256"] == export.sha256


def test_the_same_figures_as_xls(timely_world):
    w = timely_world
    export = reporting_services.statistics_export(actor=w.manager, org=w.school, period=MARCH, form="t",
                                                  file_format="xls", today=D(2026, 12, 3))
    assert export.name.endswith("广州一中新媒体发布及时性.xls")
    sheet = xlrd.open_workbook(file_contents=export.content).sheet_by_name("发布及时性")
    rows = [sheet.row_values(r) for r in range(sheet.nrows)]
    assert {name: row[4:9] for name, row in _by_name(rows).items()} == EXPECTED


def test_a_period_running_past_today_stops_today(timely_world):
    """Up to today, whichever is earlier: in March asked on 25 March the figures stop on the 25th."""
    w = timely_world
    export = reporting_services.statistics_export(actor=w.auditor, org=w.school, period=MARCH, form="t",
                                                  today=D(YEAR, 3, 25))
    rows = _rows(openpyxl.load_workbook(io.BytesIO(export.content))["发布及时性"])
    assert f"统计期间：{YEAR}年3月1日至{YEAR}年3月25日" in rows[1]
    # the retracted one of the 25th is not counted: 5 days since the 20th; out 15–19 March; 3 × 7 / 25 days
    assert _by_name(rows)["广州一中"][4:9] == [3, 5, 19, 5, 0.84]


def test_refusals(timely_world):
    w = timely_world
    with pytest.raises(NotAllowed):
        reporting_services.statistics_export(actor=w.outsider, org=w.school, period=MARCH, form="t")
    with pytest.raises(ValidationFailed) as caught:
        reporting_services.statistics_export(actor=w.auditor, org=w.school, period=MARCH, form="t", file_format="zip")
    assert "format" in caught.value.fields
    with pytest.raises(ValidationFailed) as caught:
        reporting_services.statistics_export(actor=w.auditor, org=w.school, period=MARCH, form="x")
    assert "form" in caught.value.fields


def test_the_api_and_the_page(timely_world, client):
    w = timely_world
    api = APIClient()
    api.force_authenticate(w.auditor)
    response = api.get("/api/v1/stats/forms/", {"org": "GZ", "from": f"{YEAR}-03-01", "to": f"{YEAR}-03-31",
                                                "form": "t"})
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    rows = _rows(openpyxl.load_workbook(io.BytesIO(response.content))["发布及时性"])
    assert {name: row[4:9] for name, row in _by_name(rows).items()} == EXPECTED
    assert AuditEntry.objects.order_by("-seq").first().data["channel"] == "api"
    assert api.get("/api/v1/stats/forms/", {"form": "t", "format": "zip"}).status_code == 400

    client.force_login(w.manager)
    page = client.get("/stats/", {"year": YEAR}).content.decode()
    assert 'data-testid="download-timeliness"' in page and "form=t&amp;file_format=xlsx" in page
    download = client.get("/stats/download/", {"org": "GZS1", "date_from": f"{YEAR}-03-01", "date_to": f"{YEAR}-03-31",
                                               "form": "t"})
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    rows = _rows(openpyxl.load_workbook(io.BytesIO(download.content))["发布及时性"])
    assert _by_name(rows)["广州一中"][4:9] == EXPECTED["广州一中"]
