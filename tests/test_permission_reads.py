"""A step may read a permission's facts with a row it reads anyway
(content.permissions.grant_exists, reviewers.permissions.membership_exists)
and hand them to the one function that decides (has_account_perm, holds_tier).
Those reads restate a rule as SQL, so they must give the function the same
answer it reaches by asking on its own: checked here over every user, account
and grant or membership shape, not only the ones the workflow tests happen to use."""
import pytest
from django.contrib.auth.models import Group
from django.db.models import OuterRef
from guardian.shortcuts import assign_perm

from content import permissions as content_permissions, roles
from content import services as content_services
from content.models import MediaAccount
from reviewers import permissions as reviewer_permissions
from tests import factories as f

pytestmark = pytest.mark.django_db

PERMS = ("draft_account", "publish_account")


def _grants(user, perm, accounts):
    return dict(MediaAccount.objects.filter(pk__in=[a.pk for a in accounts])
                .annotate(granted=content_permissions.grant_exists(user, perm, OuterRef("pk")))
                .values_list("pk", "granted"))


def test_a_grant_read_with_the_account_gives_has_account_perm_its_own_answer():
    province = f.org("GP")
    city = f.org("GP1", parent=province, kind="city")
    accounts = [f.account(city), f.account(city), f.account(city)]
    group, other_group = Group.objects.create(name="编辑组"), Group.objects.create(name="其他组")
    assign_perm("content.draft_account", group, accounts[1])
    assign_perm("content.publish_account", other_group, accounts[2])

    both = [roles.EDITOR, roles.PUBLISHER]
    direct = f.user(org_=city, roles_=both)
    f.grant(accounts[0], direct, "draft_account")
    f.grant(accounts[2], direct, "publish_account")
    grouped = f.user(org_=city, roles_=both)
    grouped.groups.add(group)
    in_two_groups = f.user(org_=city, roles_=both)
    in_two_groups.groups.add(group, other_group)
    nothing = f.user(org_=city, roles_=both)
    inactive = f.user(org_=city, roles_=both)
    f.grant(accounts[0], inactive, "draft_account")
    inactive.groups.add(group)
    inactive.is_active = False
    inactive.save(update_fields=["is_active"])
    root = f.superuser()
    f.grant(accounts[0], root, "publish_account")
    root.groups.add(group)  # a superuser's group grants do not count: his authorisation is always his own

    answers = set()
    for user in (direct, grouped, in_two_groups, nothing, inactive, root):
        for perm in PERMS:
            read = _grants(user, perm, accounts)
            for account in accounts:
                asked = content_permissions.has_account_perm(user, perm, account)
                assert content_permissions.has_account_perm(user, perm, account, granted=read[account.pk]) == asked, (
                    user.username, perm, account.pk)
                answers.add(asked)
    assert answers == {True, False}  # both answers occur: the comparison is not of one constant


def test_a_membership_read_with_the_account_gives_holds_tier_its_own_answer():
    province = f.org("MP")
    city = f.org("MP1", parent=province, kind="city")
    twin = f.org("MP12", parent=province, kind="city")  # its code starts with the other city's
    school = f.org("MP1S", parent=city)
    accounts = [f.account(province), f.account(city), f.account(twin), f.account(school)]

    at_province = f.user(org_=province, roles_=[roles.REVIEWER])
    f.tier(at_province, 1, org_=province)
    at_city = f.user(org_=city, roles_=[roles.REVIEWER])
    f.tier(at_city, 1, org_=city)
    f.tier(at_city, 2, org_=school)
    at_school = f.user(org_=school, roles_=[roles.REVIEWER])
    f.tier(at_school, 1, org_=school)
    on_account = f.user(org_=twin, roles_=[roles.REVIEWER])
    f.tier(on_account, 2, account_=accounts[2])
    f.tier(on_account, 1, account_=accounts[1])
    none = f.user(org_=city, roles_=[roles.REVIEWER])
    no_role = f.user(org_=city, roles_=[roles.REVIEWER])
    f.tier(no_role, 1, org_=province)
    # the membership stays recorded when the role goes: the role is the precondition
    content_services.user_set_roles(actor=f.superuser(), user_id=no_role.pk, roles_=[roles.EDITOR])
    no_role.refresh_from_db()

    answers = set()
    for user in (at_province, at_city, at_school, on_account, none, no_role):
        for tier in (1, 2, 3):
            read = dict(MediaAccount.objects.filter(pk__in=[a.pk for a in accounts]).annotate(
                member=reviewer_permissions.membership_exists(user, tier=tier, account_id=OuterRef("pk"),
                                                              org_path=OuterRef("org__path")))
                .values_list("pk", "member"))
            for account in accounts:
                asked = reviewer_permissions.holds_tier(user, account, tier)
                assert reviewer_permissions.holds_tier(user, account, tier, member=read[account.pk]) == asked, (
                    user.username, tier, account.org.code)
                answers.add(asked)
    assert answers == {True, False}
