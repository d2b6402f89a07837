"""Each operations reminder links its recipient to where he acts on it: the
duty calendar of the gap's unit and month, the unit's patrols, the problem's
page; the notification list reads those subjects in constant queries."""
import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from content import services as content_services
from operations import services
from tests import factories
from tests.operations.helpers import TODAY, problem
from workflow.models import Notification

pytestmark = pytest.mark.django_db


def send(days=0):
    return services.operations_reminders_send(actor=content_services.system_actor(),
                                              today=TODAY + dt.timedelta(days=days))


def links_on_the_list(client):
    response = client.get("/review/notifications/")
    assert response.status_code == 200
    return response, set(re.findall(r'href="(/operations/[^"]*)"', response.content.decode().replace("&amp;", "&")))


def test_the_three_reminders_link_to_their_pages(world, as_user):
    school_admin = factories.user("schooladmin", org_=world.school, roles_=["system_admin"])
    services.duty_assign(actor=world.manager, org_id=world.school.pk, day=TODAY, person_id=world.editor.pk)
    send()
    gap = Notification.objects.filter(kind="duty_gap", recipient=school_admin).order_by("id").first()
    assert gap is not None
    client = as_user(school_admin)
    _response, links = links_on_the_list(client)
    month = (TODAY + dt.timedelta(days=1)).strftime("%Y-%m")
    assert f"/operations/duty/?org={world.school.code}&month={month}" in links
    assert client.get(f"/operations/duty/?org={world.school.code}&month={month}").status_code == 200

    services.patrol_plan_create(actor=world.manager, account_id=world.account.pk, every_days=1,
                                inspector_id=world.auditor.pk)
    send(2)
    assert Notification.objects.filter(kind="patrol_due", recipient=world.auditor).exists()
    client = as_user(world.auditor)
    _response, links = links_on_the_list(client)
    assert f"/operations/patrols/?org={world.account.org.code}" in links

    p = problem(world, deadline=TODAY + dt.timedelta(days=2))
    send()
    client = as_user(world.editor)
    _response, links = links_on_the_list(client)
    assert f"/operations/problems/{p.pk}/" in links
    assert client.get(f"/operations/problems/{p.pk}/").status_code == 200
    # opening one from the list goes to the same page
    note = Notification.objects.get(kind="problem_due", recipient=world.editor)
    opened = client.post(f"/review/notifications/{note.pk}/read/", {"open": "1"})
    assert opened.status_code == 302 and opened["Location"] == f"/operations/problems/{p.pk}/"


def test_the_list_reads_the_subjects_in_constant_queries(world, as_user):
    client = as_user(world.editor)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/review/notifications/").status_code == 200
        return len(queries)

    problem(world, deadline=TODAY + dt.timedelta(days=2))
    send()
    few = count()
    for _ in range(4):
        problem(world, deadline=TODAY + dt.timedelta(days=1))
    send()
    assert Notification.objects.filter(kind="problem_due", recipient=world.editor).count() == 5
    assert count() == few
