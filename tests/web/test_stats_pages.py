"""The statistics pages: the table and SVG chart, downloads (audited), the
filings list with 附件3 as a print page, the dormant watch, the home-page
warning, permission refusals, Chinese messages on invalid input, and a
constant number of queries."""
import datetime as dt
import io
import zipfile

import pytest
import xlrd
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from content import services as content_services
from content.models import AccountFiling
from project.web.stats.views import dormant_for_home
from tests import factories
from tests.stats_helpers import at, bulk_publications, local, publish

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
LAST_YEAR = TODAY.year - 1



@pytest.fixture
def page_world(world):
    content_services.account_change(actor=factories.superuser(), account_id=world.account.pk,
                                    changes={"opened_on": "2018-09-01", "responsible_department": "党政办公室"})
    world.p1 = publish(world, when=local(LAST_YEAR, 4, 3))
    publish(world, when=local(LAST_YEAR, 4, 9), retract=True)
    publish(world, when=local(LAST_YEAR, 10, 9))
    return world


def _as(client, user):
    client.force_login(user)
    return client


def test_stats_page_table_and_chart(client, page_world):
    w = page_world
    response = _as(client, w.auditor).get(reverse("web:stats"), {"org": "GZ", "year": LAST_YEAR})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="total-published">2<' in html and 'data-testid="total-retracted">1<' in html
    assert "<svg" in html and 'role="img"' in html and "4月：发布 1 条，已撤稿 1 条" in html
    stats = response.context["stats"]
    assert [r.account.pk for r in stats.rows] == [w.account.pk]
    assert stats.rows[0].monthly[3] == 1 and stats.rows[0].monthly_retracted[3] == 1
    assert "广州第一中学" in html  # the school's row in the units table
    assert f"form=12&amp;file_format=zip" in html


def test_default_is_my_unit_this_year(client, page_world):
    response = _as(client, page_world.manager).get(reverse("web:stats"))
    assert response.status_code == 200
    assert response.context["stats"].org == page_world.school
    assert response.context["stats"].period.year == TODAY.year


def test_the_year_box_shows_the_year_the_heading_names(client, page_world):
    client = _as(client, page_world.manager)
    for name in ("web:stats", "web:stats_filings"):
        response = client.get(reverse(name))
        html = response.content.decode()
        assert response.context["form"]["year"].value() == str(TODAY.year), name
        assert f'name="year" value="{TODAY.year}"' in html, name
    response = client.get(reverse("web:stats"))
    assert f"（{page_world.school.name}，{TODAY.year}年）" in response.content.decode()
    # a date range leaves the year box empty
    response = client.get(reverse("web:stats"), {"date_from": f"{TODAY.year}-01-01", "date_to": TODAY.isoformat()})
    assert response.status_code == 200 and response.context["form"]["year"].value() in (None, "")


@pytest.mark.parametrize("params, field, message", [
    ({"year": "1999"}, "year", "年份须在 2000 年至"),
    ({"year": str(TODAY.year + 1)}, "year", "年份须在 2000 年至"),
    ({"year": "abc"}, "year", "请填写四位数字的年份"),
    ({"date_from": "2025-05-01", "date_to": "2025-04-01"}, "date_to", "结束日期不能早于开始日期"),
    ({"date_from": "2025-05-01"}, "date_to", "请填写结束日期"),
    ({"org": "SZ"}, "org", "请选择您管辖范围内的单位"),
])
def test_invalid_input_is_a_400_with_the_message_by_the_field(client, page_world, params, field, message):
    response = _as(client, page_world.manager).get(reverse("web:stats"), params)
    assert response.status_code == 400
    form = response.context["form"]
    assert any(message in e for e in form.errors[field])
    assert message in response.content.decode()


def test_refusals(client, page_world):
    w = page_world
    for user in (w.editor, w.publisher, w.reviewers[0]):
        _as(client, user)
        for name in ("web:stats", "web:dormant", "web:stats_filings"):
            response = client.get(reverse(name))
            assert response.status_code == 403, (user, name)
            assert "没有权限查看该单位的统计报表" in response.content.decode()
        assert client.get(reverse("web:stats_forms_download"), {"year": LAST_YEAR}).status_code == 403
    filing = AccountFiling.objects.filter(account=w.account).first()
    for user in (w.editor, w.outsider):
        response = _as(client, user).get(reverse("web:filing_form3", args=[filing.pk]))
        assert response.status_code == 403 and "没有权限查看该备案记录" in response.content.decode()
    assert not AuditEntry.objects.filter(action__startswith="workflow.stats.").exists()


