"""Errors raised by the audit app."""


class UnknownAuditAction(ValueError):
    """An audit entry was written with an action code that is not registered."""


class AuditImmutable(RuntimeError):
    """Someone tried to change or delete an audit entry."""


class AuditHashChanged(RuntimeError):
    """settings.AUDIT_HASH names another algorithm than the log's entries were hashed with."""


class CheckpointUnavailable(RuntimeError):
    """No checkpoint can be signed or found (no key, an empty log, no checkpoint yet)."""


class ProofUnavailable(ValueError):
    """A proof was asked for sizes or entries the tree does not have."""


class ArchiveRefused(RuntimeError):
    """An archive or the removal of archived entries was refused; the message (Chinese) says why."""
