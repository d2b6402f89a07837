"""The one place where domain errors become HTTP answers."""
from content.errors import Conflict, DomainError, NotAllowed, NotFound, ValidationFailed, error_text

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


__all__ = ["DomainError", "status_for", "error_body", "error_text"]
