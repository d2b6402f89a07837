"""Countersign tiers (会签): a tier that needs N distinct members, or one member of
each of its groups (offices). The pure rule (reviewers.countersign), the
decision service (workflow.services.submission_decide), the separation rules and
audit per signature, the returned draft with every signer's reasons, coverage
of such tiers, and what the queue and the API show."""
import pytest
from django.contrib.auth.models import Group

from audit.models import AuditEntry
from content.errors import Conflict, NotAllowed, ValidationFailed
from reviewers import countersign
from reviewers.models import Decision, ReviewTask
from tests.factories import verdicts
from tests.workflow.helpers import at_second_tier, countersign_policy, decide, with_offices, with_quorum
from workflow import coverage, selectors, services, states
from workflow.models import Notification

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------- the pure rule

def test_the_rule_counts_passing_signatures_and_groups():
    assert countersign.clean_rule(None, None) == (1, [])
    assert countersign.clean_rule(3, []) == (3, [])
    assert countersign.clean_rule(1, [5, 7, 5]) == (2, [5, 7])
    p = countersign.progress(2, [], [None])
    assert (p.needed, p.signed, p.remaining, p.met, p.is_countersign) == (2, 1, 1, False, True)
    assert countersign.progress(2, [], [None, None]).met
    g = countersign.progress(1, [5, 7], [7])
    assert (g.missing_groups, g.remaining, g.met) == ((5,), 1, False)
    assert countersign.signing_group([5, 7], [5], {5, 7, 9}) == 7
    assert countersign.signing_group([5, 7], [5], {5}) is None
    assert countersign.slots({"signatures": 3}) == [None, None, None]
    assert countersign.slots({"groups": [5, 7]}) == [5, 7]
    assert countersign.slots({"name": "初审"}) == [None]


def test_coverage_counts_n_people_and_one_per_group():
    tiers = [{"order": 1, "name": "初审"}, {"order": 2, "name": "会签", "signatures": 3}]
    [gap] = coverage.tier_gaps(tiers, {1: {1}, 2: {2, 3}})
    assert (gap.order, gap.reason, gap.needed, gap.people) == (2, coverage.SHORT, 3, (2, 3))
    assert "须 3 人会签" in coverage.gap_text("X", gap, {})
    assert coverage.tier_gaps(tiers, {1: {1}, 2: {2, 3, 4}}) == []
    # the only third person also signs tier 1: shared, not short
    [gap] = coverage.tier_gaps(tiers, {1: {4}, 2: {2, 3, 4}})
    assert gap.reason == coverage.SHARED and gap.with_tiers == ("初审",)
    offices = [{"order": 1, "name": "终审", "groups": [10, 20]}]
    assert coverage.tier_gaps(offices, {1: {1, 2}}, groups={10: {1}, 20: {2}}) == []
    [gap] = coverage.tier_gaps(offices, {1: {1, 2}}, groups={10: {1, 2}, 20: set()},
                               group_labels={20: "保密办"})
    assert (gap.reason, gap.group) == (coverage.NOBODY, "保密办")
    assert "会签部门“保密办”没有可审核人员" in coverage.gap_text("X", gap, {})
    # one person in both offices cannot sign twice
    [gap] = coverage.tier_gaps(offices, {1: {1}}, groups={10: {1}, 20: {1}})
    assert gap.reason == coverage.SHORT


# ---------------------------------------------------------------- the service

@pytest.fixture
def quorum(world):
    return with_quorum(world)


@pytest.fixture
def offices(world):
    return with_offices(world)


_at_second_tier = at_second_tier
_policy = countersign_policy


def test_a_quorum_tier_moves_on_at_the_second_distinct_signature(quorum):
    w = quorum
    sub = _at_second_tier(w)
    task = sub.current_task
    assert (task.tier, task.signatures, task.groups) == (2, 2, [])
    sub = decide(w.signers[0], sub)
    sub.refresh_from_db()
    assert sub.state == states.IN_REVIEW and sub.current_task_id == task.pk
    task.refresh_from_db()
    assert task.status == ReviewTask.Status.OPEN
    first = AuditEntry.objects.filter(action="workflow.submission.decided").order_by("-seq").first()
    assert first.data["signatures_remaining"] == 1 and first.data["revision_hash"] == sub.revision.content_hash
    # the same person cannot sign again, nor the author
    with pytest.raises(NotAllowed) as exc:
        decide(w.signers[0], sub)
    assert exc.value.code == "one_tier_per_person"
    sub = decide(w.signers[1], sub)
    assert sub.state == states.APPROVED
    task.refresh_from_db()
    assert task.status == ReviewTask.Status.DONE
    assert Decision.objects.filter(task=task).count() == 2
    assert AuditEntry.objects.filter(action="workflow.submission.decided").count() == 3
    assert AuditEntry.objects.filter(action="workflow.submission.approved").count() == 1


