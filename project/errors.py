"""The one place where domain errors become HTTP answers."""
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

from content.errors import (
    Conflict, DomainError, NotAllowed, NotFound, SecondFactorFailed, ValidationFailed, error_text,
)

STATUS_BY_CLASS = (
    (ValidationFailed, 400),
    (SecondFactorFailed, 401),
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


# ---------------------------------------------------------------- errors that are not the caller's

UNAVAILABLE_CODE = "service_unavailable"
UNAVAILABLE_TEXT = "服务暂时不可用，请稍后重试"
SERVER_ERROR_CODE = "server_error"
SERVER_ERROR_TEXT = "服务器内部错误，请稍后重试；如果问题持续，请联系系统管理员"
RETRY_AFTER_SECONDS = 5


def is_database_unavailable(exc):
    """The database cannot be reached or dropped the connection (a restart, an
    outage): the request may succeed if repeated, so it is a 503, not a bug."""
    return isinstance(exc, (OperationalError, InterfaceError))


def unavailable_body():
    return {"code": UNAVAILABLE_CODE, "detail": UNAVAILABLE_TEXT, "fields": {}}


def server_error(request):
    """Django's handler500: called while the uncaught exception is being handled.
    A database outage becomes 503, anything else 500; under /api/ the usual
    ``{"code", "detail", "fields"}`` body, elsewhere the error page. It touches
    neither the database nor the session (they may be what failed)."""
    exc = sys.exc_info()[1]
    if is_database_unavailable(exc):
        status, body = 503, unavailable_body()
    else:
        status, body = 500, {"code": SERVER_ERROR_CODE, "detail": SERVER_ERROR_TEXT, "fields": {}}
    if request.path.startswith("/api/"):
        response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    else:
        try:
            html = render_to_string("error.html", {"error": {"message": body["detail"], "fields": {}},
                                                   "status": status})
        except Exception:  # the page itself could not be drawn: still say it plainly
            html = f'<!DOCTYPE html><html lang="zh-hans"><meta charset="utf-8"><title>{status}</title>' \
                   f'<h1>{body["detail"]}</h1></html>'
        response = HttpResponse(html, status=status)
    if status == 503:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response
