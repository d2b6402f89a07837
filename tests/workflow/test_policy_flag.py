"""has_review_policy (附件1/2 是否建立内容发布审核制度) is computed, never typed in."""
from content.models import MediaAccount
from tests import factories
from workflow import selectors, services


def flags(world):
    qs = selectors.accounts_with_policy_flag(MediaAccount.objects.all())
    return {a.pk: a.has_review_policy for a in qs}


def test_flag_follows_own_and_inherited_policies(world):
    other = factories.account(world.other_city, name="深圳账号")
    assert flags(world) == {world.account.pk: False, other.pk: False}  # the built-in default does not count
    services.policy_create(actor=world.admin, name="市局", org_id=world.city.pk, tiers=[{"name": "审核"}])
    assert flags(world) == {world.account.pk: True, other.pk: False}  # inherited from the city bureau
    services.policy_create(actor=world.admin, name="深圳账号", account_id=other.pk, tiers=[{"name": "审核"}])
    assert flags(world) == {world.account.pk: True, other.pk: True}


def test_flag_is_not_fooled_by_a_sibling_with_a_longer_code(world):
    # a policy on unit "GZS1X" must not cover accounts of "GZS1": paths end with "/"
    sibling = factories.org("GZS1X", parent=world.city)
    services.policy_create(actor=world.admin, name="兄弟单位", org_id=sibling.pk, tiers=[{"name": "审核"}])
    assert flags(world)[world.account.pk] is False
