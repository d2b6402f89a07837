"""The website patrol's report in a real browser at phone width (375 px): the
demo's 广州一中 gets a website (the loopback fixture site of the tests), a
patrol runs through ``manage.py patrol_site``, and the account manager reads
the report, confirms one finding and dismisses another with a reason."""
import datetime as dt
import json

from playwright.sync_api import expect

from tests.browser.helpers import PHONE, no_horizontal_overflow
from tests.operations.fixture_site import MOBILE, FixtureSite

SETUP = """
from content import selectors, services
from content.models import User
school = selectors.org_by_code("GZ01")
admin = User.objects.filter(is_superuser=True).order_by("pk").first()
account = services.account_open(actor=admin, org=school, name="广州一中网站", handle={url!r}, platform="website")
print(account.pk)
"""

PATROL = """
from django.conf import settings
from django.core.management import call_command
settings.PATROL_HOST_INTERVAL_MS = 0
settings.PATROL_SLOW_SECONDS = 0.3
call_command("patrol_site", "--account", "{pk}", "--json")
"""


def test_the_report_at_phone_width_with_confirm_and_dismiss(open_as, app_server):
    with FixtureSite(dt.date.today()) as site:
        pk = app_server.shell(SETUP.format(url=site.url)).strip().splitlines()[-1]
        out = app_server.shell(PATROL.format(pk=pk))
    payload = json.loads(out[out.index("{"):])
    assert payload["pages"] == 12

    page = open_as("manager", viewport=PHONE).page(f"/operations/sites/{pk}/")
    expect(page.get_by_role("heading", name="网站巡查报告 · 广州一中网站")).to_be_visible()
    expect(page.get_by_test_id("run-pages")).to_have_text("12")
    expect(page.get_by_test_id("site-group").filter(has_text="空白栏目")).to_contain_text("活动专栏")
    expect(page.get_by_test_id("trend-row")).to_have_count(1)
    assert no_horizontal_overflow(page), page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    pending = int(page.get_by_test_id("run-pending").inner_text())

    mobile = page.get_by_test_id("site-finding").filter(has_text=MOBILE)
    expect(mobile.get_by_test_id("finding-status")).to_have_text("待人工核实")
    mobile.get_by_role("button", name="确认属实").click()
    mobile = page.get_by_test_id("site-finding").filter(has_text=MOBILE)
    expect(mobile.get_by_test_id("finding-status")).to_have_text("已核实")
    expect(page.get_by_test_id("run-pending")).to_have_text(str(pending - 1))

    blank = page.get_by_test_id("site-finding").filter(has_text="活动专栏")
    blank.get_by_placeholder("排除理由（必填）").fill("栏目已下线")
    blank.get_by_role("button", name="排除").click()
    blank = page.get_by_test_id("site-finding").filter(has_text="活动专栏")
    expect(blank.get_by_test_id("finding-status")).to_have_text("已排除")
    expect(blank).to_contain_text("栏目已下线")
    expect(page.get_by_test_id("run-pending")).to_have_text(str(pending - 2))
    assert no_horizontal_overflow(page), page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")

    # the account's own page leads to the report
    page.goto(f"/registry/{pk}/")
    expect(page.get_by_test_id("account-site-patrol").get_by_role("link", name="查看网站巡查报告")).to_be_visible()
