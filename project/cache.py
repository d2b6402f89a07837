"""The cache when REDIS_URL is set: Django's Redis cache backend, forgiving a
Redis that is down.

Django's ``RedisCache`` raises when Redis cannot be reached, so the API
throttle's counter (and any other cache read) would turn a Redis outage into
500s. What this project keeps in the cache is best effort by design (throttle
counts, the task worker's heartbeat; login lockouts are counted in the
database), so while Redis is away a read misses, a write is dropped, and a
warning is logged (once a minute per process, not once per request); when
Redis returns the same connection pool serves again. Requests go on working.
"""
import functools
import logging
import time

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger("project.cache")

WARN_EVERY_SECONDS = 60
_last_warning = [0.0]


def _warn(operation, exc):
    now = time.monotonic()
    if now - _last_warning[0] >= WARN_EVERY_SECONDS:
        _last_warning[0] = now
        logger.warning("cache unavailable (%s: %s): %s skipped; requests carry on without the cache",
                       type(exc).__name__, exc, operation)


def _forgiving(method, on_failure):
    """``method`` of RedisCache, answering ``on_failure(*args)`` when Redis fails."""
    @functools.wraps(method)
    def call(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except RedisError as exc:
            _warn(method.__name__, exc)
            return on_failure(*args, **kwargs)
    return call


def _missing_key(key, *args, **kwargs):
    raise ValueError(f"Key '{key}' not found (the cache is unavailable)")


class ForgivingRedisCache(RedisCache):
    get = _forgiving(RedisCache.get, lambda key, default=None, *a, **k: default)
    get_many = _forgiving(RedisCache.get_many, lambda *a, **k: {})
    has_key = _forgiving(RedisCache.has_key, lambda *a, **k: False)
    set = _forgiving(RedisCache.set, lambda *a, **k: None)
    add = _forgiving(RedisCache.add, lambda *a, **k: False)
    set_many = _forgiving(RedisCache.set_many, lambda data, *a, **k: list(data))
    touch = _forgiving(RedisCache.touch, lambda *a, **k: False)
    delete = _forgiving(RedisCache.delete, lambda *a, **k: False)
    delete_many = _forgiving(RedisCache.delete_many, lambda *a, **k: None)
    incr = _forgiving(RedisCache.incr, _missing_key)  # as for a missing key (decr calls incr)
