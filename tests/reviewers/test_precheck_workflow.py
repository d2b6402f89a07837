"""The pre-check wired into the workflow: reports stored at submit, the policy's
gate (secrecy blocker refuses, other blockers need the first tier's override,
extra tier), and the editor's check before submitting."""
import pytest

from audit.models import AuditEntry
from audit.selectors import chain_verify
from content.errors import ValidationFailed
from reviewers import selectors as reviewer_selectors
from reviewers import services as reviewer_services
from reviewers.models import Decision, LexiconEntry, PrecheckReport, ReviewRound
from tests import factories
from tests.factories import verdicts
from tests.workflow.helpers import decide, new_draft, submit
from workflow import services, states
from workflow.models import Submission

ID_NUMBER = "440304198511024566"  # valid GB 11643 check digit
MOBILE = "13600001111"
POLITICAL = "台湾总统"  # political.csv: blocker


def actions_for(submission):
    return list(AuditEntry.objects.filter(target_type="workflow.submission", target_id=str(submission.pk))
                .order_by("seq").values_list("action", flat=True))


def pass_(reviewer, submission, **extra):
    v, c = verdicts()
    return services.submission_decide(actor=reviewer, submission_id=submission.pk, verdicts=v, comments=c, **extra)


def make_policy(world, *, tiers=("部门初审", "校领导终审"), **gate):
    return services.policy_create(actor=world.admin, name="学校策略", account_id=world.account.pk,
                                  tiers=[{"name": n, "due_hours": 24} for n in tiers], **gate)


# ---------------------------------------------------------------- the report

def test_submit_stores_the_report_with_the_lexicon_version(world):
    draft = new_draft(world, body="<p>全校师生参加，欢迎家长观摩。</p>")
    sub = submit(world, draft)
    report = PrecheckReport.objects.get()
    lexicon = reviewer_selectors.current_lexicon()
    assert report.revision_id == draft.current_revision_id
    assert report.lexicon_version == lexicon.version and lexicon.version.startswith("db-")
    assert report.findings == [] and report.max_severity == "" and report.summary["total"] == 0
    review_round = ReviewRound.objects.get(submission_id=sub.pk)
    assert review_round.precheck == report and review_round.precheck_override_required is False
    entry = AuditEntry.objects.get(action="workflow.submission.submitted")
    assert entry.data["precheck"] == {"report_id": report.pk, "lexicon_version": lexicon.version,
                                      "max_severity": "", "blockers": 0, "total": 0, "override_required": False,
                                      "extra_tier": ""}
    assert reviewer_selectors.precheck_report_for(draft.current_revision) == report


def test_report_holds_findings_per_dimension_and_highlights_them(world):
    draft = new_draft(world, title="关于台湾总统的报道", body="<p>北韩代表团来访，大部份同学参加。</p>")
    sub = submit(world, draft)
    report = ReviewRound.objects.get(submission_id=sub.pk).precheck
    by_dim = report.findings_by_dimension()
    assert list(by_dim) == ["political", "legal", "policy", "secrecy", "wording"]
    assert {f["text"] for f in by_dim["political"]} == {"台湾总统", "北韩"}
    assert [f["text"] for f in by_dim["wording"]] == ["部份"]
    assert report.max_severity == "blocker"
    for f in report.findings:
        source = report.plain_text if f["field"] == "body" else draft.current_revision.title
        assert source[f["start"]:f["end"]] == f["text"]
    html = str(reviewer_selectors.precheck_highlighted_html(report))
    assert '<mark class="precheck precheck-' in html and ">北韩</mark>" in html and ">部份</mark>" in html
    title_html = str(reviewer_selectors.precheck_highlighted_html(report, field="title",
                                                                  text=draft.current_revision.title))
    assert 'precheck-blocker" data-dimensions="political"' in title_html and ">台湾总统</mark>" in title_html


