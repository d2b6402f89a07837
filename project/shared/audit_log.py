"""The audited reads of the audit log that the API and the pages share:
verifying the chain and exporting a trail. Each records its own audit entry."""
from django.db import transaction
from django.utils.translation import gettext as _

from audit import selectors as audit_selectors
from audit.services import audit_record
from content.errors import NotAllowed
from content.permissions import may_read_audit
from content.selectors import audit_entries_for


def _org_path(user):
    return user.org.path if getattr(user, "org_id", None) else ""


def _require_audit_reader(actor):
    if not may_read_audit(actor):
        raise NotAllowed(_("只有审计人员可以查看审计日志"))


@transaction.atomic
def audit_verify(*, actor):
    """Recompute the whole chain and record that it was checked, with the result."""
    _require_audit_reader(actor)
    result = audit_selectors.chain_verify()
    audit_record(action="audit.verify", actor=actor, target_type="audit.auditentry", org_path=_org_path(actor),
                 outcome="success" if result.ok else "failure",
                 data={"ok": result.ok, "count": result.count, "head_hash": result.head_hash,
                       "first_broken_seq": result.first_broken_seq, "reason": result.reason})
    return result


def audit_export(*, actor, filters, export_format, described_filters, org=None):
    """Record an export of the trail and return (entry, queryset of the rows).

    The rows are those matching ``filters`` inside the reader's subtrees, up to
    (not including) the export's own entry, so the file is the trail as it
    stood when it was asked for. ``described_filters`` is what the entry keeps.
    """
    _require_audit_reader(actor)
    with transaction.atomic():
        rows = audit_entries_for(actor, **filters)
        count = rows.count()
        entry = audit_record(
            action="audit.export", actor=actor, target_type="audit.auditentry",
            org_path=org.path if org is not None else _org_path(actor),
            data={"format": export_format, "filters": described_filters, "rows": count},
        )
    if entry is not None:
        rows = rows.filter(seq__lt=entry.seq)
    return entry, rows
