"""Helpers of the browser tests: the server under test, the guard that records
dialogs and requests, logins and screenshots."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Every run saves its screenshots under var/screenshots/ (ignored by git); with
# UPDATE_SCREENSHOTS=1 (make screenshots) they go to docs/screenshots/, which the
# README shows, so that an ordinary test run leaves the tracked images alone.
SCREENSHOTS = ROOT / ("docs" if os.environ.get("UPDATE_SCREENSHOTS") == "1" else "var") / "screenshots"
PASSWORD = "Demo@2026"
# username -> base32 TOTP secret of the demo users whose authenticators seed_demo enrolled
# (filled from ``seed_demo --json`` by conftest.app_server); they sign in with a code after the password.
TOTP_SECRETS = {}
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--lang=zh-CN",
]


def chromium_executable():
    """Debian's chromium; never a browser that Playwright downloads."""
    candidates = [os.environ.get("CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"]
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    pytest.fail(
        "chromium was not found: the browser tests drive Debian's chromium package. "
        "Install it with `make browser` (apt-get install chromium), or run `make test`, which does; "
        "set CHROMIUM=/path/to/chromium for another location. Never run `playwright install`.",
        pytrace=False,
    )


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """The real application served by daphne's runserver in a subprocess."""

    def __init__(self, env, workdir):
        self.env = env
        self.workdir = Path(workdir)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.workdir / "server.log"
        self.process = None

    # ------------------------------------------------------------------ commands

    def manage(self, *args, timeout=300, check=True):
        """Run ``manage.py <args>`` in the server's environment (same database)."""
        result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True,
                                text=True, timeout=timeout)
        if check and result.returncode != 0:
            pytest.fail(f"manage.py {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}",
                        pytrace=False)
        return result

    def shell(self, code, timeout=120):
        """Python code run by ``manage.py shell -c`` against the server's database; returns its stdout."""
        return self.manage("shell", "-c", code, timeout=timeout).stdout

    # ------------------------------------------------------------------ process

    def start(self):
        log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{self.port}"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the server exited with {self.process.returncode}:\n{self.log_tail()}", pytrace=False)
            try:
                with urllib.request.urlopen(f"{self.url}/login/", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.2)
        self.stop()
        pytest.fail(f"the server did not answer on {self.url} within 60 s:\n{self.log_tail()}", pytrace=False)

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        except ProcessLookupError:
            pass

    def log_tail(self, lines=80):
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:])


class Guard:
    """Records every dialog, request, websocket and page error of a browser context.

    A dialog is dismissed at once (and recorded); a request to another origin is
    recorded as foreign. Tests assert ``guard.dialogs == []`` and
    ``guard.foreign == []``.
    """

    def __init__(self, origin):
        split = urlsplit(origin)
        self.netloc = split.netloc
        self.dialogs = []
        self.requests = []
        self.foreign = []
        self.page_errors = []

    def attach(self, context):
        context.on("request", self._on_request)
        context.on("dialog", self._on_dialog)
        context.on("page", self._on_page)
        for page in context.pages:
            self._on_page(page)

    def _on_page(self, page):
        page.on("pageerror", lambda error: self.page_errors.append(f"{page.url}: {error}"))
        page.on("websocket", lambda ws: self._check_url(ws.url))

    def _on_dialog(self, dialog):
        self.dialogs.append(f"{dialog.type}: {dialog.message!r} on {dialog.page.url if dialog.page else '?'}")
        try:
            dialog.dismiss()
        except Exception:  # the page may be gone already
            pass

    def _on_request(self, request):
        self.requests.append(request.url)
        self._check_url(request.url)

    def _check_url(self, url):
        split = urlsplit(url)
        if split.scheme in ("data", "blob", "about"):
            return
        if split.scheme not in ("http", "https", "ws", "wss") or split.netloc != self.netloc:
            self.foreign.append(url)

    def suspicious(self, markers):
        """Requests on our origin whose URL contains one of ``markers`` (a payload's target)."""
        return [u for u in self.requests if any(m in u for m in markers)]


def sign_in(page, username, password=PASSWORD, *, goto=True):
    """Sign in through the login page: the password, then, for a demo user with
    an authenticator (TOTP_SECRETS), the code it shows now on /login/code/.
    Returns once the last answer has loaded, signed in or not (a wrong
    password leaves the login page with its message)."""
    from tests import totp

    if goto:
        page.goto("/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    if urlsplit(page.url).path == "/login/code/" and username in TOTP_SECRETS:
        page.get_by_label("验证码或恢复码").fill(totp.fresh_code(TOTP_SECRETS[username]))
        with page.expect_navigation():
            page.get_by_role("button", name="登录").click()


def shot(page, name, full_page=False):
    """Save a PNG of the viewport (or the whole page) to docs/screenshots/<name>.png, overwritten each run."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), animations="disabled", caret="hide", full_page=full_page)


def no_horizontal_overflow(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
