"""Reads of the audit log: filtered trails and chain verification."""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Iterable

from django.db import connection
from django.db.models import Count, Q, QuerySet

from audit.hashing import GENESIS_HASH
from audit.models import AuditChainHead, AuditEntry

ORDERS = ("seq", "-seq")  # oldest first (the chain's order), newest first


def entry_list(*, org_path: str | None = None, action: str | None = None, actor_id: int | None = None,
               target_type: str | None = None, target_id: int | str | None = None, account_id: int | None = None,
               draft_id: int | None = None, date_from: dt.datetime | None = None, date_to: dt.datetime | None = None,
               scope_paths: Iterable[str] | None = None, include_unscoped: bool = False,
               correlation_id: str | None = None, order: str = "seq") -> QuerySet[AuditEntry]:
    """Entries matching the filters, oldest first (``order="-seq"``: newest first).

    ``org_path`` selects a unit subtree; ``scope_paths`` limits the result to the
    subtrees the reader may see (None: no limit), and ``include_unscoped`` adds
    the entries that belong to no unit (empty ``org_path``: a failed login for
    an unknown username, ...); ``correlation_id`` the entries written while
    serving one request.
    """
    if order not in ORDERS:
        raise ValueError(f"unknown audit order: {order!r}")
    qs = AuditEntry.objects.all()
    if scope_paths is not None:
        scope = Q(pk__in=[])
        for path in scope_paths:
            scope |= Q(org_path__startswith=path)
        if include_unscoped:
            scope |= Q(org_path="")
        qs = qs.filter(scope)
    if org_path:
        qs = qs.filter(org_path__startswith=org_path)
    if action:
        qs = qs.filter(action__startswith=action) if action.endswith(".") else qs.filter(action=action)
    if actor_id:
        qs = qs.filter(actor_id=actor_id)
    if target_type:
        qs = qs.filter(target_type=target_type)
    if target_id:
        qs = qs.filter(target_id=str(target_id))
    if account_id:
        qs = qs.filter(account_id=account_id)
    if draft_id:
        qs = qs.filter(draft_id=draft_id)
    if correlation_id:
        qs = qs.filter(correlation_id=correlation_id)
    if date_from:
        qs = qs.filter(created_at__gte=date_from)
    if date_to:
        qs = qs.filter(created_at__lt=date_to)
    return qs.order_by(order)


def action_counts(entries: QuerySet[AuditEntry], actions: Iterable[str]) -> dict[str, dict[str, int]]:
    """How many of ``entries`` carry each of ``actions``, and how many of those
    belong to no unit, in one query: {code: {"total": n, "unscoped": m}}."""
    aggregates = {}
    for index, code in enumerate(actions):
        aggregates[f"t{index}"] = Count("pk", filter=Q(action=code))
        aggregates[f"u{index}"] = Count("pk", filter=Q(action=code, org_path=""))
    totals = entries.filter(action__in=list(actions)).order_by().aggregate(**aggregates)
    return {code: {"total": totals[f"t{index}"], "unscoped": totals[f"u{index}"]}
            for index, code in enumerate(actions)}


@dataclasses.dataclass(frozen=True)
class VerifyResult:
    ok: bool
    count: int
    head_hash: str
    first_broken_seq: int | None
    reason: str = ""


TABLE = AuditEntry._meta.db_table
INT_COLUMNS = ("seq", "actor_id", "account_id", "draft_id")
TEXT_COLUMNS = ("actor_label", "source_ip", "correlation_id", "action", "target_type", "target_id", "org_path",
                "outcome")
def _column_break_sql(vendor):
    """SQL naming the first entry whose columns disagree with its payload."""
    if vendor == "postgresql":
        # One parse of the payload per row, into typed fields.
        spec = ", ".join([f"{c} bigint" for c in INT_COLUMNS] + [f"{c} text" for c in TEXT_COLUMNS]
                         + ["data jsonb", "created_at text"])
        tests = [f"p.{c} IS DISTINCT FROM e.{c}" for c in INT_COLUMNS + TEXT_COLUMNS + ("data",)]
        tests.append("p.created_at IS DISTINCT FROM "
                     "to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")
        return (f"SELECT MIN(e.seq) FROM {TABLE} e, LATERAL jsonb_to_record(e.payload::jsonb) AS p({spec}) "
                f"WHERE " + " OR ".join(tests))
    # SQLite: one parse of the payload per row, extracting every field at once,
    # compared with the same fields rendered from the columns.
    created = ("(replace(created_at, ' ', 'T') || "
               "CASE WHEN length(created_at) = 19 THEN '.000000Z' ELSE 'Z' END)")
    columns = INT_COLUMNS + TEXT_COLUMNS
    paths = ", ".join(f"'$.{c}'" for c in columns + ("data", "created_at"))
    rendered = ", ".join(columns + ("json(data)", created))
    return f"SELECT MIN(seq) FROM {TABLE} WHERE json_extract(payload, {paths}) IS NOT json_array({rendered})"


def chain_verify(*, chunk_size: int = 5000) -> VerifyResult:
    """Recompute the whole chain; name the first entry where it breaks.

    One pass re-hashes every stored payload in sequence order (a gap:
    "missing"; a wrong link to the predecessor: "link"; a wrong hash: "hash");
    one SQL query finds the first entry whose searchable columns disagree with
    its payload ("column"); the chain head row catches entries removed from
    the end ("head").
    """
    prev_hash = GENESIS_HASH
    expected_seq = 1
    broken = None
    sha256 = hashlib.sha256
    with connection.cursor() as cursor:
        # The DB-API cursor underneath Django's wrapper: this loop is the hot path.
        raw = cursor.cursor
        raw.execute(f"SELECT seq, prev_hash, hash, payload FROM {TABLE} ORDER BY seq")
        while broken is None:
            rows = raw.fetchmany(chunk_size)
            if not rows:
                break
            for seq, stored_prev, stored_hash, payload in rows:
                if seq != expected_seq:
                    broken = (expected_seq, "missing")
                    break
                if stored_prev != prev_hash:
                    broken = (seq, "link")
                    break
                if sha256((prev_hash + payload).encode("utf-8")).hexdigest() != stored_hash:
                    broken = (seq, "hash")
                    break
                prev_hash = stored_hash
                expected_seq += 1
        cursor.execute(_column_break_sql(connection.vendor))
        column_broken = cursor.fetchone()[0]
    count = expected_seq - 1
    if column_broken is not None and (broken is None or column_broken < broken[0]):
        broken = (column_broken, "column")
        count = min(count, column_broken - 1)
    if broken is None:
        head = AuditChainHead.objects.filter(pk=1).first()
        head_seq, head_hash = (head.seq, head.hash) if head is not None else (0, GENESIS_HASH)
        # A missing head row with entries present is itself a sign of tampering.
        if head_seq != count or head_hash != prev_hash:
            broken = (min(head_seq, count) + 1, "head")
    if broken is not None:
        return VerifyResult(False, min(count, broken[0] - 1), prev_hash, broken[0], broken[1])
    return VerifyResult(True, count, prev_hash, None, "")
