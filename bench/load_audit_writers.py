"""Audited writes from 1, 4 and 16 concurrent writers against the same writes
unaudited: what the single chain-head lock costs (make bench-load runs it).

    .venv/bin/python bench/load_audit_writers.py [--writers 1,4,16] [--seconds 5]

Needs PostgreSQL (DATABASE_URL, else the one `make services` wrote to
var/services.env): on SQLite every writer waits for the file lock anyway.
It creates a scratch database (the test runner's machinery, dropped after),
one account per writer, and forks the writers (processes, each with its own
connection), released together. Each writer repeats a registry change of its
own account (``content.services.account_change``: lock the row, save, a
filing, and one audit entry, in one transaction) for ``--seconds``; then the
same with auditing switched off (``audit.services.set_enabled(False)``, the
switch bench_engine's transition figure uses). No two writers touch the same
account, so what they share with auditing on is the chain head.
"""
import argparse
import multiprocessing
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))


def _services_env():
    path = Path(os.environ.get("SERVICES_ENV", ROOT / "var" / "services.env"))
    if not path.exists():
        return
    for line in path.read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            os.environ.setdefault(key.strip(), value.strip())


def _writer(index, account_id, actor_id, audited, seconds, barrier, results):
    from django.db import connections

    from audit import services as audit_services
    from content import services as content_services
    from content.models import User

    try:
        audit_services.set_enabled(audited)
        actor = User.objects.get(pk=actor_id)
        barrier.wait(timeout=60)
        done, serial, stop_at = 0, 0, time.monotonic() + seconds
        while time.monotonic() < stop_at:
            serial += 1
            content_services.account_change(actor=actor, account_id=account_id,
                                            changes={"remarks": f"写入 {index}-{serial}"})
            done += 1
        results.put(done)
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        results.put(f"{type(exc).__name__}: {exc}")
    finally:
        connections.close_all()


def measure(accounts, actor_id, writers, audited, seconds):
    from django.db import connections

    context = multiprocessing.get_context("fork")
    connections.close_all()
    barrier, results = context.Barrier(writers), context.Queue()
    processes = [context.Process(target=_writer, args=(i, accounts[i], actor_id, audited, seconds, barrier, results))
                 for i in range(writers)]
    for process in processes:
        process.start()
    answers = [results.get(timeout=seconds + 120) for _ in processes]
    for process in processes:
        process.join(timeout=30)
    failures = [answer for answer in answers if not isinstance(answer, int)]
    if failures:
        raise SystemExit(f"load_audit_writers: {len(failures)} writer(s) failed: {failures[0]}")
    return sum(answers) / seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writers", default="1,4,16")
    parser.add_argument("--seconds", type=float, default=5)
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.writers.split(",")]
    if not all(1 <= n <= 32 for n in counts) or not 0 < args.seconds <= 60:
        parser.error("--writers 1..32 each, --seconds up to 60")
    _services_env()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("load_audit_writers: needs PostgreSQL (make services, or DATABASE_URL)")
    # One plain connection per process: a psycopg pool's threads do not survive the fork.
    os.environ["DB_POOL"] = "0"
    from scratch import scratch_database, setup_django

    setup_django()
    with scratch_database():
        from audit.selectors import chain_verify
        from tests import factories
        from tests.factories import World

        world = World()
        accounts = [factories.account(world.school, name=f"写入测试{i}", handle=f"writers-{i}").pk
                    for i in range(max(counts))]
        rows = []
        for writers in counts:
            audited = measure(accounts, world.manager.pk, writers, True, args.seconds)
            unaudited = measure(accounts, world.manager.pk, writers, False, args.seconds)
            rows.append((writers, audited, unaudited))
            print(f"{writers:2} writers: audited {audited:7.1f} writes/s, unaudited {unaudited:7.1f} writes/s, "
                  f"audited/unaudited {audited / unaudited:.2f}", flush=True)
        verified = chain_verify()
        print(f"audit chain after the audited writes: {'verifies' if verified.ok else 'BROKEN'}")
    base = rows[0][1]
    print("\nwriters  audited/s  unaudited/s  ratio  audited scaling vs 1 writer")
    for writers, audited, unaudited in rows:
        print(f"{writers:7}  {audited:9.1f}  {unaudited:11.1f}  {audited / unaudited:5.2f}  {audited / base:5.2f}x")
    return 0 if verified.ok else 1


if __name__ == "__main__":
    sys.exit(main())
