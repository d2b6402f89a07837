"""Production settings: DEBUG off unless DJANGO_DEBUG=1, start-up refused
without DJANGO_SECRET_KEY or DJANGO_ALLOWED_HOSTS, var/dev.env for a
development checkout, the cache on Redis when REDIS_URL is set. Each case is a
real process started with an environment of its own."""
import subprocess
import sys

import pytest

from tests.production.conftest import ROOT, production_env

PRINT_SETTINGS = ("from django.conf import settings; "
                  "print(settings.DEBUG, settings.CACHES['default']['BACKEND'], settings.LOG_FORMAT, "
                  "settings.SECURE_SSL_REDIRECT, settings.SESSION_COOKIE_SECURE, sep='|')")


def run_python(code, env):
    return subprocess.run([sys.executable, "-c", "import django; django.setup(); " + code], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def run_manage(args, env):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture
def var_dir(tmp_path):
    """A data directory without a dev.env (a production installation's)."""
    path = tmp_path / "var"
    path.mkdir()
    return path


def test_without_debug_a_missing_secret_key_and_hosts_stop_start_up_with_a_message(var_dir):
    result = run_manage(["check"], production_env(VAR_DIR=str(var_dir)))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "DJANGO_DEBUG is off" in result.stderr
    assert "DJANGO_SECRET_KEY is not set" in result.stderr
    assert "DJANGO_ALLOWED_HOSTS is not set" in result.stderr
    assert "set DJANGO_DEBUG=1" in result.stderr


def test_each_missing_variable_is_named_alone(var_dir):
    only_hosts = run_manage(["check"], production_env(VAR_DIR=str(var_dir), DJANGO_SECRET_KEY="k" * 50))
    assert only_hosts.returncode == 2
    assert "DJANGO_ALLOWED_HOSTS is not set" in only_hosts.stderr and "DJANGO_SECRET_KEY" not in only_hosts.stderr
    only_key = run_manage(["check"], production_env(VAR_DIR=str(var_dir), DJANGO_ALLOWED_HOSTS="review.example"))
    assert only_key.returncode == 2
    assert "DJANGO_SECRET_KEY is not set" in only_key.stderr and "DJANGO_ALLOWED_HOSTS" not in only_key.stderr


def test_the_development_key_is_refused_in_production(var_dir):
    from project.settings import DEV_SECRET_KEY

    result = run_manage(["check"], production_env(VAR_DIR=str(var_dir), DJANGO_SECRET_KEY=DEV_SECRET_KEY,
                                                  DJANGO_ALLOWED_HOSTS="review.example"))
    assert result.returncode == 2 and "DJANGO_SECRET_KEY is the development key" in result.stderr


def test_the_asgi_application_refuses_to_start_too(var_dir):
    result = subprocess.run([sys.executable, "-c", "import project.asgi"], cwd=ROOT,
                            env=production_env(VAR_DIR=str(var_dir)), capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "DJANGO_SECRET_KEY is not set" in result.stderr


def test_with_secret_and_hosts_production_starts_with_debug_off(var_dir):
    env = production_env(VAR_DIR=str(var_dir), DJANGO_SECRET_KEY="k" * 50, DJANGO_ALLOWED_HOSTS="review.example")
    result = run_python(PRINT_SETTINGS, env)
    assert result.returncode == 0, result.stderr
    # Debug off, the per-process cache without Redis, JSON logs, HTTPS redirect and Secure cookies on.
    assert result.stdout.strip() == "False|django.core.cache.backends.locmem.LocMemCache|json|True|True"


def test_debug_is_off_unless_djangos_debug_is_one(var_dir):
    env = production_env(VAR_DIR=str(var_dir), DJANGO_SECRET_KEY="k" * 50, DJANGO_ALLOWED_HOSTS="review.example",
                         DJANGO_DEBUG="1")
    assert run_python(PRINT_SETTINGS, env).stdout.startswith("True|")
    env["DJANGO_DEBUG"] = "0"
    assert run_python(PRINT_SETTINGS, env).stdout.startswith("False|")


def test_a_development_checkout_reads_var_dev_env_and_needs_nothing_set(var_dir):
    (var_dir / "dev.env").write_text("# written by make\nDJANGO_DEBUG=1\nLOG_FORMAT=text\n")
    env = production_env(VAR_DIR=str(var_dir))
    result = run_python(PRINT_SETTINGS, env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True|django.core.cache.backends.locmem.LocMemCache|text|False|False"
    # The README's management commands, with nothing set by hand.
    migrate = run_manage(["migrate", "--noinput"], env)
    assert migrate.returncode == 0, migrate.stderr
    verify = run_manage(["audit_verify"], env)
    assert verify.returncode == 0 and "OK count=0" in verify.stdout


def test_the_environment_wins_over_dev_env(var_dir):
    """A production process that finds a stray dev.env still runs as production:
    it sets DJANGO_DEBUG=0, which dev.env never overrides."""
    (var_dir / "dev.env").write_text("DJANGO_DEBUG=1\nLOG_FORMAT=text\n")
    result = run_manage(["check"], production_env(VAR_DIR=str(var_dir), DJANGO_DEBUG="0"))
    assert result.returncode == 2 and "DJANGO_SECRET_KEY is not set" in result.stderr
    env = production_env(VAR_DIR=str(var_dir), DJANGO_DEBUG="0", DJANGO_SECRET_KEY="k" * 50,
                         DJANGO_ALLOWED_HOSTS="review.example", LOG_FORMAT="json")
    assert run_python(PRINT_SETTINGS, env).stdout.strip().split("|")[:3] == \
        ["False", "django.core.cache.backends.locmem.LocMemCache", "json"]


def test_redis_url_gives_the_cache_and_the_channel_layer(var_dir):
    env = production_env(VAR_DIR=str(var_dir), DJANGO_SECRET_KEY="k" * 50, DJANGO_ALLOWED_HOSTS="review.example",
                         REDIS_URL="redis://127.0.0.1:6379/3")
    result = run_python("from django.conf import settings; print(settings.CACHES['default']['BACKEND'], "
                        "settings.CACHES['default']['LOCATION'], settings.CHANNEL_LAYERS['default']['BACKEND'])",
                        env)
    assert result.stdout.split() == ["project.cache.ForgivingRedisCache", "redis://127.0.0.1:6379/3",
                                     "channels_redis.core.RedisChannelLayer"]


def test_postgresql_connections_are_pooled_and_health_checked(var_dir):
    env = production_env(VAR_DIR=str(var_dir), DJANGO_SECRET_KEY="k" * 50, DJANGO_ALLOWED_HOSTS="review.example",
                         DATABASE_URL="postgres://u:p@127.0.0.1:5432/db")
    code = ("from django.conf import settings; d = settings.DATABASES['default']; "
            "print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'], sorted(d['OPTIONS']['pool']), "
            "d['OPTIONS']['connect_timeout'], sep='|')")
    assert run_python(code, env).stdout.strip() == "0|True|['max_size', 'min_size', 'reconnect_timeout', 'timeout']|5"
    env.update(DB_POOL="0", DB_CONN_MAX_AGE="60")
    code = ("from django.conf import settings; d = settings.DATABASES['default']; "
            "print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'], 'pool' in d['OPTIONS'], sep='|')")
    assert run_python(code, env).stdout.strip() == "60|True|False"