def test_resubmitting_the_same_revision_reuses_the_report_unless_the_lexicon_changed(world):
    sub = submit(world, new_draft(world))
    sub = decide(world.reviewers[0], sub, wording="请补充时间")
    sub = submit(world, sub.draft)  # the same revision, round 2
    assert PrecheckReport.objects.count() == 1
    rounds = list(ReviewRound.objects.filter(submission_id=sub.pk).order_by("number"))
    assert rounds[0].precheck == rounds[1].precheck
    sub = decide(world.reviewers[0], sub, wording="请补充地点")
    reviewer_services.lexicon_entry_create(actor=world.admin, wrong="运动汇", right="运动会", dimension="wording")
    sub = submit(world, sub.draft)
    reports = list(PrecheckReport.objects.order_by("pk"))
    assert len(reports) == 2 and reports[0].lexicon_version != reports[1].lexicon_version
    assert ReviewRound.objects.get(submission_id=sub.pk, number=3).precheck == reports[1]


# ---------------------------------------------------------------- a secrecy blocker stops the submission

@pytest.mark.parametrize("body", [f"<p>联系人身份证号{ID_NUMBER}。</p>", f"<p>报名请致电{MOBILE}。</p>"])
def test_secrecy_blocker_refuses_the_submission_and_writes_nothing(world, body):
    draft = new_draft(world, body=body)
    entries_before = AuditEntry.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        submit(world, draft)
    assert exc.value.code == "precheck_blocked"
    assert "保密阻断项" in exc.value.message and "正文第" in exc.value.message
    assert list(exc.value.fields) == ["body"] and len(exc.value.fields["body"]) == 1
    assert ID_NUMBER not in exc.value.message and MOBILE not in exc.value.message
    assert not Submission.objects.exists() and not ReviewRound.objects.exists()
    assert not PrecheckReport.objects.exists()
    assert AuditEntry.objects.count() == entries_before

    # the editor fixes the text: the submission goes through
    services.draft_revise(actor=world.editor, draft_id=draft.pk, title=draft.title,
                          body="<p>报名请联系学校办公室。</p>")
    sub = submit(world, draft)
    assert sub.state == states.IN_REVIEW
    assert actions_for(sub) == ["workflow.submission.submitted"]
    assert chain_verify().ok


def test_secrecy_blocker_in_the_title_is_named_under_title(world):
    draft = new_draft(world, title=f"请{MOBILE}的家长联系班主任")
    with pytest.raises(ValidationFailed) as exc:
        submit(world, draft)
    assert exc.value.code == "precheck_blocked" and list(exc.value.fields) == ["title"]
    assert "标题第2字" in exc.value.fields["title"][0]


def test_secrecy_blocker_refuses_a_resubmission(world):
    sub = submit(world, new_draft(world))
    sub = decide(world.reviewers[0], sub, wording="请写明联系方式")
    services.draft_revise(actor=world.editor, draft_id=sub.draft_id, title=sub.draft.title,
                          body=f"<p>联系电话{MOBILE}。</p>")
    with pytest.raises(ValidationFailed) as exc:
        submit(world, sub.draft)
    assert exc.value.code == "precheck_blocked"
    sub.refresh_from_db()
    assert sub.state == states.RETURNED and ReviewRound.objects.filter(submission_id=sub.pk).count() == 1
    assert "workflow.submission.resubmitted" not in actions_for(sub)


def test_secrecy_warning_does_not_stop_the_submission(world):
    sub = submit(world, new_draft(world, body="<p>开展保密教育，不得外传内部资料。</p>"))
    report = ReviewRound.objects.get(submission_id=sub.pk).precheck
    assert {f["severity"] for f in report.findings if f["dimension"] == "secrecy"} == {"warning"}
    assert ReviewRound.objects.get(submission_id=sub.pk).precheck_override_required is False


# ---------------------------------------------------------------- other blockers need the first tier's override

