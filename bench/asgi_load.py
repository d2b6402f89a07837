"""Load benchmark of the ASGI serving: N concurrent clients for a bounded time
against the API's review queue, on a server on this machine.

    # against a server that runs (make run-prod DEMO=1):
    .venv/bin/python bench/asgi_load.py --url http://127.0.0.1:8000 [--clients 16] [--seconds 20]

    # the comparison: bin/run-prod with each ASGI server and worker count, repeated
    # (needs `make services` and the demo data, which --compare loads):
    .venv/bin/python bench/asgi_load.py --compare [--servers uvicorn,granian] [--workers 1,2] [--repeat 3]

Each client is an httpx connection with keep-alive that sends
``GET /api/v1/review-queue/`` (or ``--path``, e.g. ``/healthz`` for the
serving's own cost) as ``reviewer1`` (a token) again and again; the
figures are requests per second over the run, latency percentiles and the
count of answers other than 200. Only loopback addresses are accepted, the
run stops by itself (at most 120 s, 256 clients), and nothing is written.
Not part of `make bench` (it needs PostgreSQL, Redis and minutes).
"""
import argparse
import asyncio
import ipaddress
import json
import os
import signal
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from serving import free_port, wait_ready  # bench/serving.py (this folder is on sys.path when run)

ROOT = Path(__file__).resolve().parent.parent
QUEUE_PATH = "/api/v1/review-queue/"
MAX_SECONDS = 120
MAX_CLIENTS = 256


def _loopback_only(url):
    host = urllib.parse.urlsplit(url).hostname or ""
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise SystemExit(f"asgi_load: {host!r} is not a loopback address; this benchmark only loads this machine")


def token_for(base, username, password):
    request = urllib.request.Request(f"{base}/api/v1/auth/token/", method="POST",
                                     data=json.dumps({"username": username, "password": password}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["token"]


async def _client(http, url, headers, stop_at, latencies, statuses):
    import httpx

    while time.monotonic() < stop_at:
        started = time.perf_counter()
        try:
            response = await http.get(url, headers=headers)
            await response.aread()
            status = response.status_code
        except httpx.HTTPError as exc:
            status = type(exc).__name__
        latencies.append(time.perf_counter() - started)
        statuses[status] = statuses.get(status, 0) + 1


async def load(base, *, clients, seconds, path=QUEUE_PATH, token=None):
    import httpx

    headers = {"Authorization": f"Token {token}"} if token else {}
    latencies, statuses = [], {}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=30) as http:
        # Warm-up: one request per client, not counted.
        await asyncio.gather(*(http.get(base + path, headers=headers) for _ in range(clients)))
        started = time.monotonic()
        stop_at = started + seconds
        await asyncio.gather(*(_client(http, base + path, headers, stop_at, latencies, statuses)
                               for _ in range(clients)))
        elapsed = time.monotonic() - started
    ordered = sorted(latencies)

    def pct(p):
        return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000, 1) if ordered else None

    return {"requests": len(latencies), "seconds": round(elapsed, 1), "rps": round(len(latencies) / elapsed, 1),
            "p50_ms": pct(50), "p90_ms": pct(90), "p99_ms": pct(99),
            "non_200": {str(k): v for k, v in statuses.items() if k != 200}}


# ---------------------------------------------------------------- the comparison






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


def compare(servers, worker_counts, repeat, clients, seconds, log_path, path=QUEUE_PATH):
    results = []
    demo_loaded = False
    with open(log_path, "w") as log:
        for round_number in range(1, repeat + 1):
            for workers in worker_counts:
                for server in servers:
                    port = free_port()
                    base = f"http://127.0.0.1:{port}"
                    process = _run_prod(server, workers, port, log, demo=not demo_loaded)
                    demo_loaded = True
                    try:
                        wait_ready(base, process, name="asgi_load", timeout=120)
                        token = token_for(base, "reviewer1", "Demo@2026")
                        figures = asyncio.run(load(base, clients=clients, seconds=seconds, token=token, path=path))
                    finally:
                        _stop(process)
                    row = {"round": round_number, "server": server, "workers": workers, "clients": clients,
                           "path": path, **figures}
                    print(json.dumps(row, ensure_ascii=False), flush=True)
                    results.append(row)
    print("\nserver    workers  rps (each round)                 median rps  p50 ms  p99 ms")
    for workers in worker_counts:
        for server in servers:
            rows = [r for r in results if r["server"] == server and r["workers"] == workers]
            rates = [r["rps"] for r in rows]
            print(f"{server:9} {workers:7}  {', '.join(f'{x:.1f}' for x in rates):32} "
                  f"{statistics.median(rates):10.1f}  {statistics.median(r['p50_ms'] for r in rows):6.1f}  "
                  f"{statistics.median(r['p99_ms'] for r in rows):6.1f}")
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="base URL of a running server (loopback only)")
    parser.add_argument("--compare", action="store_true", help="start bin/run-prod for each server and worker count")
    parser.add_argument("--servers", default="uvicorn,granian")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--path", default=QUEUE_PATH, help="what to load (default: the API's review queue)")
    parser.add_argument("--user", default="reviewer1")
    parser.add_argument("--password", default="Demo@2026")
    parser.add_argument("--log", default=str(ROOT / "var" / "asgi_load.log"), help="the servers' output (--compare)")
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= MAX_CLIENTS or not 0 < args.seconds <= MAX_SECONDS:
        parser.error(f"--clients 1..{MAX_CLIENTS}, --seconds up to {MAX_SECONDS}")
    if args.compare:
        compare(args.servers.split(","), [int(w) for w in args.workers.split(",")], args.repeat, args.clients,
                args.seconds, args.log, path=args.path)
        return 0
    if not args.url:
        parser.error("--url or --compare")
    base = args.url.rstrip("/")
    _loopback_only(base)
    token = token_for(base, args.user, args.password)
    print(json.dumps(asyncio.run(load(base, clients=args.clients, seconds=args.seconds, token=token,
                                      path=args.path))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
