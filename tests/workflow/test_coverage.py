"""Review coverage: every tier of a round must be decidable by a distinct
eligible person. The pure rule (workflow.coverage), its reads
(workflow.selectors.review_coverage, stranded_submissions), the services that
refuse a change leaving a tier without anyone (policies, revoking a membership,
taking the reviewer role), the role checks of grants, and the periodic command
``check_review_coverage``."""
import io
import json

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditEntry
from content import roles
from content import services as content_services
from content.errors import ValidationFailed
from reviewers import services as reviewer_services
from reviewers.models import TierMembership
from tests import factories
from tests.workflow.helpers import decide, new_draft, submit
from workflow import coverage, selectors, services, states
from workflow.models import Notification, ReviewPolicy

pytestmark = pytest.mark.django_db

TIERS4 = [{"name": "初审", "due_hours": 24}, {"name": "复审", "due_hours": 24}, {"name": "终审", "due_hours": 48},
          {"name": "分管领导", "due_hours": 24}]


def _tiers(*names):
    return [{"order": i, "name": n} for i, n in enumerate(names, start=1)]


# ---------------------------------------------------------------- the pure rule

def test_a_fourth_tier_held_only_by_the_third_tiers_signer_cannot_be_staffed():
    tiers = _tiers("初审", "复审", "终审", "分管领导")
    [gap] = coverage.tier_gaps(tiers, {1: {10, 11}, 2: {20}, 3: {30}, 4: {30}})
    assert (gap.order, gap.name, gap.reason, gap.people, gap.with_tiers) == (4, "分管领导", coverage.SHARED, (30,),
                                                                            ("终审",))
    text = coverage.gap_text("广州一中（微信公众号）", gap, {30: "审核3（reviewer3）"})
    assert text == ("广州一中（微信公众号）：“分管领导”（第 4 级）的审核人员审核3（reviewer3）也是“终审”仅有的审核人员，"
                    "同一轮审核中每人只能签署一个层级")


def test_the_matching_reassigns_people_rather_than_reporting_a_false_gap():
    # tier 1 would take person 1 first; tier 2 can only be person 1, so tier 1 moves to person 2
    assert coverage.tier_gaps(_tiers("a", "b"), {1: {1, 2}, 2: {1}}) == []
    assert coverage.tier_gaps(_tiers("a", "b", "c"), {1: {1, 2}, 2: {2, 3}, 3: {1}}) == []


def test_a_tier_without_anyone_and_a_shared_pair_are_told_apart():
    gaps = coverage.tier_gaps(_tiers("a", "b", "c", "d"), {1: {1}, 2: {1}, 4: {4}})
    assert [(g.order, g.reason) for g in gaps] == [(2, coverage.SHARED), (3, coverage.NOBODY)]
    assert gaps[0].with_tiers == ("a",) and gaps[0].people == (1,)
    assert "没有可审核人员" in coverage.gap_text("X", gaps[1], {})


def test_excluded_people_do_not_count():
    assert coverage.tier_gaps(_tiers("a"), {1: {7}}, excluded={7})[0].reason == coverage.NOBODY


def test_author_warnings_name_the_editor_whose_drafts_would_strand():
    tiers = _tiers("初审", "终审")
    # the editor 5 is the only one at tier 1: his own drafts cannot pass it; other editors' can
    cov = coverage.account_coverage(object(), None, tiers, {1: {5}, 2: {6}}, authors={5, 9})
    assert cov.ok and [(w.order, w.author_id, w.reason) for w in cov.warnings] == [(1, 5, coverage.AUTHOR)]
    assert coverage.gap_text("A", cov.warnings[0], {5: "编辑甲（editor）"}) == (
        "A：编辑甲（editor）撰写的稿件在“初审”（第 1 级）没有可审核人员（作者不能审核自己的稿件）")
    # with a second person at tier 1 there is nothing to warn about
    assert coverage.account_coverage(object(), None, tiers, {1: {5, 7}, 2: {6}}, authors={5}).warnings == []


# ---------------------------------------------------------------- the reads