def test_political_blocker_needs_an_override_reason_at_the_first_tier(world):
    draft = new_draft(world, body=f"<p>{POLITICAL}发表讲话。</p>")
    sub = submit(world, draft)
    assert sub.state == states.IN_REVIEW
    review_round = ReviewRound.objects.get(submission_id=sub.pk)
    assert review_round.precheck_override_required is True
    assert AuditEntry.objects.get(action="workflow.submission.submitted").data["precheck"]["override_required"]

    for blank in ("", "   "):
        with pytest.raises(ValidationFailed) as exc:
            pass_(world.reviewers[0], sub, precheck_override=blank)
        assert exc.value.code == "precheck_override_required" and list(exc.value.fields) == ["precheck_override"]
    assert not Decision.objects.exists()
    assert "workflow.submission.decided" not in actions_for(sub)

    reason = "引用的是境外媒体原话，已加引号并注明出处"
    sub = pass_(world.reviewers[0], sub, precheck_override=f"  {reason} ")
    assert sub.current_task.tier == 2
    decision = Decision.objects.get()
    assert decision.precheck_override == reason
    assert actions_for(sub) == ["workflow.submission.submitted", "workflow.submission.decided",
                                "workflow.submission.precheck_overridden"]
    decided = AuditEntry.objects.get(action="workflow.submission.decided")
    assert decided.data["precheck_override"] == reason
    overridden = AuditEntry.objects.get(action="workflow.submission.precheck_overridden")
    assert overridden.actor_id == world.reviewers[0].pk
    assert overridden.data["reason"] == reason and overridden.data["decision_id"] == decision.pk
    assert overridden.data["report_id"] == review_round.precheck_id
    assert [(b["rule"], b["text"]) for b in overridden.data["blockers"]] == [("political.lexicon", POLITICAL)]

    # later tiers need no reason, and one given there is not recorded
    sub = pass_(world.reviewers[1], sub, precheck_override="不需要")
    sub = pass_(world.reviewers[2], sub)
    assert sub.state == states.APPROVED
    assert list(Decision.objects.order_by("tier").values_list("precheck_override", flat=True)) == [reason, "", ""]
    assert AuditEntry.objects.filter(action="workflow.submission.precheck_overridden").count() == 1
    assert chain_verify().ok


def test_returning_needs_no_override(world):
    sub = submit(world, new_draft(world, body=f"<p>{POLITICAL}发表讲话。</p>"))
    sub = decide(world.reviewers[0], sub, political="涉台用语不规范")
    assert sub.state == states.RETURNED
    assert Decision.objects.get().precheck_override == ""


def test_override_on_the_last_tier_of_a_one_tier_policy(world):
    make_policy(world, tiers=("唯一审核",))
    sub = submit(world, new_draft(world, body=f"<p>{POLITICAL}发表讲话。</p>"))
    with pytest.raises(ValidationFailed):
        pass_(world.reviewers[0], sub)
    sub = pass_(world.reviewers[0], sub, precheck_override="已核实")
    assert sub.state == states.APPROVED
    assert actions_for(sub)[-3:] == ["workflow.submission.decided", "workflow.submission.precheck_overridden",
                                     "workflow.submission.approved"]


def test_a_policy_may_drop_the_override(world):
    make_policy(world, precheck_blockers_need_override=False)
    sub = submit(world, new_draft(world, body=f"<p>{POLITICAL}发表讲话。</p>"))
    assert ReviewRound.objects.get(submission_id=sub.pk).precheck_override_required is False
    sub = pass_(world.reviewers[0], sub)
    assert sub.current_task.tier == 2 and Decision.objects.get().precheck_override == ""


def test_a_round_keeps_the_gate_it_opened_with(world):
    policy = make_policy(world)
    sub = submit(world, new_draft(world, body=f"<p>{POLITICAL}发表讲话。</p>"))
    services.policy_change(actor=world.admin, policy_id=policy.pk, precheck_blockers_need_override=False)
    with pytest.raises(ValidationFailed) as exc:
        pass_(world.reviewers[0], sub)
    assert exc.value.code == "precheck_override_required"


# ---------------------------------------------------------------- secrecy blockers let through by the policy

