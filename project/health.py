"""Health and readiness: ``GET /healthz`` and ``GET /readyz``.

``/healthz`` says the process answers: always ``200 {"status": "ok"}``, touching
nothing else. ``/readyz`` says the process can serve: ``200 {"status": "ok",
"checks": {...}}`` when

* the database answers a query,
* no migration of the code is left unapplied,
* Redis answers a PING, when REDIS_URL is set (else ``"skipped"``),
* a task worker has shown a heartbeat within READYZ_WORKER_MAX_AGE seconds
  (default 60), when the installation runs task workers: READYZ_TASK_WORKER=1,
  or ``auto`` (the default) and the database task backend ``django_tasks_db``
  is installed (else ``"skipped"``);

otherwise ``503 {"status": "unavailable", "checks": {...}}``. Each check is
``"ok"``, ``"failed"`` or ``"skipped"``; the reason of a failure goes to the
log, never into the body. Both answer without authentication and before the
host check and the HTTPS redirect (``HealthCheckMiddleware`` sits near the top
of MIDDLEWARE), so a load balancer or monitor can probe a worker on loopback
over plain HTTP.

**The worker heartbeat** is the age of the most recent of

* the newest activity of a ``django_tasks_db`` task result (started or
  finished), when that app is installed, and
* the heartbeat that ``worker_heartbeat_touch()`` writes: the cache key
  ``HEARTBEAT_CACHE_KEY`` when REDIS_URL makes the cache shared by every
  machine, and always the file ``$VAR_DIR/heartbeat/task-worker`` (its
  modification time).

A task worker calls ``worker_heartbeat_touch()`` every ``HEARTBEAT_INTERVAL``
seconds while it runs, idle or busy: ``manage.py db_worker`` is django-tasks-db's
own command, so ``ProjectConfig.ready`` starts ``start_worker_heartbeat`` in a
process that ``is_task_worker_process`` (a daemon thread, which dies with it).
"""
import logging
import os
import sys
import threading
import time

import redis
from django.apps import apps
from django.conf import settings
from django.core.cache import cache as django_cache
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Max
from django.http import JsonResponse

logger = logging.getLogger("project.health")

HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
HEARTBEAT_CACHE_KEY = "health:task-worker-heartbeat"
HEARTBEAT_INTERVAL = 15  # seconds; well inside READYZ_WORKER_MAX_AGE

OK, FAILED, SKIPPED = "ok", "failed", "skipped"


# ---------------------------------------------------------------- the task worker's heartbeat


def heartbeat_file():
    return settings.VAR_DIR / "heartbeat" / "task-worker"


def _shared_cache():
    """The cache when every process shares it (Redis), else None."""
    if not getattr(settings, "REDIS_URL", ""):
        return None
    return django_cache


def worker_heartbeat_touch(now=None):
    """Record that a task worker is alive now (file under var/, and the shared cache key)."""
    now = time.time() if now is None else now
    path = heartbeat_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    os.utime(path, (now, now))
    cache = _shared_cache()
    if cache is not None:
        try:
            cache.set(HEARTBEAT_CACHE_KEY, now, timeout=24 * 3600)
        except Exception:  # Redis down: the file still says it, /readyz reports Redis itself
            logger.warning("task worker heartbeat: the cache is unreachable", exc_info=True)


def is_task_worker_process(argv=None):
    """This process is a task worker: ``manage.py db_worker`` (django-tasks-db's command)."""
    argv = sys.argv if argv is None else argv
    return len(argv) > 1 and os.path.basename(argv[0]) in ("manage.py", "django-admin") and argv[1] == "db_worker"


def start_worker_heartbeat(interval=HEARTBEAT_INTERVAL):
    """Touch the heartbeat now and every ``interval`` seconds from a daemon
    thread, for as long as this (worker) process lives; its death stops it."""
    def beat():
        while True:
            try:
                worker_heartbeat_touch()
            except OSError:
                logger.warning("task worker heartbeat: cannot write %s", heartbeat_file(), exc_info=True)
            time.sleep(interval)

    thread = threading.Thread(target=beat, name="task-worker-heartbeat", daemon=True)
    thread.start()
    return thread


