"""Logs on standard output: one JSON object per line, or plain text for development.

Every line carries the request id and the user id of the request it was written
in (``RequestContextFilter``), so that the lines of one request, its access line
and its audit entries (the same id is the audit log's correlation id, and the
``X-Request-ID`` response header) can be put together. ``RequestLogMiddleware``
writes the access line: method, path, status, duration.
"""
import contextvars
import datetime
import json
import logging
import sys
import time

from django.conf import settings
from django.utils.functional import SimpleLazyObject, empty

from audit.context import new_correlation_id

request_log = logging.getLogger("project.request")

_request_id = contextvars.ContextVar("log_request_id", default=None)
_user_id = contextvars.ContextVar("log_user_id", default=None)

# Attributes every LogRecord has; anything else passed through ``extra`` is a field of its own
# (except the request object Django's loggers pass: its path and user are fields already).
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "request"}


def current_request_id():
    """The id of the request being served, or None outside a request."""
    return _request_id.get()


def incoming_request_id(request):
    """The X-Request-ID the trusted proxy set, when it looks like one (8 to 64 letters and
    digits). Without a trusted proxy (TRUSTED_PROXY_COUNT 0) the header comes from the client
    and is ignored: a client must not choose the audit log's correlation id (security review)."""
    if not getattr(settings, "TRUSTED_PROXY_COUNT", 0):
        return None
    incoming = request.META.get("HTTP_X_REQUEST_ID", "")
    return incoming if incoming.isalnum() and incoming.isascii() and 8 <= len(incoming) <= 64 else None


def _user_id_of(request):
    """The signed-in user's id, without a query: a user nobody looked at stays unknown (None)."""
    user = getattr(request, "user", None)
    if user is None:
        return None
    if isinstance(user, SimpleLazyObject) and user._wrapped is empty:
        return None
    return user.pk if getattr(user, "is_authenticated", False) else None


class RequestContextFilter(logging.Filter):
    """Adds ``request_id`` and ``user_id`` of the current request to every record."""

    def filter(self, record):
        # Django's own request lines (django.request: "Not Found: /x") are written after the
        # middleware has finished, but name the request.
        request = getattr(record, "request", None)
        if getattr(record, "request_id", None) is None:
            record.request_id = _request_id.get() or getattr(request, "correlation_id", None)
        if getattr(record, "user_id", None) is None:
            record.user_id = _user_id.get() or (_user_id_of(request) if request is not None else None)
        return True


class StdoutHandler(logging.StreamHandler):
    """A StreamHandler on whatever ``sys.stdout`` is when the record is written
    (test runners and servers replace it after logging is configured)."""

    def __init__(self):
        super().__init__(sys.stdout)

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, value):
        pass


def _time(record):
    return datetime.datetime.fromtimestamp(record.created, tz=datetime.timezone.utc).astimezone() \
        .isoformat(timespec="milliseconds")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (ISO 8601 with offset), level, logger,
    message, request_id, user_id, the record's ``extra`` fields, and the
    exception's traceback as ``exc_info`` when there is one."""

    def format(self, record):
        entry = {
            "time": _time(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
            "user_id": getattr(record, "user_id", None),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in entry and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """For development: ``time level logger message [request=… user=…]``."""

    def format(self, record):
        line = f"{_time(record)} {record.levelname} {record.name} {record.getMessage()}"
        context = [f"{name}={value}" for name, value in (("request", getattr(record, "request_id", None)),
                                                          ("user", getattr(record, "user_id", None)))
                   if value is not None]
        if context:
            line += " [" + " ".join(context) + "]"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class RequestLogMiddleware:
    """The outermost middleware: gives the request its id (the caller's valid
    X-Request-ID, else a new one; ``request.correlation_id``, which the audit
    context adopts), answers with it in ``X-Request-ID``, and writes one line
    per request to ``project.request``: method, path, status, duration_ms,
    request_id, user_id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        request_id = incoming_request_id(request) or new_correlation_id()
        request.correlation_id = request_id
        id_token = _request_id.set(request_id)
        user_token = _user_id.set(None)
        try:
            response = self.get_response(request)
            user_id = _user_id_of(request)
            _user_id.set(user_id)
            response["X-Request-ID"] = request_id
            request_log.info(
                "%s %s %s", request.method, request.path, response.status_code,
                extra={"method": request.method, "path": request.path, "status": response.status_code,
                       "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                       "request_id": request_id, "user_id": user_id})
            return response
        finally:
            _request_id.reset(id_token)
            _user_id.reset(user_token)