def test_policy_may_let_a_secrecy_blocker_through_then_it_needs_an_override(world):
    make_policy(world, precheck_secrecy_blocks=False)
    sub = submit(world, new_draft(world, body=f"<p>获奖学生家长电话{MOBILE}（已获本人书面同意公开）。</p>"))
    assert sub.state == states.IN_REVIEW
    with pytest.raises(ValidationFailed) as exc:
        pass_(world.reviewers[0], sub)
    assert exc.value.code == "precheck_override_required"
    sub = pass_(world.reviewers[0], sub, precheck_override="本人书面同意公开")
    overridden = AuditEntry.objects.get(action="workflow.submission.precheck_overridden")
    assert overridden.data["blockers"][0]["rule"] == "secrecy.mobile"
    assert overridden.data["blockers"][0]["text"] == "136****1111"
    assert MOBILE not in str(overridden.data)


# ---------------------------------------------------------------- the extra tier

def test_extra_tier_is_appended_when_the_report_has_a_political_or_secrecy_blocker(world):
    make_policy(world, precheck_extra_tier="保密审查")
    clean = submit(world, new_draft(world, title="秋季运动会"))
    assert [t["name"] for t in ReviewRound.objects.get(submission_id=clean.pk).tiers] == ["部门初审", "校领导终审"]

    flagged = submit(world, new_draft(world, title="讲话", body=f"<p>{POLITICAL}发表讲话。</p>"))
    tiers = ReviewRound.objects.get(submission_id=flagged.pk).tiers
    assert tiers == [{"order": 1, "name": "部门初审", "due_hours": 24}, {"order": 2, "name": "校领导终审", "due_hours": 24},
                     {"order": 3, "name": "保密审查", "due_hours": 24}]
    submitted = AuditEntry.objects.filter(action="workflow.submission.submitted").order_by("seq").last()
    assert submitted.data["precheck"]["extra_tier"] == "保密审查" and len(submitted.data["tiers"]) == 3

    flagged = pass_(world.reviewers[0], flagged, precheck_override="已核实")
    flagged = pass_(world.reviewers[1], flagged)
    assert flagged.state == states.IN_REVIEW
    assert (flagged.current_task.tier, flagged.current_task.tier_name) == (3, "保密审查")
    flagged = pass_(world.reviewers[2], flagged)
    assert flagged.state == states.APPROVED


def test_extra_tier_not_added_for_blockers_of_other_dimensions(world):
    make_policy(world, precheck_extra_tier="保密审查")
    # an administrator makes an outdated name a policy blocker
    entry = LexiconEntry.objects.get(wrong="国家教委", dimension="policy")
    reviewer_services.lexicon_entry_update(actor=world.admin, entry_id=entry.pk, severity="blocker")
    sub = submit(world, new_draft(world, body="<p>根据国家教委的文件精神。</p>"))
    review_round = ReviewRound.objects.get(submission_id=sub.pk)
    blockers = review_round.precheck.blockers()
    assert blockers and {b["dimension"] for b in blockers} == {"policy"}
    assert [t["name"] for t in review_round.tiers] == ["部门初审", "校领导终审"]
    assert review_round.precheck_override_required is True


def test_secrecy_blocker_let_through_gets_the_extra_tier(world):
    make_policy(world, precheck_secrecy_blocks=False, precheck_extra_tier="保密审查")
    sub = submit(world, new_draft(world, body=f"<p>身份证{ID_NUMBER}</p>"))
    assert ReviewRound.objects.get(submission_id=sub.pk).tiers[-1]["name"] == "保密审查"


# ---------------------------------------------------------------- the policy's gate

