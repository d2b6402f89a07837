"""Browser tests: Playwright driving Debian's chromium against the real application.

One server per session: daphne's ``runserver --noreload`` (ASGI, so the live
queue's websocket works and the in-memory channel layer lives in that process;
static files are served because DEBUG is on) on a free port, with a scratch
data directory (SQLite) or, when DATABASE_URL points at PostgreSQL, a scratch
database ``browser_<pid>`` created and dropped here. The demo data
(``seed_demo``) is loaded through the project's own command. The tests never
touch the database from this process: they drive the pages; the one data step
the race test needs runs through ``manage.py shell`` calling the services.

Each demo user logs in once through the login page; his storage state (the
session cookie) is reused by every later context.
"""
import json
import os
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.browser.helpers import (
    CHROMIUM_ARGS, DESKTOP, PASSWORD, TOTP_SECRETS, Guard, Server, chromium_executable, free_port, sign_in,
)

# ---------------------------------------------------------------- the server


def _scratch_postgres(url, name):
    """Create database ``name`` on the server of ``url``; returns (its URL, a drop function)."""
    import psycopg

    split = urlsplit(url)
    admin_url = urlunsplit(split._replace(scheme="postgresql"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return urlunsplit(split._replace(path=f"/{name}")), drop


def _worker_redis(url):
    """The Redis URL of this test process's server: with pytest-xdist, every
    worker's server has a database of its own (numbers 1-15; the tests in
    process use prefixes of their own on 0), so that two servers whose data
    share ids never see each other's group messages."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    number = 1 + int(worker.removeprefix("gw") or 0) % 15
    return urlunsplit(urlsplit(url)._replace(path=f"/{number}"))


@pytest.fixture(scope="session")
def app_server(tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("browser-var")
    env = {k: v for k, v in os.environ.items() if k not in ("MEDIA_ROOT", "DJANGO_ALLOWED_HOSTS")}
    env.update({
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "VAR_DIR": str(var_dir),
        "DJANGO_DEBUG": "1",
        "DJANGO_SECURE_COOKIES": "0",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "PYTHONUNBUFFERED": "1",
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
        # Every context signs in from 127.0.0.1: the sign-in rate limit per address would refuse the
        # suite's own logins. One trusted proxy, so that the lockout tests give their contexts
        # addresses of their own (X-Forwarded-For) and lock no one else's.
        "LOGIN_RATE_LIMIT": "10000/min",
        "TRUSTED_PROXY_COUNT": "1",
    })
    if env.get("REDIS_URL"):
        env["REDIS_URL"] = _worker_redis(env["REDIS_URL"])
    drop = None
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith(("postgres://", "postgresql://")):
        env["DATABASE_URL"], drop = _scratch_postgres(database_url, f"browser_{os.getpid()}")
    else:
        env["DATABASE_URL"] = f"sqlite:///{var_dir / 'db.sqlite3'}"
    server = Server(env, var_dir)
    # seed_demo wires the demo official account to the WeChat simulator on this port, with this site's callback
    # (tests/browser/test_publish_wechat.py starts the simulator when it needs it)
    env.update({"WECHAT_SIM_PORT": str(free_port()), "PUBLISH_SITE_URL": server.url})
    try:
        server.manage("migrate", "--noinput")
        # seeds the demo data and reports it: the demo users who need two factors sign in with codes of
        # their demo authenticators
        report = json.loads(server.manage("seed_demo", "--json").stdout)
        TOTP_SECRETS.update({u["username"]: u["totp_secret"] for u in report["users"] if u.get("totp_secret")})
        server.start()
        yield server
    finally:
        server.stop()
        if drop is not None:
            drop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failing browser test, attach the tail of the server's log to the report."""
    outcome = yield
    report = outcome.get_result()
    if report.failed and "app_server" in getattr(item, "fixturenames", ()):
        server = item.funcargs.get("app_server") if hasattr(item, "funcargs") else None
        if server is not None:
            report.sections.append(("server log (tail)", server.log_tail()))


# ---------------------------------------------------------------- the browser
# Package scope: Playwright's sync API keeps an event loop in this thread while
# it runs, which Django's ORM refuses; the database tests that follow the
# browser package must find it stopped.


@pytest.fixture(scope="package")
def playwright_instance():
    from playwright.sync_api import sync_playwright

    manager = sync_playwright()
    pw = manager.start()
    try:
        yield pw
    finally:
        pw.stop()


@pytest.fixture(scope="package")
def browser(playwright_instance):
    executable = chromium_executable()
    browser = playwright_instance.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture(scope="package")
def login_states(browser, app_server):
    """login_states(username) -> the storage state of a session opened through the login page (cached)."""
    cache = {}

    def get(username, password=PASSWORD):
        if username not in cache:
            context = browser.new_context(base_url=app_server.url, viewport=DESKTOP, locale="zh-CN")
            try:
                page = context.new_page()
                sign_in(page, username, password)  # the password, and the code for a user with two factors
                page.wait_for_url(lambda url: "/login/" not in url)
                cache[username] = context.storage_state()
            finally:
                context.close()
        return cache[username]

    return get


class Session:
    """A browser context logged in as one user, with its guard."""

    def __init__(self, context, guard, username):
        self.context = context
        self.guard = guard
        self.username = username

    def page(self, path=None):
        page = self.context.new_page()
        if path is not None:
            page.goto(path)
        return page


@pytest.fixture
def open_as(browser, app_server, login_states):
    """open_as(username, viewport=DESKTOP, **context options) -> a Session; every context is closed after the test and
    its guard must have recorded no dialog, no request to another origin and no uncaught script error."""
    from playwright.sync_api import expect

    expect.set_options(timeout=10_000)
    sessions = []

    def make(username=None, viewport=DESKTOP, **options):
        kwargs = {"base_url": app_server.url, "viewport": viewport, "locale": "zh-CN", "accept_downloads": True,
                  **options}
        if username is not None:
            kwargs["storage_state"] = login_states(username)
        context = browser.new_context(**kwargs)
        context.set_default_timeout(15_000)
        guard = Guard(app_server.url)
        guard.attach(context)
        session = Session(context, guard, username)
        sessions.append(session)
        return session

    make.sessions = sessions
    yield make
    problems = []
    for session in sessions:
        try:
            session.context.close()
        except Exception:  # the browser may have gone away with a failure already reported
            pass
        if session.guard.dialogs:
            problems.append(f"{session.username}: dialogs opened: {session.guard.dialogs}")
        if session.guard.foreign:
            problems.append(f"{session.username}: requests to another origin: {session.guard.foreign}")
        if session.guard.page_errors:
            problems.append(f"{session.username}: uncaught script errors: {session.guard.page_errors}")
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)
