"""The absence calendar (不在岗日历): a reviewer records and deletes his own
absences, the tier's lead sees his members', a security administrator sees his
subtree's and keeps them for its reviewers; every rule refused with its code;
writes audited; round-robin passes over whoever the calendar says is away; the
endpoint and the page (the same functions) in the usual style."""
import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEntry
from content import roles
from content.errors import Conflict, NotAllowed, ValidationFailed
from reviewers import permissions, selectors, services
from reviewers.models import Absence, TierMembership
from tests import factories
from tests.api.helpers import assert_error
from tests.workflow.helpers import new_draft, submit
from workflow import services as workflow_services

pytestmark = pytest.mark.django_db

URL = "/api/v1"
TODAY = timezone.localdate


def _days(n):
    return TODAY() + dt.timedelta(days=n)


def _record(user, start=1, end=3, **kwargs):
    return services.absence_create(actor=user, starts_on=_days(start), ends_on=_days(end), **kwargs)


@pytest.fixture
def office(world):
    """reviewer1 leads tier 1 of the city: reviewer1b (tier 1 of the account) is in his office."""
    TierMembership.objects.filter(user=world.reviewers[0]).update(is_lead=True)
    world.lead = world.reviewers[0]
    return world


# ---------------------------------------------------------------- the service

def test_a_reviewer_records_his_absence_audited(world):
    absence = _record(world.reviewers[1], note="出差")
    assert (absence.user_id, absence.starts_on, absence.ends_on, absence.note) == (
        world.reviewers[1].pk, _days(1), _days(3), "出差")
    entry = AuditEntry.objects.get(action="reviewers.absence.recorded")
    assert entry.actor_id == world.reviewers[1].pk and entry.target_id == str(absence.pk)
    assert entry.data == {"user_id": world.reviewers[1].pk, "username": "reviewer2", "starts_on": _days(1).isoformat(),
                          "ends_on": _days(3).isoformat(), "note": "出差", "for_other": False}
    assert entry.org_path == world.city.path


@pytest.mark.parametrize("start,end,code,field", [
    (3, 1, "absence_range", "ends_on"),
    (-5, -1, "absence_past", "ends_on"),
    (0, 400, "absence_too_long", "ends_on"),
    (380, 381, "absence_too_far", "starts_on"),
])
def test_dates_are_validated(world, start, end, code, field):
    with pytest.raises(ValidationFailed) as caught:
        _record(world.reviewers[0], start, end)
    assert caught.value.code == code and field in caught.value.fields
    assert not Absence.objects.exists() and not AuditEntry.objects.filter(action__startswith="reviewers.absence").exists()


def test_overlapping_absences_are_refused(world):
    _record(world.reviewers[0], 1, 5)
    with pytest.raises(Conflict) as caught:
        _record(world.reviewers[0], 5, 8)
    assert caught.value.code == "absence_overlap" and _days(1).isoformat() in caught.value.message
    _record(world.reviewers[0], 6, 8)  # the day after is free
    _record(world.reviewers[1], 1, 5)  # and another person's calendar is his own


def test_who_may_keep_whose_absences(office):
    w = office
    # an editor, an auditor: no calendar at all
    for user in (w.editor, w.auditor):
        with pytest.raises(NotAllowed) as caught:
            _record(user)
        assert caught.value.code == "not_reviewer"
    # a reviewer cannot record for another, nor can the tier's lead (he sees, he does not keep)
    for actor in (w.reviewers[1], w.lead):
        with pytest.raises(NotAllowed) as caught:
            _record(actor, user_id=w.reviewer1b.pk)
        assert caught.value.code == "absence_not_yours"
    # the security administrator of the province records for a reviewer of the city, but not for himself
    absence = _record(w.secadmin, user_id=w.reviewer1b.pk, note="病假")
    assert absence.user_id == w.reviewer1b.pk
    assert AuditEntry.objects.get(action="reviewers.absence.recorded").data["for_other"] is True
    with pytest.raises(NotAllowed) as caught:
        _record(w.secadmin)
    assert caught.value.code == "not_reviewer"
    # ... nor for a user who is not a reviewer
    with pytest.raises(ValidationFailed) as caught:
        _record(w.secadmin, user_id=w.editor.pk)
    assert caught.value.code == "absence_not_reviewer"
    # an administrator of the other city is no administrator of ours
    other = factories.user("szsecadmin", org_=w.other_city, roles_=[roles.SECURITY_ADMIN])
    with pytest.raises(NotAllowed):
        _record(other, user_id=w.reviewer1b.pk)
    # a reviewer whose role was removed keeps nothing
    workflow_services.user_set_roles(actor=w.secadmin, user_id=w.reviewers[2].pk, roles_=[], confirm_gaps=True)
    w.reviewers[2].refresh_from_db()
    with pytest.raises(NotAllowed):
        _record(w.reviewers[2])


