"""Timeliness figures per account and period (reporting.timeliness and
reporting.selectors.timeliness_rows), computed from real publications."""
import datetime as dt

import pytest
from rest_framework.test import APIClient

from content import services as content_services
from reporting import selectors
from reporting.periods import Period
from reporting.timeliness import days_since, timeliness
from tests.stats_helpers import local, publish

D = dt.date


def test_the_figures_by_hand():
    # period 1–31 March; published 1, 2, 20 March; the last publication before was 25 February
    t = timeliness([D(2026, 3, 1), D(2026, 3, 2), D(2026, 3, 20), D(2026, 3, 20)], first_day=D(2026, 3, 1),
                   last_day=D(2026, 3, 31), anchor=D(2026, 2, 25), fail_days=14)
    assert t.publications == 4 and t.days_since_last == 11 and t.longest_gap == 18
    # silent >= 14 days from 2 March: 16–19 March (4 days); from 20 March: none by the 31st (11 days)
    assert t.days_out_of_compliance == 4
    assert t.per_week == round(4 * 7 / 31, 2)


def test_a_silent_account():
    t = timeliness([], first_day=D(2026, 3, 1), last_day=D(2026, 3, 31), anchor=D(2026, 1, 1), fail_days=14)
    assert t.publications == 0 and t.days_since_last == 89 and t.longest_gap == 89
    assert t.days_out_of_compliance == 31 and t.per_week == 0
    assert days_since(D(2026, 3, 1), D(2026, 3, 1)) == 0


@pytest.mark.django_db
def test_rows_from_publications(world, settings):
    settings.DORMANT_FAIL_DAYS = 14
    content_services.account_change(actor=world.admin, account_id=world.account.pk, changes={"opened_on": "2025-01-01"})
    publish(world, when=local(2026, 2, 25))
    publish(world, when=local(2026, 3, 1))
    publish(world, when=local(2026, 3, 20))
    publish(world, when=local(2026, 3, 25), retract=True)   # retracted: not a publication
    rows = selectors.timeliness_rows(org=world.province, period=Period(D(2026, 3, 1), D(2026, 3, 31)),
                                     today=D(2026, 12, 3))
    row = next(r for r in rows if r.account.pk == world.account.pk)
    assert row.figures.publications == 2 and row.figures.days_since_last == 11 and row.figures.longest_gap == 19
    assert row.figures.days_out_of_compliance == 5   # 15–19 March


@pytest.mark.django_db
def test_the_api(world):
    publish(world)
    api = APIClient()
    api.force_authenticate(world.manager)
    response = api.get("/api/v1/stats/timeliness/")
    assert response.status_code == 200
    row = next(a for a in response.data["accounts"] if a["id"] == world.account.pk)
    assert row["publications"] == 1 and row["days_since_last"] == 0
    assert api.get("/api/v1/stats/timeliness/?from=2026-13-01&to=2026-12-01").status_code == 400


@pytest.mark.django_db
def test_the_statistics_page(client, world):
    publish(world)
    client.force_login(world.manager)
    page = client.get("/stats/").content.decode()
    assert "发布及时性" in page and f'data-testid="timeliness-row" data-account="{world.account.pk}"' in page
