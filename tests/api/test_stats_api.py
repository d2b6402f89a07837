"""/api/v1/stats/: publication statistics, form downloads, the dormant watch."""
import datetime as dt
import io
import zipfile
from urllib.parse import quote

import openpyxl
import pytest
import xlrd
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEntry
from content import services as content_services
from tests import factories
from tests.api.helpers import URL, assert_error
from tests.stats_helpers import at, bulk_publications, local, publish

TODAY = timezone.localdate()
LAST_YEAR = TODAY.year - 1


@pytest.fixture
def api_world(world):
    content_services.account_change(actor=factories.superuser(), account_id=world.account.pk,
                                    changes={"opened_on": "2018-09-01"})
    world.p1 = publish(world, when=local(LAST_YEAR, 1, 15))
    publish(world, when=local(LAST_YEAR, 1, 20), retract=True)
    publish(world, when=local(LAST_YEAR, 7, 1))
    world.far = factories.account(world.other_city, name="深圳教育", platform="douyin", handle="sz",
                                  opened_on="2019-01-01")
    return world


def test_publications_per_account_with_retracted_apart(api, api_world):
    w = api_world
    response = api(w.auditor).get(f"{URL}/stats/publications/", {"year": LAST_YEAR, "org": "GZ"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["org"]["code"] == "GZ"
    assert body["period"] == {"year": LAST_YEAR, "from": f"{LAST_YEAR}-01-01", "to": f"{LAST_YEAR}-12-31",
                              "data_until": f"{LAST_YEAR}-12-31", "time_zone": "Asia/Shanghai"}
    assert body["months"][0] == f"{LAST_YEAR}-01" and len(body["months"]) == 12
    assert body["totals"]["published"] == 2 and body["totals"]["retracted"] == 1
    assert body["totals"]["monthly"][0] == 1 and body["totals"]["monthly_retracted"][0] == 1
    [account] = body["accounts"]
    assert (account["id"], account["published"], account["retracted"]) == (w.account.pk, 2, 1)
    assert account["monthly"][6] == 1 and account["platform_label"] == "微信公众号"
    assert [(u["code"], u["own"], u["published"]) for u in body["units"]] == [("GZS1", False, 2)]


def test_date_range(api, api_world):
    response = api(api_world.auditor).get(f"{URL}/stats/publications/",
                                          {"from": f"{LAST_YEAR}-01-16", "to": f"{LAST_YEAR}-07-01"})
    body = response.json()
    assert response.status_code == 200 and body["period"]["year"] is None
    assert body["totals"]["published"] == 1 and body["totals"]["retracted"] == 1
    assert body["months"] == [f"{LAST_YEAR}-{m:02d}" for m in range(1, 8)]


def test_default_is_my_unit_and_this_year(api, api_world):
    body = api(api_world.manager).get(f"{URL}/stats/publications/").json()
    assert body["org"]["code"] == "GZS1" and body["period"]["year"] == TODAY.year


@pytest.mark.parametrize("params, field", [
    ({"year": "1999"}, "year"), ({"year": str(TODAY.year + 1)}, "year"), ({"year": "20x6"}, "year"),
    ({"from": "2020-13-01", "to": "2020-12-01"}, "from"), ({"from": "2020-02-01"}, "to"),
    ({"year": "2020", "from": "2020-01-01", "to": "2020-02-01"}, "year"),
    ({"org": "NOPE"}, "org"),
])
def test_invalid_queries(api, api_world, params, field):
    body = assert_error(api(api_world.auditor).get(f"{URL}/stats/publications/", params), 400)
    assert field in body["fields"]


def test_refusals(api, api_world):
    w = api_world
    for user, org in ((w.editor, "GZS1"), (w.publisher, "GZS1"), (w.reviewers[0], "GZ"), (w.manager, "GZ"),
                      (w.outsider, "GZ")):
        for path in ("publications", "forms", "dormant"):
            body = assert_error(api(user).get(f"{URL}/stats/{path}/", {"org": org}), 403)
            assert body["detail"] == "没有权限查看该单位的统计报表"
    assert_error(api().get(f"{URL}/stats/publications/"), 401)


def test_query_count_is_constant(api, api_world):
    w = api_world
    client = api(w.auditor)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(f"{URL}/stats/publications/", {"year": LAST_YEAR, "org": "GD"})
        assert response.status_code == 200
        return len(ctx.captured_queries), response.json()

    small, _body = count()
    for i in range(6):
        account = factories.account(w.school, name=f"账号{i}", platform="weibo", handle=f"w{i}",
                                    opened_on="2020-01-01")
        bulk_publications(w.p1, account=account, moments=[local(LAST_YEAR, m, 3) for m in range(1, 13)])
    large, body = count()
    assert large == small
    assert len(body["accounts"]) == 8 and body["totals"]["published"] == 2 + 72


@pytest.mark.parametrize("form, fmt, sheets", [("12", "xls", ["附件1", "附件2"]), ("1", "xlsx", ["附件1"]),
                                               ("2", "xls", ["附件2"]), ("4", "xlsx", ["附件4"])])
def test_form_downloads(api, api_world, form, fmt, sheets):
    w = api_world
    before = AuditEntry.objects.count()
    response = api(w.auditor).get(f"{URL}/stats/forms/", {"year": LAST_YEAR, "org": "GZ", "form": form,
                                                          "format": fmt})
    assert response.status_code == 200, response.content
    day = f"{TODAY:%Y%m%d}"
    name = {"12": f"{day}广州市教育局新媒体统计.{fmt}", "1": f"{day}广州市教育局新媒体统计-附件1.{fmt}",
            "2": f"{day}广州市教育局新媒体统计-附件2.{fmt}",
            "4": f"{day}广州市教育局新媒体备案汇总表-{LAST_YEAR}年.{fmt}"}[form]
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="') and f"filename*=UTF-8''{quote(name, safe='')}" in disposition
    assert disposition.split('"')[1].isascii()
    if fmt == "xls":
        assert response["Content-Type"] == "application/vnd.ms-excel"
        book = xlrd.open_workbook(file_contents=response.content)
        assert book.sheet_names() == sheets
    else:
        book = openpyxl.load_workbook(io.BytesIO(response.content))
        assert book.sheetnames == sheets
    if form in ("12", "1"):
        value = (book.sheet_by_name("附件1").cell_value(4, 10) if fmt == "xls"
                 else book["附件1"].cell(row=5, column=11).value)
        assert value == 2
    entry = AuditEntry.objects.order_by("-seq").first()
    assert AuditEntry.objects.count() == before + 1
    assert entry.action == "workflow.stats.exported" and entry.data["channel"] == "api"
    assert entry.data["file"] == name and entry.actor_id == w.auditor.pk


def test_zip(api, api_world):
    response = api(api_world.admin).get(f"{URL}/stats/forms/", {"year": LAST_YEAR, "org": "GD", "format": "zip"})
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert [n.rsplit("-", 1)[1] for n in archive.namelist()] == ["附件1.xls", "附件2.xls"]


def test_form_download_errors(api, api_world):
    client = api(api_world.auditor)
    assert "form" in assert_error(client.get(f"{URL}/stats/forms/", {"form": "3"}), 400)["fields"]
    assert "format" in assert_error(client.get(f"{URL}/stats/forms/", {"form": "4", "format": "zip"}), 400)["fields"]
    assert "format" in assert_error(client.get(f"{URL}/stats/forms/", {"format": "pdf"}), 400)["fields"]


def test_dormant(api, api_world):
    w = api_world
    with at(timezone.now() - dt.timedelta(days=9)):
        sleepy = factories.account(w.school, name="沉睡号", platform="weibo", handle="sleepy")
    body = api(w.manager).get(f"{URL}/stats/dormant/").json()
    assert body["org"] == "GZS1" and body["thresholds"] == {"warn": 7, "escalate": 10, "fail": 14}
    levels = {a["id"]: (a["level"], a["since"]) for a in body["accounts"]}
    assert levels[sleepy.pk] == ("warn", "registered")
    # world.account last published (not retracted) on 1 July last year
    assert levels[w.account.pk] == ("fail", "publication")
    assert body["counts"] == {"warn": 1, "escalate": 0, "fail": 1}
