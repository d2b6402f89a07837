"""The database-backed pre-check lexicon: loaded from the shipped files,
changed through audited services, in force at the next check without a
restart, and named by every stored report."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEntry
from content import roles
from content.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from reviewers import checklist
from reviewers import selectors as reviewer_selectors
from reviewers import services as reviewer_services
from reviewers.models import SEVERITY_LABELS, LexiconEntry, LexiconState, PrecheckReport
from reviewers.precheck import DIMENSIONS, SEVERITIES, lexicon_version, load_shipped_lexicon
from tests import factories

NEW_WORD = "教育部门户网占"  # not in any shipped file


@pytest.fixture
def admins(db):
    province = factories.org("P1", kind="province")
    city = factories.org("C1", parent=province, kind="city")
    return {
        "top": factories.user("topadmin", org_=province, roles_=[roles.SYSTEM_ADMIN]),
        "city": factories.user("cityadmin", org_=city, roles_=[roles.SYSTEM_ADMIN]),
        "editor": factories.user("editorx", org_=province, roles_=[roles.EDITOR]),
        "root": factories.superuser(),
    }


def check(text):
    return reviewer_selectors.precheck_run(title="", body_html=f"<p>{text}</p>")


def state():
    return LexiconState.objects.get(pk=1)


# ---------------------------------------------------------------- loaded from the shipped files

def test_constants_agree_with_the_library():
    assert tuple(SEVERITY_LABELS) == SEVERITIES
    assert checklist.DIMENSIONS == DIMENSIONS


def test_data_migration_loaded_every_shipped_entry(db):
    shipped = load_shipped_lexicon()
    rows = LexiconEntry.objects.all()
    assert rows.count() == len(shipped.entries) and set(rows.values_list("origin", flat=True)) == {"shipped"}
    assert state().version == 1
    db_entries = [row.as_precheck_entry() for row in rows]
    assert lexicon_version(db_entries) == shipped.version  # same content as the files
    lexicon = reviewer_selectors.current_lexicon()
    assert lexicon.version == f"db-1-{shipped.version[:8]}" and len(lexicon.entries) == len(shipped.entries)


def test_empty_table_falls_back_to_the_shipped_files(db):
    LexiconEntry.objects.all().delete()
    LexiconState.objects.all().delete()
    assert reviewer_selectors.current_lexicon() is load_shipped_lexicon()


# ---------------------------------------------------------------- changes take effect without a restart

def test_a_new_entry_is_found_at_the_next_check_and_audited(admins):
    before = check(f"访问{NEW_WORD}查询")
    assert not [f for f in before.findings if f.text == NEW_WORD]
    entry = reviewer_services.lexicon_entry_create(actor=admins["top"], wrong=f" {NEW_WORD} ", right="教育部门户网站",
                                                   dimension="wording", severity="warning", note="错别字")
    assert (entry.wrong, entry.origin, entry.enabled) == (NEW_WORD, "admin", True)
    assert state().version == 2
    after = check(f"访问{NEW_WORD}查询")
    found = [f for f in after.findings if f.text == NEW_WORD]
    assert [(f.rule, f.severity, f.suggestion) for f in found] == [("wording.lexicon", "warning", "教育部门户网站")]
    assert after.lexicon_version != before.lexicon_version and after.lexicon_version.startswith("db-2-")
    audit = AuditEntry.objects.get(action="reviewers.lexicon.created")
    assert audit.actor_id == admins["top"].pk and audit.target_id == str(entry.pk)
    assert audit.target_type == "reviewers.lexiconentry" and audit.org_path == admins["top"].org.path
    assert audit.data["before"] is None and audit.data["lexicon_version"] == 2
    assert audit.data["after"] == {"wrong": NEW_WORD, "right": "教育部门户网站", "dimension": "wording",
                                   "severity": "warning", "note": "错别字", "enabled": True, "origin": "admin"}


def test_disabling_an_entry_removes_its_finding_and_enabling_brings_it_back(admins):
    entry = LexiconEntry.objects.get(wrong="台湾总统", dimension="political")
    assert [f.text for f in check("台湾总统发表讲话").findings] == ["台湾总统"]
    reviewer_services.lexicon_entry_set_enabled(actor=admins["top"], entry_id=entry.pk, enabled=False)
    assert check("台湾总统发表讲话").findings == []
    audit = AuditEntry.objects.get(action="reviewers.lexicon.disabled")
    assert audit.data["before"]["enabled"] is True and audit.data["after"]["enabled"] is False
    # the same state again: nothing written
    reviewer_services.lexicon_entry_set_enabled(actor=admins["top"], entry_id=entry.pk, enabled=False)
    assert state().version == 2 and AuditEntry.objects.filter(action__startswith="reviewers.lexicon").count() == 1
    reviewer_services.lexicon_entry_set_enabled(actor=admins["top"], entry_id=entry.pk, enabled=True)
    assert [f.text for f in check("台湾总统发表讲话").findings] == ["台湾总统"]
    assert AuditEntry.objects.filter(action="reviewers.lexicon.enabled").count() == 1 and state().version == 3


def test_editing_an_entry_changes_its_findings_and_is_audited_with_before_and_after(admins):
    entry = LexiconEntry.objects.get(wrong="国家教委", dimension="policy")
    assert [f.severity for f in check("国家教委发文").findings] == ["warning"]
    reviewer_services.lexicon_entry_update(actor=admins["root"], entry_id=entry.pk, severity="blocker",
                                           note="已更名，禁止使用")
    finding = check("国家教委发文").findings[0]
    assert (finding.severity, finding.suggestion) == ("blocker", "教育部")
    audit = AuditEntry.objects.get(action="reviewers.lexicon.changed")
    assert audit.data["before"]["severity"] == "warning" and audit.data["after"]["severity"] == "blocker"
    assert audit.data["after"]["note"] == "已更名，禁止使用" and audit.data["after"]["origin"] == "shipped"
    # no change, no version, no entry
    reviewer_services.lexicon_entry_update(actor=admins["root"], entry_id=entry.pk, severity="blocker")
    assert state().version == 2 and AuditEntry.objects.filter(action="reviewers.lexicon.changed").count() == 1


def test_a_change_by_another_process_is_seen_through_the_state_row(admins):
    """What another process's service commits is only rows: the state row tells this one."""
    assert check("国家教委发文").findings
    LexiconEntry.objects.filter(wrong="国家教委").update(enabled=False)
    assert check("国家教委发文").findings  # the state row did not move: the cached lexicon
    LexiconState.objects.filter(pk=1).update(version=7, token="x" * 32)
    assert check("国家教委发文").findings == []
    assert reviewer_selectors.current_lexicon().version.startswith("db-7-")


