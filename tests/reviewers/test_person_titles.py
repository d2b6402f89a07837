"""The names-and-titles table (领导姓名职务) the pre-check reads: kept per unit
subtree by its administrators through audited services, read for a draft's
unit and the units above it, empty when shipped."""
import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEntry
from content import roles
from content.errors import NotAllowed, NotFound, ValidationFailed
from reviewers import selectors as reviewer_selectors
from reviewers import services as reviewer_services
from reviewers.models import PersonTitle, PrecheckReport
from reviewers.precheck import PersonRecord
from tests import factories
from tests.workflow.helpers import new_draft, submit


@pytest.fixture
def school_admin(world):
    return factories.user("schooladmin", org_=world.school, roles_=[roles.SYSTEM_ADMIN])


def row(world, actor=None, **fields):
    values = {"name": "张建国", "title": "校长", "unit": "广州第一中学", **fields}
    return reviewer_services.person_title_create(actor=actor or world.admin, org_id=world.school.pk, **values)


def test_the_table_ships_empty(db):
    assert PersonTitle.objects.count() == 0


def test_create_is_audited_with_the_row(world):
    created = row(world, valid_from="2024-09-01")
    entry = AuditEntry.objects.get(action="reviewers.person_title.created")
    assert entry.target_type == "reviewers.persontitle" and entry.target_id == str(created.pk)
    assert entry.org_path == world.school.path
    assert entry.data["after"] == {"org": world.school.pk, "name": "张建国", "title": "校长", "unit": "广州第一中学",
                                   "valid_from": "2024-09-01", "valid_to": None, "enabled": True}


def test_update_records_before_and_after_and_no_change_writes_nothing(world):
    created = row(world)
    reviewer_services.person_title_update(actor=world.admin, row_id=created.pk, title="校长")
    assert not AuditEntry.objects.filter(action="reviewers.person_title.changed").exists()
    reviewer_services.person_title_update(actor=world.admin, row_id=created.pk, title="党委书记、校长",
                                          valid_to="2027-08-31")
    entry = AuditEntry.objects.get(action="reviewers.person_title.changed")
    assert entry.data["before"]["title"] == "校长" and entry.data["after"]["title"] == "党委书记、校长"
    assert entry.data["after"]["valid_to"] == "2027-08-31"


def test_disable_and_enable_are_audited_and_rows_are_never_deleted(world):
    created = row(world)
    reviewer_services.person_title_set_enabled(actor=world.admin, row_id=created.pk, enabled=False)
    reviewer_services.person_title_set_enabled(actor=world.admin, row_id=created.pk, enabled=False)  # no-op
    reviewer_services.person_title_set_enabled(actor=world.admin, row_id=created.pk, enabled=True)
    actions = list(AuditEntry.objects.filter(target_type="reviewers.persontitle").order_by("seq")
                   .values_list("action", flat=True))
    assert actions == ["reviewers.person_title.created", "reviewers.person_title.disabled",
                       "reviewers.person_title.enabled"]


def test_administrators_of_the_unit_or_above_may_keep_it_others_not(world, school_admin):
    row(world, actor=school_admin)  # the school's own administrator
    row(world, actor=factories.superuser(), name="王丽")
    other_admin = factories.user("otheradmin", org_=world.other_city, roles_=[roles.SYSTEM_ADMIN])
    for actor in (other_admin, world.editor, world.auditor):
        with pytest.raises(NotAllowed):
            row(world, actor=actor, name="刘强")
    created = PersonTitle.objects.first()
    with pytest.raises(NotAllowed):
        reviewer_services.person_title_update(actor=other_admin, row_id=created.pk, title="书记")
    assert PersonTitle.objects.count() == 2


@pytest.mark.parametrize("fields, field", [
    ({"name": " "}, "name"), ({"title": ""}, "title"), ({"name": "名" * 21}, "name"),
    ({"valid_from": "2026-13-01"}, "valid_from"), ({"valid_from": "2026-09-01", "valid_to": "2026-08-31"}, "valid_to"),
])
def test_bad_input_is_refused_with_a_field_message(world, fields, field):
    with pytest.raises(ValidationFailed) as excinfo:
        row(world, **fields)
    assert field in excinfo.value.fields
    assert PersonTitle.objects.count() == 0 and not AuditEntry.objects.filter(
        action__startswith="reviewers.person_title.").exists()


def test_unknown_rows_and_units_are_not_found(world):
    with pytest.raises(NotFound):
        reviewer_services.person_title_update(actor=world.admin, row_id=999, title="校长")
    with pytest.raises(NotFound):
        reviewer_services.person_title_create(actor=world.admin, org_id=999, name="张三", title="校长")


def test_rows_apply_to_their_subtree_only_in_one_query(world):
    row(world)  # the school
    reviewer_services.person_title_create(actor=world.admin, org_id=world.city.pk, name="李局", title="局长",
                                          unit="广州市教育局")
    reviewer_services.person_title_create(actor=world.admin, org_id=world.other_city.pk, name="赵局", title="局长",
                                          unit="深圳市教育局")
    disabled = row(world, name="钱二")
    reviewer_services.person_title_set_enabled(actor=world.admin, row_id=disabled.pk, enabled=False)
    with CaptureQueriesContext(connection) as queries:
        records = reviewer_selectors.person_titles_for(world.school)
    assert len(queries) == 1
    assert {r.name for r in records} == {"张建国", "李局"}
    assert {r.name for r in reviewer_selectors.person_titles_for(world.city)} == {"李局"}
    assert reviewer_selectors.person_titles_for(None) == []
    assert isinstance(records[0], PersonRecord)


def test_the_submitted_report_checks_names_against_the_table(world):
    row(world, valid_from=dt.date(2020, 1, 1))
    draft = new_draft(world, body="<p>广州第一中学副校长张建国出席开学典礼并讲话。</p>")
    submit(world, draft)
    findings = PrecheckReport.objects.get().findings
    assert [(f["rule"], f["text"]) for f in findings] == [("names.wrong_title", "副校长张建国")]


def test_the_editors_check_reads_the_table_of_the_account(world):
    row(world)
    report = reviewer_selectors.precheck_run(body_html="<p>副校长张建国出席。</p>", org=world.account.org)
    assert [f.rule for f in report.findings] == ["names.wrong_title"]
    assert reviewer_selectors.precheck_run(body_html="<p>副校长张建国出席。</p>").findings == []