def test_the_world_is_covered_and_eligibility_needs_an_active_reviewer(world):
    report = selectors.review_coverage([world.account])
    cov = report.accounts[world.account.pk]
    assert cov.ok and cov.warnings == [] and [t["name"] for t in cov.tiers] == ["初审", "复审", "终审"]
    # an auditor holding a tier (granted before grants checked roles) is no decider
    auditor_tier = TierMembership.objects.create(user=world.auditor, tier=2, org=world.city)
    content_services.user_update(actor=world.admin, user_id=world.reviewers[1].pk, is_active=False)
    [gap] = selectors.review_coverage([world.account]).accounts[world.account.pk].gaps
    assert (gap.order, gap.reason) == (2, coverage.NOBODY)
    auditor_tier.delete()


def test_the_extra_tier_of_the_pre_check_is_part_of_the_chain(world):
    policy = services.policy_create(actor=world.admin, name="两级", account_id=world.account.pk,
                                    tiers=TIERS4[:2], precheck_extra_tier="保密审查", confirm_gaps=True)
    assert selectors.coverage_tiers(policy)[-1] == {"order": 3, "name": "保密审查", "due_hours": 24, "extra": True}
    assert selectors.review_coverage([world.account]).accounts[world.account.pk].ok  # reviewer3 holds tier 3


def test_review_coverage_costs_the_same_queries_for_one_and_many_accounts(world, django_assert_max_num_queries):
    accounts = [world.account] + [factories.account(world.school, name=f"A{i}") for i in range(12)]
    for i, account in enumerate(accounts[1:]):
        factories.tier(world.reviewers[i % 3], 1 + (i + 1) % 3, account_=account)
    with django_assert_max_num_queries(5):
        selectors.review_coverage(accounts[:1])
    with django_assert_max_num_queries(5):
        report = selectors.review_coverage(accounts)
    assert len(report.accounts) == 13


# ---------------------------------------------------------------- policies refuse what would strand items

def test_a_policy_whose_fourth_tier_only_the_third_tiers_signer_holds_is_refused(world):
    factories.tier(world.reviewers[2], 4, org_=world.city)
    entries = AuditEntry.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        services.policy_create(actor=world.admin, name="四级", org_id=world.city.pk, tiers=TIERS4)
    assert exc.value.code == "coverage_gap"
    assert "广州一中（微信公众号）：“分管领导”（第 4 级）的审核人员审核3（reviewer3）也是“终审”仅有的审核人员" in exc.value.message
    assert not ReviewPolicy.objects.exists() and AuditEntry.objects.count() == entries
    # confirmed: created, and the entry records what was accepted
    policy = services.policy_create(actor=world.admin, name="四级", org_id=world.city.pk, tiers=TIERS4,
                                    confirm_gaps=True)
    entry = AuditEntry.objects.get(action="workflow.policy.created", target_id=str(policy.pk))
    assert entry.data["coverage_confirmed"] is True
    assert entry.data["coverage_gaps"] == [
        "广州一中（微信公众号）：“分管领导”（第 4 级）的审核人员审核3（reviewer3）也是“终审”仅有的审核人员，"
        "同一轮审核中每人只能签署一个层级"]


def test_a_policy_that_strands_nothing_records_no_gaps(world):
    policy = services.policy_create(actor=world.admin, name="两级", org_id=world.city.pk, tiers=TIERS4[:2])
    entry = AuditEntry.objects.get(action="workflow.policy.created", target_id=str(policy.pk))
    assert "coverage_gaps" not in entry.data


def test_a_policy_change_adding_an_unstaffed_tier_is_refused_and_an_old_gap_does_not_block_others(world):
    policy = services.policy_create(actor=world.admin, name="两级", org_id=world.city.pk, tiers=TIERS4[:2])
    with pytest.raises(ValidationFailed) as exc:
        services.policy_change(actor=world.admin, policy_id=policy.pk,
                               tiers=TIERS4[:2] + [{"name": "党委审核", "due_hours": 24}, TIERS4[3]])
    assert exc.value.code == "coverage_gap" and "“分管领导”（第 4 级）没有可审核人员" in exc.value.message
    assert [t["name"] for t in ReviewPolicy.objects.get().tier_defs()] == ["初审", "复审"]  # rolled back
    # an extra tier nobody holds is refused like any tier
    with pytest.raises(ValidationFailed) as exc:
        services.policy_change(actor=world.admin, policy_id=policy.pk, tiers=TIERS4[:3], precheck_extra_tier="保密审查")
    assert "“保密审查”（第 4 级）没有可审核人员" in exc.value.message
    services.policy_change(actor=world.admin, policy_id=policy.pk, tiers=TIERS4, confirm_gaps=True)
    # the gap exists now; renaming the policy or changing its gate is not refused for it
    services.policy_change(actor=world.admin, policy_id=policy.pk, name="四级（待配人员）")
    changed = AuditEntry.objects.filter(action="workflow.policy.changed").order_by("-seq").first()
    assert changed.data["after"]["name"] == "四级（待配人员）" and "coverage_gaps" not in changed.data


