"""The administrators' API for review setup: /api/v1/policies/ (with countersign
tiers) and /api/v1/memberships/, through the same services as /manage/."""
import pytest
from django.contrib.auth.models import Group

from audit.models import AuditEntry
from reviewers.models import TierMembership
from tests.api.helpers import assert_error
from tests.workflow.helpers import countersign_members
from workflow.models import ReviewPolicy

pytestmark = pytest.mark.django_db

URL = "/api/v1"


def test_an_administrator_creates_lists_and_changes_a_countersign_policy(api, world):
    propaganda, secrecy = Group.objects.create(name="宣传部"), Group.objects.create(name="保密办")
    a, b = countersign_members(world, 3, 2)
    a.groups.add(propaganda)
    b.groups.add(secrecy)
    client = api(world.admin)
    body = {"name": "校级会签", "org": "GZS1",
            "tiers": [{"name": "初审", "due_hours": 12}, {"name": "复审"},
                      {"name": "终审", "due_hours": 48, "groups": [propaganda.pk, secrecy.pk]}]}
    response = client.post(f"{URL}/policies/", body, format="json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["org"]["code"] == "GZS1" and created["account"] is None
    assert created["tiers"][2]["groups"] == [propaganda.pk, secrecy.pk] and created["tiers"][2]["signatures"] == 2
    assert created["tiers"][0] == {"order": 1, "name": "初审", "due_hours": 12, "signatures": 1, "groups": [],
                                  "bulk_pass": False}
    assert AuditEntry.objects.filter(action="workflow.policy.created", target_id=str(created["id"])).exists()
    listed = client.get(f"{URL}/policies/").json()
    assert [p["id"] for p in listed["results"]] == [created["id"]]
    response = client.patch(f"{URL}/policies/{created['id']}/",
                            {"tiers": [{"name": "初审"}, {"name": "复审"}, {"name": "会签", "signatures": 2}]}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["tiers"][2]["signatures"] == 2
    assert ReviewPolicy.objects.get().tiers.get(order=3).signatures == 2


def test_policy_errors_are_4xx_with_a_code(api, world):
    client = api(world.admin)
    assert_error(client.post(f"{URL}/policies/", {"name": "x", "tiers": []}, format="json"), 400)
    response = client.post(f"{URL}/policies/", {"name": "三人会签", "account": world.account.pk,
                                                "tiers": [{"name": "会签", "signatures": 3}]}, format="json")
    assert_error(response, 400, "coverage_gap")
    assert "须 3 人会签" in response.json()["detail"]
    assert_error(client.post(f"{URL}/policies/", {"name": "x", "org": "GZS1", "tiers": [{"name": "初审"}],
                                                  "bogus": 1}, format="json"), 400)
    assert_error(client.patch(f"{URL}/policies/999999/", {"name": "x"}, format="json"), 404)
    client.post(f"{URL}/policies/", {"name": "一审", "org": "GZS1", "tiers": [{"name": "初审"}]}, format="json")
    assert_error(client.post(f"{URL}/policies/", {"name": "再一个", "org": "GZS1", "tiers": [{"name": "初审"}]},
                             format="json"), 409, "policy_exists")
    assert_error(api(world.editor).get(f"{URL}/policies/"), 403)


def test_an_administrator_grants_and_lists_memberships(api, world):
    client = api(world.secadmin)
    response = client.post(f"{URL}/memberships/", {"user": "reviewer2", "tier": 1, "account": world.account.pk},
                           format="json")
    assert response.status_code == 201, response.json()
    row = response.json()
    assert row["user"]["username"] == "reviewer2" and row["tier"] == 1 and row["account"]["id"] == world.account.pk
    assert TierMembership.objects.filter(user=world.reviewers[1], tier=1, account=world.account).exists()
    assert AuditEntry.objects.filter(action="reviewers.membership.granted", target_id=str(row["id"])).exists()
    listed = client.get(f"{URL}/memberships/").json()["results"]
    assert row["id"] in [m["id"] for m in listed]
    assert_error(client.post(f"{URL}/memberships/", {"user": "reviewer2", "tier": 1, "account": world.account.pk},
                             format="json"), 409, "membership_exists")
    assert_error(client.post(f"{URL}/memberships/", {"user": "nobody", "tier": 1, "org": "GZ"}, format="json"), 400)
    assert_error(client.post(f"{URL}/memberships/", {"user": "editor", "tier": 1, "org": "GZ"}, format="json"), 400)
    assert_error(client.post(f"{URL}/memberships/", {"user": "reviewer2", "tier": 1}, format="json"), 400,
                 "scope_required")


def test_a_tier_allows_bulk_passing_through_the_api(api, world):
    client = api(world.admin)
    response = client.post(f"{URL}/policies/", {"name": "批量通过", "account": world.account.pk, "tiers": [
        {"name": "初审", "bulk_pass": True}, {"name": "复审"}, {"name": "终审"}]}, format="json")
    assert response.status_code == 201, response.data
    assert [t["bulk_pass"] for t in response.json()["tiers"]] == [True, False, False]
    pk = response.json()["id"]
    response = client.patch(f"{URL}/policies/{pk}/", {"tiers": [{"name": "初审"}, {"name": "终审", "bulk_pass": True}]},
                            format="json")
    assert [t["bulk_pass"] for t in response.json()["tiers"]] == [False, True]
    bad = client.patch(f"{URL}/policies/{pk}/", {"tiers": [{"name": "初审", "bulk_pass": "yes"}]}, format="json")
    assert bad.status_code == 400
