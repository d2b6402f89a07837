"""Every workflow service: success, each refusal, and the audit entries written."""
import pytest

from audit.models import AuditEntry
from audit.selectors import chain_verify
from content import roles
from content import services as content_services
from content.errors import AccountClosed, Conflict, NotAllowed, ValidationFailed
from content.models import Publication, Revision
from reviewers.models import Decision, ReviewRound, ReviewTask
from tests import factories
from tests.factories import verdicts
from tests.workflow.helpers import approve_all, decide, new_draft, submit
from workflow import permissions, services, states
from workflow.models import Submission


def actions_for(submission):
    return list(AuditEntry.objects.filter(target_type="workflow.submission", target_id=str(submission.pk))
                .order_by("seq").values_list("action", flat=True))


# ---------------------------------------------------------------- the whole cycle

def test_full_cycle_writes_one_audit_entry_per_step(world):
    draft = new_draft(world)
    sub = submit(world, draft)
    assert sub.state == states.IN_REVIEW
    assert (sub.current_task.tier, sub.current_task.tier_name) == (1, "初审")
    sub = decide(world.reviewers[0], sub)
    assert sub.state == states.IN_REVIEW and sub.current_task.tier == 2
    sub = decide(world.reviewers[1], sub)
    assert sub.current_task.tier == 3
    sub = decide(world.reviewers[2], sub)
    assert sub.state == states.APPROVED and sub.current_task is None
    sub = services.submission_publish(actor=world.publisher, submission_id=sub.pk,
                                      external_url="https://mp.weixin.qq.com/s/abc")
    assert sub.state == states.PUBLISHED
    pub = sub.publication
    assert (pub.account_id, pub.revision_id, pub.publisher_id) == (world.account.pk, draft.current_revision_id,
                                                                   world.publisher.pk)
    assert pub.content_hash == draft.current_revision.content_hash
    assert actions_for(sub) == [
        "workflow.submission.submitted",
        "workflow.submission.decided", "workflow.submission.decided", "workflow.submission.decided",
        "workflow.submission.approved",
        "workflow.submission.published",
    ]
    decided = AuditEntry.objects.filter(action="workflow.submission.decided").order_by("seq")
    assert [e.data["tier"] for e in decided] == [1, 2, 3]
    assert all(e.data["verdicts"] == factories.ALL_PASS for e in decided)
    assert all(e.draft_id == draft.pk and e.account_id == world.account.pk for e in decided)
    assert {e.actor_id for e in decided} == {r.pk for r in world.reviewers}
    assert ReviewRound.objects.get(submission_id=sub.pk).outcome == ReviewRound.Outcome.APPROVED
    assert chain_verify().ok


def test_decision_records_tier_reviewer_hash_and_five_verdicts(world):
    draft = new_draft(world)
    sub = submit(world, draft)
    decide(world.reviewers[0], sub)
    d = Decision.objects.get()
    assert (d.tier, d.tier_name, d.reviewer_id) == (1, "初审", world.reviewers[0].pk)
    assert d.revision_hash == draft.current_revision.content_hash
    assert d.verdicts == factories.ALL_PASS and d.outcome == Decision.Outcome.PASS


# ---------------------------------------------------------------- return and resubmit

def test_any_failed_dimension_returns_with_reasons_and_resubmit_opens_a_new_round(world):
    sub = submit(world, new_draft(world))
    sub = decide(world.reviewers[0], sub)
    sub = decide(world.reviewers[1], sub, wording="“秋季”写成了“秋记”")
    assert sub.state == states.RETURNED and sub.current_task is None
    returned = AuditEntry.objects.get(action="workflow.submission.returned")
    assert returned.data["failed"] == ["wording"]
    assert returned.data["comments"] == {"wording": "“秋季”写成了“秋记”"}
    # the editor revises and resubmits: a new round, earlier rounds kept
    services.draft_revise(actor=world.editor, draft_id=sub.draft_id, title="关于举行秋季运动会的通知",
                          body="<p>全校师生参加秋季运动会。</p>")
    sub = submit(world, sub.draft)
    assert sub.state == states.IN_REVIEW and sub.round_no == 2 and sub.current_task.tier == 1
    assert sub.revision.number == 2
    rounds = list(ReviewRound.objects.filter(submission_id=sub.pk).order_by("number"))
    assert [r.outcome for r in rounds] == [ReviewRound.Outcome.RETURNED, ReviewRound.Outcome.OPEN]
    assert Decision.objects.filter(round=rounds[0]).count() == 2
    # the reviewer of tier 1 in round 1 may sign tier 1 again in the new round
    sub = approve_all(world, sub)
    assert sub.state == states.APPROVED
    assert "workflow.submission.resubmitted" in actions_for(sub)