def test_who_sees_whose_absences(office):
    w = office
    mine = _record(w.reviewers[0])
    b = _record(w.reviewer1b)
    r2 = _record(w.reviewers[1])
    seen = lambda user: {a.pk for a in selectors.absences_visible(user)}  # noqa: E731
    assert seen(w.lead) == {mine.pk, b.pk}          # his own and his tier's member's (not tier 2's)
    assert seen(w.reviewer1b) == {b.pk}            # a member sees his own
    assert seen(w.reviewers[1]) == {r2.pk}
    assert seen(w.secadmin) == {mine.pk, b.pk, r2.pk}  # the province's administrator: the whole subtree
    assert seen(w.editor) == set() and seen(w.auditor) == set()
    other = factories.user("szsecadmin", org_=w.other_city, roles_=[roles.SECURITY_ADMIN])
    assert seen(other) == set()
    assert seen(factories.superuser()) == {mine.pk, b.pk, r2.pk}
    assert selectors.absence_visible_to(w.reviewers[1], b.pk) is None
    assert permissions.absence_calendar_refusal(w.editor).code == "not_reviewer"


def test_deleting_an_absence(office):
    w = office
    absence = _record(w.reviewer1b)
    # the lead sees it but may not delete it; another reviewer does not even see it
    with pytest.raises(NotAllowed) as caught:
        services.absence_delete(actor=w.lead, absence_id=absence.pk)
    assert caught.value.code == "absence_not_yours"
    with pytest.raises(NotAllowed) as caught:
        services.absence_delete(actor=w.reviewers[1], absence_id=absence.pk)
    assert caught.value.code == "absence_hidden"
    with pytest.raises(NotAllowed) as caught:
        services.absence_delete(actor=w.reviewers[1], absence_id=99999999)
    assert caught.value.code == "absence_hidden"
    services.absence_delete(actor=w.reviewer1b, absence_id=absence.pk)
    assert not Absence.objects.exists()
    entry = AuditEntry.objects.get(action="reviewers.absence.deleted")
    assert entry.data["username"] == "reviewer1b" and entry.data["starts_on"] == _days(1).isoformat()
    # an absence that is over stays as the record of why assignments passed him over
    ended = Absence.objects.create(user=w.reviewer1b, starts_on=_days(-5), ends_on=_days(-2))
    with pytest.raises(Conflict) as caught:
        services.absence_delete(actor=w.secadmin, absence_id=ended.pk)
    assert caught.value.code == "absence_ended"


def test_the_month_calendar_in_one_query(office):
    w = office
    first = TODAY().replace(day=1)
    _record(w.reviewer1b, 0, 2, note="年假")
    _record(w.lead, 1, 1)
    with CaptureQueriesContext(connection) as queries:
        month = selectors.absence_month(w.lead, first)
        names = [[a.user.username for a in d["away"]] for d in month.days]
        units = [a.user.org.name for a in month.absences]
    assert len(queries) == 2  # the lead's memberships (who is in his office), then the absences with their people
    assert len(month.days) == selectors.month_last(first).day and units
    today = TODAY().day - 1
    assert names[today] == ["reviewer1b"]
    if today + 1 < len(names):
        assert sorted(names[today + 1]) == ["reviewer1", "reviewer1b"]
    assert all(len(week) == 7 for week in month.weeks)


