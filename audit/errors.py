"""Errors raised by the audit app."""


class UnknownAuditAction(ValueError):
    """An audit entry was written with an action code that is not registered."""


class AuditImmutable(RuntimeError):
    """Someone tried to change or delete an audit entry."""
