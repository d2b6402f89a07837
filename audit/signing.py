"""The log's signing key and name, from the settings (no ORM)."""
from __future__ import annotations

from django.conf import settings

from audit.errors import CheckpointUnavailable
from audit.notes import NoteError, Signer, Verifier, signer_from_key


def origin() -> str:
    return settings.AUDIT_ORIGIN


def log_signer() -> Signer:
    """The checkpoint signer: AUDIT_SIGNING_KEY (in development without one, the
    settings derive a fixed key from SECRET_KEY, so that a fresh checkout signs)."""
    key = settings.AUDIT_SIGNING_KEY
    if not key:
        raise CheckpointUnavailable("AUDIT_SIGNING_KEY is not set: checkpoints cannot be signed")
    try:
        return signer_from_key(key, origin())
    except (NoteError, ValueError) as exc:
        raise CheckpointUnavailable(f"AUDIT_SIGNING_KEY cannot be used: {exc}") from None


def log_verifier() -> Verifier:
    return log_signer().verifier
