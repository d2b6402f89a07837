"""Re-checks of what was published: after a lexicon change the hourly job
re-runs the pre-check over the year's published revisions and lists, per
account, the items that now have findings (the ones the stored report did not
have counted as new); the same on demand for an account or a unit and period."""
import datetime as dt

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from content import services as content_services
from content.errors import NotAllowed, ValidationFailed
from operations import selectors, services, states
from operations.models import RecheckItem, RecheckRun
from project import periodic
from reviewers import services as reviewers_services
from tests.stats_helpers import publish
from tests.tasks_support import run_tasks

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(world):
    plain = publish(world, title="关于举行秋季运动会的通知")
    flagged = publish(world, title="关于开展读书月活动的通知")
    retracted = publish(world, title="读书月活动报名已截止", retract=True)
    return plain, flagged, retracted


def _new_entry(world):
    reviewers_services.lexicon_entry_create(actor=world.admin, wrong="读书月", right="读书节", dimension="wording",
                                            severity="warning", note="本市统一称读书节")


def test_a_lexicon_change_rechecks_the_years_publications(world, published):
    _plain, flagged, _retracted = published
    system = content_services.system_actor()
    first = services.recheck_after_lexicon_change(actor=system)   # the first time: the version in force now
    run_tasks()
    first.refresh_from_db()
    assert first.state == states.RUN_DONE and first.checked == 2 and first.flagged == 0
    assert services.recheck_after_lexicon_change(actor=system) is None   # nothing changed since

    _new_entry(world)
    job = next(j for j in periodic.JOBS if j.name == "lexicon_recheck")
    periodic.enqueue_due(jobs=[job])
    run_tasks()
    run = RecheckRun.objects.exclude(pk=first.pk).get()
    assert run.trigger == "lexicon" and run.state == states.RUN_DONE and run.checked == 2 and run.flagged == 1
    assert run.period_from == timezone.localdate().replace(month=1, day=1)
    item = RecheckItem.objects.get(run=run)
    assert item.publication_id == flagged.pk and item.account_id == world.account.pk
    assert [f["text"] for f in item.findings] == ["读书月"] and item.new_count == 1
    groups = selectors.recheck_items_by_account(run, user=world.manager)
    assert [g["account"].pk for g in groups] == [world.account.pk]
    assert selectors.recheck_items_by_account(run, user=world.outsider) == []
    actions = list(AuditEntry.objects.values_list("action", flat=True))
    assert actions.count("operations.recheck.requested") == 2 and actions.count("operations.recheck.finished") == 2


def test_on_demand_for_an_account_and_a_period(world, published):
    _new_entry(world)
    today = timezone.localdate()
    with pytest.raises(NotAllowed):
        services.recheck_request(actor=world.editor, account_id=world.account.pk, date_from=today, date_to=today)
    with pytest.raises(NotAllowed):
        services.recheck_request(actor=world.outsider, account_id=world.account.pk, date_from=today, date_to=today)
    with pytest.raises(ValidationFailed):
        services.recheck_request(actor=world.manager, account_id=world.account.pk, date_from=today,
                                 date_to=today - dt.timedelta(days=1))
    with pytest.raises(ValidationFailed):
        services.recheck_request(actor=world.manager, date_from=today, date_to=today)   # no unit, no account
    run = services.recheck_request(actor=world.manager, account_id=world.account.pk, date_from=today, date_to=today)
    run_tasks()
    run.refresh_from_db()
    assert run.trigger == "manual" and run.checked == 2 and run.flagged == 1
    # a period without publications
    empty = services.recheck_request(actor=world.manager, org_id=world.school.pk,
                                     date_from=today - dt.timedelta(days=30), date_to=today - dt.timedelta(days=1))
    run_tasks()
    empty.refresh_from_db()
    assert empty.checked == 0 and empty.flagged == 0


def test_the_pages(client, world, published):
    _new_entry(world)
    client.force_login(world.manager)
    today = timezone.localdate().isoformat()
    response = client.post("/operations/rechecks/", {"account": world.account.pk, "date_from": today,
                                                     "date_to": today})
    assert response.status_code == 302
    run = RecheckRun.objects.get()
    run_tasks()
    page = client.get(f"/operations/rechecks/{run.pk}/").content.decode()
    assert "关于开展读书月活动的通知" in page and "新增问题 1" in page
    assert f"/drafts/{published[1].draft_id}/" in page and f"/audit/?draft={published[1].draft_id}" in page
    assert "关于举行秋季运动会的通知" not in page
    listing = client.get("/operations/rechecks/").content.decode()
    assert 'data-testid="recheck-row"' in listing and "手动复查" in listing
