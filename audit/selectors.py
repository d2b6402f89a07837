"""Reads of the audit log: filtered trails and chain verification."""
import dataclasses

from django.db.models import Q

from audit.hashing import GENESIS_HASH, entry_hash, HASHED_FIELDS
from audit.models import AuditChainHead, AuditEntry


def entry_list(*, org_path=None, action=None, actor_id=None, target_type=None, target_id=None,
               account_id=None, draft_id=None, date_from=None, date_to=None, scope_paths=None):
    """Entries matching the filters, oldest first.

    ``org_path`` selects a unit subtree; ``scope_paths`` limits the result to the
    subtrees the reader may see (None: no limit).
    """
    qs = AuditEntry.objects.all()
    if scope_paths is not None:
        scope = Q(pk__in=[])
        for path in scope_paths:
            scope |= Q(org_path__startswith=path)
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
    if date_from:
        qs = qs.filter(created_at__gte=date_from)
    if date_to:
        qs = qs.filter(created_at__lt=date_to)
    return qs.order_by("seq")


@dataclasses.dataclass(frozen=True)
class VerifyResult:
    ok: bool
    count: int
    head_hash: str
    first_broken_seq: int | None
    reason: str = ""


def chain_verify(*, chunk_size=5000):
    """Recompute the whole chain; name the first entry where it breaks.

    A changed entry fails its own hash; a removed one leaves a gap in the
    sequence; one inserted out of band breaks the link to its predecessor or
    its own hash. The head row catches entries removed from the end.
    """
    columns = ("seq", "hash", "prev_hash") + tuple(f for f in HASHED_FIELDS if f != "seq")
    rows = AuditEntry.objects.order_by("seq").values_list(*columns).iterator(chunk_size=chunk_size)
    prev_hash = GENESIS_HASH
    expected_seq = 1
    count = 0
    names = tuple(f for f in HASHED_FIELDS if f != "seq")
    for row in rows:
        seq, stored_hash, stored_prev = row[0], row[1], row[2]
        if seq != expected_seq:
            return VerifyResult(False, count, prev_hash, expected_seq, "missing")
        if stored_prev != prev_hash:
            return VerifyResult(False, count, prev_hash, seq, "link")
        fields = dict(zip(names, row[3:]))
        fields["seq"] = seq
        if entry_hash(prev_hash, fields) != stored_hash:
            return VerifyResult(False, count, prev_hash, seq, "hash")
        prev_hash = stored_hash
        expected_seq += 1
        count += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.seq != count or head.hash != prev_hash):
        return VerifyResult(False, count, prev_hash, min(head.seq, count) + 1, "head")
    return VerifyResult(True, count, prev_hash, None, "")
