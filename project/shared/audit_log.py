"""What the API and the auditor's pages share about the audit log: the one
mapping of a search to entry_list filters (``entry_filters``), and the audited
reads — verifying the chain and exporting a trail, each recording its own entry."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import selectors as audit_selectors
from audit.services import audit_record
from content.errors import NotAllowed, ValidationFailed
from content.permissions import may_read_audit
from content.selectors import audit_entries_for, scope_paths_for
from project.shared import files


@dataclass(frozen=True)
class AuditSearch:
    """A parsed audit search: ``filters`` for audit.selectors.entry_list, the
    unit filtered on, ``named``: the filter in the API's keys with the period
    as ``from`` and ``to`` moments (``to`` exclusive; what export file names
    say, see project.shared.files.export_filenames) and ``described``: what an export's own
    entry records, in the API's parameter names."""

    filters: dict
    org: object
    named: dict
    described: dict


def _moment(value, *, end=False):
    """An aware datetime as is; a date is a local day — its start, or with
    ``end`` the start of the next day (so that "to" includes the whole day)."""
    if value is None or isinstance(value, dt.datetime):
        return value
    day = value + dt.timedelta(days=1) if end else value
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min), timezone.get_default_timezone())


def _iso(moment):
    return moment.astimezone(dt.timezone.utc).isoformat() if moment is not None else None


def entry_filters(*, org=None, action=None, actor=None, actor_username=None, target_type=None, target_id=None,
                  account=None, draft=None, correlation_id=None, date_from=None, date_to=None):
    """The one mapping of an audit search — the API's query parameters and the
    auditor's search form alike — to an ``AuditSearch``. Blank values filter
    nothing; ``actor`` is a user id; ``date_from``/``date_to`` are aware
    datetimes or dates (see ``_moment``)."""
    start, end = _moment(date_from), _moment(date_to, end=True)
    filters = {
        "org_path": org.path if org is not None else None,
        "action": action or None,
        "actor_id": actor or None,
        "target_type": target_type or None,
        "target_id": target_id or None,
        "account_id": account or None,
        "draft_id": draft or None,
        "correlation_id": correlation_id or None,
        "date_from": start,
        "date_to": end,
    }
    described = {
        "action": action, "actor": actor, "actor_username": actor_username, "target_type": target_type,
        "target_id": target_id, "account": account, "draft": draft, "correlation_id": correlation_id,
        "from": _iso(start), "to": _iso(end), "org": org.code if org is not None else None,
    }
    named = {"from": start, "to": end, "draft": draft, "account": account, "actor": actor,
             "target_type": target_type, "target_id": target_id, "action": action}
    return AuditSearch(filters=filters, org=org, named=named,
                       described={k: v for k, v in described.items() if v not in (None, "")})


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
        refusal = files.xlsx_refusal(count) if export_format == "xlsx" else None
        if refusal:
            raise ValidationFailed(refusal, code="too_many_rows_for_xlsx", fields={"format": [refusal]})
        entry = audit_record(
            action="audit.export", actor=actor, target_type="audit.auditentry",
            org_path=org.path if org is not None else _org_path(actor),
            data={"format": export_format, "filters": described_filters, "rows": count},
        )
    if entry is not None:
        rows = rows.filter(seq__lt=entry.seq)
    return entry, rows


# ---------------------------------------------------------------- the tree: proofs and evidence packs

PACK_HIDDEN = "没有权限访问该证据包"
ENTRY_HIDDEN = "没有权限查看该审计条目"


def entry_visible(*, actor, seq):
    """Whether ``actor`` reads entry ``seq`` (a proof carries the entry's text):
    the auditor's subtree, as his search shows it."""
    _require_audit_reader(actor)
    if not audit_entries_for(actor).filter(seq=seq).exists():
        raise NotAllowed(_(ENTRY_HIDDEN))


def entry_proof(*, actor, seq, tree_size=None):
    """The inclusion proof of entry ``seq`` for the page and the API: against
    ``tree_size`` or, without it, the latest checkpoint (``CheckpointUnavailable``
    when none is signed; ``ProofUnavailable`` when the sizes do not fit)."""
    entry_visible(actor=actor, seq=seq)
    checkpoint = None
    if tree_size is None:
        checkpoint = audit_selectors.checkpoint_latest()
        tree_size = checkpoint.tree_size
    return audit_selectors.entry_proof(seq=seq, tree_size=tree_size), checkpoint


def visible_pack(user, pk):
    """The evidence pack ``pk`` if ``user`` may see it (his subtree), else the one
    refusal for "missing" and "not yours"."""
    _require_audit_reader(user)
    pack = audit_selectors.evidence_pack_get(pk)
    paths = scope_paths_for(user)
    if pack is None or (paths is not None and not any(pack.org_path.startswith(p) for p in paths)):
        raise NotAllowed(_(PACK_HIDDEN))
    return pack


def visible_packs(user, *, limit=50):
    _require_audit_reader(user)
    return audit_selectors.evidence_pack_list(org_paths=scope_paths_for(user), limit=limit)
