"""The lockout race (security review finding): 25 sign-in requests at once, 24
with a wrong password and the right one in the middle, against a real server
(granian, four worker processes, the production password hasher) on loopback
and a PostgreSQL database of its own. At most LOGIN_MAX_FAILURES passwords are
tried (every tried password is an audit entry: a failure or a login), and no
sign-in succeeds once the lock exists; the API's token endpoint the same."""
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.cookiejar import CookieJar
from urllib.parse import urlencode, urlsplit, urlunsplit

import pytest

from tests.browser.helpers import ROOT, free_port

pytestmark = pytest.mark.postgres

PARALLEL = 25
RIGHT_AT = 12
PASSWORD = "Race#2026pass"


def _scratch_database():
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        pytest.skip("needs PostgreSQL (DATABASE_URL): SQLite serialises every writer, so a race there proves nothing")
    import psycopg

    split = urlsplit(url)
    name = f"{split.path.lstrip('/') or 'postgres'}_race_{os.getpid()}"
    admin_url = urlunsplit(split._replace(scheme="postgresql", path="/postgres"))  # the server's own database
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return urlunsplit(split._replace(path=f"/{name}")), drop


@pytest.fixture(scope="module")
def race_server(tmp_path_factory):
    database_url, drop = _scratch_database()
    var_dir = tmp_path_factory.mktemp("race-var")
    env = {k: v for k, v in os.environ.items() if k not in ("MEDIA_ROOT", "DJANGO_ALLOWED_HOSTS", "REDIS_URL")}
    env.update({"DJANGO_SETTINGS_MODULE": "project.settings", "DJANGO_DEBUG": "1", "DB_POOL": "0",
                "DATABASE_URL": database_url, "VAR_DIR": str(var_dir), "LOG_LEVEL": "WARNING",
                "REQUEST_LOG_LEVEL": "WARNING", "LOGIN_MAX_FAILURES": "5", "LOGIN_LOCK_MINUTES": "30",
                # the rate limits per address would refuse most of the 25 before the lockout is reached
                "LOGIN_RATE_LIMIT": "1000/min", "API_TOKEN_THROTTLE_RATE": "1000/min"})

    def manage(*args):
        result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
                                text=True, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    manage("migrate", "--noinput")
    manage("shell", "-c", "from content.models import User\n"
                          f"for name in ('racer', 'apiracer'): User.objects.create_user(name, password={PASSWORD!r})")
    port = free_port()
    log = open(var_dir / "server.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "granian", "--interface", "asginl", "--host", "127.0.0.1", "--port", str(port),
         "--workers", "4", "--no-access-log", "project.asgi:application"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/login/", timeout=2):
                    break
            except (urllib.error.URLError, OSError):
                assert process.poll() is None and time.monotonic() < deadline, (var_dir / "server.log").read_text()
                time.sleep(0.3)
        time.sleep(2)  # every worker up
        yield url, manage
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        drop()


def _at_once(requests):
    """Send the requests (callables) from one thread each, released together."""
    barrier = threading.Barrier(len(requests))
    results = [None] * len(requests)

    def run(i):
        barrier.wait()
        results[i] = requests[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(requests))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def _entries(manage, username):
    code = ("import json\nfrom audit.models import AuditEntry\n"
            f"rows = AuditEntry.objects.filter(actor_label={username!r}).order_by('seq')\n"
            "print(json.dumps([[e.seq, e.action, e.outcome] for e in rows]))")
    return json.loads(manage("shell", "-c", code).strip().splitlines()[-1])


def _check(entries):
    tried = [e for e in entries if e[1] == "auth.login" or (e[1] == "auth.login_failed" and e[2] == "failure")]
    assert len(tried) <= 5, entries
    locked = [e[0] for e in entries if e[1] == "auth.locked"]
    logins = [e[0] for e in entries if e[1] == "auth.login"]
    if locked:
        assert all(seq < locked[0] for seq in logins), entries  # no sign-in once the lock exists
    return tried, locked, logins


def test_parallel_sign_ins_try_at_most_five_passwords(race_server):
    url, manage = race_server
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{url}/login/").read()
    token = next(c.value for c in jar if c.name == "csrftoken")
    cookie = f"csrftoken={token}"

    def attempt(password):
        def post():
            body = urlencode({"username": "racer", "password": password, "csrfmiddlewaretoken": token}).encode()
            request = urllib.request.Request(f"{url}/login/", data=body, headers={
                "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded", "Referer": f"{url}/login/"})
            opener_no_redirect = urllib.request.build_opener(NoRedirect)
            try:
                with opener_no_redirect.open(request, timeout=120) as response:
                    return response.status
            except urllib.error.HTTPError as exc:
                return exc.code
        return post

    statuses = _at_once([attempt(PASSWORD if i == RIGHT_AT else f"wrong-{i}") for i in range(PARALLEL)])
    assert all(s in (200, 302) for s in statuses), statuses
    tried, locked, logins = _check(_entries(manage, "racer"))
    assert statuses.count(302) == len(logins) <= 1
    assert len(tried) == 5 or logins  # the budget was used up, or the right one came through before the lock
    assert locked or logins


def test_parallel_token_requests_try_at_most_five_passwords(race_server):
    url, manage = race_server

    def attempt(password):
        def post():
            request = urllib.request.Request(f"{url}/api/v1/auth/token/", method="POST",
                                             data=json.dumps({"username": "apiracer", "password": password}).encode(),
                                             headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=120) as response:
                    return response.status
            except urllib.error.HTTPError as exc:
                return exc.code
        return post

    statuses = _at_once([attempt(PASSWORD if i == RIGHT_AT else f"wrong-{i}") for i in range(PARALLEL)])
    assert all(s in (200, 400) for s in statuses), statuses
    entries = _entries(manage, "apiracer")
    tried = [e for e in entries if e[1] == "auth.login_failed" and e[2] == "failure"]
    assert len(tried) + statuses.count(200) <= 5, (statuses, entries)
    locked = [e[0] for e in entries if e[1] == "auth.locked"]
    issued = [e[0] for e in entries if e[1] == "auth.token_created"]
    if locked:
        assert all(seq < locked[0] for seq in issued), entries


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None
