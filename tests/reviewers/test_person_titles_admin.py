"""The admin of the names-and-titles table (姓名职务表): writes through the
audited services, each administrator sees and keeps his own subtree."""
import pytest

from audit.models import AuditEntry
from content import roles
from content import services as content_services
from reviewers import services as reviewer_services
from reviewers.models import PersonTitle
from tests import factories
from tests.factories import PASSWORD

URL = "/admin/reviewers/persontitle/"


@pytest.fixture
def staff(world):
    root = factories.superuser()
    world.school_admin = factories.user("schooladmin", org_=world.school, roles_=[roles.SYSTEM_ADMIN])
    world.other_admin = factories.user("otheradmin", org_=world.other_city, roles_=[roles.SYSTEM_ADMIN])
    for u in (world.admin, world.school_admin, world.other_admin, world.auditor):
        content_services.user_update(actor=root, user_id=u.pk, is_staff=True)
    return world


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_add_edit_and_disable_go_through_the_services(client, staff):
    login(client, staff.school_admin)
    data = {"org": staff.school.pk, "name": "张建国", "title": "校长", "unit": "广州第一中学", "enabled": "on",
            "valid_from": "2024-09-01"}
    response = client.post(f"{URL}add/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    row = PersonTitle.objects.get()
    assert AuditEntry.objects.filter(action="reviewers.person_title.created", target_id=str(row.pk),
                                     actor=staff.school_admin).count() == 1
    response = client.post(f"{URL}{row.pk}/change/", {**data, "title": "党委书记、校长"})
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.title == "党委书记、校长"
    assert AuditEntry.objects.filter(action="reviewers.person_title.changed").count() == 1
    response = client.post(URL, {"action": "disable_rows", "_selected_action": [row.pk]})
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.enabled is False
    assert AuditEntry.objects.filter(action="reviewers.person_title.disabled").count() == 1


def test_each_administrator_sees_his_subtree_and_no_one_deletes(client, staff):
    reviewer_services.person_title_create(actor=staff.admin, org_id=staff.school.pk, name="张建国", title="校长")
    reviewer_services.person_title_create(actor=staff.admin, org_id=staff.other_city.pk, name="赵局", title="局长")
    login(client, staff.other_admin)
    html = client.get(URL).content.decode()
    assert "赵局" in html and "张建国" not in html
    school_row = PersonTitle.objects.get(name="张建国")
    assert client.get(f"{URL}{school_row.pk}/change/").status_code in (302, 404)
    assert client.post(f"{URL}add/", {"org": staff.school.pk, "name": "王丽", "title": "副校长",
                                      "enabled": "on"}).status_code == 200  # the school is not a choice
    assert not PersonTitle.objects.filter(name="王丽").exists()
    assert client.get(f"{URL}{school_row.pk}/delete/").status_code in (302, 403, 404)


def test_auditors_and_editors_have_no_admin_page(client, staff):
    login(client, staff.auditor)
    assert client.get(URL).status_code in (302, 403)