def test_failed_dimension_needs_a_comment(world):
    sub = submit(world, new_draft(world))
    v, _ = verdicts(secrecy="x")
    with pytest.raises(ValidationFailed) as exc:
        services.submission_decide(actor=world.reviewers[0], submission_id=sub.pk, verdicts=v, comments={})
    assert "comments.secrecy" in exc.value.fields
    assert not Decision.objects.exists()


@pytest.mark.parametrize("bad", [{}, {"political": "pass"}, {**factories.ALL_PASS, "legal": "maybe"},
                                 {**factories.ALL_PASS, "extra": "pass"}, "not a dict"])
def test_incomplete_or_invalid_verdicts_are_refused(world, bad):
    sub = submit(world, new_draft(world))
    with pytest.raises(ValidationFailed):
        services.submission_decide(actor=world.reviewers[0], submission_id=sub.pk, verdicts=bad, comments={})
    assert ReviewTask.objects.get().status == ReviewTask.Status.OPEN
    assert not AuditEntry.objects.filter(action="workflow.submission.decided").exists()


# ---------------------------------------------------------------- separation of duties

def test_author_never_decides_on_his_own_submission(world):
    factories.add_roles(world.editor, roles.REVIEWER)
    factories.tier(world.editor, 1, org_=world.school)
    sub = submit(world, new_draft(world))
    with pytest.raises(NotAllowed) as exc:
        decide(world.editor, sub)
    assert exc.value.code == "author_cannot_review"


def test_one_person_signs_at_most_one_tier_of_a_round(world):
    factories.tier(world.reviewers[0], 2, org_=world.city)
    sub = submit(world, new_draft(world))
    sub = decide(world.reviewers[0], sub)
    with pytest.raises(NotAllowed) as exc:
        decide(world.reviewers[0], sub)
    assert exc.value.code == "one_tier_per_person"
    assert Decision.objects.count() == 1


def test_reviewer_must_hold_that_tier_for_that_account(world):
    sub = submit(world, new_draft(world))
    with pytest.raises(NotAllowed) as exc:
        decide(world.reviewers[1], sub)  # holds tier 2, task is at tier 1
    assert exc.value.code == "not_tier_member"
    with pytest.raises(NotAllowed):
        decide(world.outsider, sub)


def test_tier_granted_per_account_works(world):
    sub = submit(world, new_draft(world))
    sub = decide(world.reviewer1b, sub)  # membership on the account itself
    assert sub.current_task.tier == 2


def test_a_task_claimed_by_a_colleague_cannot_be_decided(world):
    from reviewers import services as reviewer_services

    sub = submit(world, new_draft(world))
    reviewer_services.task_claim(actor=world.reviewer1b, task_id=sub.current_task_id)
    with pytest.raises(Conflict) as exc:
        decide(world.reviewers[0], sub)
    assert exc.value.code == "claimed_by_other"
    reviewer_services.task_release(actor=world.reviewer1b, task_id=sub.current_task_id)
    assert decide(world.reviewers[0], sub).current_task.tier == 2
    assert AuditEntry.objects.filter(action__in=["reviewers.task.claimed", "reviewers.task.released"]).count() == 2


def test_stale_tier_is_a_conflict(world):
    sub = submit(world, new_draft(world))
    decide(world.reviewers[0], sub)
    v, c = verdicts()
    with pytest.raises(Conflict) as exc:
        services.submission_decide(actor=world.reviewers[1], submission_id=sub.pk, verdicts=v, comments=c,
                                   expected_tier=1)
    assert exc.value.code == "tier_moved"


# ---------------------------------------------------------------- new revisions during review

@pytest.mark.parametrize("tiers_passed", [1, 3])
def test_new_revision_in_review_or_after_approval_ends_the_round(world, tiers_passed):
    sub = submit(world, new_draft(world))
    for reviewer in world.reviewers[:tiers_passed]:
        sub = decide(reviewer, sub)
    services.draft_revise(actor=world.editor, draft_id=sub.draft_id, title="新标题", body="<p>改过的正文</p>")
    sub = Submission.objects.get(pk=sub.pk)
    assert sub.state == states.RETURNED
    assert ReviewRound.objects.get(submission_id=sub.pk).outcome == ReviewRound.Outcome.SUPERSEDED
    assert not ReviewTask.objects.filter(status=ReviewTask.Status.OPEN).exists()
    assert "workflow.submission.superseded" in actions_for(sub)
    with pytest.raises(Conflict):
        services.submission_publish(actor=world.publisher, submission_id=sub.pk)
    # the new content needs every tier again
    sub = approve_all(world, submit(world, sub.draft))
    assert sub.state == states.APPROVED and sub.revision.title == "新标题"


