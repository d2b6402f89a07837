"""The single writer of the audit log."""
from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from audit import actions
from audit.context import current_correlation_id, current_source_ip
from audit.errors import UnknownAuditAction
from audit.hashing import GENESIS_HASH, HASHED_FIELDS, canonical_payload, chain_hash, sort_keys_deep
from audit.models import AuditChainHead, AuditEntry

# Switched off only by the benchmark that measures what auditing costs.
_enabled = True


def set_enabled(flag: bool) -> None:
    global _enabled
    _enabled = bool(flag)


def _json_safe(value):
    """Round-trip through JSON so the stored data equals what is hashed."""
    return sort_keys_deep(json.loads(json.dumps(value or {}, cls=DjangoJSONEncoder, ensure_ascii=False)))


def actor_label_for(actor: AbstractBaseUser | None) -> str:
    if actor is None:
        return ""
    full_name = actor.get_full_name() if hasattr(actor, "get_full_name") else ""
    return f"{actor.get_username()}（{full_name}）" if full_name else actor.get_username()


def audit_record(
    *,
    action: str,
    actor: AbstractBaseUser | None = None,
    actor_label: str | None = None,
    target_type: str = "",
    target_id: int | str | None = "",
    org_path: str | None = "",
    account_id: int | None = None,
    draft_id: int | None = None,
    outcome: str = actions.OUTCOME_SUCCESS,
    data: dict[str, Any] | None = None,
) -> AuditEntry | None:
    """Append one entry to the chain, inside the caller's transaction.

    ``data`` holds the structured details, by convention ``before`` / ``after``
    for changes. The chain head row is locked for the rest of the caller's
    transaction, so appends from concurrent transactions queue in order.
    """
    if not actions.is_registered(action):
        raise UnknownAuditAction(f"unregistered audit action: {action!r}")
    if outcome not in actions.OUTCOMES:
        raise ValueError(f"unknown audit outcome: {outcome!r}")
    if not _enabled:
        return None
    with transaction.atomic(savepoint=False):
        head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
        if head is None:
            head, _created = AuditChainHead.objects.get_or_create(pk=1, defaults={"seq": 0, "hash": GENESIS_HASH})
            head = AuditChainHead.objects.select_for_update().get(pk=1)
        entry = AuditEntry(
            seq=head.seq + 1,
            created_at=timezone.now(),
            actor=actor if actor is not None and actor.pk else None,
            actor_label=actor_label if actor_label is not None else actor_label_for(actor),
            source_ip=current_source_ip(),
            correlation_id=current_correlation_id(),
            action=action,
            target_type=target_type,
            target_id=str(target_id) if target_id not in (None, "") else "",
            org_path=org_path or "",
            account_id=account_id,
            draft_id=draft_id,
            outcome=outcome,
            data=_json_safe(data),
            prev_hash=head.hash,
        )
        entry.payload = canonical_payload({name: getattr(entry, name) for name in HASHED_FIELDS})
        entry.hash = chain_hash(head.hash, entry.payload)
        entry.save(force_insert=True)
        AuditChainHead.objects.filter(pk=1).update(seq=entry.seq, hash=entry.hash)
    return entry
