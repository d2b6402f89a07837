"""Publication statistics: yearly and monthly counts per account and per unit
subtree, retracted publications apart, the accounts a period includes, scope,
and a constant number of queries."""
import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from content import roles
from content import services as content_services
from content.errors import ValidationFailed
from tests import factories
from tests.stats_helpers import at, bulk_publications, enable, independent_counts, local, publish
from reporting import periods
from reporting import permissions as reporting_permissions
from reporting import selectors as reporting_selectors
from workflow import services

THIS_YEAR = timezone.localdate().year
LAST_YEAR = THIS_YEAR - 1


def _by_account(rows):
    return {r.account.pk: r for r in rows}


@pytest.fixture
def stats_world(world):
    """Two accounts under the city bureau (one at the school, one at the bureau
    itself), one in another city; publications last year through the workflow."""
    world.bureau_account = factories.account(world.city, name="广州教育", platform="weibo", handle="gzjy",
                                             opened_on="2015-03-01", owner_name="王五", owner_mobile="13800000000")
    enable(world, world.bureau_account)
    world.far_account = factories.account(world.other_city, name="深圳教育", platform="douyin", handle="szjy",
                                          opened_on="2019-01-01")
    content_services.account_change(actor=factories.superuser(), account_id=world.account.pk,
                                    changes={"opened_on": "2018-09-01", "owner_name": "张三",
                                             "owner_mobile": "13900000000", "owner_wechat": "zs_wx"})
    world.p1 = publish(world, when=local(LAST_YEAR, 3, 5))
    world.p2 = publish(world, when=local(LAST_YEAR, 3, 20), retract=True)
    world.p3 = publish(world, when=local(LAST_YEAR, 11, 2))
    world.p4 = publish(world, account=world.bureau_account, when=local(LAST_YEAR, 11, 30))
    return world


def test_yearly_counts_leave_retracted_out_and_show_them_apart(stats_world):
    w = stats_world
    period = periods.year_period(LAST_YEAR)
    rows = _by_account(reporting_selectors.form1_rows(org=w.province, period=period))
    assert (rows[w.account.pk].published, rows[w.account.pk].retracted) == (2, 1)
    assert (rows[w.bureau_account.pk].published, rows[w.bureau_account.pk].retracted) == (1, 0)
    assert (rows[w.far_account.pk].published, rows[w.far_account.pk].retracted) == (0, 0)
    expected = independent_counts(LAST_YEAR, path_prefix=w.province.path)
    assert {k: (r.published, r.retracted) for k, r in rows.items() if k in expected} == expected


def test_the_year_is_local_time(stats_world):
    w = stats_world
    # 00:30 on 1 January in Shanghai is still 31 December in UTC: it belongs to the new year.
    publish(w, when=local(THIS_YEAR, 1, 1, hour=0, minute=30))
    publish(w, when=local(LAST_YEAR, 12, 31, hour=23, minute=50))
    last = _by_account(reporting_selectors.form1_rows(org=w.city, period=periods.year_period(LAST_YEAR)))
    this = _by_account(reporting_selectors.form1_rows(org=w.city, period=periods.year_period(THIS_YEAR)))
    assert last[w.account.pk].published == 3
    assert this[w.account.pk].published == 1


def test_monthly_counts_and_unit_rollup(stats_world):
    w = stats_world
    stats = reporting_selectors.publication_statistics(org=w.province, period=periods.year_period(LAST_YEAR))
    assert [m.key for m in stats.months] == [f"{LAST_YEAR}-{m:02d}" for m in range(1, 13)]
    row = _by_account(stats.rows)[w.account.pk]
    assert row.monthly[2] == 1 and row.monthly_retracted[2] == 1 and row.monthly[10] == 1
    assert sum(row.monthly) == row.published == 2
    assert stats.monthly[10] == 2  # November: the school's and the bureau's
    assert (stats.published, stats.retracted) == (3, 1)
    units = {u.org.code: u for u in stats.units}
    # the province has no account of its own: its rows are the two cities, each rolling up its subtree
    assert set(units) == {"GZ", "SZ"}
    assert (units["GZ"].accounts, units["GZ"].published, units["GZ"].retracted) == (2, 3, 1)
    assert (units["SZ"].accounts, units["SZ"].published) == (1, 0)
    city = reporting_selectors.publication_statistics(org=w.city, period=periods.year_period(LAST_YEAR))
    units = {(u.org.code, u.own): u for u in city.units}
    assert units[("GZ", True)].published == 1 and units[("GZS1", False)].published == 2


