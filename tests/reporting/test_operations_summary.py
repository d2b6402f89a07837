"""The operations summary (日常运维汇总): counts from the records only, for a
unit subtree and period, as a page with a chart and as an audited .xlsx."""
import datetime as dt
import io

import openpyxl
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEntry
from content import services as content_services
from content.errors import NotAllowed
from operations import services as ops_services
from reporting import periods, selectors, services
from tests.factories import account
from tests.operations.helpers import patrol, problem

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
YEAR = periods.year_period(TODAY.year)


def records(world):
    patrol(world)
    found = patrol(world, kinds=["inaccurate", "slow_response"], notes="问题")
    first, second = found.problems.order_by("pk")
    ops_services.problem_rectify(actor=world.editor, problem_id=first.pk, note="已改")
    ops_services.problem_confirm(actor=world.manager, problem_id=first.pk)
    ops_services.problem_dismiss(actor=world.manager, problem_id=second.pk, reason="不适用")
    problem(world, kind="review_weak", deadline=TODAY)
    ops_services.duty_assign(actor=world.manager, org_id=world.school.pk, day=TODAY, person_id=world.editor.pk)
    ops_services.counterfeit_report(actor=world.manager, org_id=world.school.pk, platform="抖音", name="假冒",
                                    found_on=TODAY, outcome="still_active")
    ops_services.operations_reminders_send(actor=content_services.system_actor(), today=TODAY)


def test_the_counts(world):
    records(world)
    s = selectors.operations_summary(org=world.city, period=YEAR)
    assert (s.counts.patrols, s.counts.patrols_with_problems) == (2, 1)
    assert (s.problems_found, s.problems_rectified, s.counts.problems_dismissed) == (2, 1, 1)
    kinds = {label: (found, rectified) for label, found, rectified in s.kinds}
    assert kinds["信息发布不准确"] == (1, 1) and kinds["审核机制不健全"] == (1, 0) and kinds["互动回应不及时"] == (0, 0)
    assert s.counts.duty_days == 1 and s.counts.duty_gap_days == (YEAR.last_day - YEAR.first_day).days
    assert dict(s.counterfeits)["仍在运行"] == 1 and s.counterfeits_total == 1
    assert dict(s.reminders)["问题整改"] == 1 and s.reminders_total >= 1
    other = selectors.operations_summary(org=world.other_city, period=YEAR)
    assert (other.counts.patrols, other.problems_found, other.reminders_total, other.counterfeits_total) == (0, 0, 0, 0)


def test_the_xlsx_is_audited(world):
    records(world)
    export = services.operations_summary_export(actor=world.admin, org=world.city, period=YEAR)
    assert export.name.endswith("广州市教育局新媒体日常运维汇总.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    rows = {r[0]: r[1:] for r in sheet.iter_rows(values_only=True) if r[0]}
    assert rows["发现问题（个）"][0] == 2 and rows["已整改并确认（个）"][0] == 1
    assert rows["　信息发布不准确（发现/已整改）"] == (1, 1)
    entry = AuditEntry.objects.get(action="reporting.operations.exported")
    assert entry.data["sha256"] == export.sha256 and entry.data["problems_found"] == 2
    with pytest.raises(NotAllowed):
        services.operations_summary_export(actor=world.editor, org=world.city, period=YEAR)


def test_the_page_and_its_queries(world):
    client = Client()
    client.force_login(world.admin)
    records(world)

    def count():
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/operations/summary/", {"org": "GZ"})
        assert response.status_code == 200
        return len(captured), response.content.decode()

    small, page = count()
    assert 'data-testid="summary-chart"' in page and "发现问题" in page
    for i in range(8):
        target = account(world.school, name=f"s{i}", handle=f"sum-{i}")
        ops_services.problem_open(actor=world.manager, account_id=target.pk, kind="other", description="x")
        ops_services.patrol_record(actor=world.manager, account_id=target.pk, period_from=TODAY, period_to=TODAY,
                                   checks=["content"])
        ops_services.duty_assign(actor=world.manager, org_id=world.school.pk, day=TODAY + dt.timedelta(days=i + 1),
                                 person_id=world.editor.pk)
    assert count()[0] == small
    response = client.get("/operations/summary/", {"org": "GZ", "format": "xlsx"})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")
    editor = Client()
    editor.force_login(world.editor)
    assert editor.get("/operations/summary/").status_code == 403
