"""The real worker process (``manage.py db_worker``) against a database file:
a task enqueued in a transaction that rolled back never runs; one that
committed runs after the commit; the same e-mail batch run twice sends once."""
import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.project.test_periodic import _scratch_env

ROOT = Path(__file__).resolve().parents[2]

SCENARIO = textwrap.dedent("""
    import json
    import django
    django.setup()
    from django.db import transaction
    from tests.factories import World
    from tests.workflow.helpers import decide, new_draft, submit
    from workflow import mail as notification_mail
    from workflow.models import Notification

    world = World()
    world.editor.email = "editor@example.org"
    world.editor.save()
    kept, dropped = (submit(world, new_draft(world, title=t)) for t in ("保留", "回滚"))
    try:
        with transaction.atomic():
            decide(world.reviewers[0], dropped, wording="错字")  # its notification and e-mail task ...
            raise RuntimeError("the request failed after the decision")
    except RuntimeError:
        pass  # ... rolled back with it
    decide(world.reviewers[0], kept, wording="错字")
    ids = list(Notification.objects.values_list("pk", flat=True))
    notification_mail.notification_emails_send.enqueue(notification_ids=ids)  # the same batch once more
    print(json.dumps({"notifications": ids}))
""")


def test_the_worker_runs_committed_tasks_once_and_never_a_rolled_back_one(tmp_path):
    env = {**_scratch_env(tmp_path), "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
           "EMAIL_FILE_PATH": str(tmp_path / "mail"), "PYTHONPATH": str(ROOT)}
    setup = subprocess.run([sys.executable, "-c", SCENARIO], cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=180)
    assert setup.returncode == 0, setup.stderr
    notifications = json.loads(setup.stdout.strip().splitlines()[-1])["notifications"]
    assert len(notifications) == 1  # the rolled-back decision left none

    db = sqlite3.connect(tmp_path / "db.sqlite3")
    query = ("SELECT status, args_kwargs FROM django_tasks_database_dbtaskresult "
             "WHERE task_path = 'workflow.mail.notification_emails_send' ORDER BY enqueued_at")
    rows = db.execute(query).fetchall()
    assert [status for status, _args in rows] == ["READY", "READY"]  # the decision's, and the duplicate
    assert all(json.loads(args)["kwargs"]["notification_ids"] == notifications for _s, args in rows)
    assert not list((tmp_path / "mail").glob("*"))  # nothing sent before a worker ran

    worker = [sys.executable, "manage.py", "db_worker", "--batch", "--no-reload", "--no-startup-delay"]
    for _ in range(2):
        run = subprocess.run(worker, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
        assert run.returncode == 0, run.stdout + run.stderr
    assert [status for status, _args in db.execute(query).fetchall()] == ["SUCCESSFUL", "SUCCESSFUL"]
    sent = "".join(p.read_text() for p in (tmp_path / "mail").glob("*"))
    assert sent.count("Subject:") == 1 and "editor@example.org" in sent
    assert db.execute("SELECT emailed_at IS NOT NULL FROM workflow_notification").fetchall() == [(1,)]
    db.close()


# ---------------------------------------------------------------- several workers, one queue (PostgreSQL)

@pytest.mark.django_db(transaction=True)
def test_two_workers_share_one_queue_and_run_each_task_once(on_postgres):
    from django.db import connection
    from django_tasks_db.models import DBTaskResult

    from content import tasks

    for i in range(120):
        tasks.purge_work_in_progress.enqueue(period=f"p{i}")
    s = connection.settings_dict
    url = f"postgres://{s['USER']}:{s['PASSWORD'] or ''}@{s['HOST']}:{s['PORT'] or 5432}/{s['NAME']}"
    env = {**os.environ, "DATABASE_URL": url}
    workers = [subprocess.Popen([sys.executable, "manage.py", "db_worker", "--batch", "--no-reload",
                                 "--no-startup-delay", "--worker-id", f"w{n}"], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for n in (1, 2)]
    outputs = [w.communicate(timeout=300)[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs
    rows = list(DBTaskResult.objects.values_list("status", "worker_ids"))
    assert len(rows) == 120
    assert all(status == "SUCCESSFUL" and len(ids) == 1 for status, ids in rows), rows
    print("tasks per worker:", {w: sum(ids == [w] for _s, ids in rows) for w in ("w1", "w2")})
