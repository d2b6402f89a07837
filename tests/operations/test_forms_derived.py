"""附件1's 问题排查情况 / 是否整改 and 附件2's problem rows come from the
problem and patrol records of the form's period, so the two forms always
agree with the records and with each other. Each step changes the records,
builds both forms as one workbook (opened with xlrd) and compares."""

import pytest
import xlrd
from django.utils import timezone

from content import services as content_services
from operations import services
from reporting import periods
from reporting import services as reporting_services
from tests import factories
from tests.operations.helpers import patrol
from tests.stats_helpers import at, local

pytestmark = pytest.mark.django_db

YEAR = timezone.localdate().year
PROBLEM_ROW = "排查出有问题的新媒体（网站）数量（个）"
RECTIFIED_ROW = "问题已整改的新媒体（网站）数量（个）"


def forms(world):
    """({account name: (finding, rectified)} from 附件1, (problems, rectified) totals from 附件2)."""
    export = reporting_services.statistics_export(actor=world.admin, org=world.province,
                                                  period=periods.year_period(YEAR), form="12", file_format="xls")
    book = xlrd.open_workbook(file_contents=export.content)
    one = book.sheet_by_name("附件1")
    rows1 = [one.row_values(r) for r in range(4, one.nrows) if isinstance(one.cell_value(r, 0), float)]
    two = book.sheet_by_name("附件2")
    rows2 = {two.cell_value(r, 0): two.row_values(r) for r in range(two.nrows)}
    return ({r[1]: (r[5], r[6]) for r in rows1}, (int(rows2[PROBLEM_ROW][8]), int(rows2[RECTIFIED_ROW][8])))


def agree(form1, form2):
    """附件2's two rows counted independently from 附件1's two columns."""
    with_problems = [v for v in form1.values() if v[0] != "无问题" and not v[0].endswith("（手工填报）")]
    assert form2 == (len(with_problems), sum(1 for v in with_problems if v[1] == "是"))


def test_the_forms_follow_the_problem_records(world):
    second = factories.account(world.school, name="广州一中微博", platform="weibo", handle="gz1z-wb")
    form1, form2 = forms(world)
    assert form1 == {"广州一中": ("无问题", "-"), "广州一中微博": ("无问题", "-")} and form2 == (0, 0)

    patrol(world)  # patrolled, nothing found: derived, still 无问题
    form1, form2 = forms(world)
    assert form1["广州一中"] == ("无问题", "-") and form2 == (0, 0)

    found = patrol(world, kinds=["inaccurate", "slow_response"], notes="转载未注明来源；留言未回复")
    first, second_kind = found.problems.order_by("pk")
    form1, form2 = forms(world)
    assert form1["广州一中"] == ("信息发布不准确、互动回应不及时", "否") and form2 == (1, 0)
    agree(form1, form2)

    services.problem_rectify(actor=world.editor, problem_id=first.pk, note="已补注来源")
    services.problem_confirm(actor=world.manager, problem_id=first.pk)
    form1, form2 = forms(world)
    assert form1["广州一中"] == ("信息发布不准确、互动回应不及时", "否") and form2 == (1, 0)  # one still open

    services.problem_rectify(actor=world.editor, problem_id=second_kind.pk, note="已回复")
    form1, form2 = forms(world)
    assert form1["广州一中"][1] == "否"  # rectified but not yet confirmed
    services.problem_confirm(actor=world.auditor, problem_id=second_kind.pk)
    form1, form2 = forms(world)
    assert form1["广州一中"] == ("信息发布不准确、互动回应不及时", "是") and form2 == (1, 1)
    agree(form1, form2)

    other = services.problem_open(actor=world.manager, account_id=second.pk, kind="identity_mismatch",
                                  description="发布与本校无关的商业信息")
    form1, form2 = forms(world)
    assert form1["广州一中微博"] == ("内容与认证身份不符", "否") and form2 == (2, 1)
    agree(form1, form2)

    services.problem_dismiss(actor=world.manager, problem_id=other.pk, reason="经核实为转发的教育局通知")
    form1, form2 = forms(world)
    assert form1["广州一中微博"] == ("无问题", "-") and form2 == (1, 1)
    agree(form1, form2)


def test_records_override_the_hand_typed_entry_which_is_marked(world):
    content_services.account_change(actor=factories.superuser(), account_id=world.account.pk,
                                    changes={"inspection_finding": "review_weak", "rectified": "no"})
    form1, form2 = forms(world)
    assert form1["广州一中"] == ("审核机制不健全（手工填报）", "否")
    assert form2 == (1, 0)  # attachment 2 counts the hand-typed entry where no record exists
    patrol(world)
    form1, form2 = forms(world)
    assert form1["广州一中"] == ("无问题", "-") and form2 == (0, 0)


def test_only_the_periods_problems_count(world):
    with at(local(YEAR - 1, 6, 1)):
        old = services.problem_open(actor=world.manager, account_id=world.account.pk, kind="irregular",
                                    description="去年的问题", deadline=None)
    assert old.found_at.year == YEAR - 1
    form1, _form2 = forms(world)
    assert form1["广州一中"] == ("无问题", "-")
