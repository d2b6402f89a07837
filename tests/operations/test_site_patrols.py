"""Website patrols as recorded runs: requested, executed (the task, the
command), findings stored, problems opened (技术检测, 待人工核实), confirmed or
dismissed by a person — a dismissed finding is not reported again — and
every step audited. The site is the loopback fixture."""
import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command

from audit.models import AuditEntry
from content.errors import Conflict, NotAllowed, ValidationFailed
from content import services as content_services
from operations import selectors, services, states
from operations.models import Problem, SiteFinding, SitePatrolRun
from project import periodic
from tests import factories
from tests.operations.fixture_site import MOBILE, SLOW_SECONDS, FixtureSite
from tests.tasks_support import run_tasks

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_patrols(settings):
    settings.PATROL_HOST_INTERVAL_MS = 0
    settings.PATROL_TIMEOUT_SECONDS = 3
    settings.PATROL_SLOW_SECONDS = SLOW_SECONDS / 2
    settings.PATROL_PROBLEM_SEVERITY = "blocker"


@pytest.fixture
def site():
    with FixtureSite(dt.date.today()) as s:
        yield s


@pytest.fixture
def website(world, site):
    return factories.account(world.school, name="广州一中网站", platform="website", handle=site.url)


def _actions(target_type=None):
    qs = AuditEntry.objects.order_by("seq")
    if target_type:
        qs = qs.filter(target_type=target_type)
    return list(qs.values_list("action", flat=True))


def test_a_run_on_demand_through_the_task(world, website, site):
    run = services.site_patrol_request(actor=world.manager, account_id=website.pk)
    assert run.state == states.RUN_QUEUED and run.url == site.url
    with pytest.raises(Conflict):
        services.site_patrol_request(actor=world.manager, account_id=website.pk)
    run_tasks()
    run.refresh_from_db()
    assert run.state == states.RUN_DONE and run.pages == 12 and run.lexicon_version
    assert run.counts["broken_link"] == 4 and run.counts["stale_column"] == 1 and run.counts["blank_column"] == 1
    findings = SiteFinding.objects.filter(run=run)
    assert findings.count() == sum(run.counts.values())
    assert all(f.status == states.FINDING_PENDING for f in findings)
    # blocker findings open problems: the mobile number, the future date
    problems = Problem.objects.filter(account=website, source=states.SOURCE_TECHNICAL)
    assert sorted(p.kind for p in problems) == ["inaccurate", "inaccurate"]
    assert all("待人工核实" in p.description for p in problems)
    assert findings.filter(problem__isnull=False).count() == 2
    actions = _actions()
    assert "operations.site_patrol.requested" in actions and "operations.site_patrol.finished" in actions
    assert actions.count("operations.problem.opened") == 2


def test_refusals(world, website):
    with pytest.raises(NotAllowed):
        services.site_patrol_request(actor=world.editor, account_id=website.pk)
    with pytest.raises(NotAllowed):
        services.site_patrol_request(actor=world.outsider, account_id=website.pk)
    with pytest.raises(ValidationFailed):
        services.site_patrol_request(actor=world.manager, account_id=world.account.pk)  # a wechat account
    with pytest.raises(ValidationFailed):
        services.site_patrol_request(actor=world.manager, account_id=website.pk, url="javascript:alert(1)")
    assert not SitePatrolRun.objects.exists()


