"""Canonical serialisation and hashing of audit entries (pure, no ORM).

An entry's hash is SHA-256 over the previous entry's hash followed by the
canonical bytes of the entry's own fields. The canonical form is JSON with
sorted keys, no insignificant white space and UTF-8 text, so it is the same
whether the data came back from SQLite (text) or PostgreSQL (jsonb).
"""
import datetime as dt
import hashlib
import json

GENESIS_HASH = "0" * 64

# The fields covered by the hash, in the order they are documented.
HASHED_FIELDS = (
    "seq",
    "created_at",
    "actor_id",
    "actor_label",
    "source_ip",
    "correlation_id",
    "action",
    "target_type",
    "target_id",
    "org_path",
    "outcome",
    "data",
)


def canonical_time(value):
    """UTC ISO-8601 with microseconds: the only time form that is hashed."""
    if value.tzinfo is None:
        raise ValueError("audit times must be timezone-aware")
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_bytes(fields):
    """The bytes hashed for one entry; ``fields`` maps HASHED_FIELDS to values."""
    payload = {name: fields[name] for name in HASHED_FIELDS}
    payload["created_at"] = canonical_time(payload["created_at"])
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def chain_hash(prev_hash, body):
    digest = hashlib.sha256()
    digest.update(prev_hash.encode("ascii"))
    digest.update(body)
    return digest.hexdigest()


def entry_hash(prev_hash, fields):
    return chain_hash(prev_hash, canonical_bytes(fields))
