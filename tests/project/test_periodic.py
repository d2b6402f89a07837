"""The periodic jobs: one registry, periods in local time, each period enqueued
once (``manage.py run_periodic --once``), even by two schedulers at once."""
import datetime as dt
import io
import os
import subprocess
import sys
import threading
import zoneinfo
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django_tasks_db.models import DBTaskResult

from audit.models import AuditCheckpoint
from audit.services import audit_record
from project import periodic
from project.models import PeriodicRun
from reporting import tasks as reporting_tasks
from tests.tasks_support import run_tasks

ROOT = Path(__file__).resolve().parents[2]
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(*args):
    return dt.datetime(*args, tzinfo=SHANGHAI)


def job(name):
    return next(j for j in periodic.JOBS if j.name == name)


def test_the_registry_names_each_job_once_with_a_task_and_a_period():
    names = [j.name for j in periodic.JOBS]
    assert len(names) == len(set(names))
    assert {"review_reminders", "dormant_sweep"} <= set(names)
    assert all(j.every in (periodic.HOURLY, periodic.DAILY, periodic.MINUTES) and j.task.module_path
               for j in periodic.JOBS)


def test_periods_are_local_hours_and_local_days_from_their_time():
    hourly, daily = job("review_reminders"), job("dormant_sweep")  # daily at 08:00
    assert hourly.period(at(2026, 12, 1, 14, 59)) == "2026-12-01T14:00+08:00"
    assert hourly.period(at(2026, 12, 1, 15, 0)) == "2026-12-01T15:00+08:00"
    assert hourly.period(dt.datetime(2026, 12, 1, 6, 30, tzinfo=dt.UTC)) == "2026-12-01T14:00+08:00"
    assert daily.period(at(2026, 12, 2, 7, 59)) == "2026-12-01"  # before 08:00 the day before is the one due
    assert daily.period(at(2026, 12, 2, 8, 0)) == "2026-12-02"
    assert daily.period(at(2026, 12, 2, 23, 59)) == "2026-12-02"


@pytest.mark.django_db
def test_each_period_is_enqueued_once():
    now = at(2026, 12, 2, 9, 15)
    first = periodic.enqueue_due(now=now)
    assert all(e.task_id for e in first) and len(first) == len(periodic.JOBS)
    again = periodic.enqueue_due(now=now + dt.timedelta(minutes=30))
    assert [e.task_id for e in again] == [None] * len(periodic.JOBS)
    later = {e.job: e for e in periodic.enqueue_due(now=at(2026, 12, 2, 10, 0))}
    assert later["review_reminders"].task_id and later["review_reminders"].period == "2026-12-02T10:00+08:00"
    assert later["dormant_sweep"].task_id is None
    assert later["audit_checkpoint"].task_id and later["audit_checkpoint"].period == "2026-12-02T10:00+08:00"
    # Due again at 10:00: every hourly job, and every minutes job whose period began then (the checkpoint's 60).
    again_due = sum(j.period(now) != j.period(at(2026, 12, 2, 10, 0)) for j in periodic.JOBS)
    assert again_due == sum(j.every == periodic.HOURLY for j in periodic.JOBS) + 1
    assert PeriodicRun.objects.count() == len(periodic.JOBS) + again_due
    assert DBTaskResult.objects.count() == len(periodic.JOBS) + again_due
    row = DBTaskResult.objects.get(pk=PeriodicRun.objects.get(job="dormant_sweep").task_id)
    assert row.task_path == "reporting.tasks.dormant_sweep" and row.args_kwargs["kwargs"] == {"period": "2026-12-02"}


