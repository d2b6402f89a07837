"""bin/restore-drill against a scratch PostgreSQL: the private instance of
bin/services holding the demo data that bin/run-prod loaded (its audit log has
the demo's entries). The drill must pass on a good backup and fail, naming the
entry, on one whose audit log was rewritten."""
import glob
import os
import subprocess
import sys
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from tests.production.conftest import ROOT, production_env

pytestmark = pytest.mark.services


def drill_env(prod_server):
    settings = prod_server.services.settings
    return production_env(DJANGO_SECRET_KEY="k" * 50, DJANGO_ALLOWED_HOSTS="127.0.0.1",
                          VAR_DIR=prod_server.env["VAR_DIR"], DATABASE_URL=settings["DATABASE_URL"],
                          PG_BINDIR=sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1])


def drill(env, *args):
    return subprocess.run([sys.executable, "bin/restore-drill", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)


def scratch_databases(url):
    with psycopg.connect(urlunsplit(urlsplit(url)._replace(scheme="postgresql", path="/postgres"))) as conn:
        return [name for (name,) in conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE 'restore_drill_%'")]


def test_a_fresh_backup_restores_and_its_audit_log_verifies(prod_server):
    env = drill_env(prod_server)
    result = drill(env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1. backup: pg_dump --format=custom postgres://review:***@" in result.stdout  # no password shown
    assert "restore drill passed" in result.stdout
    assert "audit_verify: OK count=" in result.stdout
    count = int(result.stdout.split("audit_verify: OK count=")[1].split()[0])
    assert count > 10  # the demo data's trail
    assert scratch_databases(env["DATABASE_URL"]) == []  # dropped afterwards


def _run(command, env):
    subprocess.run(command, check=True, capture_output=True, env=env, timeout=300)


def test_a_backup_with_a_rewritten_audit_entry_fails_the_drill(prod_server, tmp_path):
    """Forge a backup: restore a good one, rewrite an entry's data behind the
    triggers' back (as the database owner), dump that. The drill must say no."""
    env = drill_env(prod_server)
    bindir = env["PG_BINDIR"]
    url = urlsplit(env["DATABASE_URL"])
    pg_env = dict(os.environ, PGPASSWORD=url.password, PGHOST="127.0.0.1", PGPORT=str(url.port),
                  PGUSER=url.username)
    good, forged = tmp_path / "good.dump", tmp_path / "forged.dump"
    _run([f"{bindir}/pg_dump", "--format=custom", "--no-owner", f"--file={good}", "--dbname=review"], pg_env)
    _run([f"{bindir}/createdb", "forgery"], pg_env)
    try:
        _run([f"{bindir}/pg_restore", "--no-owner", "--dbname=forgery", str(good)], pg_env)
        with psycopg.connect(f"host=127.0.0.1 port={url.port} user={url.username} password={url.password} "
                             "dbname=forgery") as conn:
            conn.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER USER")
            seq = conn.execute("SELECT seq FROM audit_auditentry ORDER BY seq OFFSET 3 LIMIT 1").fetchone()[0]
            conn.execute("UPDATE audit_auditentry SET source_ip = '203.0.113.9' WHERE seq = %s", (seq,))
            conn.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER USER")
        _run([f"{bindir}/pg_dump", "--format=custom", "--no-owner", f"--file={forged}", "--dbname=forgery"], pg_env)
    finally:
        _run([f"{bindir}/dropdb", "--if-exists", "forgery"], pg_env)

    assert drill(env, "--dump", str(good)).returncode == 0
    result = drill(env, "--dump", str(forged))
    assert result.returncode == 1
    assert "FAILED: manage.py audit_verify failed" in result.stdout
    assert f"first_broken_seq={seq}" in result.stdout
    assert scratch_databases(env["DATABASE_URL"]) == []


def test_an_unreadable_backup_fails_the_drill(prod_server, tmp_path):
    broken = tmp_path / "broken.dump"
    broken.write_bytes(b"PGDMP not really an archive")
    result = drill(drill_env(prod_server), "--dump", str(broken))
    assert result.returncode == 1 and "FAILED: pg_restore --list failed" in result.stdout
    missing = drill(drill_env(prod_server), "--dump", str(tmp_path / "none.dump"))
    assert missing.returncode == 1 and "no backup file" in missing.stdout
