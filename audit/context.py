"""Per-request context for audit entries: source address and correlation id.

The middleware (or a management command) opens a context; the audit writer
reads it. Code that runs outside any context still writes complete entries,
with an empty address and a fresh correlation id.
"""
import contextlib
import contextvars
import uuid

_source_ip = contextvars.ContextVar("audit_source_ip", default="")
_correlation_id = contextvars.ContextVar("audit_correlation_id", default="")


def new_correlation_id():
    return uuid.uuid4().hex


@contextlib.contextmanager
def audit_context(*, source_ip="", correlation_id=None):
    ip_token = _source_ip.set(source_ip or "")
    cid_token = _correlation_id.set(correlation_id or new_correlation_id())
    try:
        yield
    finally:
        _source_ip.reset(ip_token)
        _correlation_id.reset(cid_token)


def current_source_ip():
    return _source_ip.get()


def current_correlation_id():
    cid = _correlation_id.get()
    if not cid:
        # Outside a request: one id per call site is still better than none.
        cid = new_correlation_id()
    return cid
