"""The one place where domain errors become HTTP answers."""
from content.errors import Conflict, DomainError, NotAllowed, NotFound, ValidationFailed

STATUS_BY_CLASS = (
    (ValidationFailed, 400),
    (NotAllowed, 403),
    (NotFound, 404),
    (Conflict, 409),
)


def status_for(exc):
    for cls, status in STATUS_BY_CLASS:
        if isinstance(exc, cls):
            return status
    return 400


def error_body(exc):
    """``{"code", "detail", "fields"}`` — the shape every API error has."""
    return {"code": exc.code, "detail": exc.message, "fields": exc.fields}


def error_text(exc):
    """The error's message followed by those of its field messages that it
    does not already contain, in one line (for pages and commands)."""
    details = [m for msgs in exc.fields.values() for m in msgs if m not in exc.message]
    return "；".join([exc.message, *details]) if details else exc.message


__all__ = ["DomainError", "status_for", "error_body", "error_text"]
