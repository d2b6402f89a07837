"""make bench-load: reviewers working the queue through the API against
bin/run-prod (make run-prod), with 1 and 2 ASGI workers, and the websocket
fan-out to connected queue pages.

    .venv/bin/python bench/load_work.py [--workers 1,2] [--reviewers 4] [--editors 2]
                                        [--seconds 20] [--ws-clients 200] [--server granian]

Needs `make services` (PostgreSQL and Redis; their settings come from
var/services.env) and loads the demo data the first time. For each worker
count it starts bin/run-prod on a free loopback port and, for ``--seconds``:

* ``--editors`` clients create and submit drafts on 广州一中's WeChat account
  as ``editor`` (feeding the queue);
* ``--reviewers`` clients per tier (the demo's reviewer1, reviewer2 and
  reviewer3) read their queue page and decide (all pass) the items that are
  theirs: client i of a tier takes the submissions whose id is i modulo the
  count, so two clients never race one item and any 409 is an error here.

It prints decisions per second, p50/p95/p99 latency of the decisions, the
errors (every answer other than 2xx; must be 0), and the ratio of 2 workers
to 1. Then, on the last worker count, ``--ws-clients`` websockets of the
queue page (reviewer1, /ws/live/?topics=queue) and 5 decisions one after
another: the delay from sending each decision (it commits before its answer,
so an upper bound of commit-to-page) to each client's queue event; p50/p95/max. Bounded: loopback only, at most
120 s a run, 256 HTTP clients and 500 sockets; nothing but the demo database
is written.
"""
import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from serving import free_port, wait_ready  # bench/serving.py (this folder is on sys.path when run)

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Demo@2026"
ALL_PASS = {"political": "pass", "legal": "pass", "policy": "pass", "secrecy": "pass", "wording": "pass"}
MAX_SECONDS, MAX_CLIENTS, MAX_SOCKETS = 120, 256, 500




def _run_prod(server, workers, port, log, demo):
    env = dict(os.environ, ASGI_SERVER=server)
    command = [sys.executable, "bin/run-prod", "--port", str(port), "--workers", str(workers)]
    if demo:
        command.append("--demo")
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)




