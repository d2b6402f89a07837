"""Counterfeit-account reports (假冒): recorded, followed up, scoped."""
import datetime as dt

import pytest

from audit.models import AuditEntry
from content.errors import NotAllowed, ValidationFailed
from operations import selectors, services
from tests.operations.helpers import TODAY

pytestmark = pytest.mark.django_db


def report(world, actor=None, **extra):
    return services.counterfeit_report(actor=actor or world.manager, org_id=world.school.pk, platform="抖音",
                                       name="广州一中官方", link="https://www.douyin.com/user/fake",
                                       evidence="头像和名称仿冒本校", found_on=TODAY, **extra)


def test_report_follow_up_and_list(world):
    r = report(world)
    assert r.outcome == "pending" and r.found_by == world.manager
    r = services.counterfeit_change(actor=world.admin, report_id=r.pk, changes={
        "reported_cac_on": TODAY.isoformat(), "cac_reference": "WX-2026-001",
        "reported_police_on": TODAY.isoformat(), "police_reference": "GA-88", "outcome": "closed_by_platform"})
    assert (r.cac_reference, r.police_reference, r.outcome) == ("WX-2026-001", "GA-88", "closed_by_platform")
    changed = AuditEntry.objects.get(action="operations.counterfeit.changed")
    assert changed.data["before"]["outcome"] == "pending" and changed.data["after"]["outcome"] == "closed_by_platform"
    assert [x.pk for x in selectors.counterfeits_visible(user=world.publisher)] == [r.pk]
    assert list(selectors.counterfeits_visible(user=world.outsider)) == []
    assert AuditEntry.objects.filter(action="operations.counterfeit.reported").count() == 1


def test_refusals(world):
    with pytest.raises(NotAllowed):
        report(world, actor=world.outsider)
    with pytest.raises(NotAllowed):
        report(world, actor=world.editor)
    with pytest.raises(ValidationFailed) as exc:
        report(world, outcome="gone")
    assert "outcome" in exc.value.fields
    with pytest.raises(ValidationFailed):
        services.counterfeit_report(actor=world.manager, org_id=world.school.pk, platform="", name="x",
                                    found_on=TODAY)
    with pytest.raises(ValidationFailed):
        report(world, reported_cac_on=(TODAY + dt.timedelta(days=3)).isoformat())
    r = report(world)
    with pytest.raises(NotAllowed):
        services.counterfeit_change(actor=world.outsider, report_id=r.pk, changes={"outcome": "still_active"})
    with pytest.raises(ValidationFailed):
        services.counterfeit_change(actor=world.manager, report_id=r.pk, changes={"org": 1})
