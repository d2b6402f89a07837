"""Patrol records, plans, overdue patrols, and the publications a patrol checks."""
import datetime as dt

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from content.errors import NotAllowed, ValidationFailed
from operations import selectors, services, states
from operations.models import Problem
from tests.factories import account
from tests.operations.helpers import TODAY, patrol
from tests.stats_helpers import publish

pytestmark = pytest.mark.django_db


def test_a_patrol_without_problems(world):
    p = patrol(world)
    assert p.result_label == "无问题" and p.checks == ["content", "interaction", "profile"]
    assert not Problem.objects.exists()
    entry = AuditEntry.objects.get(action="operations.patrol.recorded")
    assert entry.account_id == world.account.pk and entry.data["problems"] == []


def test_each_problem_kind_found_opens_a_problem(world):
    p = patrol(world, kinds=["inaccurate", "slow_response"], notes="留言三天未回复；转载未注明来源")
    assert p.result_label == "信息发布不准确、互动回应不及时"
    problems = list(Problem.objects.order_by("pk"))
    assert [(q.kind, q.source, q.patrol_id, q.responsible_id) for q in problems] == [
        ("inaccurate", states.SOURCE_PATROL, p.pk, world.editor.pk),
        ("slow_response", states.SOURCE_PATROL, p.pk, world.editor.pk)]
    assert AuditEntry.objects.filter(action="operations.problem.opened").count() == 2


def test_patrol_validation_and_scope(world):
    base = {"actor": world.manager, "account_id": world.account.pk, "period_from": TODAY, "period_to": TODAY,
            "checks": ["content"]}
    for change, field in (({"checks": []}, "checks"), ({"checks": ["nope"]}, "checks"),
                          ({"period_from": TODAY + dt.timedelta(days=1)}, "period_to"),
                          ({"problem_kinds": ["inaccurate"]}, "notes"), ({"problem_kinds": ["x"]}, "problem_kinds"),
                          ({"links": "ftp://x"}, "links"),
                          ({"patrolled_at": timezone.now() + dt.timedelta(days=1)}, "patrolled_at")):
        with pytest.raises(ValidationFailed) as exc:
            services.patrol_record(**{**base, **change})
        assert field in exc.value.fields, change
    for actor in (world.editor, world.outsider):
        with pytest.raises(NotAllowed):
            services.patrol_record(**{**base, "actor": actor})
    assert services.patrol_record(**{**base, "actor": world.auditor}).inspector == world.auditor


def test_a_patrol_shows_the_periods_publications_with_their_review_trails(world):
    publication = publish(world)
    publish(world, when=timezone.now() - dt.timedelta(days=30))
    rows = list(selectors.patrol_publications(account=world.account, date_from=TODAY - dt.timedelta(days=7),
                                              date_to=TODAY))
    assert [r.pk for r in rows] == [publication.pk]
    assert rows[0].submission_id is not None


def test_overdue_patrols_per_plan(world):
    plan = services.patrol_plan_create(actor=world.manager, org_id=world.school.pk, every_days=7,
                                       inspector_id=world.manager.pk)
    assert AuditEntry.objects.filter(action="operations.patrol_plan.created").count() == 1
    assert selectors.patrols_overdue(today=TODAY) == []
    [late] = selectors.patrols_overdue(today=TODAY + dt.timedelta(days=8))
    assert late.account == world.account and late.plan == plan and late.days_overdue == 1
    patrol(world)
    assert selectors.patrols_overdue(today=TODAY + dt.timedelta(days=7)) == []
    assert len(selectors.patrols_overdue(today=TODAY + dt.timedelta(days=8))) == 1
    # scoped: another city's inspector sees none of them
    assert selectors.patrols_overdue(user=world.outsider, today=TODAY + dt.timedelta(days=30)) == []
    assert len(selectors.patrols_overdue(user=world.admin, today=TODAY + dt.timedelta(days=30))) == 1


def test_plan_validation(world):
    with pytest.raises(ValidationFailed):
        services.patrol_plan_create(actor=world.manager, every_days=7)
    with pytest.raises(ValidationFailed):
        services.patrol_plan_create(actor=world.manager, account_id=world.account.pk, every_days=0)
    with pytest.raises(ValidationFailed):
        services.patrol_plan_create(actor=world.manager, account_id=world.account.pk, every_days=1,
                                    inspector_id=world.editor.pk)  # an editor is no inspector
    with pytest.raises(NotAllowed):
        services.patrol_plan_create(actor=world.outsider, account_id=world.account.pk, every_days=1)
    daily = services.patrol_plan_create(actor=world.manager, account_id=world.account.pk, every_days=1)
    assert daily.org is None and daily.account == world.account


def test_duplicate_candidates_suggest_similar_names_of_one_unit_and_platform(world):
    twin = account(world.school, name="广州一中发布", platform="wechat", handle="gz1z-fb")
    account(world.school, name="广州一中", platform="weibo", handle="gz1z-wb")         # another platform
    account(world.city, name="广州一中", platform="wechat", handle="gz1z-city")        # another unit
    account(world.school, name="校友会", platform="wechat", handle="xyh")               # not similar
    [pair] = selectors.duplicate_candidates(user=world.manager, org=world.school)
    assert {pair.first.pk, pair.second.pk} == {world.account.pk, twin.pk} and pair.percent >= 60
    assert selectors.duplicate_candidates(user=world.outsider) == []
    problem = services.problem_open(actor=world.manager, account_id=pair.second.pk, kind="duplicate",
                                    description="重复")
    [pair] = selectors.duplicate_candidates(user=world.manager, org=world.school)
    assert pair.open_problem_id == problem.pk