def test_deleting_a_policy_whose_fallback_cannot_be_staffed_is_refused_unless_confirmed(world):
    province = factories.org("P2", kind="province")
    account = factories.account(province, name="二号账号")
    reviewer = factories.user("solo", org_=province, roles_=[roles.REVIEWER])
    factories.tier(reviewer, 1, org_=province)
    admin = factories.user("p2admin", org_=province, roles_=[roles.SYSTEM_ADMIN])
    policy = services.policy_create(actor=admin, name="一级", org_id=province.pk, tiers=[{"name": "审核"}])
    with pytest.raises(ValidationFailed) as exc:
        services.policy_delete(actor=admin, policy_id=policy.pk)
    assert exc.value.code == "coverage_gap" and "删除该审核策略后" in exc.value.message
    assert "二号账号（微信公众号）：“复审”（第 2 级）没有可审核人员" in exc.value.message
    assert ReviewPolicy.objects.filter(pk=policy.pk).exists()
    services.policy_delete(actor=admin, policy_id=policy.pk, confirm_gaps=True)
    entry = AuditEntry.objects.get(action="workflow.policy.deleted")
    assert entry.target_id == str(policy.pk) and len(entry.data["coverage_gaps"]) == 2
    assert selectors.review_coverage([account]).accounts[account.pk].gaps[0].name == "复审"


def test_a_policy_for_a_closed_account_strands_nothing(world):
    other = factories.account(world.school, name="已关闭")
    content_services.account_close(actor=world.manager, account_id=other.pk)
    services.policy_create(actor=world.admin, name="五级", account_id=other.pk, tiers=TIERS4 + [{"name": "五审"}])
    assert ReviewPolicy.objects.filter(account=other).exists()


# ---------------------------------------------------------------- revoking and taking the reviewer role

def test_revoking_the_only_tier_two_membership_is_refused_unless_confirmed(world):
    membership = TierMembership.objects.get(user=world.reviewers[1])
    with pytest.raises(ValidationFailed) as exc:
        services.membership_revoke(actor=world.secadmin, membership_id=membership.pk)
    assert exc.value.code == "coverage_gap"
    assert exc.value.message.startswith("撤销该审核层级后，以下审核层级将无人可以审核")
    assert "广州一中（微信公众号）：“复审”（第 2 级）没有可审核人员" in exc.value.message
    assert TierMembership.objects.filter(pk=membership.pk).exists()
    assert not AuditEntry.objects.filter(action="reviewers.membership.revoked").exists()
    services.membership_revoke(actor=world.secadmin, membership_id=membership.pk, confirm_gaps=True)
    entry = AuditEntry.objects.get(action="reviewers.membership.revoked")
    assert entry.data["coverage_confirmed"] is True and entry.data["tier"] == 2
    assert entry.data["coverage_gaps"] == ["广州一中（微信公众号）：“复审”（第 2 级）没有可审核人员（需持有审核人角色并被授予该层级）"]


def test_revoking_a_membership_someone_else_covers_needs_no_confirmation(world):
    membership = TierMembership.objects.get(user=world.reviewer1b)
    services.membership_revoke(actor=world.secadmin, membership_id=membership.pk)
    entry = AuditEntry.objects.get(action="reviewers.membership.revoked")
    assert "coverage_gaps" not in entry.data


def test_revoking_is_refused_to_others_and_unknown_memberships(world):
    from content.errors import NotAllowed, NotFound

    membership = TierMembership.objects.get(user=world.reviewer1b)
    with pytest.raises(NotAllowed):
        services.membership_revoke(actor=world.editor, membership_id=membership.pk)
    with pytest.raises(NotFound):
        services.membership_revoke(actor=world.secadmin, membership_id=987654)