@pytest.mark.parametrize("raw", ["2026-13", "26-12", "2026-1x", "1999-12", "2026-012"])
def test_a_bad_month_is_refused(raw):
    with pytest.raises(ValidationFailed) as caught:
        selectors.absence_month_first(raw)
    assert caught.value.code == "month_invalid"


# ---------------------------------------------------------------- round-robin reads the calendar

def test_round_robin_passes_over_the_absent_and_takes_them_back(world):
    """Two tier-1 members: reviewer1b is away today (recorded through the
    calendar), so every item goes to reviewer1; once his absence is deleted
    the next item is his."""
    workflow_services.policy_create(actor=world.admin, name="轮流指派", account_id=world.account.pk, auto_assign=True,
                                    tiers=[{"name": "初审"}, {"name": "复审"}, {"name": "终审"}])
    away = services.absence_create(actor=world.reviewer1b, starts_on=TODAY(), ends_on=_days(2), note="出差")
    given = [submit(world, new_draft(world, title=f"轮流{n}")).current_task.claimed_by_id for n in range(3)]
    assert given == [world.reviewers[0].pk] * 3
    entry = AuditEntry.objects.filter(action="reviewers.task.assigned").order_by("seq").first()
    assert entry.data["skipped_absent"] == [world.reviewer1b.pk]
    services.absence_delete(actor=world.reviewer1b, absence_id=away.pk)
    assert submit(world, new_draft(world, title="回来了")).current_task.claimed_by_id == world.reviewer1b.pk


def test_an_absence_starting_tomorrow_does_not_count_today(world):
    workflow_services.policy_create(actor=world.admin, name="轮流指派", account_id=world.account.pk, auto_assign=True,
                                    tiers=[{"name": "初审"}, {"name": "复审"}, {"name": "终审"}])
    services.absence_create(actor=world.reviewers[0], starts_on=_days(1), ends_on=_days(2))
    first = submit(world, new_draft(world, title="甲")).current_task.claimed_by_id
    second = submit(world, new_draft(world, title="乙")).current_task.claimed_by_id
    assert {first, second} == {world.reviewers[0].pk, world.reviewer1b.pk}


# ---------------------------------------------------------------- the endpoint

def test_api_list_create_delete(api, office):
    w = office
    client = api(w.reviewer1b)
    body = {"starts_on": _days(1).isoformat(), "ends_on": _days(2).isoformat(), "note": "培训"}
    response = client.post(f"{URL}/absences/", body, format="json")
    assert response.status_code == 201, response.data
    created = response.json()
    assert created["user"]["username"] == "reviewer1b" and created["note"] == "培训"
    assert created["starts_on"] == body["starts_on"] and created["unit"] == w.city.name
    # the lead sees it in the month's list; another reviewer does not
    month = _days(1).strftime("%Y-%m")
    listed = api(w.lead).get(f"{URL}/absences/?month={month}").json()
    assert [row["id"] for row in listed["results"]] == [created["id"]]
    assert api(w.reviewers[1]).get(f"{URL}/absences/?month={month}").json()["results"] == []
    # filtered by person
    assert api(w.lead).get(f"{URL}/absences/?month={month}&user=reviewer1").json()["results"] == []
    # an overlap, bad dates, unknown fields: Chinese 4xx with codes
    assert_error(client.post(f"{URL}/absences/", body, format="json"), 409, "absence_overlap")
    error = assert_error(client.post(f"{URL}/absences/", {**body, "starts_on": "2026/12/01"}, format="json"), 400)
    assert "starts_on" in error["fields"]
    assert_error(client.post(f"{URL}/absences/", {"starts_on": body["ends_on"], "ends_on": body["starts_on"]},
                             format="json"), 400, "absence_range")
    assert_error(client.post(f"{URL}/absences/", {**body, "extra": 1}, format="json"), 400)
    assert_error(api(w.lead).get(f"{URL}/absences/?month=2026-13"), 400, "month_invalid")
    assert_error(api(w.lead).get(f"{URL}/absences/?user=nobody"), 400)
    # the administrator records for him: by username
    response = api(w.secadmin).post(f"{URL}/absences/", {"starts_on": _days(5).isoformat(),
                                                      "ends_on": _days(5).isoformat(), "user": "reviewer1b"},
                                 format="json")
    assert response.status_code == 201 and response.json()["user"]["username"] == "reviewer1b"
    assert_error(api(w.reviewers[1]).post(f"{URL}/absences/", {**body, "user": "reviewer1b"}, format="json"),
                 403, "absence_not_yours")
    assert_error(api(w.editor).get(f"{URL}/absences/"), 403, "not_reviewer")
    # deleting: the lead may not, the owner may
    assert_error(api(w.lead).delete(f"{URL}/absences/{created['id']}/"), 403, "absence_not_yours")
    assert_error(api(w.reviewers[1]).delete(f"{URL}/absences/{created['id']}/"), 403, "absence_hidden")
    assert client.delete(f"{URL}/absences/{created['id']}/").status_code == 204
    assert_error(client.delete(f"{URL}/absences/{created['id']}/"), 403, "absence_hidden")


