"""A task worker killed with SIGKILL in the middle of a task (PostgreSQL): the
task is left RUNNING, the scheduler's recovery puts it back in the queue, the
next worker runs it, and its effect (one e-mail) happens once.

Real parts only: ``manage.py db_worker`` processes against the test database,
and a small SMTP server on loopback that holds the first connection without a
greeting (the worker is then inside the task, its notification row locked and
nothing sent) and serves normally after that.
"""
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from content.services import system_actor
from project.tasks import abandoned_tasks_requeue
from tests.workflow.helpers import decide, new_draft, submit
from workflow import mail as notification_mail
from workflow.models import Notification

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db(transaction=True)


class LoopbackSMTP:
    """Holds its first connection silent until closed; speaks plain SMTP to the next ones."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.held = threading.Event()      # the first client is connected and waiting
        self.messages = []
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            if self.connections == 1:
                self.held.set()  # never answered: the worker waits for the greeting until killed
                continue
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client):
        stream = client.makefile("rwb")

        def reply(line):
            stream.write(line.encode() + b"\r\n")
            stream.flush()

        reply("220 loopback ESMTP")
        while True:
            line = stream.readline()
            if not line:
                break
            verb = line.decode(errors="replace").strip().split(" ")[0].upper()
            if verb in ("EHLO", "HELO"):
                reply("250 loopback")
            elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                reply("250 ok")
            elif verb == "DATA":
                reply("354 go ahead")
                body = []
                while (chunk := stream.readline()) not in (b".\r\n", b""):
                    body.append(chunk)
                self.messages.append(b"".join(body))
                reply("250 queued")
            elif verb == "QUIT":
                reply("221 bye")
                break
            else:
                reply("502 not implemented")
        client.close()

    def close(self):
        self.listener.close()


def _database_url():
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _worker(smtp, tmp_path, *extra):
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL",)}
    env.update(DJANGO_SETTINGS_MODULE="tests.settings", DATABASE_URL=_database_url(), VAR_DIR=str(tmp_path),
               EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1",
               EMAIL_PORT=str(smtp.port), EMAIL_TIMEOUT="0", PYTHONUNBUFFERED="1")
    log = open(tmp_path / "worker.log", "ab")
    try:
        return subprocess.Popen([sys.executable, "manage.py", "db_worker", "--interval", "0.2", *extra], cwd=ROOT,
                                env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    finally:
        log.close()


def _email_task():
    return DBTaskResult.objects.get(task_path="workflow.mail.notification_emails_send")


def test_a_worker_killed_in_the_middle_of_a_task_leaves_it_to_be_retried_and_its_effect_happens_once(
        on_postgres, world, tmp_path):
    world.editor.email = "editor@example.org"
    world.editor.save()
    decide(world.reviewers[0], submit(world, new_draft(world)), wording="错字")  # a return: the editor is told
    notification = Notification.objects.get(recipient=world.editor)
    assert _email_task().status == "READY"
    smtp = LoopbackSMTP()
    connection.close()
    worker = _worker(smtp, tmp_path)
    try:
        assert smtp.held.wait(timeout=60), (tmp_path / "worker.log").read_text()
        task = _email_task()
        assert task.status == "RUNNING" and len(task.worker_ids) == 1
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=30)
    # Killed in the middle: the task is still RUNNING, nothing was sent or marked sent.
    assert _email_task().status == "RUNNING"
    notification.refresh_from_db()
    assert notification.emailed_at is None and smtp.messages == []
    # A task that just started is left alone; one running past the limit is queued again.
    assert abandoned_tasks_requeue() == {"requeued": [], "failed": []}
    assert abandoned_tasks_requeue(older_than=dt.timedelta(0)) == {"requeued": [str(task.id)], "failed": []}
    assert _email_task().status == "READY"

    connection.close()
    worker = _worker(smtp, tmp_path, "--batch")  # runs what is queued, then exits
    try:
        assert worker.wait(timeout=120) == 0, (tmp_path / "worker.log").read_text()
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
    task = _email_task()
    assert task.status == "SUCCESSFUL" and len(task.worker_ids) == 2
    assert len(smtp.messages) == 1  # once, by the second worker
    notification.refresh_from_db()
    assert notification.emailed_at is not None
    # Running the same batch again (a duplicate, or a recovery run too early) sends nothing more.
    assert notification_mail.emails_send(actor=system_actor(), notification_ids=[notification.pk]) == 0
    smtp.close()
    assert len(smtp.messages) == 1


def test_a_task_abandoned_too_often_is_recorded_as_failed(db, settings):
    settings.TASK_MAX_ATTEMPTS = 3
    started = timezone.now() - dt.timedelta(hours=1)
    stuck = DBTaskResult.objects.create(status="RUNNING", started_at=started, args_kwargs={"args": [], "kwargs": {}},
                                        task_path="project.tasks.prune_task_results", backend_name="default",
                                        run_after=started, worker_ids=["a", "b", "c"])
    fresh = DBTaskResult.objects.create(status="RUNNING", started_at=started, args_kwargs={"args": [], "kwargs": {}},
                                        task_path="project.tasks.prune_task_results", backend_name="default",
                                        run_after=started, worker_ids=["a"])
    assert abandoned_tasks_requeue() == {"requeued": [str(fresh.id)], "failed": [str(stuck.id)]}
    stuck.refresh_from_db()
    assert stuck.status == "FAILED" and "abandoned" in stuck.traceback
    assert abandoned_tasks_requeue() == {"requeued": [], "failed": []}  # nothing is running any more