def _stop(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _token(base, username):
    request = urllib.request.Request(f"{base}/api/v1/auth/token/", method="POST",
                                     data=json.dumps({"username": username, "password": PASSWORD}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["token"]


def _pct(values, p):
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000, 1) if ordered else None


class Figures:
    def __init__(self):
        self.decisions, self.decide_latency, self.submitted = 0, [], 0
        self.errors = {}

    def error(self, what):
        self.errors[what] = self.errors.get(what, 0) + 1


async def _editor(http, base, auth, account, stop_at, figures, number):
    serial = 0
    while time.monotonic() < stop_at:
        serial += 1
        response = await http.post(f"{base}/api/v1/drafts/", headers=auth, json={
            "account": account, "title": f"负载测试稿件 {number}-{serial}-{random.randrange(10**6)}",
            "body": "<p>全校师生参加秋季运动会。</p>"})
        if response.status_code != 201:
            figures.error(f"draft {response.status_code}")
            continue
        response = await http.post(f"{base}/api/v1/drafts/{response.json()['id']}/submit/", headers=auth, json={})
        if response.status_code not in (200, 201):
            figures.error(f"submit {response.status_code}")
            continue
        figures.submitted += 1


async def _reviewer(http, base, auth, tier, index, count, stop_at, figures):
    while time.monotonic() < stop_at:
        response = await http.get(f"{base}/api/v1/review-queue/", headers=auth, params={"page_size": 50})
        if response.status_code != 200:
            figures.error(f"queue {response.status_code}")
            continue
        ids = [item["submission"]["id"] for item in response.json()["results"]]
        mine = [pk for pk in ids if pk % count == index]
        if not mine:
            await asyncio.sleep(0.05)
            continue
        for pk in mine:
            if time.monotonic() >= stop_at:
                break
            started = time.perf_counter()
            response = await http.post(f"{base}/api/v1/submissions/{pk}/decide/", headers=auth,
                                       json={"verdicts": ALL_PASS, "tier": tier})
            if response.status_code == 200:
                figures.decide_latency.append(time.perf_counter() - started)
                figures.decisions += 1
            else:
                figures.error(f"decide {response.status_code} {response.json().get('code')}")


async def work(base, tokens, account, *, reviewers, editors, seconds):
    import httpx

    figures = Figures()
    clients = editors + 3 * reviewers
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=60) as http:
        started = time.monotonic()
        stop_at = started + seconds
        jobs = [_editor(http, base, {"Authorization": f"Token {tokens['editor']}"}, account, stop_at, figures, n)
                for n in range(editors)]
        for tier in (1, 2, 3):
            auth = {"Authorization": f"Token {tokens[f'reviewer{tier}']}"}
            jobs += [_reviewer(http, base, auth, tier, i, reviewers, stop_at, figures) for i in range(reviewers)]
        await asyncio.gather(*jobs)
        elapsed = time.monotonic() - started
    return {"seconds": round(elapsed, 1), "submitted": figures.submitted, "decisions": figures.decisions,
            "decisions_per_s": round(figures.decisions / elapsed, 2),
            "p50_ms": _pct(figures.decide_latency, 50), "p95_ms": _pct(figures.decide_latency, 95),
            "p99_ms": _pct(figures.decide_latency, 99), "errors": figures.errors}


def _session_cookie(base, username):
    import re
    import urllib.parse
    from http.cookiejar import CookieJar

    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login/", timeout=30).read().decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"username": username, "password": PASSWORD, "csrfmiddlewaretoken": csrf}).encode()
    opener.open(urllib.request.Request(base + "/login/", headers={"Referer": base + "/login/"}, data=data),
                timeout=30).read()
    return "sessionid=" + {c.name: c.value for c in jar}["sessionid"]


async def fan_out(base, tokens, account, *, sockets, decisions=5):
    """``sockets`` queue pages of reviewer1; for each of ``decisions`` submissions,
    the delay from sending reviewer1's decision (its transaction commits before
    the answer, so this is an upper bound of commit-to-page) to each page's
    ``left`` event for it."""
    import httpx
    import websockets

    cookie = _session_cookie(base, "reviewer1")
    ws_url = base.replace("http", "ws", 1) + "/ws/live/?topics=queue"
    arrivals = {}   # (submission id, event) -> [monotonic arrival per socket]
    connected = []

    async def listen(socket_):
        async for raw in socket_:
            message = json.loads(raw)
            if message.get("type") == "queue":
                arrivals.setdefault((message["submission"], message.get("event")), []).append(time.monotonic())

    for _ in range(sockets):  # one after another: bounded, and every handshake answered
        socket_ = await websockets.connect(ws_url, additional_headers={"Cookie": cookie, "Origin": base},
                                           open_timeout=30, max_queue=None)
        hello = json.loads(await asyncio.wait_for(socket_.recv(), 30))
        assert hello["type"] == "hello", hello
        connected.append(socket_)
    listeners = [asyncio.create_task(listen(s)) for s in connected]
    delays, missing = [], 0
    editor = {"Authorization": f"Token {tokens['editor']}"}
    reviewer = {"Authorization": f"Token {tokens['reviewer1']}"}

    async def all_arrived(key, timeout=10):
        deadline = time.monotonic() + timeout
        while len(arrivals.get(key, [])) < sockets and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        return arrivals.get(key, [])

    async with httpx.AsyncClient(timeout=60) as http:
        for n in range(decisions):
            draft = (await http.post(f"{base}/api/v1/drafts/", headers=editor, json={
                "account": account, "title": f"推送延迟测试 {n}-{random.randrange(10**6)}", "body": "<p>推送。</p>"})).json()
            response = await http.post(f"{base}/api/v1/drafts/{draft['id']}/submit/", headers=editor, json={})
            pk = response.json()["submission"]["id"]
            await all_arrived((pk, "entered"))
            sent = time.monotonic()
            response = await http.post(f"{base}/api/v1/submissions/{pk}/decide/", headers=reviewer,
                                       json={"verdicts": ALL_PASS, "tier": 1})
            assert response.status_code == 200, response.text
            got = await all_arrived((pk, "left"))
            missing += sockets - len(got)
            delays += [t - sent for t in got]
    for task in listeners:
        task.cancel()
    for socket_ in connected:
        await socket_.close()
    return {"sockets": sockets, "decisions": decisions, "events": len(delays), "missing": missing,
            "p50_ms": _pct(delays, 50), "p95_ms": _pct(delays, 95), "max_ms": _pct(delays, 100)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--server", default=os.environ.get("ASGI_SERVER", "granian"), choices=("granian", "uvicorn"))
    parser.add_argument("--reviewers", type=int, default=4, help="clients per tier")
    parser.add_argument("--editors", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--ws-clients", type=int, default=200)
    parser.add_argument("--log", default=str(ROOT / "var" / "load_work.log"))
    args = parser.parse_args(argv)
    if not 0 < args.seconds <= MAX_SECONDS or not 1 <= args.editors + 3 * args.reviewers <= MAX_CLIENTS \
            or not 0 <= args.ws_clients <= MAX_SOCKETS:
        parser.error(f"--seconds up to {MAX_SECONDS}, at most {MAX_CLIENTS} clients and {MAX_SOCKETS} sockets")
    worker_counts = [int(w) for w in args.workers.split(",")]
    Path(args.log).parent.mkdir(parents=True, exist_ok=True)
    results, tokens, fan = {}, {}, None
    with open(args.log, "w") as log:
        for position, workers in enumerate(worker_counts):
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            process = _run_prod(args.server, workers, port, log, demo=position == 0)
            try:
                wait_ready(base, process, name="load_work", timeout=180)
                if not tokens:  # tokens outlive the server (the database keeps them); the endpoint is throttled
                    tokens = {name: _token(base, name) for name in ("editor", "reviewer1", "reviewer2", "reviewer3")}
                request = urllib.request.Request(f"{base}/api/v1/accounts/?org=GZ01&platform=wechat",
                                                 headers={"Authorization": f"Token {tokens['editor']}"})
                with urllib.request.urlopen(request, timeout=30) as response:
                    account = json.load(response)["results"][0]["id"]
                figures = asyncio.run(work(base, tokens, account, reviewers=args.reviewers, editors=args.editors,
                                           seconds=args.seconds))
                results[workers] = figures
                print(json.dumps({"server": args.server, "workers": workers, **figures}, ensure_ascii=False),
                      flush=True)
                if position == len(worker_counts) - 1 and args.ws_clients:
                    fan = asyncio.run(fan_out(base, tokens, account, sockets=args.ws_clients))
                    print(json.dumps({"fan_out": fan, "workers": workers}, ensure_ascii=False), flush=True)
            finally:
                _stop(process)
    print(f"\n{args.server}: reviewers working the queue ({args.reviewers} clients per tier, {args.editors} editors,"
          f" {args.seconds:g} s)")
    print("workers  decisions/s  p50 ms  p95 ms  p99 ms  errors")
    for workers, f in results.items():
        print(f"{workers:7}  {f['decisions_per_s']:11.2f}  {f['p50_ms']!s:>6}  {f['p95_ms']!s:>6}  {f['p99_ms']!s:>6}"
              f"  {sum(f['errors'].values())}")
    if 1 in results and 2 in results and results[1]["decisions_per_s"]:
        ratio = results[2]["decisions_per_s"] / results[1]["decisions_per_s"]
        print(f"scaling 2 workers / 1 worker: {ratio:.2f}x (goal >= 1.7x)")
    if fan:
        print(f"websocket fan-out: {fan['sockets']} queue pages, {fan['events']} events, {fan['missing']} missing;"
              f" decision to page p50 {fan['p50_ms']} ms, p95 {fan['p95_ms']} ms (goal <= 1000 ms),"
              f" max {fan['max_ms']} ms")
    errors = sum(sum(f["errors"].values()) for f in results.values()) + (fan["missing"] if fan else 0)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
