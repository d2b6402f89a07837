"""The unit administrator's page: the subtree's users, roles, tier memberships,
policies and grants; roles and tier membership changed here, audited."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEntry
from content import roles
from reviewers.models import TierMembership
from tests import factories
from workflow import services as workflow_services

pytestmark = pytest.mark.django_db




def test_non_admins_are_refused(world, as_user):
    for user in (world.editor, world.manager, world.auditor, world.reviewers[0]):
        client = as_user(user)
        assert client.get(reverse("web:manage")).status_code == 403
        assert client.get(reverse("web:manage_user_roles", args=[world.editor.pk])).status_code == 403
        assert client.get(reverse("web:manage_membership_new")).status_code == 403
        membership = TierMembership.objects.first()
        assert client.get(reverse("web:manage_membership_revoke", args=[membership.pk])).status_code == 403
        assert client.post(reverse("web:manage_membership_revoke", args=[membership.pk]),
                           {"confirmed": "1"}).status_code == 403
        assert client.get(reverse("web:manage_policies")).status_code == 403
        assert client.get(reverse("web:manage_policy_new")).status_code == 403
    assert TierMembership.objects.count() == 4


def test_the_page_summarises_the_subtree(world, as_user):
    workflow_services.policy_create(actor=world.admin, name="广州三审", org_id=world.city.pk,
                                    tiers=[{"name": "初审", "due_hours": 24}, {"name": "终审", "due_hours": 48}])
    # the system administrator: users (changed in the admin) and policies; no roles, tiers or grants
    response = as_user(world.admin).get(reverse("web:manage"))
    assert response.status_code == 200
    body = response.content.decode()
    usernames = {u.username for u in response.context["users"]}
    assert {"editor", "manager", "auditor", "sysadmin", "secadmin", "outsider"} <= usernames
    assert [p.name for p in response.context["policies"]] == ["广州三审"]
    assert "1. 初审（24 小时） → 2. 终审（48 小时）" in body
    assert reverse("admin:content_user_change", args=[world.editor.pk]) in body
    assert response.context["memberships"] == [] and response.context["grants"] == []
    assert 'data-testid="manage-memberships"' not in body and 'data-testid="user-roles-link"' not in body
    # the security administrator: roles, tier memberships and grants; no policies, no user changes
    response = as_user(world.secadmin).get(reverse("web:manage"))
    body = response.content.decode()
    assert response.status_code == 200 and "sysadmin" in {u.username for u in response.context["users"]}
    assert len(response.context["memberships"]) == 4
    assert len(response.context["grants"]) == 3
    assert "可发布到该账号（授权发布）" in body and 'data-testid="user-roles-link"' in body
    assert response.context["policies"] == [] and 'data-testid="manage-policies"' not in body
    assert reverse("admin:content_user_change", args=[world.editor.pk]) not in body


def test_a_city_admin_sees_only_his_city(world, as_user):
    city_admin = factories.user("cityadmin", org_=world.other_city, roles_=[roles.SECURITY_ADMIN])
    response = as_user(city_admin).get(reverse("web:manage"))
    assert {u.username for u in response.context["users"]} == {"outsider", "cityadmin"}
    assert response.context["memberships"] == [] and response.context["grants"] == []
    # and may not change a user of another city
    assert as_user(city_admin).post(reverse("web:manage_user_roles", args=[world.editor.pk]),
                                    {"roles": ["auditor"]}).status_code == 403
    assert world.editor.__class__.objects.get(pk=world.editor.pk).roles == ["editor"]


def test_the_page_costs_the_same_queries_for_few_and_many_rows(world, as_user):
    client = as_user(world.admin)
    workflow_services.policy_create(actor=world.admin, name="广州", org_id=world.city.pk,
                                    tiers=[{"name": "初审", "due_hours": 24}])

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("web:manage")).status_code == 200
        return len(captured)

    few = queries()
    for i in range(15):
        user = factories.user(f"extra{i}", org_=world.school, roles_=[roles.REVIEWER, roles.EDITOR])
        factories.tier(user, 1 + i % 3, org_=world.school)
        factories.grant(world.account, user, "draft_account")
    workflow_services.policy_create(actor=world.admin, name="一中", account_id=world.account.pk,
                                    tiers=[{"name": "初审", "due_hours": 24}])
    assert queries() == few


def test_set_roles_is_audited(world, as_user):
    client = as_user(world.secadmin)
    url = reverse("web:manage_user_roles", args=[world.editor.pk])
    response = client.get(url)
    assert response.status_code == 200 and 'value="editor" checked' in response.content.decode().replace(
        ' id="id_roles_0"', '')
    response = client.post(url, {"roles": ["editor", "publisher"]})
    assert response.status_code == 302
    world.editor.refresh_from_db()
    assert world.editor.roles == ["editor", "publisher"]
    entry = AuditEntry.objects.get(action="content.user.roles_changed")
    assert entry.actor_id == world.secadmin.pk and entry.data == {"before": ["editor"], "after": ["editor", "publisher"]}
    response = client.post(url, {"roles": ["emperor"]})
    assert response.status_code == 400 and response.context["form"].errors["roles"]


def test_grant_and_revoke_tier_membership(world, as_user):
    client = as_user(world.secadmin)
    url = reverse("web:manage_membership_new")
    response = client.get(url)
    assert response.status_code == 200 and response.context["form"] is None  # step one: the scope
    # one scope or the other
    response = client.post(url, {"user": world.reviewer1b.pk, "tier": 2})
    assert response.status_code == 400
    assert "请指定一个单位或一个账号（二者选一）" in response.content.decode()
    # step two lists the tiers of the scope's effective policy by name (here the default)
    response = client.get(url, {"org": world.school.pk})
    assert response.status_code == 200
    assert response.context["form"].fields["tier"].choices[1:] == [(1, "第 1 级：初审"), (2, "第 2 级：复审"),
                                                                   (3, "第 3 级：终审")]
    response = client.post(url, {"user": world.reviewer1b.pk, "tier": "7", "org": world.school.pk})
    assert response.status_code == 400 and response.context["form"].errors["tier"]
    # a tier membership is the reviewer role's scope: an editor is not offered, and refused next to the field
    # (the service's own refusal, content.permissions.grantee_refusal, is tested in tests/workflow/test_coverage.py)
    response = client.post(url, {"user": world.editor2.pk, "tier": 2, "org": world.school.pk})
    assert response.status_code == 400 and response.context["form"].errors["user"]
    assert world.editor2 not in response.context["form"].fields["user"].queryset
    assert not TierMembership.objects.filter(user=world.editor2).exists()
    response = client.post(url, {"user": world.reviewer1b.pk, "tier": 2, "org": world.school.pk}, follow=True)
    assert "已授予 审核1乙 第 2 级：复审" in response.content.decode()
    membership = TierMembership.objects.get(user=world.reviewer1b, tier=2)
    granted = AuditEntry.objects.get(action="reviewers.membership.granted", target_id=str(membership.pk))
    assert granted.actor_id == world.secadmin.pk and granted.data["tier"] == 2
    # granting it again: a clear message, no error page
    response = client.post(url, {"user": world.reviewer1b.pk, "tier": 2, "org": world.school.pk}, follow=True)
    assert response.status_code == 200 and "该用户已拥有此审核层级" in response.content.decode()
    # revoking asks first; the page names the membership
    revoke = reverse("web:manage_membership_revoke", args=[membership.pk])
    response = client.get(revoke)
    assert response.status_code == 200 and "第 2 级：复审" in response.content.decode()
    response = client.post(revoke)  # without the confirmation: the confirmation page again, nothing revoked
    assert response.status_code == 200 and TierMembership.objects.filter(pk=membership.pk).exists()
    response = client.post(revoke, {"confirmed": "1"})
    assert response.status_code == 302
    assert not TierMembership.objects.filter(pk=membership.pk).exists()
    assert AuditEntry.objects.filter(action="reviewers.membership.revoked", target_id=str(membership.pk)).count() == 1
    # revoked twice (a colleague was first): a message and the current state
    response = client.post(revoke, {"confirmed": "1"}, follow=True)
    assert response.status_code == 200 and "已不存在" in response.content.decode()
