"""Evidence files (佐证材料) of patrols, problems and counterfeit reports: the
type by content, the size limit, who may add and remove them, storage under
MEDIA_ROOT with generated names, and their audit entries."""
import hashlib
import io
import re

import pytest
from pdfminer.high_level import extract_text
from PIL import Image as PILImage

from audit.models import AuditEntry
from content import services as content_services
from content.errors import Conflict, NotAllowed, ValidationFailed
from content.images import is_pdf, sniff_evidence_type
from operations import permissions, selectors, services
from operations.models import Evidence
from tests.image_files import HOSTILE_IMAGES, png_with_text
from tests.operations.evidence_files import HTML, JPEG, PNG, real_pdf, upload
from tests.operations.helpers import TODAY, patrol, problem

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def report(world):
    return services.counterfeit_report(actor=world.manager, org_id=world.school.pk, platform="抖音",
                                       name="广州一中官方", found_on=TODAY)


def add(world, kind, record, data=PNG, name="截图.png", actor=None):
    return services.evidence_upload(actor=actor or world.manager, kind=kind, record_id=record.pk,
                                    file=upload(name, data))


# ---------------------------------------------------------------- the type by content (pure)

def test_the_test_pdf_is_a_real_pdf():
    assert extract_text(io.BytesIO(real_pdf("Evidence 42"))).strip() == "Evidence 42"


@pytest.mark.parametrize("data,ext", [
    (PNG, "png"), (JPEG, "jpg"), (real_pdf(), "pdf"), (HTML, None), (b"", None),
    (b"%PDF-1.4\n" + b"x" * 100, None),                      # a header without its end
    (b"<html>" + b"%%EOF", None),                           # an end without the header
    (b"%PDF-1.7\n" + b"x" * 5000 + b"%%EOF\n" + b"\n" * 2000, None),  # the end marker too far from the end
    (b"%PDF-1.7\n" + b"x" * 5000 + b"%%EOF\r\n", "pdf"),
])
def test_sniff_evidence_type(data, ext):
    assert sniff_evidence_type(data) == ext
    assert is_pdf(data) == (ext == "pdf")


# ---------------------------------------------------------------- uploads

@pytest.mark.parametrize("kind", ["patrol", "problem", "counterfeit"])
def test_upload_stores_a_generated_name_under_media_root_and_audits(world, media_root, kind):
    record = {"patrol": lambda: patrol(world), "problem": lambda: problem(world),
              "counterfeit": lambda: report(world)}[kind]()
    pdf = real_pdf()
    evidence = add(world, kind, record, data=pdf, name="../../举报回执.pdf")
    assert re.fullmatch(r"[0-9a-f]{32}\.pdf", evidence.key)
    assert evidence.name == "举报回执.pdf" and evidence.content_type == "application/pdf"
    assert evidence.size == len(pdf) and evidence.sha256 == hashlib.sha256(pdf).hexdigest()
    assert evidence.uploaded_by == world.manager and getattr(evidence, kind) == record
    stored = media_root / evidence.file.name
    assert stored.read_bytes() == pdf and evidence.file.name.startswith("evidence/")
    assert evidence.key in stored.name and "举报" not in evidence.file.name
    entry = AuditEntry.objects.get(action=f"operations.{kind}.evidence_added")
    assert entry.target_id == str(record.pk) and entry.outcome == "success"
    assert entry.target_type == {"patrol": "operations.patrol", "problem": "operations.problem",
                                 "counterfeit": "operations.counterfeitreport"}[kind]
    assert entry.data["sha256"] == evidence.sha256 and entry.data["name"] == "举报回执.pdf"
    assert entry.org_path == world.school.path


def test_a_renamed_html_file_is_refused_whatever_its_name_and_declared_type(world, media_root):
    record = problem(world)
    for name, declared in (("截图.png", "image/png"), ("回执.pdf", "application/pdf")):
        with pytest.raises(ValidationFailed) as exc:
            services.evidence_upload(actor=world.manager, kind="problem", record_id=record.pk,
                                     file=upload(name, HTML, declared))
        assert "只能上传" in exc.value.fields["file"][0] and "PDF" in exc.value.fields["file"][0]
    assert not Evidence.objects.exists()
    assert not AuditEntry.objects.filter(action__contains="evidence").exists()
    assert not (media_root / "evidence").exists() or not any((media_root / "evidence").rglob("*.*"))


@pytest.mark.parametrize("data, message", HOSTILE_IMAGES)
def test_hostile_screenshots_are_refused_as_for_a_drafts_images(world, media_root, data, message):
    """Issue 12: evidence screenshots go through the drafts' decoder (Pillow), its
    pixel limit and its refusals; before, the first bytes alone decided."""
    with pytest.raises(ValidationFailed) as exc:
        add(world, "problem", problem(world), data=data, name="x.png")
    assert message in exc.value.fields["file"][0]
    assert not Evidence.objects.exists()
    assert not AuditEntry.objects.filter(action__contains="evidence").exists()


def test_a_screenshot_is_stored_re_encoded_and_within_the_pixel_limit(world, media_root, settings):
    record = patrol(world)
    evidence = add(world, "patrol", record, data=png_with_text("Comment", "<script>alert(1)</script>"))
    stored = (media_root / evidence.file.name).read_bytes()
    assert b"<script>" not in stored and PILImage.open(io.BytesIO(stored)).size == (6, 4)
    assert evidence.sha256 == hashlib.sha256(stored).hexdigest() and evidence.size == len(stored)
    settings.IMAGE_MAX_PIXELS = 20  # the drafts' setting: 6 × 4 = 24 pixels
    with pytest.raises(ValidationFailed) as exc:
        add(world, "patrol", record)
    assert "不能超过 20 像素" in exc.value.fields["file"][0]


