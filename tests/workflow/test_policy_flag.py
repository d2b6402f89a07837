"""has_review_policy (附件1/2 是否建立内容发布审核制度) is computed, never typed in.

The rule: a policy is in force for an account when one is configured for it or
a unit above it, or when the account is worked through the system (someone
holds 授权撰稿 or 授权发布 on it, or a draft of it was submitted), since then
everything it publishes here passes the built-in default's three tiers."""
from django.contrib.auth.models import Group
from guardian.shortcuts import assign_perm

from content import services as content_services
from content.models import MediaAccount
from tests import factories
from workflow import selectors, services


def flags(world, field="has_review_policy"):
    qs = selectors.accounts_with_policy_flag(MediaAccount.objects.all())
    return {a.pk: getattr(a, field) for a in qs}


def test_an_account_worked_through_the_system_is_reviewed_under_the_default(world):
    """The world's account has editors and a publisher and no configured policy:
    its drafts pass 初审/复审/终审 of the built-in default, so 是."""
    idle = factories.account(world.other_city, name="深圳账号")
    assert flags(world) == {world.account.pk: True, idle.pk: False}
    assert flags(world, "has_configured_policy") == {world.account.pk: False, idle.pk: False}


def test_each_way_of_working_through_the_system_counts(world):
    by_editor = factories.account(world.city, name="授权撰稿")
    by_publisher = factories.account(world.city, name="授权发布")
    by_group = factories.account(world.city, name="用户组授权")
    submitted = factories.account(world.city, name="曾提交审核")
    idle = factories.account(world.city, name="未使用")
    factories.grant(by_editor, world.editor, "draft_account")
    factories.grant(by_publisher, world.publisher, "publish_account")
    group = Group.objects.create(name="发布组")
    assign_perm("content.publish_account", group, by_group)
    # a draft submitted once, the grant revoked since: its drafts were reviewed
    factories.grant(submitted, world.editor, "draft_account")
    draft = content_services.draft_create(actor=world.editor, account_id=submitted.pk, title="通知", body="<p>正文</p>")
    services.submission_submit(actor=world.editor, draft_id=draft.pk)
    content_services.account_permission_revoke(actor=world.secadmin, account_id=submitted.pk, user_id=world.editor.pk,
                                               perm="draft_account")
    got = flags(world)
    assert {name: got[a.pk] for name, a in (("editor", by_editor), ("publisher", by_publisher),
                                            ("group", by_group), ("submitted", submitted), ("idle", idle))} == {
        "editor": True, "publisher": True, "group": True, "submitted": True, "idle": False}


def test_a_configured_policy_counts_for_the_account_and_the_units_below(world):
    other = factories.account(world.other_city, name="深圳账号")
    services.policy_create(actor=world.admin, name="深圳市局", org_id=world.other_city.pk, tiers=[{"name": "审核"}])
    assert flags(world)[other.pk] is True
    assert flags(world, "has_configured_policy")[other.pk] is True
    third = factories.account(world.province, name="厅账号")
    assert flags(world)[third.pk] is False
    services.policy_create(actor=world.admin, name="厅账号", account_id=third.pk, tiers=[{"name": "审核"}])
    assert flags(world)[third.pk] is True


def test_flag_is_not_fooled_by_a_sibling_with_a_longer_code(world):
    # a policy on unit "GZS1X" must not cover accounts of "GZS1": paths end with "/"
    idle = factories.account(world.school, name="未使用")
    sibling = factories.org("GZS1X", parent=world.city)
    services.policy_create(actor=world.admin, name="兄弟单位", org_id=sibling.pk, tiers=[{"name": "审核"}])
    assert flags(world)[idle.pk] is False
    assert flags(world, "has_configured_policy")[world.account.pk] is False