def test_saving_identical_content_creates_no_revision(world):
    draft = new_draft(world)
    rev = services.draft_revise(actor=world.editor, draft_id=draft.pk, title=draft.title,
                                body=draft.current_revision.body_html)
    assert rev.pk == draft.current_revision_id and Revision.objects.count() == 1


def test_only_the_author_revises(world):
    draft = new_draft(world)
    with pytest.raises(NotAllowed):
        services.draft_revise(actor=world.editor2, draft_id=draft.pk, title="x", body="y")
    with pytest.raises(NotAllowed):
        services.draft_revise(actor=world.outsider, draft_id=draft.pk, title="x", body="y")


# ---------------------------------------------------------------- submit refusals

def test_submit_refusals(world):
    draft = new_draft(world)
    with pytest.raises(NotAllowed):
        submit(world, draft, actor=world.editor2)
    submit(world, draft)
    with pytest.raises(Conflict) as exc:
        submit(world, draft)
    assert exc.value.code == "already_submitted"
    assert Submission.objects.count() == 1


def test_repost_needs_source_name_url_and_original_title(world):
    draft = new_draft(world, is_repost=True, source_name="教育部网站")
    with pytest.raises(ValidationFailed) as exc:
        submit(world, draft)
    assert exc.value.code == "repost_incomplete"
    assert set(exc.value.fields) == {"source_url", "original_title"}
    assert "来源网址" in exc.value.message and "原标题" in exc.value.message
    services.draft_revise(actor=world.editor, draft_id=draft.pk, title=draft.title,
                          body=draft.current_revision.body_html, is_repost=True, source_name="教育部网站",
                          source_url="http://www.moe.gov.cn/a.html", original_title="原标题")
    assert submit(world, draft).state == states.IN_REVIEW


# ---------------------------------------------------------------- withdraw

def test_author_withdraws_before_approval(world):
    sub = submit(world, new_draft(world))
    with pytest.raises(NotAllowed):
        services.submission_withdraw(actor=world.editor2, submission_id=sub.pk)
    sub = services.submission_withdraw(actor=world.editor, submission_id=sub.pk)
    assert sub.state == states.WITHDRAWN
    assert ReviewRound.objects.get().outcome == ReviewRound.Outcome.WITHDRAWN
    assert actions_for(sub)[-1] == "workflow.submission.withdrawn"
    # a withdrawn submission is not active: the draft may be submitted afresh
    assert submit(world, sub.draft).pk != sub.pk


def test_cannot_withdraw_after_approval(world):
    sub = approve_all(world, submit(world, new_draft(world)))
    with pytest.raises(Conflict):
        services.submission_withdraw(actor=world.editor, submission_id=sub.pk)


# ---------------------------------------------------------------- publish

def test_publish_only_from_approved(world):
    sub = submit(world, new_draft(world))
    with pytest.raises(Conflict) as exc:
        services.submission_publish(actor=world.publisher, submission_id=sub.pk)
    assert exc.value.code == "wrong_state"
    assert not Publication.objects.exists()


def test_only_authorised_publishers_publish(world):
    sub = approve_all(world, submit(world, new_draft(world)))
    for intruder in (world.manager, world.reviewers[2], world.editor2):
        with pytest.raises(NotAllowed):
            services.submission_publish(actor=intruder, submission_id=sub.pk)
    with pytest.raises(NotAllowed):  # not even a superuser without the grant
        services.submission_publish(actor=factories.superuser(), submission_id=sub.pk)
    assert not Publication.objects.exists()


def test_publisher_is_not_the_author_unless_the_policy_allows(world):
    factories.add_roles(world.editor, roles.PUBLISHER)
    factories.grant(world.account, world.editor, "publish_account")
    sub = approve_all(world, submit(world, new_draft(world)))
    with pytest.raises(NotAllowed) as exc:
        services.submission_publish(actor=world.editor, submission_id=sub.pk)
    assert exc.value.code == "author_cannot_publish"
    services.policy_create(actor=world.admin, name="宽松", org_id=world.school.pk,
                           tiers=[{"name": "审核", "due_hours": 8}], allow_author_publish=True)
    draft2 = new_draft(world, title="第二篇")
    sub2 = submit(world, draft2)
    sub2 = decide(world.reviewer1b, sub2)
    assert sub2.state == states.APPROVED
    assert services.submission_publish(actor=world.editor, submission_id=sub2.pk).state == states.PUBLISHED


def test_publish_compares_the_hash_of_the_approved_revision(world):
    sub = approve_all(world, submit(world, new_draft(world)))
    # someone changes the approved revision behind the application's back
    Revision.objects.filter(pk=sub.revision_id).update(body_html="<p>篡改</p>")
    with pytest.raises(Conflict) as exc:
        services.submission_publish(actor=world.publisher, submission_id=sub.pk)
    assert exc.value.code == "hash_mismatch"
    assert not Publication.objects.exists()
    assert Submission.objects.get(pk=sub.pk).state == states.APPROVED


