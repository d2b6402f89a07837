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
        assert client.post(reverse("web:manage_membership_revoke", args=[membership.pk])).status_code == 403
    assert TierMembership.objects.count() == 4


def test_the_page_summarises_the_subtree(world, as_user):
    workflow_services.policy_create(actor=world.admin, name="广州三审", org_id=world.city.pk,
                                    tiers=[{"name": "初审", "due_hours": 24}, {"name": "终审", "due_hours": 48}])
    response = as_user(world.admin).get(reverse("web:manage"))
    assert response.status_code == 200
    body = response.content.decode()
    usernames = {u.username for u in response.context["users"]}
    assert {"editor", "manager", "auditor", "unitadmin", "outsider"} <= usernames
    assert len(response.context["memberships"]) == 4
    assert [p.name for p in response.context["policies"]] == ["广州三审"]
    assert "1. 初审（24 小时） → 2. 终审（48 小时）" in body
    assert len(response.context["grants"]) == 3
    assert reverse("admin:content_user_change", args=[world.editor.pk]) in body
    assert "可发布到该账号（授权发布）" in body


def test_a_city_admin_sees_only_his_city(world, as_user):
    city_admin = factories.user("cityadmin", org_=world.other_city, roles_=[roles.UNIT_ADMIN])
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
    client = as_user(world.admin)
    url = reverse("web:manage_user_roles", args=[world.editor.pk])
    response = client.get(url)
    assert response.status_code == 200 and 'value="editor" checked' in response.content.decode().replace(
        ' id="id_roles_0"', '')
    response = client.post(url, {"roles": ["editor", "publisher"]})
    assert response.status_code == 302
    world.editor.refresh_from_db()
    assert world.editor.roles == ["editor", "publisher"]
    entry = AuditEntry.objects.get(action="content.user.roles_changed")
    assert entry.actor_id == world.admin.pk and entry.data == {"before": ["editor"], "after": ["editor", "publisher"]}
    response = client.post(url, {"roles": ["emperor"]})
    assert response.status_code == 400 and response.context["form"].errors["roles"]


def test_grant_and_revoke_tier_membership(world, as_user):
    client = as_user(world.admin)
    assert client.get(reverse("web:manage_membership_new")).status_code == 200
    # one scope or the other
    response = client.post(reverse("web:manage_membership_new"), {"user": world.editor2.pk, "tier": 2})
    assert response.status_code == 400
    assert "请指定一个单位或一个账号（二者选一）" in response.content.decode()
    response = client.post(reverse("web:manage_membership_new"), {"user": world.editor2.pk, "tier": "0",
                                                                  "org": world.school.pk})
    assert response.status_code == 400 and response.context["form"].errors["tier"]
    response = client.post(reverse("web:manage_membership_new"), {"user": world.editor2.pk, "tier": 2,
                                                                  "org": world.school.pk})
    assert response.status_code == 302
    membership = TierMembership.objects.get(user=world.editor2)
    granted = AuditEntry.objects.get(action="reviewers.membership.granted", target_id=str(membership.pk))
    assert granted.actor_id == world.admin.pk and granted.data["tier"] == 2
    # granting it again: a clear message, no error page
    response = client.post(reverse("web:manage_membership_new"), {"user": world.editor2.pk, "tier": 2,
                                                                  "org": world.school.pk}, follow=True)
    assert response.status_code == 200 and "该用户已拥有此审核层级" in response.content.decode()
    response = client.post(reverse("web:manage_membership_revoke", args=[membership.pk]))
    assert response.status_code == 302
    assert not TierMembership.objects.filter(pk=membership.pk).exists()
    assert AuditEntry.objects.filter(action="reviewers.membership.revoked", target_id=str(membership.pk)).count() == 1
    # revoked twice (a colleague was first): a message and the current state
    response = client.post(reverse("web:manage_membership_revoke", args=[membership.pk]), follow=True)
    assert response.status_code == 200 and "已不存在" in response.content.decode()
