"""三员分立 and least privilege: one person never holds two of the system
administrator, the security administrator and the auditor; nobody grants
himself a role or a tier — through the service, the page and the admin."""
import pytest
from django.test import Client
from django.urls import reverse

from content import roles
from content import services
from content.errors import ValidationFailed
from reviewers import services as reviewer_services
from tests import factories


@pytest.mark.parametrize("pair", [
    (roles.SYSTEM_ADMIN, roles.SECURITY_ADMIN), (roles.SECURITY_ADMIN, roles.AUDITOR),
    (roles.SYSTEM_ADMIN, roles.AUDITOR),
])
def test_one_person_never_holds_two_of_the_three(world, pair):
    with pytest.raises(ValidationFailed) as exc:
        services.user_set_roles(actor=world.secadmin, user_id=world.editor2.pk, roles_=list(pair))
    assert exc.value.code == "separation_of_duties" and "三员分立" in exc.value.message
    with pytest.raises(ValidationFailed) as exc:
        services.user_create(actor=factories.superuser(), username="both", password="Both#2026xy", org=world.school,
                             roles_=list(pair))
    assert exc.value.code == "separation_of_duties"
    # one of them, with other roles, is fine
    services.user_set_roles(actor=world.secadmin, user_id=world.editor2.pk, roles_=[pair[0], roles.EDITOR])


def test_nobody_grants_himself_a_role_or_a_tier(world):
    admin = world.secadmin
    with pytest.raises(ValidationFailed) as exc:
        services.user_set_roles(actor=admin, user_id=admin.pk, roles_=[roles.SECURITY_ADMIN, roles.REVIEWER])
    assert exc.value.code == "self_grant"
    # taking a role away from oneself is allowed
    boss = factories.user("boss", org_=world.province, roles_=[roles.SECURITY_ADMIN, roles.EDITOR])
    services.user_set_roles(actor=boss, user_id=boss.pk, roles_=[roles.SECURITY_ADMIN])
    reviewer = world.reviewers[0]
    superuser = factories.superuser()
    with pytest.raises(ValidationFailed) as exc:
        reviewer_services.membership_grant(actor=superuser, user_id=superuser.pk, tier=2, org_id=world.city.pk)
    assert exc.value.code == "self_grant"
    assert reviewer  # the world's reviewers keep theirs


def test_the_roles_page_refuses_a_self_grant_with_the_message_by_the_field(world):
    client = Client()
    client.force_login(world.secadmin)
    response = client.post(reverse("web:manage_user_roles", args=[world.secadmin.pk]),
                           {"roles": [roles.SECURITY_ADMIN, roles.REVIEWER]})
    assert response.status_code == 400
    assert "不能为自己授予角色" in response.content.decode()
    response = client.post(reverse("web:manage_user_roles", args=[world.editor2.pk]),
                           {"roles": [roles.SECURITY_ADMIN, roles.AUDITOR]})
    assert response.status_code == 400 and "三员分立" in response.content.decode()


def test_the_admin_refuses_them_too(world):
    staff = world.secadmin
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(staff)
    target = world.editor2
    response = client.post(f"/admin/content/user/{target.pk}/change/", {
        "username": target.username, "name": target.name, "org": target.org_id,
        "roles": [roles.SYSTEM_ADMIN, roles.AUDITOR], "is_active": "on"})
    assert response.status_code == 400 and "三员分立" in response.content.decode()
    target.refresh_from_db()
    assert roles.AUDITOR not in target.roles
