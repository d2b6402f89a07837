"""The daily-operations pages: each role gets what operations.permissions
allows (the same answer as the API's matrix rows), the forms write through
the services, lists cost constant queries, and the home page names today's
person on duty."""
import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from operations import permissions, services, states
from reporting import permissions as reporting_permissions
from operations.models import CounterfeitReport, DutyAssignment, Patrol, Problem
from tests.api.test_permission_matrix import ROLES, add_role_cases, user_for
from tests.factories import account

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def client_for(world, role):
    add_role_cases(world)
    client = Client()
    user = user_for(world, role)
    if user is not None:
        client.force_login(user)
    return client, user


def open_problem(world, **extra):
    return services.problem_open(actor=world.manager, account_id=world.account.pk, kind="inaccurate",
                                 description="转载未注明来源", responsible_id=world.editor.pk, **extra)


@pytest.mark.parametrize("role", ROLES)
def test_pages_answer_what_the_rules_allow(world, role):
    problem = open_problem(world)
    duty = services.duty_assign(actor=world.manager, org_id=world.school.pk, day=TODAY - dt.timedelta(days=1),
                                person_id=world.editor.pk)
    patrol = services.patrol_record(actor=world.manager, account_id=world.account.pk, period_from=TODAY,
                                    period_to=TODAY, checks=["content"])
    report = services.counterfeit_report(actor=world.manager, org_id=world.school.pk, platform="抖音", name="假冒",
                                         found_on=TODAY)
    client, user = client_for(world, role)
    pages = ["/operations/", "/operations/duty/", "/operations/patrols/", "/operations/problems/",
             "/operations/counterfeits/", "/operations/duplicates/", f"/operations/problems/{problem.pk}/", f"/operations/duty/{duty.pk}/",
             f"/operations/patrols/{patrol.pk}/", f"/operations/counterfeits/{report.pk}/"]
    for url in pages:
        response = client.get(url + ("?org=GZS1" if url.endswith("s/") or url.endswith("duty/") else ""))
        if user is None:
            assert response.status_code == 302 and "/login/" in response["Location"], url
            continue
        visible = permissions.can_view_operations(user, world.school)  # every record here is the school's
        assert response.status_code == (200 if visible else 403), (role, url, response.status_code)
    if user is None:
        return
    summary = client.get("/operations/summary/?org=GZS1").status_code
    assert summary == (200 if reporting_permissions.can_view_statistics(user, world.school) else 403), role
    inspector = permissions.can_inspect(user, world.school)
    home_unit = user.org if user.org_id else world.province  # a superuser without a unit: the top unit
    for url in ("/operations/patrols/new/", "/operations/problems/new/"):
        status = client.get(url).status_code
        assert status == (200 if permissions.can_inspect(user, home_unit) else 403), (role, url, status)
    # each problem button is there exactly when the rule allows it, and the POST agrees
    page = client.get(f"/operations/problems/{problem.pk}/").content.decode()
    allowed = permissions.allowed_problem_actions(user, problem) if permissions.can_view_operations(
        user, world.school) else []
    for action in ("rectify", "dismiss"):
        assert (f'data-testid="problem-{action}"' in page) == (action in allowed), (role, action)
    response = client.post(f"/operations/problems/{problem.pk}/dismiss/", {"reason": "不适用"})
    problem.refresh_from_db()
    assert (problem.state == states.NOT_APPLICABLE) == ("dismiss" in allowed), role
    if "dismiss" not in allowed and not permissions.can_view_operations(user, world.school):
        assert response.status_code == 403
    assert inspector == (role in ("manager", "auditor", "system_admin", "superuser"))


def test_the_story_through_the_pages(world):
    manager, editor, auditor = Client(), Client(), Client()
    manager.force_login(world.manager)
    editor.force_login(world.editor)
    auditor.force_login(world.auditor)
    response = manager.post("/operations/patrols/new/", {
        "account": world.account.pk, "period_from": (TODAY - dt.timedelta(days=7)).isoformat(),
        "period_to": TODAY.isoformat(), "checks": ["content", "interaction"], "problem_kinds": ["slow_response"],
        "notes": "留言三天未回复", "links": "https://example.org/shot.png", "responsible": world.editor.pk,
        "deadline": (TODAY + dt.timedelta(days=3)).isoformat()})
    assert response.status_code == 302
    patrol = Patrol.objects.get()
    [problem] = Problem.objects.all()
    assert problem.patrol == patrol and problem.links == ["https://example.org/shot.png"]
    assert editor.post(f"/operations/problems/{problem.pk}/rectify/", {"note": "已回复全部留言"}).status_code == 302
    # the editor is no inspector: refused (403) as the API refuses him, nothing changes
    assert editor.post(f"/operations/problems/{problem.pk}/confirm/").status_code == 403
    auditor.post(f"/operations/problems/{problem.pk}/confirm/")
    problem.refresh_from_db()
    assert problem.state == states.RECTIFIED and problem.confirmed_by == world.auditor


def test_patrol_form_shows_the_periods_publications(world):
    client = Client()
    client.force_login(world.manager)
    response = client.get("/operations/patrols/new/", {"account": world.account.pk})
    assert response.status_code == 200 and "期内没有发布" in response.content.decode()
    response = client.post("/operations/patrols/new/", {"account": world.account.pk, "period_from": "x",
                                                        "period_to": TODAY.isoformat(), "checks": []})
    assert response.status_code == 400 and "日期格式应为" in response.content.decode()