def test_current_lexicon_costs_one_query_when_nothing_changed(admins):
    reviewer_selectors.current_lexicon()
    with CaptureQueriesContext(connection) as ctx:
        first = reviewer_selectors.current_lexicon()
        second = reviewer_selectors.current_lexicon()
    assert len(ctx.captured_queries) == 2 and first is second
    reviewer_services.lexicon_entry_create(actor=admins["top"], wrong=NEW_WORD, dimension="wording")
    with CaptureQueriesContext(connection) as ctx:
        rebuilt = reviewer_selectors.current_lexicon()
    assert rebuilt is not first and len(ctx.captured_queries) == 3  # state, entries, state again
    with CaptureQueriesContext(connection) as ctx:
        assert reviewer_selectors.current_lexicon() is rebuilt
    assert len(ctx.captured_queries) == 1


def test_stored_reports_keep_the_version_they_were_made_with(world):
    from tests.workflow.helpers import new_draft, submit

    sub = submit(world, new_draft(world, body="<p>国家教委发文。</p>"))
    report = PrecheckReport.objects.get()
    old_version, old_findings = report.lexicon_version, report.findings
    entry = LexiconEntry.objects.get(wrong="国家教委", dimension="policy")
    reviewer_services.lexicon_entry_set_enabled(actor=world.admin, entry_id=entry.pk, enabled=False)
    report.refresh_from_db()
    assert (report.lexicon_version, report.findings) == (old_version, old_findings)
    assert [f["text"] for f in report.findings] == ["国家教委"]
    other = submit(world, new_draft(world, title="另一篇", body="<p>国家教委发文。</p>"))
    newer = PrecheckReport.objects.exclude(pk=report.pk).get()
    assert newer.lexicon_version != old_version and newer.findings == []
    assert sub.pk != other.pk


# ---------------------------------------------------------------- refusals

def test_only_top_level_unit_admins_and_superusers_manage_the_lexicon(admins):
    entry = LexiconEntry.objects.get(wrong="国家教委", dimension="policy")
    for actor in (admins["city"], admins["editor"], None):
        with pytest.raises(NotAllowed):
            reviewer_services.lexicon_entry_create(actor=actor, wrong=NEW_WORD, dimension="wording")
        with pytest.raises(NotAllowed):
            reviewer_services.lexicon_entry_update(actor=actor, entry_id=entry.pk, severity="info")
        with pytest.raises(NotAllowed):
            reviewer_services.lexicon_entry_set_enabled(actor=actor, entry_id=entry.pk, enabled=False)
    reviewer_services.lexicon_entry_create(actor=admins["root"], wrong=NEW_WORD, dimension="wording")
    assert state().version == 2
    assert not AuditEntry.objects.filter(action__startswith="reviewers.lexicon", outcome="denied").exists()


@pytest.mark.parametrize("fields, bad", [
    ({"wrong": "  "}, "wrong"),
    ({"wrong": "\u200b"}, "wrong"),
    ({"wrong": "字" * 101}, "wrong"),
    ({"dimension": "moral"}, "dimension"),
    ({"severity": "fatal"}, "severity"),
    ({"note": "说" * 301}, "note"),
])
def test_invalid_entries_are_refused(admins, fields, bad):
    values = {"wrong": NEW_WORD, "right": "x", "dimension": "wording", "severity": "warning", **fields}
    with pytest.raises(ValidationFailed) as exc:
        reviewer_services.lexicon_entry_create(actor=admins["top"], **values)
    assert bad in exc.value.fields
    assert state().version == 1 and not AuditEntry.objects.filter(action__startswith="reviewers.lexicon").exists()


def test_a_duplicate_wrong_form_in_the_same_dimension_is_a_conflict(admins):
    with pytest.raises(Conflict) as exc:
        reviewer_services.lexicon_entry_create(actor=admins["top"], wrong="国家教委", dimension="policy")
    assert exc.value.code == "lexicon_entry_exists"
    # the same form in another dimension is another entry
    reviewer_services.lexicon_entry_create(actor=admins["top"], wrong="国家教委", dimension="wording")
    other = LexiconEntry.objects.get(wrong="国家计委", dimension="policy")
    with pytest.raises(Conflict):
        reviewer_services.lexicon_entry_update(actor=admins["top"], entry_id=other.pk, wrong="国家教委")
    assert state().version == 2


def test_unknown_entry_is_not_found(admins):
    for entry_id in (999999, "abc"):
        with pytest.raises(NotFound):
            reviewer_services.lexicon_entry_update(actor=admins["top"], entry_id=entry_id, severity="info")
        with pytest.raises(NotFound):
            reviewer_services.lexicon_entry_set_enabled(actor=admins["top"], entry_id=entry_id, enabled=False)
