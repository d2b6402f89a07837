"""Production mode, for real: private PostgreSQL and Redis started by
``bin/services`` (the script behind ``make services``) in a scratch directory
on free ports, and the application served by ``bin/run-prod`` (behind ``make
run-prod``) with DJANGO_DEBUG=0, several ASGI workers and the demo data.

Started once for the session; skipped where PostgreSQL's or Redis's programs
are not installed (``make services`` installs them from Debian's packages).
The processes get the production environment explicitly: the settings module
``project.settings`` (not the suite's), no DJANGO_DEBUG, a secret key and host
names of their own.
"""
import base64
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
PASSWORD = "Demo@2026"

# What the test process has that a production process must not inherit.
SUITE_ONLY = ("DJANGO_SETTINGS_MODULE", "DJANGO_DEBUG", "DB_POOL", "DATABASE_URL", "REDIS_URL", "VAR_DIR",
              "MEDIA_ROOT", "DJANGO_ALLOWED_HOSTS", "DJANGO_SECRET_KEY", "LOG_FORMAT", "LOG_LEVEL")


def free_ports(count):
    """``count`` distinct free ports (all bound at once, so none is handed out twice)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def free_port():
    return free_ports(1)[0]


def have_service_programs():
    pg = any(Path(d, "pg_ctl").exists() and Path(d, "initdb").exists()
             for d in glob.glob("/usr/lib/postgresql/*/bin"))
    return pg and shutil.which("redis-server") is not None and shutil.which("redis-cli") is not None


def production_env(**extra):
    """The environment of a production process: nothing of the test suite's."""
    env = {k: v for k, v in os.environ.items() if k not in SUITE_ONLY}
    env.update({"DJANGO_SETTINGS_MODULE": "project.settings", "PYTHONUNBUFFERED": "1",
                # production refuses to encrypt personal data without a key: one fixed key for every process
                "PII_KEYS": "test:" + base64.b64encode(b"k" * 32).decode()})
    env.update(extra)
    return env


def read_env_file(path):
    values = {}
    for line in Path(path).read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            values[key] = value
    return values


class Services:
    """bin/services in a scratch directory."""

    def __init__(self):
        # Readable by the unprivileged users the servers run as when the suite runs as root.
        self.dir = Path(tempfile.mkdtemp(prefix="services-"))
        self.dir.chmod(0o755)
        self.pg_port, self.redis_port = free_ports(2)
        self.env = dict(os.environ, SERVICES_DIR=str(self.dir), SERVICES_PG_PORT=str(self.pg_port),
                        SERVICES_REDIS_PORT=str(self.redis_port))

    def run(self, action, check=True):
        result = subprocess.run([str(ROOT / "bin" / "services"), action], env=self.env, capture_output=True,
                                text=True, timeout=180)
        if check and result.returncode != 0:
            pytest.fail(f"bin/services {action} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}",
                        pytrace=False)
        return result

    @property
    def env_file(self):
        return self.dir / "services.env"

    @property
    def settings(self):
        return read_env_file(self.env_file)

    def redis_stop(self):
        """Stop only the private Redis (an outage): the one bin/services started for
        this session, on its own port; never the machine's shared Redis."""
        pid = int((self.dir / "redis" / "redis.pid").read_text().strip())
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        pytest.fail(f"the private Redis (pid {pid}) did not stop", pytrace=False)

    def redis_start(self):
        """Start it again, as bin/services does (same port, same password)."""
        self.run("start")

    def pg_ctl(self, action):
        """Stop or start only the private PostgreSQL (an outage), as bin/services runs it."""
        bindir = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1]
        command = [f"{bindir}/pg_ctl", "-D", str(self.dir / "postgres"), "-w", "-t", "60"]
        if action == "stop":
            command += ["-m", "fast", "stop"]
        else:
            command += ["-l", str(self.dir / "postgres.log"), "-o", f"-p {self.pg_port}", "start"]
        if os.getuid() == 0:
            command = ["runuser", "-u", "postgres", "--"] + command
        subprocess.run(command, check=True, capture_output=True, timeout=90)


