"""Background tasks: retried with back-off on a transient error, failed (and
visible to administrators, and logged) after the last attempt or on any other
error; the e-mail task's retries never send twice."""
import datetime as dt
import logging

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from content.background import background_task
from tests import factories
from tests.tasks_support import make_due, run_tasks, tasks_named
from tests.workflow.helpers import decide, new_draft, submit
from workflow.models import Notification

pytestmark = pytest.mark.django_db

CALLS = []


@background_task
def flaky(*, key, failures, error="os"):
    """A task of this test module (the worker imports it by path): fails ``failures`` times, then succeeds."""
    CALLS.append(key)
    if CALLS.count(key) <= failures:
        raise (ConnectionResetError("peer went away") if error == "os" else ValueError("bad input"))
    return {"key": key, "calls": CALLS.count(key)}


@pytest.fixture(autouse=True)
def _clear_calls():
    CALLS.clear()


@override_settings(TASK_MAX_ATTEMPTS=4, TASK_RETRY_BASE_SECONDS=60)
def test_a_transient_error_is_retried_with_growing_back_off_until_it_succeeds(caplog):
    flaky.enqueue(key="a", failures=2)
    caplog.set_level(logging.WARNING, logger="background")
    before = timezone.now()
    [first] = run_tasks()
    assert first.status == "SUCCESSFUL" and first.return_value["retry"]["attempt"] == 1
    assert first.return_value["retry"]["error"] == "ConnectionResetError: peer went away"
    [second] = DBTaskResult.objects.filter(status="READY")
    assert second.args_kwargs["kwargs"] == {"key": "a", "failures": 2, "attempt": 2}
    assert dt.timedelta(seconds=59) < second.run_after - before < dt.timedelta(seconds=70)
    assert run_tasks() == []  # not before its time
    make_due()
    [second] = run_tasks()
    [third] = DBTaskResult.objects.filter(status="READY")
    assert dt.timedelta(seconds=119) < third.run_after - second.finished_at < dt.timedelta(seconds=125)  # doubled
    make_due()
    [third] = run_tasks()
    assert third.status == "SUCCESSFUL" and third.return_value == {"key": "a", "calls": 3}
    assert CALLS == ["a", "a", "a"]
    assert "attempt 1 of 4 failed (ConnectionResetError: peer went away)" in caplog.text


@override_settings(TASK_MAX_ATTEMPTS=3, TASK_RETRY_BASE_SECONDS=1)
def test_after_the_last_attempt_the_task_fails_with_its_error_and_is_logged(caplog):
    flaky.enqueue(key="b", failures=10)
    caplog.set_level(logging.ERROR)
    for _ in range(3):
        make_due()
        run_tasks()
    rows = list(tasks_named("flaky").order_by("enqueued_at"))
    assert [r.status for r in rows] == ["SUCCESSFUL", "SUCCESSFUL", "FAILED"]
    failed = rows[-1]
    assert failed.exception_class_path == "builtins.ConnectionResetError"
    assert "peer went away" in failed.traceback
    assert not DBTaskResult.objects.filter(status="READY").exists()  # no fourth attempt
    assert CALLS == ["b"] * 3
    assert "task flaky failed after 3 attempts: ConnectionResetError: peer went away" in caplog.text


def test_any_other_error_fails_at_once():
    flaky.enqueue(key="c", failures=1, error="value")
    [row] = run_tasks()
    assert row.status == "FAILED" and row.exception_class_path == "builtins.ValueError"
    assert not DBTaskResult.objects.filter(status="READY").exists()


class DownThenUp(BaseEmailBackend):
    """A mail backend whose server refuses while ``DownThenUp.down`` (a real backend class, chosen by settings)."""
    down = True
    sent = []

    def send_messages(self, messages):
        if DownThenUp.down:
            raise ConnectionRefusedError("smtp down")
        DownThenUp.sent.extend(messages)
        return len(messages)


@override_settings(EMAIL_BACKEND="tests.project.test_background_tasks.DownThenUp", TASK_MAX_ATTEMPTS=5)
def test_a_mail_server_that_comes_back_gets_each_notification_once(world):
    DownThenUp.down, DownThenUp.sent = True, []
    for user in (world.editor, world.editor2):
        user.email = f"{user.username}@example.org"
        user.save()
    draft = new_draft(world)
    sub = submit(world, draft)
    decide(world.reviewers[0], sub, wording="错字")
    run_tasks()
    assert DownThenUp.sent == [] and not Notification.objects.filter(emailed_at__isnull=False).exists()
    DownThenUp.down = False
    make_due()
    [retry] = run_tasks()
    assert retry.status == "SUCCESSFUL" and retry.return_value == {"sent": 1}
    assert [m.to for m in DownThenUp.sent] == [["editor@example.org"]]
    make_due()
    assert run_tasks() == []


@override_settings(EMAIL_BACKEND="tests.web.test_notifications.BrokenBackend", TASK_MAX_ATTEMPTS=2)
def test_the_admin_lists_failed_tasks_with_their_error_for_superusers_only(client, world):
    world.editor.email = "editor@example.org"
    world.editor.save()
    decide(world.reviewers[0], submit(world, new_draft(world)), wording="错字")
    run_tasks()
    make_due()
    run_tasks()
    [failed] = DBTaskResult.objects.filter(status="FAILED")
    client.force_login(factories.superuser())
    page = client.get("/admin/project/failedtask/").content.decode()
    assert "workflow.mail.notification_emails_send" in page
    assert "ConnectionRefusedError: smtp down" in page
    assert page.count('class="field-task_label"') == 1  # only the failure, not the retried attempt
    detail = client.get(f"/admin/project/failedtask/{failed.pk}/change/").content.decode()
    assert "Traceback" in detail and "smtp down" in detail
    every = client.get("/admin/project/backgroundtask/").content.decode()
    assert every.count('class="field-task_label"') == 2
    assert client.get("/admin/").content.decode().count("失败的后台任务") >= 1
    # a unit administrator with admin access does not see the system's tasks
    from content import services
    services.user_update(actor=factories.superuser(), user_id=world.admin.pk, is_staff=True)
    client.force_login(world.admin)
    assert client.get("/admin/project/failedtask/").status_code == 403
    assert "失败的后台任务" not in client.get("/admin/").content.decode()
    assert mail.outbox == []