def test_a_claim_does_not_keep_the_other_signers_away(quorum):
    w = quorum
    sub = _at_second_tier(w)
    services.submission_claim(actor=w.signers[0], submission_id=sub.pk)
    sub = decide(w.signers[1], sub)
    assert Decision.objects.filter(task=sub.current_task, reviewer=w.signers[1]).exists()


def test_any_failed_dimension_returns_the_draft_with_every_signers_reasons(quorum):
    w = quorum
    sub = _at_second_tier(w)
    v, c = verdicts()
    services.submission_decide(actor=w.signers[0], submission_id=sub.pk, verdicts=v, comments=c,
                               note="数据需再核实来源")
    v, c = verdicts(secrecy="含未公开的内部数据")
    sub = services.submission_decide(actor=w.signers[1], submission_id=sub.pk, verdicts=v, comments=c)
    assert sub.state == states.RETURNED
    note = Notification.objects.filter(recipient=w.editor, kind=Notification.Kind.RETURNED).get()
    assert "保密关：含未公开的内部数据" in note.message
    assert "数据需再核实来源" in note.message and "会签2-0" in note.message
    returned = AuditEntry.objects.get(action="workflow.submission.returned")
    assert len(returned.data["signatures"]) == 2


def test_the_offices_each_sign_once_by_any_member(offices):
    w = offices
    sub = _at_second_tier(w)
    with pytest.raises(NotAllowed) as exc:
        decide(w.nobody, sub)
    assert exc.value.code == "not_in_group"
    sub = decide(w.p1, sub)
    assert sub.state == states.IN_REVIEW
    assert Decision.objects.get(reviewer=w.p1).group_id == w.propaganda.pk
    with pytest.raises(Conflict) as exc:
        decide(w.p2, sub)
    assert exc.value.code == "group_signed"
    sub = decide(w.s1, sub)
    assert sub.state == states.APPROVED
    assert Decision.objects.get(reviewer=w.s1).group_id == w.secrecy.pk


def test_a_signature_is_bound_to_the_hash_it_saw(quorum):
    w = quorum
    sub = _at_second_tier(w)
    v, c = verdicts()
    with pytest.raises(Conflict) as exc:
        services.submission_decide(actor=w.signers[0], submission_id=sub.pk, verdicts=v, comments=c,
                                   expected_hash="0" * 64)
    assert exc.value.code == "hash_mismatch"
    assert not Decision.objects.filter(reviewer=w.signers[0]).exists()


def test_a_policy_whose_countersign_tier_cannot_be_staffed_is_refused(world):
    with pytest.raises(ValidationFailed) as exc:
        _policy(world, [{"name": "初审"}, {"name": "会签", "signatures": 3}])
    assert exc.value.code == "coverage_gap" and "须 3 人会签" in exc.value.message
    empty = Group.objects.create(name="保密办")
    with pytest.raises(ValidationFailed) as exc:
        _policy(world, [{"name": "初审"}, {"name": "终审", "groups": [empty.pk]}])
    assert exc.value.code == "coverage_gap" and "会签部门“保密办”没有可审核人员" in exc.value.message
    with pytest.raises(ValidationFailed) as exc:
        _policy(world, [{"name": "初审"}, {"name": "终审", "groups": [999999]}])
    assert "会签部门不存在" in str(exc.value.fields)
    with pytest.raises(ValidationFailed):
        _policy(world, [{"name": "初审", "signatures": 0}])


def test_a_round_at_a_countersign_tier_is_stranded_when_the_missing_office_has_nobody_left(offices):
    w = offices
    sub = _at_second_tier(w)
    sub = decide(w.p1, sub)
    assert selectors.stranded_submissions(submission_ids=[sub.pk]) == []
    w.s1.groups.remove(w.secrecy)
    assert [s.pk for s in selectors.stranded_submissions(submission_ids=[sub.pk])] == [sub.pk]