def test_downloads_are_audited(client, page_world):
    w = page_world
    _as(client, w.admin)
    response = client.get(reverse("web:stats_forms_download"),
                          {"org": "GZ", "year": LAST_YEAR, "form": "12", "file_format": "zip"})
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        first = archive.namelist()[0]
        sheet = xlrd.open_workbook(file_contents=archive.read(first)).sheet_by_name("附件1")
    assert sheet.cell_value(4, 10) == 2
    response = client.get(reverse("web:stats_forms_download"),
                          {"org": "GZ", "year": LAST_YEAR, "form": "4", "file_format": "xlsx"})
    assert response.status_code == 200
    entries = AuditEntry.objects.filter(action="workflow.stats.exported").order_by("seq")
    assert [(e.data["form"], e.data["format"], e.data["channel"]) for e in entries] == [
        ("12", "zip", "web"), ("4", "xlsx", "web")]
    bad = client.get(reverse("web:stats_forms_download"), {"year": LAST_YEAR, "form": "4", "file_format": "zip"})
    assert bad.status_code == 400 and "zip 压缩包只用于附件1和附件2" in bad.content.decode()


def test_filings_and_form3_print_page(client, page_world):
    w = page_world
    with at(local(LAST_YEAR, 6, 1)):
        content_services.account_change(actor=factories.superuser(), account_id=w.account.pk,
                                        changes={"leader_name": "李校长", "leader_phone": "020-88886666"})
    _as(client, w.manager)
    listing = client.get(reverse("web:stats_filings"), {"year": LAST_YEAR})
    assert listing.status_code == 200
    [row] = listing.context["rows"]
    filing = row.filing
    page = client.get(reverse("web:filing_form3", args=[filing.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    for text in ("附件3", "新媒体（网站）备案登记表", "填报部门（盖章）：广州第一中学", "账号/网站/APP 名称", "账号 ID/网址",
                 "开通平台/网站 ICP", "粉丝量（关注数）", "责任部门", "党政办公室", "☑变更", "□开设", "相关人员",
                 "主管领导", "李校长（变更）", "020-88886666", "工 作 人 员", "主管部门意见：", "主管单位（盖章）",
                 "注：备案类型包括开设、变更、注销，变更项需在相应栏内标记；不涉及的栏目可空白。填报部门、主管部门留存。"):
        assert text in html, text
    assert "stats.css" in html
    download = client.get(reverse("web:filing_form3", args=[filing.pk]), {"format": "xls"})
    assert download.status_code == 200
    assert xlrd.open_workbook(file_contents=download.content).sheet_names() == ["附件3"]
    entries = AuditEntry.objects.filter(action="workflow.stats.filing_exported").order_by("seq")
    assert [e.data["format"] for e in entries] == ["html", "xls"]
    assert client.get(reverse("web:filing_form3", args=[filing.pk]), {"format": "pdf"}).status_code == 400


def test_dormant_page_and_home_warning(client, world):
    with at(timezone.now() - dt.timedelta(days=12)):
        sleepy = factories.account(world.school, name="沉睡号", platform="weibo", handle="sleepy")
    response = _as(client, world.manager).get(reverse("web:dormant"))
    assert response.status_code == 200
    assert [i.account.pk for i in response.context["report"].items] == [sleepy.pk]
    assert "督办" in response.content.decode()
    report = dormant_for_home(world.manager)
    html = render_to_string("web/stats/_dormant_warning.html", {"dormant": report})
    assert "僵尸号提醒" in html and "沉睡号" in html and "12 天未发布" in html
    assert dormant_for_home(world.editor) is None
    assert render_to_string("web/stats/_dormant_warning.html", {"dormant": None}).strip() == ""
    home = client.get("/").content.decode()
    assert "沉睡号" in home


def _queries(client, name, params):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse(name), params)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


def test_query_counts_are_constant(client, page_world):
    w = page_world
    _as(client, w.auditor)
    small_stats, _r = _queries(client, "web:stats", {"year": LAST_YEAR})
    small_dormant, _r = _queries(client, "web:dormant", {})
    for i in range(6):
        with at(timezone.now() - dt.timedelta(days=30)):
            account = factories.account(w.school if i % 2 else w.other_city, name=f"账号{i}", platform="weibo",
                                        handle=f"q{i}", opened_on="2020-01-01")
        bulk_publications(w.p1, account=account, moments=[local(LAST_YEAR, m, 5) for m in range(1, 13)])
    large_stats, response = _queries(client, "web:stats", {"year": LAST_YEAR})
    large_dormant, dormant = _queries(client, "web:dormant", {})
    assert large_stats == small_stats and large_dormant == small_dormant
    assert response.context["stats"].published == 2 + 72
    assert len(dormant.context["report"].items) >= 6


@pytest.mark.parametrize("highest, top", [(0, 4), (3, 4), (5, 8), (17, 20), (41, 80), (1234, 2000)])
def test_the_chart_gridlines_are_whole_numbers(highest, top):
    from project.web.stats.views import monthly_chart
    from reporting.periods import year_period

    months = year_period(2026).months()
    chart = monthly_chart(months, [highest] + [0] * 11, [0] * 12)
    assert [t["label"] for t in chart["ticks"]] == [0, top // 4, top // 2, 3 * top // 4, top]
