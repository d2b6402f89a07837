"""What the database benchmarks share: Django set up on the benchmark's
database (a SQLite file under var/ unless DATABASE_URL says otherwise), and a
scratch database created and dropped around the run by the test runner's own
machinery. Not a benchmark itself (bench/run.py runs bench_*.py only)."""
import contextlib
import os
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def setup_django():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench.sqlite3'}")
    import django

    django.setup()


@contextlib.contextmanager
def scratch_database():
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        yield
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