def test_taking_the_reviewer_role_from_the_only_final_reviewer_is_refused_unless_confirmed(world):
    reviewer3 = world.reviewers[2]
    with pytest.raises(ValidationFailed) as exc:
        services.user_set_roles(actor=world.secadmin, user_id=reviewer3.pk, roles_=[roles.EDITOR])
    assert exc.value.code == "coverage_gap" and "取消该用户的审核人角色后" in exc.value.message
    assert "“终审”（第 3 级）没有可审核人员" in exc.value.message
    reviewer3.refresh_from_db()
    assert reviewer3.roles == [roles.REVIEWER]
    # adding a role is not checked; taking it with the confirmation is recorded
    services.user_set_roles(actor=world.secadmin, user_id=reviewer3.pk, roles_=[roles.REVIEWER, roles.EDITOR])
    services.user_set_roles(actor=world.secadmin, user_id=reviewer3.pk, roles_=[roles.EDITOR], confirm_gaps=True)
    entry = AuditEntry.objects.filter(action="content.user.roles_changed", target_id=str(reviewer3.pk)).last()
    assert entry.data["after"] == [roles.EDITOR] and entry.data["coverage_confirmed"] is True
    assert "“终审”（第 3 级）" in entry.data["coverage_gaps"][0]


def test_taking_the_reviewer_role_from_someone_replaceable_is_not_refused(world):
    services.user_set_roles(actor=world.secadmin, user_id=world.reviewer1b.pk, roles_=[])
    entry = AuditEntry.objects.filter(action="content.user.roles_changed").last()
    assert entry.data == {"before": [roles.REVIEWER], "after": [], "sign_ins_ended": 0}


# ---------------------------------------------------------------- grants check the grantee's roles

def test_a_tier_membership_needs_the_reviewer_role(world):
    entries = AuditEntry.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        factories.tier(world.auditor, 1, org_=world.city)
    assert exc.value.code == "grantee_lacks_role" and "审核人" in exc.value.fields["user"][0]
    content_services.user_update(actor=world.admin, user_id=world.reviewer1b.pk, is_active=False)
    with pytest.raises(ValidationFailed) as exc:
        factories.tier(world.reviewer1b, 2, org_=world.city)
    assert "已停用" in exc.value.message
    assert AuditEntry.objects.count() == entries + 1  # only the deactivation
    # a superuser counts as holding every role
    root = factories.superuser()
    assert reviewer_services.membership_grant(actor=world.secadmin, user_id=root.pk, tier=1, org_id=world.city.pk)


@pytest.mark.parametrize("perm, role, missing", [("draft_account", roles.EDITOR, "编辑"),
                                                  ("publish_account", roles.PUBLISHER, "授权发布人")])
def test_account_grants_need_their_role(world, perm, role, missing):
    someone = factories.user("someone", org_=world.school, roles_=[roles.AUDITOR])
    with pytest.raises(ValidationFailed) as exc:
        factories.grant(world.account, someone, perm)
    assert exc.value.code == "grantee_lacks_role" and f"没有“{missing}”角色" in exc.value.message
    factories.add_roles(someone, role)
    factories.grant(world.account, someone, perm)
    entry = AuditEntry.objects.filter(action="content.account.permission_granted").last()
    assert entry.data == {"user_id": someone.pk, "username": "someone", "perm": perm}


# ---------------------------------------------------------------- open rounds nobody may decide

def _strand_tier_two(world):
    """A submission that passed tier 1 and waits at tier 2, whose only holder then lost it."""
    sub = decide(world.reviewers[0], submit(world, new_draft(world)))
    membership = TierMembership.objects.get(user=world.reviewers[1])
    services.membership_revoke(actor=world.secadmin, membership_id=membership.pk, confirm_gaps=True)
    return sub