def test_date_range_counts_both_days(stats_world):
    w = stats_world
    period = periods.range_period(dt.date(LAST_YEAR, 3, 5), dt.date(LAST_YEAR, 3, 20))
    rows = _by_account(reporting_selectors.form1_rows(org=w.city, period=period))
    assert (rows[w.account.pk].published, rows[w.account.pk].retracted) == (1, 1)
    stats = reporting_selectors.publication_statistics(org=w.city, period=period)
    assert [m.key for m in stats.months] == [f"{LAST_YEAR}-03"]


def test_subtree_scope(stats_world):
    w = stats_world
    rows = reporting_selectors.form1_rows(org=w.school, period=periods.year_period(LAST_YEAR))
    assert [r.account.pk for r in rows] == [w.account.pk]
    assert {r.account.pk for r in reporting_selectors.form1_rows(org=w.other_city, period=periods.year_period(LAST_YEAR))} \
        == {w.far_account.pk}


def test_a_year_without_publications(stats_world):
    w = stats_world
    rows = reporting_selectors.form1_rows(org=w.province, period=periods.year_period(THIS_YEAR))
    assert rows and all((r.published, r.retracted) == (0, 0) for r in rows)
    table = reporting_selectors.form2_table(rows)
    assert table["opened"]["total"] == len(rows)


def test_which_accounts_a_year_includes(stats_world):
    w = stats_world
    # closed during last year: included (its publications counted) and marked
    with at(local(LAST_YEAR, 12, 1)):
        content_services.account_close(actor=factories.superuser(), account_id=w.bureau_account.pk, reason="整合")
    # opened this year: not in last year's forms
    late = factories.account(w.city, name="新开账号", platform="toutiao", handle="new", opened_on=f"{THIS_YEAR}-02-01")
    # closed before last year began: not in last year's forms
    with at(local(LAST_YEAR - 1, 6, 1)):
        old = factories.account(w.city, name="旧账号", platform="website", handle="https://old.example.org")
        content_services.account_close(actor=factories.superuser(), account_id=old.pk, reason="停用")
    rows = _by_account(reporting_selectors.form1_rows(org=w.city, period=periods.year_period(LAST_YEAR)))
    assert set(rows) == {w.account.pk, w.bureau_account.pk}
    assert rows[w.bureau_account.pk].closed_in_period and rows[w.bureau_account.pk].published == 1
    assert not rows[w.account.pk].closed_in_period
    this = _by_account(reporting_selectors.form1_rows(org=w.city, period=periods.year_period(THIS_YEAR)))
    assert set(this) == {w.account.pk, late.pk}  # the bureau account was closed before this year


def test_form2_counts_by_platform_column(stats_world):
    w = stats_world
    content_services.account_change(actor=factories.superuser(), account_id=w.account.pk, changes={
        "inspection_finding": "not_updated", "rectified": "yes", "has_interaction": True,
        "is_official_personal": True})
    factories.account(w.city, name="百家号", platform="baijiahao", handle="bjh", outsourced=True)
    factories.account(w.city, name="客户端", platform="app", handle="app1")
    services.policy_create(actor=w.admin, name="市局策略", org_id=w.city.pk, tiers=[{"name": "审核"}])
    rows = reporting_selectors.form1_rows(org=w.province, period=periods.year_period(THIS_YEAR))
    table = reporting_selectors.form2_table(rows)
    assert table["opened"] == {"website": 0, "weibo": 1, "wechat": 1, "toutiao": 0, "douyin": 1, "app": 1,
                               "other": 1, "total": 5}
    assert table["official_personal"]["wechat"] == 1 and table["official_personal"]["total"] == 1
    assert table["problem_found"]["total"] == 1 and table["rectified"]["total"] == 1
    assert table["interaction"]["total"] == 1
    assert table["outsourced"] == {**dict.fromkeys(reporting_selectors.FORM2_COLUMNS, 0), "other": 1, "total": 1}
    # the city bureau's policy covers its four accounts; Shenzhen has none
    assert table["review_policy"]["total"] == 4 and table["review_policy"]["douyin"] == 0