def test_empty_oversized_and_missing_files_are_refused(world, settings):
    record = patrol(world)
    settings.EVIDENCE_MAX_BYTES = 1000
    for file, message in ((upload("a.png", b""), "空"), (upload("a.png", PNG + b"\x00" * 1000), "不能超过"),
                          (None, "请选择")):
        with pytest.raises(ValidationFailed) as exc:
            services.evidence_upload(actor=world.manager, kind="patrol", record_id=record.pk, file=file)
        assert message in exc.value.fields["file"][0]
    with pytest.raises(ValidationFailed):
        services.evidence_upload(actor=world.manager, kind="draft", record_id=record.pk, file=upload("a.png", PNG))
    assert not Evidence.objects.exists()


def test_at_most_twenty_files_per_record(world):
    record = patrol(world)
    for i in range(services.MAX_EVIDENCE_FILES):
        add(world, "patrol", record, name=f"{i}.png")
    with pytest.raises(ValidationFailed) as exc:
        add(world, "patrol", record)
    assert exc.value.code == "too_many_files"


# ---------------------------------------------------------------- who may add and remove

def test_who_may_add_evidence_to_a_patrol_and_a_counterfeit_report(world):
    p, r = patrol(world), report(world)
    for kind, record in (("patrol", p), ("counterfeit", r)):
        for user in (world.manager, world.auditor, world.admin):  # whoever may record patrols / edit the report
            assert permissions.can_change_evidence(user, kind, record)
            add(world, kind, record, actor=user)
        for user in (world.editor, world.publisher, world.reviewers[0], world.outsider):
            assert not permissions.can_change_evidence(user, kind, record)
            with pytest.raises(NotAllowed):
                add(world, kind, record, actor=user)
    assert Evidence.objects.count() == 6


def test_who_may_add_evidence_to_a_problem_and_only_while_unresolved(world):
    q = problem(world, responsible=world.editor)
    add(world, "problem", q, actor=world.editor)  # the responsible person acts on it
    add(world, "problem", q, actor=world.auditor)
    for user in (world.editor2, world.publisher, world.outsider):
        with pytest.raises(NotAllowed) as exc:
            add(world, "problem", q, actor=user)
        assert exc.value.code in ("not_responsible", "permission_denied")
    services.problem_rectify(actor=world.editor, problem_id=q.pk, note="已补注来源")
    add(world, "problem", q, actor=world.editor)  # rectifying: still unresolved
    services.problem_confirm(actor=world.manager, problem_id=q.pk)
    q.refresh_from_db()
    assert not permissions.can_change_evidence(world.manager, "problem", q)
    with pytest.raises(Conflict) as exc:
        add(world, "problem", q)
    assert exc.value.code == "invalid_state"
    evidence = q.evidence_files.first()
    with pytest.raises(Conflict):
        services.evidence_remove(actor=world.manager, evidence_id=evidence.pk)
    assert q.evidence_files.count() == 3


def test_a_role_removed_ends_the_inspectors_right_to_his_own_patrol(world):
    p = patrol(world, actor=world.auditor)
    add(world, "patrol", p, actor=world.auditor)
    content_services.user_set_roles(actor=world.secadmin, user_id=world.auditor.pk, roles_=[])
    world.auditor.refresh_from_db()
    with pytest.raises(NotAllowed):
        add(world, "patrol", p, actor=world.auditor)


def test_removal_deletes_the_row_and_the_file_and_audits(world, media_root, django_capture_on_commit_callbacks):
    q = problem(world)
    evidence = add(world, "problem", q, data=real_pdf(), name="回执.pdf")
    stored = media_root / evidence.file.name
    with pytest.raises(NotAllowed):
        services.evidence_remove(actor=world.publisher, evidence_id=evidence.pk)
    with pytest.raises(NotAllowed):
        services.evidence_remove(actor=world.outsider, evidence_id=evidence.pk)
    with pytest.raises(NotAllowed):
        services.evidence_remove(actor=world.manager, evidence_id=evidence.pk + 1000)
    with django_capture_on_commit_callbacks(execute=True):
        services.evidence_remove(actor=world.manager, evidence_id=evidence.pk)
    assert not Evidence.objects.exists() and not stored.exists()
    entry = AuditEntry.objects.get(action="operations.problem.evidence_removed")
    assert entry.target_id == str(q.pk) and entry.data["sha256"] == evidence.sha256 and entry.data["name"] == "回执.pdf"
    assert AuditEntry.objects.filter(action="operations.problem.evidence_removed").count() == 1


def test_who_may_see_evidence(world):
    q = problem(world)
    evidence = add(world, "problem", q)
    for user in (world.editor, world.publisher, world.manager, world.auditor, world.admin):
        assert selectors.evidence_visible_to(user, evidence.pk) == evidence
    assert selectors.evidence_visible_to(world.outsider, evidence.pk) is None
    assert selectors.evidence_visible_to(world.manager, "x") is None
    assert selectors.evidence_record_visible_to(world.outsider, "problem", q.pk) is None
    assert list(selectors.evidence_record_visible_to(world.editor, "problem", q.pk).evidence_files.all()) == [evidence]