@pytest.mark.django_db
def test_run_periodic_once_enqueues_what_is_due_and_the_worker_runs_it(world):
    out = io.StringIO()
    call_command("run_periodic", "--once", stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == len(periodic.JOBS) and all(line.startswith("已加入队列 ") for line in lines)
    out = io.StringIO()
    call_command("run_periodic", "--once", stdout=out)
    assert out.getvalue() == ""
    call_command("run_periodic", "--once", verbosity=2, stdout=out)
    assert out.getvalue().count("已在队列中 ") == len(periodic.JOBS)
    ran = run_tasks()
    assert sorted(r.task_path for r in ran) == sorted(j.task.module_path for j in periodic.JOBS)
    assert all(r.status == "SUCCESSFUL" for r in ran), [r.traceback for r in ran]


def test_run_periodic_runs_until_stopped(tmp_path):
    """The loop exits cleanly on SIGTERM (what make run's supervisor and systemd send)."""
    env = _scratch_env(tmp_path)
    proc = subprocess.Popen([sys.executable, "manage.py", "run_periodic", "--interval", "0.5"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        output = _read_until(proc, "已加入队列 prune_task_results", timeout=60)
        proc.terminate()
        rest, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, output + rest
    assert "定时任务调度已停止" in rest


def _read_until(proc, marker, *, timeout):
    lines, found = [], threading.Event()

    def read():
        for line in proc.stdout:
            lines.append(line)
            if marker in line:
                found.set()
                return

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    assert found.wait(timeout), "".join(lines)
    return "".join(lines)


def _scratch_env(tmp_path):
    """A migrated SQLite database of its own (copied from the session's), for a process of its own.

    The tests that use it run ``make run``'s embedded default (SQLite) in processes of their own, whatever
    the suite's database: they run with ``make test`` and are skipped in ``make test-postgres``, where they
    would repeat the same run after migrating a SQLite database first."""
    from tests.project.conftest import migrated_sqlite

    if connection.vendor == "postgresql":
        pytest.skip("runs make run's SQLite default in its own processes: part of make test")

    db = tmp_path / "db.sqlite3"
    db.write_bytes(migrated_sqlite().read_bytes())
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(VAR_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{db}", DJANGO_SETTINGS_MODULE="project.settings")
    return env


# ---------------------------------------------------------------- two schedulers at once (PostgreSQL)

@pytest.mark.django_db(transaction=True)
def test_two_schedulers_at_the_same_time_enqueue_each_period_once(on_postgres):
    settings_dict = connection.settings_dict
    url = (f"postgres://{settings_dict['USER']}:{settings_dict['PASSWORD'] or ''}@{settings_dict['HOST']}:"
           f"{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}")
    env = {**os.environ, "DATABASE_URL": url}
    for attempt in range(3):
        PeriodicRun.objects.all().delete()
        DBTaskResult.objects.all().delete()
        procs = [subprocess.Popen([sys.executable, "manage.py", "run_periodic", "--once"], cwd=ROOT, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
        outputs = [p.communicate(timeout=120) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], outputs
        enqueued = sum(out.count("已加入队列 ") for out, _err in outputs)
        assert enqueued == len(periodic.JOBS), outputs
        assert PeriodicRun.objects.count() == len(periodic.JOBS)
        assert DBTaskResult.objects.count() == len(periodic.JOBS)  # the loser's task rolled back with its row


@pytest.mark.django_db
def test_the_audit_checkpoint_job_runs_every_audit_checkpoint_minutes_and_signs_only_when_the_log_grew(settings):
    job = next(j for j in periodic.JOBS if j.name == "audit_checkpoint")  # noqa: F811
    settings.AUDIT_CHECKPOINT_MINUTES = 60
    moment = at(2026, 12, 1, 14, 37)
    assert job.period(moment) == "2026-12-01T14:00+08:00"
    settings.AUDIT_CHECKPOINT_MINUTES = 15
    assert job.period(moment) == "2026-12-01T14:30+08:00"
    audit_record(action="audit.verify")
    assert reporting_tasks.audit_checkpoint.call(period="p1")["tree_size"] >= 1  # (+ the system actor's creation)
    assert reporting_tasks.audit_checkpoint.call(period="p2")["tree_size"] is None
    assert AuditCheckpoint.objects.count() == 1
