"""Building evidence packs (audit.packs writes them; this module gives them the
drafts' revisions, decisions and publications and records the result), and
the background task that builds the packs asked for on the page and the API."""
import pathlib

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import selectors as audit_selectors
from audit import services as audit_services
from audit.models import EvidencePack
from audit.services import audit_record
from content import services as content_services
from content.background import background_task
from content.errors import ValidationFailed
from reporting import selectors

SYSTEM_LABEL = "system"


def _pack_description(pack: EvidencePack) -> dict:
    described = {"单位": pack.org_label, "单位路径": pack.org_path, "from": pack.date_from.isoformat(),
                 "to": pack.date_to.isoformat(), "申请人": pack.requested_label, "证据包编号": pack.pk}
    if pack.account_id:
        described["账号编号"] = pack.account_id
    if pack.draft_id:
        described["稿件编号"] = pack.draft_id
    return described


def build(*, actor, pack_id, out=None):
    """Build the pack: sign a checkpoint of the log as it is, write the zip
    (entries, proofs, checkpoint, consistency, drafts, summary, signed
    manifest) and record it. Idempotent: a ready pack is returned as it is."""
    pack = audit_selectors.evidence_pack_get(pack_id)
    if pack is None:
        raise ValidationFailed(_("没有这个证据包"), code="no_pack")
    if pack.status == EvidencePack.Status.READY and (out is None or pack.file_name == str(out)):
        return pack
    audit_services.evidence_pack_progress(pack_id=pack.pk, progress=0)
    try:
        checkpoint = audit_services.checkpoint_sign(actor=actor)
        entries = audit_selectors.entry_list(org_path=pack.org_path, account_id=pack.account_id,
                                             draft_id=pack.draft_id, date_from=pack.date_from, date_to=pack.date_to)
        if out is None:
            directory = pathlib.Path(settings.AUDIT_PACK_DIR)
            directory.mkdir(parents=True, exist_ok=True)
            out = directory / f"evidence-pack-{pack.pk}-{timezone.now():%Y%m%d%H%M%S}.zip"
        result = audit_services.evidence_pack_write(
            out=out, entries=entries, checkpoint=checkpoint, description=_pack_description(pack),
            attachments=selectors.evidence_pack_attachments, summary_sections=selectors.evidence_pack_summary,
            progress=lambda percent: audit_services.evidence_pack_progress(pack_id=pack.pk, progress=percent))
    except Exception as exc:
        with transaction.atomic():
            audit_services.evidence_pack_fail(pack_id=pack.pk, error=f"{type(exc).__name__}: {exc}")
            audit_record(action="audit.pack.failed", actor=actor, actor_label=None if actor else SYSTEM_LABEL,
                         target_type="audit.evidencepack", target_id=pack.pk, org_path=pack.org_path,
                         outcome="failure", data={"error": f"{type(exc).__name__}: {exc}"[:500]})
        raise
    with transaction.atomic():
        audit_services.evidence_pack_finish(pack_id=pack.pk, file_name=str(out), file_sha256=result.sha256,
                                            file_size=result.size, entry_count=result.entry_count,
                                            checkpoint=checkpoint)
        audit_record(action="audit.pack.built", actor=actor, actor_label=None if actor else SYSTEM_LABEL,
                     target_type="audit.evidencepack", target_id=pack.pk, org_path=pack.org_path,
                     account_id=pack.account_id, draft_id=pack.draft_id,
                     data={"entries": result.entry_count, "drafts": len(result.draft_ids), "sha256": result.sha256,
                           "size": result.size, "tree_size": checkpoint.tree_size, "root_hash": checkpoint.root_hash})
    return audit_selectors.evidence_pack_get(pack.pk)


@background_task
def evidence_pack_build_task(*, pack_id):
    """Build one pack asked for (idempotent: a ready pack is left as it is), as the system actor."""
    pack = build(actor=content_services.system_actor(), pack_id=pack_id)
    return {"pack": pack.pk, "entries": pack.entry_count, "sha256": pack.file_sha256}