def test_personal_columns_only_for_who_may_see_them(stats_world):
    w = stats_world
    period = periods.year_period(LAST_YEAR)
    for viewer, visible in ((w.manager, True), (w.auditor, True), (w.admin, True), (w.editor, False),
                            (w.outsider, False)):
        rows = _by_account(reporting_selectors.form1_rows(org=w.city, period=period, viewer=viewer))
        assert rows[w.bureau_account.pk].show_personal is (visible and viewer is not w.manager), viewer
        assert rows[w.account.pk].show_personal is visible, viewer


def test_who_may_view_statistics(world):
    assert reporting_permissions.can_view_statistics(world.manager, world.school)
    assert not reporting_permissions.can_view_statistics(world.manager, world.city)   # above his unit
    assert reporting_permissions.can_view_statistics(world.auditor, world.city)
    assert reporting_permissions.can_view_statistics(world.admin, world.other_city)
    assert reporting_permissions.can_view_statistics(factories.superuser(), world.province)
    for user in (world.editor, world.reviewers[0], world.publisher):
        assert not reporting_permissions.can_view_statistics(user, world.school)
    assert not reporting_permissions.can_view_statistics(world.outsider, world.city)


@pytest.mark.parametrize("year", [1999, THIS_YEAR + 1, "abcd", None])
def test_impossible_years_are_refused(year):
    with pytest.raises(ValidationFailed) as caught:
        periods.year_period(year)
    assert caught.value.code == "invalid_year" and "year" in caught.value.fields


def test_date_ranges_are_checked():
    with pytest.raises(ValidationFailed) as caught:
        periods.range_period(dt.date(LAST_YEAR, 5, 1), dt.date(LAST_YEAR, 4, 1))
    assert "to" in caught.value.fields
    with pytest.raises(ValidationFailed):
        periods.range_period(dt.date(1999, 12, 31), dt.date(2001, 1, 1))
    with pytest.raises(ValidationFailed):
        periods.range_period(dt.date(2010, 1, 1), dt.date(2016, 1, 1))  # more than five years


def _queries(fn):
    with CaptureQueriesContext(connection) as ctx:
        result = fn()
    return len(ctx.captured_queries), result


def test_queries_are_constant(stats_world):
    w = stats_world
    period = periods.year_period(LAST_YEAR)
    viewer = w.auditor
    viewer.org  # noqa: B018  (the viewer's unit is loaded once by the login)

    def run():
        stats = reporting_selectors.publication_statistics(org=w.province, period=period, viewer=viewer)
        rows = reporting_selectors.form1_rows(org=w.province, period=period, viewer=viewer)
        for r in rows:
            (r.account.org.name, r.account.has_review_policy, r.show_personal)
        return stats, rows

    small, _result = _queries(run)
    for i in range(8):
        account = factories.account(w.school if i % 2 else w.other_city, name=f"批量{i}", platform="weibo",
                                    handle=f"bulk{i}", opened_on="2020-01-01")
        bulk_publications(w.p1, account=account, moments=[local(LAST_YEAR, m, 10) for m in range(1, 13)])
    large, (stats, rows) = _queries(run)
    assert large == small
    assert len(rows) == 11 and stats.published == 3 + 8 * 12


