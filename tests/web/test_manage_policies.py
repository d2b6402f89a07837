"""The unit administrator's review-policy pages (/manage/policies/), the
coverage check on /manage/ and the draft page, and the confirmation steps of
revoking a membership and taking the reviewer role."""
import re

import pytest
from content import services as content_services
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEntry
from content import roles
from reviewers.models import TierMembership
from tests import factories
from tests.workflow.helpers import decide, new_draft, submit
from workflow import services as workflow_services
from workflow.models import Notification, ReviewPolicy

pytestmark = pytest.mark.django_db


def tier_rows(*rows, blank=0, initial=0):
    """POST data of the tier formset: rows of (name, due_hours, order[, delete])."""
    data = {"tiers-TOTAL_FORMS": str(len(rows) + blank), "tiers-INITIAL_FORMS": str(initial),
            "tiers-MIN_NUM_FORMS": "0", "tiers-MAX_NUM_FORMS": "9"}
    for i, row in enumerate(rows):
        name, hours, order, *delete = row
        data.update({f"tiers-{i}-name": name, f"tiers-{i}-due_hours": str(hours), f"tiers-{i}-ORDER": str(order)})
        if delete:
            data[f"tiers-{i}-DELETE"] = "on"
    for j in range(len(rows), len(rows) + blank):
        data.update({f"tiers-{j}-name": "", f"tiers-{j}-due_hours": "24", f"tiers-{j}-ORDER": ""})
    return data


GATE = {"precheck_secrecy_blocks": "on", "precheck_blockers_need_override": "on", "precheck_extra_tier": ""}


