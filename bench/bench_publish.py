"""Publishing to WeChat through the simulator: deliveries per second with 1 and
several task workers, and the time from the publish click to *published* (p95)
with the PUBLISHJOBFINISH callback and with polling only.

    .venv/bin/python bench/bench_publish.py [--items 30] [--workers 3]

Real processes on loopback: the WeChat simulator (granian), the web server
that receives its callback (granian, project.asgi), ``manage.py db_worker``
task workers; a scratch database (a SQLite file under a temporary VAR_DIR, or
PostgreSQL when DATABASE_URL names it: a scratch database bench_publish_<pid>).
The simulator finishes each job after 0.2 s. Baselines, measured in the same
run: one worker for the throughput, the callback for the latency.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.channel_support import SimulatorServer, free_port  # noqa: E402


def _admin(url):
    """The server's maintenance database ``postgres``, autocommit (CREATE/DROP DATABASE)."""
    import psycopg

    split = urlsplit(url)
    return psycopg.connect(urlunsplit(split._replace(scheme="postgresql", path="/postgres")), autocommit=True)


def scratch_database_url(var_dir):
    """(the scratch database's URL, a function dropping it)."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        name = f"bench_publish_{os.getpid()}"
        with _admin(url) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')

        def drop():
            from django.db import connections

            connections.close_all()
            with _admin(url) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        return urlunsplit(urlsplit(url)._replace(path=f"/{name}")), drop
    return f"sqlite:///{var_dir / 'bench.sqlite3'}", lambda: None


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


class Run:
    def __init__(self, env):
        self.env = env
        self.procs = []

    def start(self, argv, log):
        self.procs.append(subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT))

    def stop(self):
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.procs = []


def measure(*, items, workers, callback, env, sim, web_url, log):
    """Publish ``items`` approved submissions at once; returns (deliveries/s, click→published seconds)."""
    from django.utils import timezone

    from content import services as content_services
    from content.models import Organization, Publication
    from tests.workflow.helpers import approve_all, new_draft, submit
    from workflow import services

    suffix = str(Organization.objects.count())
    world = bench_world(suffix)
    app_id = f"wxbench{suffix}{workers}{int(callback)}"
    channel = content_services.channel_set(actor=world.admin, account_id=world.account.pk, kind="wechat",
                                           app_id=app_id, app_secret="bench-app-secret-0123456789",
                                           api_base=sim.base)
    sim.control("accounts", app_id=app_id, secret="bench-app-secret-0123456789",
                callback_url=f"{web_url}/hooks/wechat/{world.account.pk}/" if callback else "",
                callback_token=channel.callback_token, publish_delay=0.2, drop_callback=not callback,
                submit_quota=100000, get_quota=100000)
    subs = [approve_all(world, submit(world, new_draft(world, title=f"基准稿件 {i}"))) for i in range(items)]
    run = Run(env)
    for _ in range(workers):
        run.start([sys.executable, "manage.py", "db_worker", "--no-reload", "--interval", "0.05"], log)
    time.sleep(2)  # the workers start
    clicks = {}
    started = time.monotonic()
    for sub in subs:
        clicked = timezone.now()
        pub = services.submission_publish(actor=world.publisher, submission_id=sub.pk).publication
        clicks[pub.pk] = clicked
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        left = Publication.objects.filter(pk__in=list(clicks), state="sending").count()
        if left == 0:
            break
        time.sleep(0.05)
    elapsed = time.monotonic() - started
    run.stop()
    done = Publication.objects.filter(pk__in=list(clicks), state="published")
    latencies = [(p.delivered_at - clicks[p.pk]).total_seconds() for p in done]
    failed = Publication.objects.filter(pk__in=list(clicks)).exclude(state="published").count()
    return len(latencies) / elapsed, latencies, failed


def bench_world(suffix):
    """A unit, an account and its editor, reviewers, publisher and administrator, like tests/factories.World,
    with codes and usernames of its own, so that several fit one database."""
    from types import SimpleNamespace

    from content import roles
    from tests import factories

    world = SimpleNamespace()

    world.province = factories.org(f"B{suffix}", kind="province", name=f"基准省{suffix}", short_name=f"基准省{suffix}")
    world.school = factories.org(f"B{suffix}S", parent=world.province, kind="school", name=f"基准学校{suffix}",
                                 short_name=f"基准学校{suffix}")
    world.account = factories.account(world.school, name=f"基准公众号{suffix}", platform="wechat", handle=f"b{suffix}")
    world.editor = factories.user(f"bench_editor{suffix}", org_=world.school, roles_=[roles.EDITOR])
    world.publisher = factories.user(f"bench_publisher{suffix}", org_=world.school, roles_=[roles.PUBLISHER])
    world.admin = factories.user(f"bench_admin{suffix}", org_=world.province, roles_=[roles.SYSTEM_ADMIN])
    world.reviewers = [factories.user(f"bench_reviewer{suffix}_{i}", org_=world.province, roles_=[roles.REVIEWER])
                       for i in (1, 2, 3)]
    factories.grant(world.account, world.editor, "draft_account")
    factories.grant(world.account, world.publisher, "publish_account")
    for i, reviewer in enumerate(world.reviewers, start=1):
        factories.tier(reviewer, i, org_=world.province)
    return world


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=30)
    parser.add_argument("--workers", type=int, default=3)
    args = parser.parse_args()
    var_dir = Path(tempfile.mkdtemp(prefix="bench-publish-"))
    web_port = free_port()
    env = {**os.environ, "VAR_DIR": str(var_dir), "DJANGO_DEBUG": "1", "DJANGO_SETTINGS_MODULE": "project.settings",
           "LOG_LEVEL": "WARNING", "NOTIFY_EMAIL": "0", "WECHAT_POLL_SECONDS": "0.5",
           "PUBLISH_SITE_URL": f"http://127.0.0.1:{web_port}", "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost"}
    env["DATABASE_URL"], drop_database = scratch_database_url(var_dir)
    os.environ.update(env)
    log = open(var_dir / "processes.log", "w")
    subprocess.check_call([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env)
    import django

    django.setup()
    sim = SimulatorServer().start()
    web = Run(env)
    web.start([str(Path(sys.executable).parent / "granian"), "--interface", "asgi", "--host", "127.0.0.1",
               "--port", str(web_port), "--no-ws", "--log-level", "warning", "project.asgi:application"], log)
    time.sleep(3)
    web_url = f"http://127.0.0.1:{web_port}"
    try:
        from django.db import connection

        print(f"database: {connection.vendor}; {args.items} publications each; simulator job time 0.2 s; "
              f"polling every 0.5 s (then with back-off)")
        results = {}
        for label, workers, callback in (("1 worker, callback", 1, True),
                                         (f"{args.workers} workers, callback", args.workers, True),
                                         (f"{args.workers} workers, polling only", args.workers, False)):
            rate, latencies, failed = measure(items=args.items, workers=workers, callback=callback, env=env, sim=sim,
                                              web_url=web_url, log=log)
            results[label] = (rate, latencies)
            p50 = statistics.median(latencies) if latencies else float("nan")
            p95 = percentile(latencies, 95) if latencies else float("nan")
            print(f"  {label:<28} {rate:6.1f} deliveries/s   click→published p50 {p50:5.2f} s  p95 {p95:5.2f} s"
                  f"   not published: {failed}")
        base_rate = results["1 worker, callback"][0]
        several = results[f"{args.workers} workers, callback"]
        polling = results[f"{args.workers} workers, polling only"]
        print(f"  throughput {args.workers} workers / 1 worker (baseline): {several[0] / base_rate:.2f}x")
        if several[1] and polling[1]:
            print(f"  p95 polling / callback (baseline): "
                  f"{percentile(polling[1], 95) / percentile(several[1], 95):.2f}x")
    finally:
        web.stop()
        sim.stop()
        log.close()
        drop_database()


if __name__ == "__main__":
    main()
