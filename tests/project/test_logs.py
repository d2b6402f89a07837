"""Logs: one JSON object per line on standard output, with the request id the
audit log records as the correlation id (project.logs)."""
import json
import logging

import pytest

from content.models import User

from audit.models import AuditEntry
from project.logs import JsonFormatter, RequestContextFilter, TextFormatter
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _json_lines_on_stdout():
    """These tests read the production format. A development checkout's
    var/dev.env sets LOG_FORMAT=text for the suite, so the console handler's
    formatter is JSON for the duration of each test, whatever the settings chose."""
    handlers = {handler for logger in (logging.getLogger(), logging.getLogger("project.request"))
                for handler in logger.handlers if type(handler).__name__ == "StdoutHandler"}
    assert handlers, "the console handler (project.logs.StdoutHandler) is not configured"
    saved = {handler: handler.formatter for handler in handlers}
    for handler in handlers:
        handler.setFormatter(JsonFormatter())
    yield
    for handler, formatter in saved.items():
        handler.setFormatter(formatter)


def json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def request_lines(text):
    return [line for line in json_lines(text) if line["logger"] == "project.request"]


def test_each_request_writes_one_json_line_with_its_id_user_path_status_and_duration(client, capsys, settings):
    settings.TRUSTED_PROXY_COUNT = 1  # the id set by the trusted proxy is adopted
    user = factories.user("logged")
    client.force_login(user)
    capsys.readouterr()
    response = client.get("/drafts/?state=none", HTTP_X_REQUEST_ID="abcdef0123456789")
    assert response["X-Request-ID"] == "abcdef0123456789"
    [line] = request_lines(capsys.readouterr().out)
    assert line["request_id"] == "abcdef0123456789"
    assert line["user_id"] == user.pk
    assert (line["method"], line["path"], line["status"]) == ("GET", "/drafts/", response.status_code)
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["level"] == "INFO" and line["message"] == f"GET /drafts/ {response.status_code}"
    assert "T" in line["time"] and line["time"].endswith("+08:00")


def test_the_request_id_is_the_correlation_id_of_the_requests_audit_entries(client, capsys):
    factories.user("alice")
    capsys.readouterr()
    response = client.post("/login/", {"username": "alice", "password": factories.PASSWORD})
    assert response.status_code == 302
    request_id = response["X-Request-ID"]
    [line] = request_lines(capsys.readouterr().out)
    assert line["request_id"] == request_id
    entry = AuditEntry.objects.filter(action="auth.login").latest("seq")
    assert entry.correlation_id == request_id
    assert line["user_id"] == entry.actor_id  # signed in during this request


def test_a_request_without_a_valid_id_gets_a_new_one(client, capsys):
    response = client.get("/login/", HTTP_X_REQUEST_ID="not valid!")
    request_id = response["X-Request-ID"]
    assert request_id != "not valid!" and request_id.isalnum() and len(request_id) == 32
    [line] = request_lines(capsys.readouterr().out)
    assert line["request_id"] == request_id and line["user_id"] is None


def test_lines_written_during_a_request_carry_its_id(client, capsys, settings):
    """Django's own line for a 404 is written after the middleware finished; it names the request."""
    settings.TRUSTED_PROXY_COUNT = 1
    response = client.get("/no-such-page/", HTTP_X_REQUEST_ID="feedface00000001")
    assert response.status_code == 404
    lines = json_lines(capsys.readouterr().out)
    not_found = [line for line in lines if line["logger"] == "django.request"]
    assert not_found and not_found[0]["request_id"] == "feedface00000001"
    assert not_found[0]["level"] == "WARNING" and "request" not in not_found[0]


def test_the_access_line_asks_no_query_for_a_user_nobody_looked_at(client, settings, capsys):
    """The favicon's redirect never looks at the user: logging the request must not either."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(factories.user("quiet"))

    def queries():
        with CaptureQueriesContext(connection) as captured:
            client.get("/favicon.ico")
        return len(captured)

    with_log = queries()
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != "project.logs.RequestLogMiddleware"]
    assert with_log == queries()
    # The sign-in policy (password age, absolute session end) loads the user on every signed-in
    # request, so the access line names him, still at no query of its own.
    assert request_lines(capsys.readouterr().out)[0]["user_id"] == User.objects.get(username="quiet").pk


def _record(**extra):
    record = logging.LogRecord("project.x", logging.WARNING, __file__, 1, "disk %s", ("full",), None)
    for key, value in extra.items():
        setattr(record, key, value)
    RequestContextFilter().filter(record)
    return record


def test_the_json_formatter_writes_extra_fields_and_the_traceback():
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = _record(check="redis")
        record.exc_info = sys.exc_info()
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "disk full" and line["level"] == "WARNING" and line["logger"] == "project.x"
    assert line["check"] == "redis" and line["request_id"] is None and line["user_id"] is None
    assert "ValueError: boom" in line["exc_info"]
    assert "\n" not in JsonFormatter().format(record)  # one line, whatever the traceback


def test_log_format_text_is_for_development():
    record = _record(request_id="abc12345", user_id=7)
    assert TextFormatter().format(record).endswith("WARNING project.x disk full [request=abc12345 user=7]")