def test_policy_gate_is_validated_and_audited(world):
    policy = make_policy(world)
    assert policy.precheck_gate() == {"secrecy_blocks": True, "blockers_need_override": True, "extra_tier": ""}
    created = AuditEntry.objects.get(action="workflow.policy.created")
    assert created.data["after"]["precheck_gate"] == policy.precheck_gate()
    services.policy_change(actor=world.admin, policy_id=policy.pk, precheck_secrecy_blocks=False,
                           precheck_extra_tier=" 保密审查 ")
    policy.refresh_from_db()
    assert (policy.precheck_secrecy_blocks, policy.precheck_blockers_need_override, policy.precheck_extra_tier) == (
        False, True, "保密审查")
    changed = AuditEntry.objects.get(action="workflow.policy.changed")
    assert changed.data["before"]["precheck_gate"]["secrecy_blocks"] is True
    assert changed.data["after"]["precheck_gate"] == {"secrecy_blocks": False, "blockers_need_override": True,
                                                      "extra_tier": "保密审查"}
    with pytest.raises(ValidationFailed) as exc:
        services.policy_change(actor=world.admin, policy_id=policy.pk, precheck_extra_tier="审" * 51)
    assert "precheck_extra_tier" in exc.value.fields


def test_effective_gate_defaults_without_a_policy(world):
    from workflow import selectors

    assert selectors.effective_gate(world.account) == states.DEFAULT_PRECHECK_GATE
    make_policy(world, precheck_extra_tier="保密审查")
    assert selectors.effective_gate(world.account)["extra_tier"] == "保密审查"
    tiers, allow, gate = selectors.effective_review_setup(world.account)
    assert len(tiers) == 2 and allow is False and gate["secrecy_blocks"] is True


# ---------------------------------------------------------------- the editor's check before submitting

def test_editor_runs_the_precheck_before_submitting_and_nothing_is_stored(world):
    report = reviewer_selectors.precheck_run(title="通知", body_html=f"<p>电话<b>{MOBILE[:3]}</b>{MOBILE[3:]}</p>"
                                                                    "<script>x</script>")
    assert [(f.rule, f.text) for f in report.findings] == [("secrecy.mobile", MOBILE)]
    assert report.lexicon_version == reviewer_selectors.current_lexicon().version
    assert not PrecheckReport.objects.exists()
    # the same findings as the submission will get
    draft = new_draft(world, body=f"<p>电话<b>{MOBILE[:3]}</b>{MOBILE[3:]}</p>")
    revision_report = reviewer_selectors.precheck_run_revision(draft.current_revision)
    assert [f.as_dict() for f in revision_report.findings] == [f.as_dict() for f in report.findings]


def test_repost_fields_reach_the_precheck(world):
    report = reviewer_selectors.precheck_run(title="秋季开学", body_html="<p>开学了。</p>", is_repost=True,
                                             source_name="", source_url="", original_title="秋季开学")
    assert any(f.rule == "legal.repost_source" and f.severity == "blocker" for f in report.findings)


def test_full_cycle_of_a_clean_draft_is_unchanged(world):
    sub = submit(world, new_draft(world))
    for reviewer in world.reviewers:
        sub = decide(reviewer, sub)
    assert sub.state == states.APPROVED
    assert actions_for(sub) == ["workflow.submission.submitted"] + ["workflow.submission.decided"] * 3 + [
        "workflow.submission.approved"]
    assert factories.ALL_PASS == Decision.objects.first().verdicts


def test_highlighting_splits_overlaps_and_escapes():
    from reviewers.models import PrecheckReport as Report

    def finding(start, end, dimension, severity, message):
        return {"rule": "r", "dimension": dimension, "severity": severity, "start": start, "end": end,
                "text": "", "message": message, "suggestion": "", "field": "body"}

    report = Report(plain_text="a<b>cdef\ng", findings=[
        finding(1, 5, "wording", "info", "甲"), finding(3, 7, "secrecy", "blocker", "乙&"),
        finding(0, 99, "legal", "warning", "out of range")])
    html = str(reviewer_selectors.precheck_highlighted_html(report))
    assert html == (
        'a<mark class="precheck precheck-info" data-dimensions="wording" data-findings="0" title="甲">&lt;b</mark>'
        '<mark class="precheck precheck-blocker" data-dimensions="secrecy wording" data-findings="0 1" '
        'title="甲\n乙&amp;">&gt;c</mark>'
        '<mark class="precheck precheck-blocker" data-dimensions="secrecy" data-findings="1" title="乙&amp;">de</mark>'
        'f\ng')