@pytest.fixture(scope="session")
def services():
    # These tests start their own PostgreSQL and Redis whatever the suite's database is, so they would
    # run the same twice in CI: they run with the PostgreSQL suite only.
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        pytest.skip("production mode runs with the PostgreSQL suite (make test-postgres)")
    if not have_service_programs():
        pytest.skip("PostgreSQL's and Redis's programs are not installed (make services installs them)")
    started = Services()
    try:
        started.run("start")
        yield started
    finally:
        started.run("stop", check=False)
        shutil.rmtree(started.dir, ignore_errors=True)


class ProdServer:
    """bin/run-prod: migrate, collectstatic, seed_demo, then the ASGI workers."""

    def __init__(self, services, workdir, workers=2):
        self.services = services
        self.workdir = Path(workdir)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.log_path = self.workdir / "run-prod.log"
        self.env = production_env(VAR_DIR=str(self.workdir / "var"), SERVICES_ENV=str(services.env_file),
                                  DJANGO_SECRET_KEY="test-" + "x" * 50, LOG_LEVEL="INFO")
        self.process = None
        self._tokens = {}

    def start(self, timeout=240):
        log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "bin/run-prod", "--port", str(self.port), "--workers", str(self.workers), "--demo"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"run-prod exited with {self.process.returncode}:\n{self.log_tail()}", pytrace=False)
            if b"run-prod: ready" in self.log_path.read_bytes():
                return
            time.sleep(0.5)
        self.stop()
        pytest.fail(f"run-prod was not ready within {timeout} s:\n{self.log_tail()}", pytrace=False)

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def manage(self, *args, timeout=120):
        env = dict(self.env, DJANGO_DEBUG="0", DB_POOL="0", DJANGO_ALLOWED_HOSTS="127.0.0.1",
                   **{k: v for k, v in self.services.settings.items() if k in ("DATABASE_URL", "REDIS_URL")})
        return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=timeout)

    @property
    def task_worker_check(self):
        """What /readyz says of the task worker when ready: checked ("ok") when run-prod
        started task workers (the checkout has `manage.py db_worker`), else "skipped"."""
        return "ok" if b"started task worker" in self.log_path.read_bytes() else "skipped"

    def log_lines(self):
        return self.log_path.read_text(errors="replace").splitlines()

    def log_tail(self, lines=60):
        try:
            return "\n".join(self.log_lines()[-lines:])
        except OSError:
            return "(no log)"

    # -- HTTP

    def get(self, path, headers=None, timeout=30):
        """(status, headers, body bytes) of a GET; errors are answers too."""
        request = urllib.request.Request(self.url + path, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()

    def post_json(self, path, data, headers=None):
        request = urllib.request.Request(self.url + path, method="POST", data=json.dumps(data).encode(),
                                         headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def token(self, username):
        """A token for a demo user, kept for the session (token requests are throttled)."""
        if username not in self._tokens:
            status, body = self.post_json("/api/v1/auth/token/", {"username": username, "password": PASSWORD})
            if status == 401 and body.get("code") == "otp_required":
                # a demo user with two factors: the code of the authenticator seed_demo enrolled for him
                from project.management.commands.seed_demo import demo_totp_secret
                from tests import totp

                status, body = self.post_json("/api/v1/auth/token/", {
                    "username": username, "password": PASSWORD, "otp": totp.fresh_code(demo_totp_secret(username))})
            assert status == 200, body
            self._tokens[username] = body["token"]
        return self._tokens[username]


@pytest.fixture(scope="session")
def prod_server(services, tmp_path_factory):
    server = ProdServer(services, tmp_path_factory.mktemp("run-prod"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failure, attach the tail of run-prod's output."""
    outcome = yield
    report = outcome.get_result()
    if report.failed and "prod_server" in getattr(item, "fixturenames", ()):
        server = getattr(item, "funcargs", {}).get("prod_server")
        if server is not None:
            report.sections.append(("run-prod output (tail)", server.log_tail()))
