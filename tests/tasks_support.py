"""Running background tasks in tests.

``run_tasks()`` runs every ready task the way ``manage.py db_worker`` does —
the worker's own code claims the row and runs it (``Worker.run_task``), which
records success or failure — but in the test's process and transaction, so
ordinary (rolled-back) tests can use it. Only the worker's polling loop is left
out: it closes "obsolete" connections, which inside a test transaction would
close the test database. Tests that need a worker process start the real
``manage.py db_worker`` (tests/project/test_tasks_worker.py).
"""
from django.db import transaction
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

WORKER_ID = "pytest-worker"


def worker():
    return Worker(queue_names=["*"], interval=0, batch=True, backend_name="default", startup_delay=False,
                  max_tasks=None, worker_id=WORKER_ID, excluded_queue_names=[])


def run_tasks(limit=100):
    """Run the ready tasks (oldest first) until none is left; returns their rows, refreshed."""
    ran = []
    w = worker()
    for _ in range(limit):
        with transaction.atomic():  # as the worker claims: the row lock needs a transaction (PostgreSQL)
            row = DBTaskResult.objects.ready().get_locked()
            if row is None:
                break
            row.claim(WORKER_ID)
        w.run_task(row)
        ran.append(row)
    for row in ran:
        row.refresh_from_db()
    return ran


def make_due(rows=None):
    """Let deferred tasks (a retry's ``run_after``) run now, as time passing would."""
    qs = DBTaskResult.objects.filter(status="READY")
    if rows is not None:
        qs = qs.filter(pk__in=[r.pk for r in rows])
    return qs.update(run_after=timezone.now())


def tasks_named(name, **filters):
    return DBTaskResult.objects.filter(task_path__endswith=f".{name}", **filters).order_by("enqueued_at")
