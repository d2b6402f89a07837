"""A migrated SQLite database file, made once per test session, for the tests
that start processes of their own (the worker, the scheduler, make run's
supervisor): each copies it into its own scratch directory."""
import functools
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@functools.cache
def migrated_sqlite():
    var = Path(tempfile.mkdtemp(prefix="migrated-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(VAR_DIR=str(var), DATABASE_URL=f"sqlite:///{var / 'db.sqlite3'}")
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True,
                   timeout=300)
    return var / "db.sqlite3"
