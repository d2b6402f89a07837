"""The website patrol's report page (网站巡查报告) and its forms, through the
Django test client against a real run of the loopback fixture site."""
import datetime as dt

import pytest
from django.urls import reverse

from content import services as content_services
from operations import services, states
from operations.models import SiteFinding, SitePatrolRun, SitePatrolSchedule
from tests import factories
from tests.operations.fixture_site import MOBILE, SLOW_SECONDS, FixtureSite

pytestmark = pytest.mark.django_db


@pytest.fixture
def patrolled(world, settings):
    settings.PATROL_HOST_INTERVAL_MS = 0
    settings.PATROL_SLOW_SECONDS = SLOW_SECONDS / 2
    settings.PATROL_PROBLEM_SEVERITY = "blocker"
    with FixtureSite(dt.date.today()) as site:
        account = factories.account(world.school, name="广州一中网站", platform="website", handle=site.url)
        system = content_services.system_actor()
        for _ in range(2):   # two runs: the trend has two rows
            run = services.site_patrol_request(actor=world.manager, account_id=account.pk, enqueue=False)
            run = services.site_patrol_execute(actor=system, run_id=run.pk)
    return account, run


def test_the_report_page(client, world, patrolled):
    account, run = patrolled
    client.force_login(world.manager)
    page = client.get(reverse("web:site_report", args=[account.pk])).content.decode()
    assert "网站巡查报告" in page and "巡查概况" in page and "历次巡查" in page
    for label in ("链接不可用", "栏目未及时更新", "空白栏目", "内容问题（机审）", "发布日期异常", "访问缓慢"):
        assert label in page
    assert MOBILE in page and page.count('data-testid="trend-row"') == 2
    assert page.count('data-testid="finding-confirm"') == run.findings.filter(status="pending").count()
    # the editor (no inspector) sees the report without the buttons
    client.force_login(world.editor)
    page = client.get(reverse("web:site_report", args=[account.pk])).content.decode()
    assert "网站巡查报告" in page and 'data-testid="finding-confirm"' not in page and 'data-testid="site-run"' not in page


def test_confirm_and_dismiss_from_the_page(client, world, patrolled):
    account, run = patrolled
    client.force_login(world.manager)
    mobile = SiteFinding.objects.get(run=run, text=MOBILE)
    response = client.post(reverse("web:site_finding_confirm", args=[mobile.pk]), {"note": ""})
    assert response.status_code == 302 and f"#finding-{mobile.pk}" in response["Location"]
    mobile.refresh_from_db()
    assert mobile.status == states.FINDING_CONFIRMED
    broken = SiteFinding.objects.filter(run=run, kind="broken_link").first()
    client.post(reverse("web:site_finding_dismiss", args=[broken.pk]), {"note": ""})   # a reason is required
    broken.refresh_from_db()
    assert broken.status == states.FINDING_PENDING
    client.post(reverse("web:site_finding_dismiss", args=[broken.pk]), {"note": "链接已撤下"})
    broken.refresh_from_db()
    assert broken.status == states.FINDING_DISMISSED
    page = client.get(reverse("web:site_report", args=[account.pk]) + f"?run={run.pk}").content.decode()
    assert "已排除" in page and "链接已撤下" in page


def test_run_and_schedule_from_the_pages(client, world, patrolled):
    account, _run = patrolled
    client.force_login(world.manager)
    detail = client.get(reverse("web:account_detail", args=[account.pk])).content.decode()
    assert 'data-testid="account-site-patrol"' in detail and "立即巡查" in detail
    response = client.post(reverse("web:site_run", args=[account.pk]))
    assert response.status_code == 302
    assert SitePatrolRun.objects.filter(account=account, state=states.RUN_QUEUED).count() == 1
    client.post(reverse("web:site_schedule", args=[account.pk]), {"every_days": "7", "active": "1"})
    assert SitePatrolSchedule.objects.get(account=account).every_days == 7
    # a WeChat account has no website box
    detail = client.get(reverse("web:account_detail", args=[world.account.pk])).content.decode()
    assert 'data-testid="account-site-patrol"' not in detail