def test_api_list_queries_do_not_grow(api, office):
    w = office
    client = api(w.secadmin)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"{URL}/absences/").status_code == 200
        return len(queries)

    _record(w.reviewers[0], 0, 1)
    one = count()
    _record(w.reviewer1b, 0, 1)
    _record(w.reviewers[1], 0, 1)
    _record(w.reviewers[2], 0, 1)
    assert count() == one


# ---------------------------------------------------------------- the page

def test_the_page_records_lists_and_deletes(client, office):
    w = office
    client.force_login(w.reviewer1b)
    page = client.get("/review/absences/")
    assert page.status_code == 200 and "不在岗日历" in page.content.decode()
    response = client.post("/review/absences/", {"starts_on": _days(1).isoformat(), "ends_on": _days(2).isoformat(),
                                                 "note": "外出学习"})
    assert response.status_code == 302
    absence = Absence.objects.get()
    assert absence.user_id == w.reviewer1b.pk and absence.note == "外出学习"
    # refused on the page with the service's message next to the form
    again = client.post("/review/absences/", {"starts_on": _days(2).isoformat(), "ends_on": _days(4).isoformat()})
    assert again.status_code == 400 and "重叠" in again.content.decode()
    bad = client.post("/review/absences/", {"starts_on": _days(4).isoformat(), "ends_on": _days(3).isoformat()})
    assert "结束日期不能早于开始日期" in bad.content.decode()
    # the lead sees it in the month of its start, with no delete button
    client.force_login(w.lead)
    html = client.get(f"/review/absences/?month={_days(1):%Y-%m}").content.decode()
    assert 'data-username="reviewer1b"' in html and "外出学习" in html and 'data-testid="absence-delete"' not in html
    assert client.post(f"/review/absences/{absence.pk}/delete/").status_code == 403
    # the administrator chooses the person in the form and may delete
    client.force_login(w.secadmin)
    html = client.get("/review/absences/").content.decode()
    assert 'name="user"' in html and "reviewer1b" in html
    assert client.post(f"/review/absences/{absence.pk}/delete/").status_code == 302
    assert not Absence.objects.exists()
    # an editor has no calendar, and no link to it
    client.force_login(w.editor)
    assert client.get("/review/absences/").status_code == 403
    assert "/review/absences/" not in client.get("/").content.decode()


def test_the_page_costs_the_same_whatever_the_number_of_absences(client, office):
    w = office
    client.force_login(w.secadmin)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/review/absences/").status_code == 200
        return len(queries)

    _record(w.reviewers[0], 0, 1)
    one = count()
    _record(w.reviewer1b, 0, 2)
    _record(w.reviewers[1], 0, 3)
    _record(w.reviewers[2], 1, 4)
    assert count() == one
