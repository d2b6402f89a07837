"""make run's supervisor (bin/run-dev): the web server, a worker and the
scheduler run together — the worker runs what the scheduler enqueued — and
Ctrl-C, or the end of any one of them, leaves no process behind."""
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.project.test_periodic import _scratch_env

ROOT = Path(__file__).resolve().parents[2]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def group_members(pgid):
    """Live (not zombie) processes of a process group, from /proc: {pid: command line}."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            found[int(entry.name)] = cmdline
    return found


def children_of(pid):
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(entry.name))
    return out


def wait_for(check, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def run_dev(tmp_path):
    if not Path("/proc").is_dir():
        pytest.skip("reads the process table from /proc")
    started = []

    def start():
        port = free_port()
        log = open(tmp_path / "run-dev.log", "w")  # noqa: SIM115 - closed below
        # the WeChat simulator (the fourth process) on a port of its own
        proc = subprocess.Popen([sys.executable, "bin/run-dev", "--port", str(port)], cwd=ROOT,
                                env={**_scratch_env(tmp_path), "DJANGO_DEBUG": "1", "WECHAT_SIM_PORT": str(free_port())},
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        started.append((proc, log))
        kids = wait_for(lambda: children_of(proc.pid) if len(children_of(proc.pid)) == 4 else None, 60,
                        "the four processes")
        pgid = os.getpgid(min(kids))
        return proc, port, pgid, tmp_path

    yield start
    for proc, log in started:
        if proc.poll() is None:
            proc.kill()
        log.close()


def log_of(tmp_path):
    return (tmp_path / "run-dev.log").read_text()


def test_ctrl_c_stops_the_server_the_worker_and_the_scheduler(run_dev):
    proc, port, pgid, var = run_dev()
    assert pgid != os.getpgid(proc.pid)  # their own group: the supervisor decides when they stop
    wait_for(lambda: _http_ok(f"http://127.0.0.1:{port}/login/"), 120, "the web server")
    commands = " | ".join(group_members(pgid).values())
    assert "runserver" in commands and "db_worker" in commands and "run_periodic" in commands
    assert "simulators.wechat:app" in commands

    def periodic_jobs_ran():
        with sqlite3.connect(var / "db.sqlite3", timeout=5) as db:
            return db.execute("SELECT count(*) FROM django_tasks_database_dbtaskresult "
                              "WHERE status = 'SUCCESSFUL'").fetchone()[0] >= 4
    wait_for(periodic_jobs_ran, 120, "the worker to run the jobs the scheduler enqueued")

    proc.send_signal(signal.SIGINT)  # what Ctrl-C in make's terminal sends it
    assert proc.wait(timeout=60) == 0, log_of(var)
    wait_for(lambda: not group_members(pgid), 15, "every process of the group to end")
    assert "[run-dev] stopped" in log_of(var)


def test_when_one_process_ends_the_others_are_stopped(run_dev):
    proc, _port, pgid, var = run_dev()
    scheduler = next(pid for pid, cmd in group_members(pgid).items() if "run_periodic" in cmd)
    os.kill(scheduler, signal.SIGKILL)
    assert proc.wait(timeout=60) != 0
    wait_for(lambda: not group_members(pgid), 15, "every process of the group to end")
    assert "scheduler exited" in log_of(var)


def _http_ok(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
            return response.status == 200
    except OSError:
        return False