def test_stranded_submissions_leave_out_the_author_and_this_rounds_signers(world):
    sub = _strand_tier_two(world)
    assert [s.pk for s in selectors.stranded_submissions()] == [sub.pk]
    # reviewer1 also holds tier 2, but he signed tier 1 of this round
    factories.tier(world.reviewers[0], 2, org_=world.city)
    assert [s.pk for s in selectors.stranded_submissions()] == [sub.pk]
    # the author holds it too: still nobody
    factories.add_roles(world.editor, roles.REVIEWER)
    factories.tier(world.editor, 2, account_=world.account)
    assert [s.pk for s in selectors.stranded_submissions(org=world.city)] == [sub.pk]
    assert selectors.stranded_submissions(org=world.other_city) == []
    # someone else holds it: decidable again
    factories.tier(world.reviewer1b, 2, account_=world.account)
    assert selectors.stranded_submissions() == []


def test_stranded_submissions_cost_three_queries_for_one_or_many(world, django_assert_num_queries):
    _strand_tier_two(world)
    with django_assert_num_queries(3):
        assert len(selectors.stranded_submissions()) == 1
    for i in range(6):
        decide(world.reviewers[0], submit(world, new_draft(world, title=f"第{i}篇")))
    with django_assert_num_queries(3):
        assert len(selectors.stranded_submissions()) == 7


def test_the_command_notifies_the_editor_and_the_security_admins_once(world):
    sub = _strand_tier_two(world)
    city_admin = factories.user("cityadmin", org_=world.city, roles_=[roles.SECURITY_ADMIN])
    factories.user("szadmin", org_=world.other_city, roles_=[roles.SECURITY_ADMIN])  # another city: not told
    out = io.StringIO()
    call_command("check_review_coverage", stdout=out)
    text = out.getvalue()
    assert f"已通知\t送审单 {sub.pk}\t广州一中\t“复审”（第 2 级）" in text
    assert "全部单位：1 篇审核中的稿件当前层级无可审核人员，本次通知 1 篇。" in text
    editor_note = Notification.objects.get(recipient=world.editor, kind=Notification.Kind.NO_DECIDER)
    assert editor_note.kind == Notification.Kind.NO_DECIDER and editor_note.submission_id == sub.pk
    assert "“复审”（第 2 级）无可审核人员" in editor_note.title and "已通知安全管理员" in editor_note.message
    admins = Notification.objects.filter(kind=Notification.Kind.NO_DECIDER_ADMIN)
    assert {n.recipient_id for n in admins} == {world.secadmin.pk, city_admin.pk}
    entry = AuditEntry.objects.get(action="workflow.submission.no_decider")
    assert entry.actor_id == content_services.system_actor().pk and entry.target_type == "reviewers.reviewtask"
    assert entry.target_id == str(sub.current_task_id) and entry.draft_id == sub.draft_id
    assert entry.data["tier"] == 2 and set(entry.data["notified"]) == {world.editor.pk, world.secadmin.pk, city_admin.pk}
    # a second run finds it again but tells nobody twice
    out = io.StringIO()
    call_command("check_review_coverage", "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert report["notified"] == 0 and [(s["submission"], s["tier_name"], s["notified_now"])
                                        for s in report["stranded"]] == [(sub.pk, "复审", False)]
    assert Notification.objects.filter(kind__startswith="no_decider").count() == 3
    assert AuditEntry.objects.filter(action="workflow.submission.no_decider").count() == 1


def test_the_command_scopes_by_unit_and_refuses_an_unknown_one(world):
    _strand_tier_two(world)
    out = io.StringIO()
    call_command("check_review_coverage", "--org", "SZ", stdout=out)
    assert "深圳市教育局：0 篇" in out.getvalue()
    assert not Notification.objects.filter(kind__startswith="no_decider").exists()
    with pytest.raises(CommandError, match="单位不存在"):
        call_command("check_review_coverage", "--org", "NOPE")


def test_a_later_tier_of_the_same_round_is_announced_again(world):
    sub = _strand_tier_two(world)
    services.stranded_rounds_notify(actor=content_services.system_actor())
    factories.tier(world.reviewer1b, 2, account_=world.account)
    sub = decide(world.reviewer1b, sub)
    assert sub.state == states.IN_REVIEW and sub.current_task.tier == 3
    services.membership_revoke(actor=world.secadmin, membership_id=TierMembership.objects.get(
        user=world.reviewers[2]).pk, confirm_gaps=True)
    _found, notified = services.stranded_rounds_notify(actor=content_services.system_actor())
    assert [s.pk for s in notified] == [sub.pk]
    assert AuditEntry.objects.filter(action="workflow.submission.no_decider").count() == 2