def test_duty_calendar_assign_swap_and_log(world):
    manager, editor = Client(), Client()
    manager.force_login(world.manager)
    editor.force_login(world.editor)
    for day, person in ((TODAY, world.editor), (TODAY + dt.timedelta(days=1), world.editor2)):
        response = manager.post("/operations/duty/assign/", {"org": "GZS1", "day": day.isoformat(), "shift": "day",
                                                             "person": person.pk})
        assert response.status_code == 302
    page = manager.get("/operations/duty/", {"org": "GZS1", "month": TODAY.strftime("%Y-%m")}).content.decode()
    assert "编辑甲" in page and "空缺" in page
    home = editor.get("/").content.decode()
    assert 'data-testid="home-duty"' in home and "编辑甲" in home
    # yesterday's shift has begun whatever the hour of the test (today's begins at 08:00)
    a = services.duty_assign(actor=world.manager, org_id=world.school.pk, day=TODAY - dt.timedelta(days=1),
                             person_id=world.editor.pk)
    response = editor.post(f"/operations/duty/{a.pk}/", {"events": "巡查各账号，无异常", "items_checked": "",
                                                         "opinion_signs": "", "handover": "", "sign": "1"})
    assert response.status_code == 302
    a.refresh_from_db()
    assert a.log.is_signed and a.log.signed_by == world.editor  # the person on duty signed
    assert manager.post(f"/operations/duty/{a.pk}/", {"events": "x"}).status_code == 403
    b = DutyAssignment.objects.get(day=TODAY + dt.timedelta(days=1))
    c = services.duty_assign(actor=world.manager, org_id=world.school.pk, day=TODAY + dt.timedelta(days=2),
                             person_id=world.editor.pk)
    response = editor.post("/operations/duty/swap/", {"first": c.pk, "second": b.pk, "note": "调休"})
    assert response.status_code == 302
    b.refresh_from_db()
    assert b.person == world.editor and b.rostered_person == world.editor2


def test_counterfeit_report_and_printable_page(world):
    client = Client()
    client.force_login(world.manager)
    response = client.post("/operations/counterfeits/?org=GZS1", {
        "org": "GZS1", "platform": "抖音", "name": "广州一中官方", "link": "https://www.douyin.com/user/fake",
        "evidence": "头像仿冒", "found_on": TODAY.isoformat()})
    assert response.status_code == 302
    report = CounterfeitReport.objects.get()
    response = client.post(f"/operations/counterfeits/{report.pk}/", {
        "reported_cac_on": TODAY.isoformat(), "cac_reference": "WX-1", "outcome": "closed_by_platform"})
    assert response.status_code == 302
    page = client.get(f"/operations/counterfeits/{report.pk}/").content.decode()
    assert "假冒新媒体账号情况报告" in page and "受理编号 WX-1" in page and "平台已关停" in page


def _queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("url", ["/operations/problems/?org=GZS1", "/operations/patrols/?org=GZS1",
                                 "/operations/counterfeits/?org=GZS1", "/operations/?org=GZS1",
                                 "/operations/duty/?org=GZS1"])
def test_pages_cost_the_same_for_2_and_12_rows(world, url):
    client = Client()
    client.force_login(world.admin)

    def add(n, start):
        for i in range(n):
            target = account(world.school, name=f"qc{start + i}", handle=f"qcp-{start + i}")
            services.problem_open(actor=world.manager, account_id=target.pk, kind="other", description="x",
                                  responsible_id=world.editor.pk)
            services.patrol_record(actor=world.manager, account_id=target.pk, period_from=TODAY, period_to=TODAY,
                                   checks=["content"])
            services.duty_assign(actor=world.manager, org_id=world.school.pk, day=TODAY.replace(day=1)
                                 + dt.timedelta(days=start + i), person_id=world.editor.pk)
            services.counterfeit_report(actor=world.manager, org_id=world.school.pk, platform="抖音",
                                        name=f"假冒{start + i}", found_on=TODAY)

    add(2, 0)
    small = _queries(client, url)
    add(10, 2)
    assert _queries(client, url) == small


def test_a_duplicate_candidate_is_confirmed_as_a_problem(world):
    official = account(world.school, name="广州一中官方", platform="wechat", handle="gz1z-gf")
    account(world.school, name="广州一中官方号", platform="douyin", handle="dy-x")  # another platform: no pair
    client = Client()
    client.force_login(world.manager)
    page = client.get("/operations/duplicates/?org=GZS1").content.decode()
    assert page.count('data-testid="duplicate-row"') == 1 and 'data-testid="duplicate-confirm"' in page
    response = client.post("/operations/duplicates/?org=GZS1", {"org": "GZS1", "keep": world.account.pk,
                                                                "account": official.pk})
    assert response.status_code == 302
    problem = Problem.objects.get()
    assert (problem.kind, problem.account) == ("duplicate", official) and "一事一端" in problem.description
    assert "已登记问题" in client.get("/operations/duplicates/?org=GZS1").content.decode()
    outsider = Client()
    outsider.force_login(world.outsider)
    assert outsider.post("/operations/duplicates/", {"keep": world.account.pk, "account": official.pk}).status_code \
        in (302, 403)
    assert Problem.objects.count() == 1


def test_a_patrol_plan_from_the_page(world):
    client = Client()
    client.force_login(world.manager)
    response = client.post("/operations/patrols/?org=GZS1", {"org": "GZS1", "account": world.account.pk,
                                                             "every_days": 1, "inspector": world.auditor.pk})
    assert response.status_code == 302
    page = client.get("/operations/patrols/?org=GZS1").content.decode()
    assert "每 1 天" in page and "巡查人 审计员" in page
    response = client.post("/operations/patrols/?org=GZS1", {"org": "GZS1", "every_days": 1,
                                                             "inspector": world.editor.pk})
    assert response.status_code == 400 and "巡查人须是" in response.content.decode()
    editor = Client()
    editor.force_login(world.editor)
    assert editor.post("/operations/patrols/?org=GZS1", {"org": "GZS1", "every_days": 1}).status_code == 403