def test_confirm_and_dismiss_and_a_dismissed_finding_is_not_reported_again(world, website):
    system = content_services.system_actor()
    run = services.site_patrol_request(actor=world.manager, account_id=website.pk, enqueue=False)
    run = services.site_patrol_execute(actor=system, run_id=run.pk)
    mobile = SiteFinding.objects.get(run=run, text=MOBILE)
    broken = SiteFinding.objects.filter(run=run, kind="broken_link").first()
    with pytest.raises(NotAllowed):
        services.site_finding_confirm(actor=world.editor, finding_id=mobile.pk)
    with pytest.raises(ValidationFailed):
        services.site_finding_dismiss(actor=world.manager, finding_id=broken.pk, note="")
    services.site_finding_confirm(actor=world.manager, finding_id=mobile.pk, note="确为个人手机号")
    with pytest.raises(Conflict):
        services.site_finding_dismiss(actor=world.manager, finding_id=mobile.pk, note="改主意")
    future = SiteFinding.objects.get(run=run, kind="date_conflict", severity="blocker")
    services.site_finding_dismiss(actor=world.manager, finding_id=future.pk, note="预告页面，日期无误")
    services.site_finding_dismiss(actor=world.manager, finding_id=broken.pk, note="链接已撤下")
    future.refresh_from_db()
    assert future.status == states.FINDING_DISMISSED and future.problem.state == states.NOT_APPLICABLE
    mobile.refresh_from_db()
    assert mobile.status == states.FINDING_CONFIRMED and mobile.problem.state == states.OPEN
    assert {"operations.site_finding.confirmed", "operations.site_finding.dismissed",
            "operations.problem.dismissed"} <= set(_actions())

    # the next run: the two dismissed findings are left out; the confirmed one's problem is not opened twice
    second = services.site_patrol_request(actor=world.manager, account_id=website.pk, enqueue=False)
    second = services.site_patrol_execute(actor=system, run_id=second.pk)
    assert second.suppressed == 2
    texts = set(SiteFinding.objects.filter(run=second).values_list("url", "text"))
    assert (future.url, future.text) not in texts and (broken.url, broken.text) not in texts
    again = SiteFinding.objects.get(run=second, text=MOBILE)
    assert again.problem_id == mobile.problem_id and again.status == states.FINDING_PENDING
    assert Problem.objects.filter(account=website, source=states.SOURCE_TECHNICAL).count() == 2


def test_the_command_records_a_run_and_leaves_out_dismissed_findings(world, website):
    out = StringIO()
    call_command("patrol_site", "--account", str(website.pk), "--json", stdout=out)
    first = json.loads(out.getvalue())
    run = SitePatrolRun.objects.get()
    assert run.trigger == "command" and run.state == states.RUN_DONE
    assert len(first["findings"]) == SiteFinding.objects.filter(run=run).count()
    slow = SiteFinding.objects.get(run=run, kind="slow")
    services.site_finding_dismiss(actor=world.manager, finding_id=slow.pk, note="服务器维护期间")
    out = StringIO()
    call_command("patrol_site", "--account", str(website.pk), "--json", stdout=out)
    second = json.loads(out.getvalue())
    assert [f for f in second["findings"] if f["kind"] == "slow"] == []
    assert len(second["findings"]) == len(first["findings"]) - 1


def test_a_failed_run_is_recorded(world, website):
    def broken_crawler(url, **kwargs):
        raise RuntimeError("parser exploded")
    run = services.site_patrol_request(actor=world.manager, account_id=website.pk, enqueue=False)
    run = services.site_patrol_execute(actor=content_services.system_actor(), run_id=run.pk, crawl=broken_crawler)
    assert run.state == states.RUN_FAILED and "parser exploded" in run.error
    assert "operations.site_patrol.failed" in _actions()
    # not stuck: a new one may be asked for
    services.site_patrol_request(actor=world.manager, account_id=website.pk, enqueue=False)


def test_schedules_and_the_daily_job(world, website):
    with pytest.raises(ValidationFailed):
        services.site_patrol_schedule_set(actor=world.manager, account_id=website.pk, every_days=0)
    with pytest.raises(NotAllowed):
        services.site_patrol_schedule_set(actor=world.editor, account_id=website.pk, every_days=7)
    services.site_patrol_schedule_set(actor=world.manager, account_id=website.pk, every_days=7)
    assert [s.account_id for s in selectors.site_patrol_schedules_due()] == [website.pk]
    job = next(j for j in periodic.JOBS if j.name == "site_patrols")
    periodic.enqueue_due(jobs=[job])
    run_tasks()   # the daily job asks for the run, whose task then runs
    run_tasks()
    run = SitePatrolRun.objects.get()
    assert run.trigger == "schedule" and run.state == states.RUN_DONE
    assert selectors.site_patrol_schedules_due() == []   # patrolled today: due again in a week
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=7)
    assert [s.account_id for s in selectors.site_patrol_schedules_due(now=later)] == [website.pk]
    assert "operations.site_patrol.scheduled" in _actions()
