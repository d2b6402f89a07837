"""The duty roster and duty logs: shifts, assignment, swaps with both names,
gaps, the log signed by the person on duty, missing logs."""
import datetime as dt

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from content.errors import Conflict, NotAllowed, ValidationFailed
from operations import selectors, services
from tests.operations.helpers import TODAY

pytestmark = pytest.mark.django_db


def assign(world, day, person, shift="day", actor=None):
    return services.duty_assign(actor=actor or world.manager, org_id=world.school.pk, day=day, shift=shift,
                                person_id=person.pk)


def test_assign_and_the_month_calendar_with_gaps(world):
    first = TODAY.replace(day=1)
    assign(world, first, world.editor)
    assign(world, first + dt.timedelta(days=1), world.editor2)
    month = selectors.duty_month(org=world.school, year=first.year, month=first.month)
    assert month.shifts == ("day",)
    assert month.days[0].slots[0][2].person == world.editor and not month.days[0].gap
    assert month.days[2].gap
    assert (first, "day") not in month.gaps and (first + dt.timedelta(days=2), "day") in month.gaps
    assert len(month.gaps) == (month.last_day - first).days + 1 - 2
    assert all(len(week) == 7 for week in month.weeks)
    entry = AuditEntry.objects.get(action="operations.duty.assigned", data__day=first.isoformat())
    assert entry.data["after"]["person"] == "editor"


def test_day_and_night_shifts_are_configurable(world):
    with pytest.raises(ValidationFailed):
        assign(world, TODAY, world.editor, shift="night")
    services.duty_config_set(actor=world.admin, org_id=world.school.pk, mode="day_night")
    assign(world, TODAY, world.editor, shift="night")
    gaps = selectors.duty_gaps(org=world.school, date_from=TODAY, date_to=TODAY)
    assert gaps == [(TODAY, "day")]
    assert AuditEntry.objects.filter(action="operations.duty.configured").count() == 1


def test_only_roster_keepers_of_the_subtree_assign(world):
    for actor in (world.editor, world.outsider, world.auditor):
        with pytest.raises(NotAllowed):
            assign(world, TODAY, world.editor, actor=actor)
    with pytest.raises(ValidationFailed) as exc:
        assign(world, TODAY, world.outsider)  # a person of another city is not on this unit's roster
    assert "person" in exc.value.fields
    assert assign(world, TODAY, world.editor, actor=world.admin).person == world.editor


def test_a_swap_records_both_names(world):
    a = assign(world, TODAY, world.editor)
    b = assign(world, TODAY + dt.timedelta(days=1), world.editor2)
    a, b = services.duty_swap(actor=world.editor, first_id=a.pk, second_id=b.pk, note="家中有事")
    assert (a.person, a.rostered_person, b.person, b.rostered_person) == (world.editor2, world.editor,
                                                                          world.editor, world.editor2)
    assert a.swapped and b.swapped
    entry = AuditEntry.objects.get(action="operations.duty.swapped")
    assert entry.data["names"] == ["编辑甲", "编辑乙"] and entry.data["note"] == "家中有事"
    with pytest.raises(NotAllowed):
        services.duty_swap(actor=world.publisher, first_id=a.pk, second_id=b.pk)


def test_the_person_on_duty_writes_and_signs_the_log(world):
    a = assign(world, TODAY - dt.timedelta(days=1), world.editor)
    with pytest.raises(NotAllowed):
        services.duty_log_save(actor=world.editor2, assignment_id=a.pk, events="x")
    with pytest.raises(ValidationFailed):
        services.duty_log_save(actor=world.editor, assignment_id=a.pk, sign=True)  # nothing written
    log = services.duty_log_save(actor=world.editor, assignment_id=a.pk, events="巡查各账号，无异常",
                                 opinion_signs="家长群关于放假安排的讨论", handover="无", sign=True)
    assert log.is_signed and log.signed_by == world.editor
    with pytest.raises(Conflict):
        services.duty_log_save(actor=world.editor, assignment_id=a.pk, events="改")
    with pytest.raises(Conflict):
        assign(world, a.day, world.editor2)
    assert AuditEntry.objects.get(action="operations.duty_log.signed").data["opinion_signs"] is True


def test_a_future_shift_cannot_be_signed(world):
    a = assign(world, TODAY + dt.timedelta(days=2), world.editor)
    with pytest.raises(ValidationFailed) as exc:
        services.duty_log_save(actor=world.editor, assignment_id=a.pk, events="x", sign=True)
    assert exc.value.code == "shift_not_started"


def test_shifts_without_a_signed_log_are_missing(world):
    old = assign(world, TODAY - dt.timedelta(days=3), world.editor)
    signed = assign(world, TODAY - dt.timedelta(days=2), world.editor)
    unsigned = assign(world, TODAY - dt.timedelta(days=1), world.editor2)
    assign(world, TODAY + dt.timedelta(days=1), world.editor2)  # not yet ended
    services.duty_log_save(actor=world.editor, assignment_id=signed.pk, events="正常", sign=True)
    services.duty_log_save(actor=world.editor2, assignment_id=unsigned.pk, events="草稿，未签名")
    missing = selectors.duty_logs_missing(user=world.manager, now=timezone.now())
    assert [m.pk for m in missing] == [old.pk, unsigned.pk]
    assert selectors.duty_logs_missing(user=world.outsider) == []


def test_today_on_duty_for_the_home_page(world):
    assign(world, TODAY, world.editor)
    assert [a.person for a in selectors.duty_today(world.publisher)] == [world.editor]
    assert selectors.duty_today(world.outsider) == []


def test_unassign(world):
    a = assign(world, TODAY, world.editor)
    with pytest.raises(NotAllowed):
        services.duty_unassign(actor=world.outsider, assignment_id=a.pk)
    services.duty_unassign(actor=world.manager, assignment_id=a.pk)
    assert selectors.duty_gaps(org=world.school, date_from=TODAY, date_to=TODAY) == [(TODAY, "day")]
    assert AuditEntry.objects.filter(action="operations.duty.unassigned").count() == 1
