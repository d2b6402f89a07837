"""GET /healthz and GET /readyz (project.health), in-process on the test
database; the same endpoints against real servers, a real Redis and a stopped
PostgreSQL are in tests/production/test_serving.py."""
import os
import time

import pytest
from django.apps import apps
from django.db import connection
from django.test import override_settings

from project import health

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_task_worker_check(settings):
    """The worker heartbeat is tested on its own below; elsewhere it is not asked for. Redis
    neither, whatever REDIS_URL the suite runs with (the test that wants it sets its own)."""
    settings.READYZ_TASK_WORKER = "0"
    settings.REDIS_URL = ""


def test_healthz_answers_ok_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


def test_readyz_answers_ok_when_the_database_is_migrated(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "migrations": "ok", "redis": "skipped",
                                                          "task_worker": "skipped"}}


def test_probes_need_no_authentication_no_allowed_host_and_no_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["review.example.edu.cn"]
    response = client.get("/readyz", HTTP_HOST="10.0.0.7:8000")
    assert response.status_code == 200
    assert client.get("/login/", HTTP_HOST="review.example.edu.cn").status_code == 301  # the rest is redirected


def test_probes_only_answer_get_and_head(client):
    assert client.head("/healthz").status_code == 200
    response = client.post("/readyz")
    assert response.status_code == 405 and response["Allow"] == "GET, HEAD"


def test_readyz_is_503_with_an_unapplied_migration(client):
    from django.db.migrations.loader import MigrationLoader

    # the app's latest migration "unapplied" (an earlier one would leave its successors inconsistent)
    latest = max(name for app, name in MigrationLoader(connection).disk_migrations if app == "workflow")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_migrations WHERE app = 'workflow' AND name = %s", [latest])
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": {"database": "ok", "migrations": "failed",
                                                                   "redis": "skipped", "task_worker": "skipped"}}


def test_readyz_is_503_when_redis_does_not_answer_and_says_no_more(client, settings, caplog):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body == {"status": "unavailable", "checks": {"database": "ok", "migrations": "ok", "redis": "failed",
                                                        "task_worker": "skipped"}}
    assert "127.0.0.1" not in response.content.decode()  # no internal detail in the body...
    assert any(getattr(r, "check", None) == "redis" for r in caplog.records)  # ... the log has it


@pytest.fixture
def heartbeat_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path


def test_readyz_needs_a_task_worker_heartbeat_younger_than_a_minute(client, settings, heartbeat_dir):
    settings.READYZ_TASK_WORKER = "1"
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["checks"]["task_worker"] == "failed"  # none yet

    health.worker_heartbeat_touch()
    response = client.get("/readyz")
    assert response.status_code == 200 and response.json()["checks"]["task_worker"] == "ok"

    stale = time.time() - 61
    os.utime(health.heartbeat_file(), (stale, stale))
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["checks"]["task_worker"] == "failed"


def test_the_heartbeat_age_is_that_of_the_newest_sign(heartbeat_dir):
    assert health.worker_heartbeat_age() is None
    now = time.time()
    health.worker_heartbeat_touch(now=now - 30)
    assert 29 <= health.worker_heartbeat_age(now=now) <= 31
    health.worker_heartbeat_touch(now=now - 5)
    assert 4 <= health.worker_heartbeat_age(now=now) <= 6


def test_the_task_worker_check_follows_the_setting(settings):
    settings.READYZ_TASK_WORKER = "0"
    assert health.task_workers_expected() is False
    settings.READYZ_TASK_WORKER = "1"
    assert health.task_workers_expected() is True
    settings.READYZ_TASK_WORKER = "auto"  # when the database task backend is installed
    assert health.task_workers_expected() is apps.is_installed("django_tasks_db")


def test_only_a_task_worker_process_beats():
    from project import health

    assert health.is_task_worker_process(["manage.py", "db_worker", "--batch"])
    assert health.is_task_worker_process(["/srv/review/manage.py", "db_worker"])
    assert not health.is_task_worker_process(["manage.py", "runserver"])
    assert not health.is_task_worker_process(["granian", "project.asgi:application"])


def test_a_running_db_worker_keeps_readyz_ready(tmp_path):
    """A real `manage.py db_worker` process: its heartbeat file is written while it runs."""
    import os
    import subprocess
    import sys
    import time
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "VAR_DIR": str(tmp_path), "DJANGO_DEBUG": "1", "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3"}
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=root, env=env, check=True,
                   capture_output=True)
    worker = subprocess.Popen([sys.executable, "manage.py", "db_worker"], cwd=root, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        beat = tmp_path / "heartbeat" / "task-worker"
        deadline = time.time() + 30
        while not beat.exists() and time.time() < deadline:
            time.sleep(0.2)
        assert beat.exists() and time.time() - beat.stat().st_mtime < 30
    finally:
        worker.terminate()
        worker.wait(timeout=20)