def test_dormant_levels(world, settings):
    settings.DORMANT_WARN_DAYS, settings.DORMANT_ESCALATE_DAYS, settings.DORMANT_FAIL_DAYS = 7, 10, 14
    today = timezone.localdate()
    fresh = factories.account(world.school, name="活跃", platform="weibo", handle="a1")
    enable(world, fresh)
    publish(world, account=fresh, when=local(today.year, today.month, today.day, 0, 1) - dt.timedelta(days=2))
    eight = factories.account(world.school, name="八天", platform="douyin", handle="a2")
    enable(world, eight)
    publish(world, account=eight, when=timezone_days_ago(8))
    publish(world, account=eight, when=timezone_days_ago(1), retract=True)   # a retraction does not count
    never = factories.account(world.school, name="从未发布", platform="toutiao", handle="a3",
                              opened_on=(today - dt.timedelta(days=11)).isoformat())
    closed = factories.account(world.school, name="已注销", platform="app", handle="a4",
                               opened_on="2020-01-01")
    content_services.account_close(actor=factories.superuser(), account_id=closed.pk, reason="停用")
    with at(timezone_days_ago(20)):
        registered = factories.account(world.city, name="登记已久", platform="website", handle="https://w.example.org")
    report = reporting_selectors.dormant_accounts(org=world.city)
    levels = {i.account.pk: (i.level, i.days, i.since) for i in report.items}
    assert fresh.pk not in levels and closed.pk not in levels
    assert levels[eight.pk] == ("warn", 8, "publication")
    assert levels[never.pk] == ("escalate", 11, "opened")
    assert levels[registered.pk] == ("fail", 20, "registered")
    # world.account: registered today, never published
    assert world.account.pk not in levels
    assert report.counts == {"warn": 1, "escalate": 1, "fail": 1}
    assert [i.account.pk for i in report.items] == [registered.pk, never.pk, eight.pk]
    settings.DORMANT_FAIL_DAYS = 8
    assert {i.account.pk: i.level for i in reporting_selectors.dormant_accounts(org=world.city).items}[eight.pk] == "fail"
    # the school's subtree only
    assert {i.account.pk for i in reporting_selectors.dormant_accounts(org=world.school).items} == {eight.pk, never.pk}


def test_an_account_whose_publications_were_all_retracted_is_not_called_never_published(world, settings):
    settings.DORMANT_WARN_DAYS, settings.DORMANT_ESCALATE_DAYS, settings.DORMANT_FAIL_DAYS = 7, 10, 14
    today = timezone.localdate()
    retracted = factories.account(world.school, name="全部撤稿", platform="weibo", handle="r1",
                                  opened_on=(today - dt.timedelta(days=30)).isoformat())
    enable(world, retracted)
    publish(world, account=retracted, when=timezone_days_ago(3), retract=True)
    never = factories.account(world.school, name="从未发布", platform="toutiao", handle="r2",
                              opened_on=(today - dt.timedelta(days=30)).isoformat())
    report = reporting_selectors.dormant_accounts(org=world.school)
    items = {i.account.pk: i for i in report.items}
    # the days still count from the opening: a retracted publication is no publication
    assert (items[retracted.pk].since, items[retracted.pk].days) == ("opened", 30)
    assert items[retracted.pk].retracted_only is True
    assert items[retracted.pk].since_label == "开通时间（发布均已撤稿）"
    assert items[never.pk].retracted_only is False and items[never.pk].since_label == "开通时间（从未发布）"
    rows = {a["id"]: a for a in report.as_dict()["accounts"]}
    assert rows[retracted.pk]["retracted_only"] is True and rows[never.pk]["retracted_only"] is False


def timezone_days_ago(days):
    from django.utils import timezone

    return timezone.now() - dt.timedelta(days=days)


def test_dormant_query_count_is_constant(world):
    def run():
        report = reporting_selectors.dormant_accounts(org=world.province)
        for item in report.items:
            (item.account.org.name, item.level)
        return report

    small, _r = _queries(run)
    for i in range(6):
        with at(timezone_days_ago(30)):
            factories.account(world.school, name=f"沉睡{i}", platform="weibo", handle=f"z{i}")
    large, report = _queries(run)
    assert large == small == 1 and report.total == 6


def test_dormant_on_the_home_page_only_for_managers(world):
    assert reporting_selectors.dormant_for_user(world.manager) is not None
    assert reporting_selectors.dormant_for_user(world.admin) is not None
    assert reporting_selectors.dormant_for_user(world.editor) is None
    assert reporting_selectors.dormant_for_user(world.auditor) is None
    outsider_view = reporting_selectors.dormant_for_user(world.outsider)
    assert outsider_view is not None and outsider_view.org == world.other_city
    assert roles.ACCOUNT_MANAGER in world.outsider.roles