def test_create_a_policy_with_ordered_tiers_through_the_service(world, as_user):
    client = as_user(world.admin)
    response = client.get(reverse("web:manage_policy_new"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="tiers-3-name"' in body and 'name="tiers-4-name"' not in body  # four blank rows without JS
    assert "审核中的稿件继续按提交时的审核层级" in body
    # the order numbers reorder the rows; a blank row is ignored
    data = {"name": "广州两级", "org": world.city.pk, **GATE,
            **tier_rows(("校领导终审", 48, 2), ("部门初审", 12, 1), blank=2)}
    response = client.post(reverse("web:manage_policy_new"), data)
    assert response.status_code == 302
    policy = ReviewPolicy.objects.get()
    assert response["Location"] == reverse("web:manage_policy_edit", args=[policy.pk])
    assert policy.org == world.city and [(t["name"], t["due_hours"]) for t in policy.tier_defs()] == [
        ("部门初审", 12), ("校领导终审", 48)]
    assert (policy.precheck_secrecy_blocks, policy.precheck_blockers_need_override, policy.allow_author_publish) == (
        True, True, False)
    entry = AuditEntry.objects.get(action="workflow.policy.created")
    assert entry.actor_id == world.admin.pk and entry.data["after"]["name"] == "广州两级"


def test_the_form_refuses_bad_input_next_to_the_fields(world, as_user):
    client = as_user(world.admin)
    url = reverse("web:manage_policy_new")
    response = client.post(url, {"name": "x", **GATE, **tier_rows(("初审", 24, 1))})
    assert response.status_code == 400 and "请指定一个单位或一个账号（二者选一）" in response.content.decode()
    response = client.post(url, {"name": "x", "org": world.city.pk, **GATE, **tier_rows(blank=3)})
    assert response.status_code == 400 and "至少需要一个审核层级" in response.content.decode()
    response = client.post(url, {"name": "x", "org": world.city.pk, **GATE, **tier_rows(("初审", 0, 1))})
    assert response.status_code == 400 and response.context["tiers"].forms[0].errors["due_hours"]
    response = client.post(url, {"name": "", "org": world.city.pk, **GATE, **tier_rows(("初审", 24, 1))})
    assert response.status_code == 400 and response.context["form"].errors["name"]
    # one policy per unit: the service's refusal comes back on the form
    existing = workflow_services.policy_create(actor=world.admin, name="已有", org_id=world.school.pk,
                                               tiers=[{"name": "审核"}])
    response = client.post(url, {"name": "x", "org": world.school.pk, **GATE, **tier_rows(("初审", 24, 1))})
    assert response.status_code == 400 and "该单位或账号已有审核策略" in response.content.decode()
    assert ReviewPolicy.objects.count() == 1
    workflow_services.policy_delete(actor=world.admin, policy_id=existing.pk)
    # a unit outside his subtree is not offered
    city_admin = factories.user("cityadmin", org_=world.other_city, roles_=[roles.SYSTEM_ADMIN])
    response = as_user(city_admin).post(url, {"name": "x", "org": world.city.pk, **GATE,
                                              **tier_rows(("初审", 24, 1))})
    assert response.status_code == 400 and response.context["form"].errors["org"]
    assert not ReviewPolicy.objects.exists()


def test_a_policy_that_would_strand_items_asks_for_confirmation(world, as_user):
    client = as_user(world.admin)
    factories.tier(world.reviewers[2], 4, org_=world.city)
    data = {"name": "四级", "org": world.city.pk, **GATE,
            **tier_rows(("初审", 24, 1), ("复审", 24, 2), ("终审", 48, 3), ("分管领导", 24, 4))}
    response = client.post(reverse("web:manage_policy_new"), data)
    body = response.content.decode()
    assert response.status_code == 400 and not ReviewPolicy.objects.exists()
    assert "“分管领导”（第 4 级）的审核人员审核3（reviewer3）也是“终审”仅有的审核人员" in body
    assert 'data-testid="policy-confirm-gaps"' in body
    response = client.post(reverse("web:manage_policy_new"), {**data, "confirm_gaps": "on"}, follow=True)
    assert response.status_code == 200 and ReviewPolicy.objects.count() == 1
    assert "注意，以下审核层级仍无人可以审核" in response.content.decode()
    entry = AuditEntry.objects.get(action="workflow.policy.created")
    assert entry.data["coverage_confirmed"] is True


def test_edit_reorders_removes_and_adds_tiers_and_shows_the_reach(world, as_user):
    client = as_user(world.admin)
    policy = workflow_services.policy_create(actor=world.admin, name="广州三级", org_id=world.city.pk, tiers=[
        {"name": "初审", "due_hours": 24}, {"name": "复审", "due_hours": 24}, {"name": "终审", "due_hours": 48}])
    other = factories.account(world.school, name="一中微博", platform="weibo")
    workflow_services.policy_create(actor=world.admin, name="微博一级", account_id=other.pk,
                                    tiers=[{"name": "审核", "due_hours": 8}])
    submit(world, new_draft(world))
    url = reverse("web:manage_policy_edit", args=[policy.pk])
    response = client.get(url)
    body = response.content.decode()
    assert response.status_code == 200
    reach = response.context["reach"]
    assert [a.pk for a in reach["accounts"]] == [world.account.pk] and reach["in_review"] == 1
    assert [p.name for p in reach["others"]] == ["微博一级"]
    assert "目前有 1 篇稿件正在审核，不受本次修改影响" in body
    assert 'name="org"' not in body  # the scope is fixed
    # remove 复审, swap the other two, add 分管领导 in a blank row
    data = {"name": "广州三级（新）", **GATE,
            **tier_rows(("初审", 24, 2), ("复审", 24, 2, "delete"), ("终审", 48, 1), ("分管领导", 12, 3),
                        initial=3, blank=1)}
    factories.tier(world.reviewer1b, 3, account_=world.account)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    policy.refresh_from_db()
    assert policy.name == "广州三级（新）"
    assert [(t["order"], t["name"]) for t in policy.tier_defs()] == [(1, "终审"), (2, "初审"), (3, "分管领导")]
    # the round already open kept its tiers
    from reviewers.models import ReviewRound

    assert [t["name"] for t in ReviewRound.objects.get().tiers] == ["初审", "复审", "终审"]


def test_delete_asks_first_and_says_what_applies_afterwards(world, as_user):
    client = as_user(world.admin)
    city = workflow_services.policy_create(actor=world.admin, name="广州两级", org_id=world.city.pk,
                                           tiers=[{"name": "初审"}, {"name": "终审"}])
    school = workflow_services.policy_create(actor=world.admin, name="一中一级", org_id=world.school.pk,
                                             tiers=[{"name": "审核"}])
    url = reverse("web:manage_policy_delete", args=[school.pk])
    response = client.get(url)
    assert response.status_code == 200 and ReviewPolicy.objects.filter(pk=school.pk).exists()
    assert response.context["fallback"] == city and "改按上级的“广州两级”审核" in response.content.decode()
    response = client.post(url)
    assert response.status_code == 302 and not ReviewPolicy.objects.filter(pk=school.pk).exists()
    assert AuditEntry.objects.filter(action="workflow.policy.deleted", target_id=str(school.pk)).exists()
    assert client.get(url).status_code == 404


def test_deleting_into_a_gap_needs_the_tick(world, as_user):
    client = as_user(world.admin)
    workflow_services.membership_revoke(actor=world.secadmin, confirm_gaps=True,  # nobody at tier 3 any more
                                        membership_id=TierMembership.objects.get(user=world.reviewers[2]).pk)
    policy = workflow_services.policy_create(actor=world.admin, name="两级", org_id=world.city.pk,
                                             tiers=[{"name": "初审"}, {"name": "复审"}])
    url = reverse("web:manage_policy_delete", args=[policy.pk])
    response = client.post(url)
    assert response.status_code == 400 and "“终审”（第 3 级）没有可审核人员" in response.content.decode()
    assert response.context["ask_confirm"] and ReviewPolicy.objects.filter(pk=policy.pk).exists()
    assert client.post(url, {"confirm_gaps": "on"}).status_code == 302
    assert not ReviewPolicy.objects.filter(pk=policy.pk).exists()


def test_policies_of_another_subtree_are_not_found(world, as_user):
    policy = workflow_services.policy_create(actor=world.admin, name="广州", org_id=world.city.pk,
                                             tiers=[{"name": "初审"}])
    city_admin = factories.user("cityadmin", org_=world.other_city, roles_=[roles.SYSTEM_ADMIN])
    client = as_user(city_admin)
    assert client.get(reverse("web:manage_policy_edit", args=[policy.pk])).status_code == 404
    assert client.post(reverse("web:manage_policy_delete", args=[policy.pk])).status_code == 404
    assert client.get(reverse("web:manage_policies")).context["policies"] == []
    assert ReviewPolicy.objects.filter(pk=policy.pk).exists()


def test_the_list_shows_tiers_gate_and_reach_at_a_constant_cost(world, as_user):
    client = as_user(world.admin)
    workflow_services.policy_create(actor=world.admin, name="广州", org_id=world.city.pk,
                                    tiers=[{"name": "初审"}, {"name": "终审"}], precheck_extra_tier="终审",
                                    confirm_gaps=True)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("web:manage_policies"))
            assert response.status_code == 200
        return len(captured), response

    few, response = queries()
    body = response.content.decode()
    assert "1. 初审（24 小时） → 2. 终审（24 小时） → " in body and "机审加审" in body
    [card] = response.context["policies"]
    assert card.reach["count"] == 1 and card.reach["accounts"][0] == world.account
    for i in range(12):
        org = factories.org(f"S{i}", parent=world.city)
        account = factories.account(org, name=f"学校{i}")
        workflow_services.policy_create(actor=world.admin, name=f"策略{i}", confirm_gaps=True,
                                        **({"org_id": org.pk} if i % 2 else {"account_id": account.pk}),
                                        tiers=[{"name": "初审"}, {"name": "复审"}, {"name": "终审"}])
    many, response = queries()
    assert len(response.context["policies"]) == 13
    assert many == few, (few, many)


# ---------------------------------------------------------------- the tier membership form and revoking

def test_the_tier_list_names_the_scopes_tiers_and_the_subtrees_variants(world, as_user):
    client = as_user(world.secadmin)
    workflow_services.policy_create(actor=world.admin, name="广州", org_id=world.city.pk,
                                    tiers=[{"name": "部门初审"}, {"name": "校领导终审"}])
    workflow_services.policy_create(actor=world.admin, name="一中", account_id=world.account.pk,
                                    tiers=[{"name": "编辑部初审"}, {"name": "分管领导"}],
                                    precheck_extra_tier="保密审查", confirm_gaps=True)
    url = reverse("web:manage_membership_new")
    choices = client.get(url, {"account": world.account.pk}).context["form"].fields["tier"].choices[1:]
    assert choices == [(1, "第 1 级：编辑部初审"), (2, "第 2 级：分管领导"), (3, "第 3 级：保密审查（机审加审）")]
    choices = client.get(url, {"org": world.city.pk}).context["form"].fields["tier"].choices[1:]
    assert choices == [(1, "第 1 级：部门初审（下级策略中：编辑部初审）"), (2, "第 2 级：校领导终审（下级策略中：分管领导）"),
                       (3, "第 3 级（下级策略中：保密审查）")]
    # only reviewers are offered; an auditor posted anyway is refused by the form
    users = client.get(url, {"org": world.city.pk}).context["form"].fields["user"].queryset
    assert world.auditor not in users and world.reviewers[0] in users
    response = client.post(url, {"user": world.auditor.pk, "tier": 1, "org": world.city.pk})
    assert response.status_code == 400 and response.context["form"].errors["user"]
    assert not TierMembership.objects.filter(user=world.auditor).exists()


def test_the_manage_page_names_tiers_and_links_the_revoke_confirmation(world, as_user):
    response = as_user(world.secadmin).get(reverse("web:manage"))
    body = response.content.decode()
    assert {m.tier_label for m in response.context["memberships"]} == {"第 1 级：初审", "第 2 级：复审", "第 3 级：终审"}
    membership = TierMembership.objects.get(user=world.reviewers[1])
    assert reverse("web:manage_membership_revoke", args=[membership.pk]) in body
    assert 'data-testid="coverage-ok"' in body


def test_revoking_the_last_holder_of_a_tier_warns_and_needs_the_second_confirmation(world, as_user):
    client = as_user(world.secadmin)
    membership = TierMembership.objects.get(user=world.reviewers[1])
    url = reverse("web:manage_membership_revoke", args=[membership.pk])
    response = client.get(url)
    body = response.content.decode()
    assert "广州一中（微信公众号）：“复审”（第 2 级）没有可审核人员" in body and "仍然撤销" in body
    response = client.post(url, {"confirmed": "1"})  # the page had no gap then, say: refused now
    assert response.status_code == 400 and TierMembership.objects.filter(pk=membership.pk).exists()
    response = client.post(url, {"confirmed": "1", "confirm_gaps": "1"})
    assert response.status_code == 302 and not TierMembership.objects.filter(pk=membership.pk).exists()
    entry = AuditEntry.objects.get(action="reviewers.membership.revoked")
    assert entry.data["coverage_confirmed"] is True


def test_taking_the_only_final_reviewers_role_asks_for_the_tick(world, as_user):
    client = as_user(world.secadmin)
    url = reverse("web:manage_user_roles", args=[world.reviewers[2].pk])
    response = client.post(url, {"roles": ["editor"]})
    body = response.content.decode()
    assert response.status_code == 400 and "“终审”（第 3 级）没有可审核人员" in body
    assert 'data-testid="roles-confirm-gaps"' in body
    world.reviewers[2].refresh_from_db()
    assert world.reviewers[2].roles == ["reviewer"]
    assert client.post(url, {"roles": ["editor"], "confirm_gaps": "on"}).status_code == 302
    world.reviewers[2].refresh_from_db()
    assert world.reviewers[2].roles == ["editor"]


# ---------------------------------------------------------------- where a stranded round shows

def _strand(world):
    sub = decide(world.reviewers[0], submit(world, new_draft(world, title="停在复审的通知")))
    workflow_services.membership_revoke(actor=world.secadmin, membership_id=TierMembership.objects.get(
        user=world.reviewers[1]).pk, confirm_gaps=True)
    return sub


def test_the_manage_page_and_the_draft_page_show_a_round_nobody_may_decide(world, as_user):
    sub = _strand(world)
    body = as_user(world.secadmin).get(reverse("web:manage")).content.decode()
    assert "当前层级无可审核人员" in body and "停在复审的通知" in body
    assert f"{reverse('web:manage_membership_new')}?account={world.account.pk}" in body
    assert "“复审”（第 2 级）没有可审核人员" in body  # and the configuration gap behind it
    body = as_user(world.editor).get(reverse("web:draft_detail", args=[sub.draft_id])).content.decode()
    assert 'data-testid="no-decider"' in body and "当前层级无可审核人员" in body
    factories.tier(world.reviewer1b, 2, account_=world.account)
    body = as_user(world.editor).get(reverse("web:draft_detail", args=[sub.draft_id])).content.decode()
    assert 'data-testid="no-decider"' not in body


def test_the_administrators_notification_links_to_the_coverage_check(world, as_user):
    _strand(world)
    workflow_services.stranded_rounds_notify(actor=content_services.system_actor())
    note = Notification.objects.get(recipient=world.secadmin, kind=Notification.Kind.NO_DECIDER_ADMIN)
    response = as_user(world.secadmin).get(reverse("web:notifications"))
    assert f'href="{reverse("web:manage")}#coverage"' in response.content.decode()
    assert note.title in response.content.decode()


def test_bulk_passing_and_round_robin_are_set_on_the_page_and_kept_by_an_edit(world, as_user):
    """The tier's "允许批量通过" and the policy's "轮流指派" are the page's own
    fields; editing a policy keeps them unless they are unticked."""
    client = as_user(world.admin)
    data = {"name": "广州批量", "org": world.city.pk, **GATE, "auto_assign": "on",
            **tier_rows(("初审", 24, 1), ("复审", 24, 2), ("终审", 48, 3), blank=1)}
    data["tiers-0-bulk_pass"] = "on"
    assert client.post(reverse("web:manage_policy_new"), data).status_code == 302
    policy = ReviewPolicy.objects.get()
    assert policy.auto_assign is True
    assert [t.get("bulk_pass", False) for t in policy.tier_defs()] == [True, False, False]
    url = reverse("web:manage_policy_edit", args=[policy.pk])
    body = client.get(url).content.decode()
    assert re.search(r'<input[^>]*name="tiers-0-bulk_pass"[^>]*checked', body)
    assert not re.search(r'<input[^>]*name="tiers-1-bulk_pass"[^>]*checked', body)
    assert re.search(r'<input[^>]*name="auto_assign"[^>]*checked', body)
    assert "可批量通过" in client.get(reverse("web:manage_policies")).content.decode()
    # an edit that changes only the name keeps both
    edit = {"name": "广州批量（改）", **GATE, "auto_assign": "on",
            **tier_rows(("初审", 24, 1), ("复审", 24, 2), ("终审", 48, 3), initial=3)}
    edit["tiers-0-bulk_pass"] = "on"
    assert client.post(url, edit).status_code == 302
    policy.refresh_from_db()
    assert policy.auto_assign is True and policy.tier_defs()[0]["bulk_pass"] is True
    # unticked: gone
    del edit["tiers-0-bulk_pass"], edit["auto_assign"]
    assert client.post(url, edit).status_code == 302
    policy.refresh_from_db()
    assert policy.auto_assign is False and "bulk_pass" not in policy.tier_defs()[0]


def test_a_tiers_lead_is_granted_on_the_page(world, as_user):
    client = as_user(world.secadmin)  # tier memberships are the security administrator's
    url = reverse("web:manage_membership_new")
    response = client.post(url, {"user": world.reviewer1b.pk, "tier": 2, "org": world.school.pk, "is_lead": "on"})
    assert response.status_code == 302
    membership = TierMembership.objects.get(user=world.reviewer1b, tier=2)
    assert membership.is_lead is True
    assert AuditEntry.objects.get(action="reviewers.membership.granted",
                                  target_id=str(membership.pk)).data["is_lead"] is True
    assert 'data-testid="membership-lead"' in client.get(reverse("web:manage")).content.decode()
