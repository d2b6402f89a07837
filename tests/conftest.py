import os
from importlib import import_module
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.db.models.signals import post_migrate
from django.dispatch import receiver

from tests.factories import World

ROOT = Path(__file__).resolve().parent.parent
BROWSER_TESTS = ROOT / "tests" / "browser"
# Files that start servers or many processes and take minutes on a two-core machine, longest first.
LONG_FILES = ("tests/production/test_serving.py", "tests/workflow/test_process_races.py",
              "tests/production/test_restore_drill.py", "tests/project/test_task_worker_kill.py",
              "tests/browser/test_story.py", "tests/browser/test_review_offices.py", "tests/browser/test_xss.py",
              "tests/browser/test_live.py", "tests/production/test_settings.py", "tests/project/test_run_dev.py",
              "tests/project/test_tasks_worker.py", "tests/production/test_nginx.py")


def _one_redis_namespace_per_worker():
    """With REDIS_URL set (make test-postgres), every pytest-xdist worker shares
    one Redis database. Each worker gets its own cache key prefix and channel
    layer prefix here (before either is first used), and emptying the cache
    deletes only the worker's own keys: a FLUSHDB from one worker's test used to
    wipe another's throttle counts and the channel layer's group memberships in
    the middle of a test."""
    from django.conf import settings

    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker or not getattr(settings, "REDIS_URL", ""):
        return
    for alias in settings.CACHES:
        settings.CACHES[alias]["KEY_PREFIX"] = f"test-{worker}"
    settings.CHANNEL_LAYERS["default"].setdefault("CONFIG", {})["prefix"] = f"asgi-{worker}"


_one_redis_namespace_per_worker()


def clear_cache():
    """Empty the default cache: on Redis only this process's keys (its prefix)."""
    from django.conf import settings
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    cache = caches["default"]
    if isinstance(cache, RedisCache):
        prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
        client = cache._cache.get_client(write=True)
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
    else:
        cache.clear()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Every test under tests/browser/ is marked ``browser`` here, so a new one
    cannot forget it and ``-m "not browser"`` is the quick run. ``tryfirst``: the
    marks must be on the items before pytest's own hook deselects by ``-m``.

    The browser tests run once, in ``make test`` (SQLite): against PostgreSQL
    they repeated the same stories through the same pages (about 7 minutes of
    the suite on the two-core CI machine) while the services, the API, the
    pages through Django's client and the process races run there anyway.
    ``BROWSER_ON_POSTGRES=1`` runs them in the PostgreSQL suite too."""
    skip = None
    if (os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
            and os.environ.get("BROWSER_ON_POSTGRES") != "1"):
        skip = pytest.mark.skip(reason="the browser tests run with make test (SQLite); "
                                       "BROWSER_ON_POSTGRES=1 runs them against PostgreSQL too")
    for item in items:
        if BROWSER_TESTS in item.path.parents:
            item.add_marker(pytest.mark.browser)
            if skip is not None:
                item.add_marker(skip)


class _LongFilesFirst:
    """In the PostgreSQL suite, the files that take minutes run first: pytest-xdist hands a
    file to a process in collection order (--dist loadfile), and the production files, handed
    out last, kept one process busy for minutes after the other had finished everything else.
    ``trylast``: after pytest-django's own sort (by kind of database use), which would undo it."""

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items):
        first = {ROOT / name: rank for rank, name in enumerate(LONG_FILES)}
        items.sort(key=lambda item: first.get(item.path, len(first)))  # stable: the rest keep their order


def pytest_configure(config):
    if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        config.pluginmanager.register(_LongFilesFirst(), "long-files-first")


@receiver(post_migrate)
def _reload_migration_data_after_a_flush(sender, **kwargs):
    """A transactional test ends by flushing every table, and Django then sends
    ``post_migrate`` (which puts back content types and permissions). The
    shipped lexicon, loaded by a data migration, is put back here in the same
    way, so a later test in that process — wherever pytest-xdist placed it —
    finds the database as the migrations left it. The migration's loader is
    idempotent: after the migrations themselves it adds nothing."""
    if sender.label == "reviewers":
        import_module("reviewers.migrations.0003_load_shipped_lexicon").load(django_apps, None)


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """Tests create many users; the production hasher (PBKDF2, about a million
    iterations) made fixture set-up dominate the suite's time. MD5 is for tests only."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache():
    """Counts kept in the cache (the sign-in rate limit per address, the API
    throttles) start from zero in every test."""
    clear_cache()
    yield
    clear_cache()


@pytest.fixture(autouse=True)
def _evidence_packs_in_tmp(settings, tmp_path):
    """Evidence packs built by tests go to the test's own directory, not var/packs."""
    settings.AUDIT_PACK_DIR = tmp_path / "packs"


@pytest.fixture
def as_user(client):
    """``as_user(user)``: the test client, logged in as ``user``."""
    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def world(db):
    return World()


@pytest.fixture
def on_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises every writer, so a race there proves nothing "
                    "(run `make test-postgres`)")
    return True