def test_invalid_external_url_is_refused(world):
    sub = approve_all(world, submit(world, new_draft(world)))
    with pytest.raises(ValidationFailed):
        services.submission_publish(actor=world.publisher, submission_id=sub.pk, external_url="javascript:alert(1)")


# ---------------------------------------------------------------- retract

def test_retract_keeps_the_record_with_the_reason(world):
    sub = approve_all(world, submit(world, new_draft(world)))
    sub = services.submission_publish(actor=world.publisher, submission_id=sub.pk)
    with pytest.raises(ValidationFailed):
        services.publication_retract(actor=world.publisher, publication_id=sub.publication_id, reason="  ")
    with pytest.raises(NotAllowed):
        services.publication_retract(actor=world.editor, publication_id=sub.publication_id, reason="错")
    sub = services.publication_retract(actor=world.publisher, publication_id=sub.publication_id, reason="数据有误")
    assert sub.state == states.RETRACTED
    pub = Publication.objects.get()
    assert pub.is_retracted and pub.retract_reason == "数据有误" and pub.retracted_by_id == world.publisher.pk
    assert actions_for(sub)[-1] == "workflow.submission.retracted"
    with pytest.raises(Conflict):
        services.publication_retract(actor=world.publisher, publication_id=pub.pk, reason="再撤")


# ---------------------------------------------------------------- closed accounts

def test_closed_account_takes_no_drafts_submissions_or_publications(world):
    approved = approve_all(world, submit(world, new_draft(world)))
    waiting = new_draft(world, title="待提交")
    content_services.account_close(actor=world.manager, account_id=world.account.pk, reason="整合")
    with pytest.raises(AccountClosed):
        new_draft(world, title="新稿")
    with pytest.raises(AccountClosed):
        submit(world, waiting)
    with pytest.raises(AccountClosed):
        services.submission_publish(actor=world.publisher, submission_id=approved.pk)
    assert not Publication.objects.exists()


# ---------------------------------------------------------------- policies

def test_policy_inherited_from_the_nearest_unit_and_snapshotted_per_round(world):
    services.policy_create(actor=world.admin, name="市局两级", org_id=world.city.pk,
                           tiers=[{"name": "部门初审", "due_hours": 4}, {"name": "领导终审", "due_hours": 8}])
    sub = submit(world, new_draft(world))
    assert sub.current_round.tiers == [{"order": 1, "name": "部门初审", "due_hours": 4},
                                       {"order": 2, "name": "领导终审", "due_hours": 8}]
    sub = decide(world.reviewers[0], sub)
    sub = decide(world.reviewers[1], sub)
    assert sub.state == states.APPROVED
    assert AuditEntry.objects.filter(action="workflow.policy.created").count() == 1


def test_policy_changes_need_a_unit_admin_and_valid_tiers(world):
    with pytest.raises(NotAllowed):
        services.policy_create(actor=world.editor, name="x", org_id=world.school.pk, tiers=[{"name": "a"}])
    with pytest.raises(ValidationFailed):
        services.policy_create(actor=world.admin, name="x", org_id=world.school.pk, tiers=[])
    with pytest.raises(ValidationFailed):
        services.policy_create(actor=world.admin, name="x", org_id=world.school.pk,
                               tiers=[{"name": "", "due_hours": 3}])
    policy = services.policy_create(actor=world.admin, name="x", account_id=world.account.pk,
                                    tiers=[{"name": "初审", "due_hours": 3}])
    with pytest.raises(Conflict):
        services.policy_create(actor=world.admin, name="y", account_id=world.account.pk, tiers=[{"name": "a"}])
    services.policy_change(actor=world.admin, policy_id=policy.pk, tiers=[{"name": "一审"}, {"name": "二审"}])
    changed = AuditEntry.objects.get(action="workflow.policy.changed")
    assert [t["name"] for t in changed.data["before"]["tiers"]] == ["初审"]
    assert [t["name"] for t in changed.data["after"]["tiers"]] == ["一审", "二审"]


# ---------------------------------------------------------------- allowed actions

def test_allowed_actions_follow_the_same_rules(world):
    sub = submit(world, new_draft(world))
    assert permissions.allowed_actions(world.reviewers[0], sub) == ["decide"]
    assert permissions.allowed_actions(world.reviewers[1], sub) == []
    assert permissions.allowed_actions(world.editor, sub) == ["withdraw"]
    sub = approve_all(world, sub)
    assert permissions.allowed_actions(world.publisher, sub) == ["publish"]
    assert permissions.allowed_actions(world.editor, sub) == []
