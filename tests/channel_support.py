"""Real HTTP servers on loopback for the publishing channels' tests and benchmark.

* ``WebhookReceiver``: a unit's CMS as an integrator would write it from
  docs/webhook.md (http.server in a thread): it checks the signature, keeps one
  page per delivery id, and can be told to answer the next requests with an
  error status or slowly (a timeout).
* ``SimulatorServer``: simulators/wechat.py served by granian in a subprocess,
  with a small client for its control endpoints.
"""
import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WebhookReceiver:
    def __init__(self, secret):
        self.secret = secret
        self.requests = []        # every request: (headers, raw body, status answered)
        self.pages = {}           # delivery id -> the item (idempotency: one page per delivery)
        self.deleted = []
        self.fail_with = []       # statuses to answer next, in order
        self.delay = 0.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status, answer = receiver.handle(dict(self.headers), body)
                if receiver.delay:
                    time.sleep(receiver.delay)
                data = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/cms/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def handle(self, headers, body):
        expected = "sha256=" + hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(headers.get("X-Signature-256", ""), expected):
            self.requests.append((headers, body, 401))
            return 401, {"error": "bad signature"}
        if self.fail_with:
            status = self.fail_with.pop(0)
            self.requests.append((headers, body, status))
            return status, {"error": "simulated"}
        item = json.loads(body)
        delivery = headers["X-Delivery-Id"]
        if item["event"] == "delete":
            self.deleted.append(item["id"])
            self.requests.append((headers, body, 200))
            return 200, {"ok": True}
        if delivery not in self.pages:  # a delivery seen before is answered with the same page
            self.pages[delivery] = item
        page_id = list(self.pages).index(delivery) + 1
        self.requests.append((headers, body, 200))
        return 200, {"url": f"https://www.school.example/news/{page_id}.html", "id": str(page_id)}

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class SimulatorServer:
    def __init__(self, env=None, port=None):
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **(env or {})}
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "granian"), "--interface", "asgi", "--host", "127.0.0.1",
             "--port", str(self.port), "--no-ws", "--log-level", "warning", "simulators.wechat:app"],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                httpx.post(f"{self.base}/sim/reset", timeout=1)
                return self
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("the WeChat simulator did not start")

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def control(self, path, **data):
        response = httpx.post(f"{self.base}/sim/{path}", json=data, timeout=10)
        response.raise_for_status()
        return response.json()

    def state(self, app_id):
        return self.control("state", app_id=app_id)