def _task_results_newest_activity():
    """Epoch seconds of the newest started or finished django_tasks_db result, or None."""
    if not apps.is_installed("django_tasks_db"):
        return None
    model = apps.get_model("django_tasks_database", "DBTaskResult")
    newest = model.objects.aggregate(started=Max("started_at"), finished=Max("finished_at"))
    moments = [m for m in newest.values() if m is not None]
    return max(moments).timestamp() if moments else None


def worker_heartbeat_age(now=None):
    """Seconds since a task worker last showed it is alive, or None if none ever did."""
    now = time.time() if now is None else now
    moments = []
    try:
        moments.append(heartbeat_file().stat().st_mtime)
    except OSError:
        pass
    cache = _shared_cache()
    if cache is not None:
        try:
            value = cache.get(HEARTBEAT_CACHE_KEY)
        except Exception:
            value = None
        if isinstance(value, (int, float)):
            moments.append(float(value))
    newest_result = _task_results_newest_activity()
    if newest_result is not None:
        moments.append(newest_result)
    if not moments:
        return None
    return max(0.0, now - max(moments))


def task_workers_expected():
    """READYZ_TASK_WORKER: "1" always check the heartbeat, "0" never, "auto" (the
    default) when the installation has the database task backend, whose tasks
    only a running worker does."""
    setting = str(getattr(settings, "READYZ_TASK_WORKER", "auto")).strip().lower()
    if setting in ("1", "true", "yes", "on"):
        return True
    if setting in ("0", "false", "no", "off"):
        return False
    return apps.is_installed("django_tasks_db")


# ---------------------------------------------------------------- the checks


def check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def unapplied_migrations():
    """(app, name) of each migration of the code not applied to the database."""
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [(migration.app_label, migration.name) for migration, _backwards in plan]


def check_migrations():
    missing = unapplied_migrations()
    if missing:
        raise RuntimeError(f"{len(missing)} unapplied migrations, first {missing[0][0]}.{missing[0][1]}")


_redis_clients = {}


def check_redis():
    client = _redis_clients.get(settings.REDIS_URL)
    if client is None:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
        _redis_clients[settings.REDIS_URL] = client
    client.ping()


def check_task_worker():
    age = worker_heartbeat_age()
    limit = settings.READYZ_WORKER_MAX_AGE
    if age is None:
        raise RuntimeError("no task worker heartbeat yet")
    if age > limit:
        raise RuntimeError(f"the newest task worker heartbeat is {age:.0f} s old (limit {limit} s)")


def _run(name, check):
    try:
        check()
    except Exception as exc:  # any failure means "not ready", whatever it is
        logger.warning("readiness check %s failed: %s", name, exc.__class__.__name__,
                       extra={"check": name, "reason": str(exc)})
        return FAILED
    return OK


def readiness():
    """(ready, {check: "ok" | "failed" | "skipped"}); failures are logged with their reason."""
    checks = {"database": _run("database", check_database)}
    database_ok = checks["database"] == OK
    # Without the database neither the migrations nor the task results can be known: not ready.
    checks["migrations"] = _run("migrations", check_migrations) if database_ok else FAILED
    checks["redis"] = _run("redis", check_redis) if getattr(settings, "REDIS_URL", "") else SKIPPED
    if task_workers_expected():
        checks["task_worker"] = _run("task_worker", check_task_worker) if database_ok else FAILED
    else:
        checks["task_worker"] = SKIPPED
    return all(value != FAILED for value in checks.values()), checks


# ---------------------------------------------------------------- the answers


def _json(body, status):
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    return response


def healthz(request):
    return _json({"status": "ok"}, 200)


def readyz(request):
    ready, checks = readiness()
    if not ready:
        return _json({"status": "unavailable", "checks": checks}, 503)
    return _json({"status": "ok", "checks": checks}, 200)


class HealthCheckMiddleware:
    """Answers GET/HEAD ``/healthz`` and ``/readyz`` itself: no session, no
    authentication, no host check, no HTTPS redirect."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path in (HEALTH_PATH, READY_PATH):
            if request.method not in ("GET", "HEAD"):
                response = _json({"status": "method_not_allowed"}, 405)
                response["Allow"] = "GET, HEAD"
                return response
            return healthz(request) if request.path == HEALTH_PATH else readyz(request)
        return self.get_response(request)
