"""Counters in the shared cache, one command per count.

The registry's throttle counts every public request of a client in the default cache,
which every process of a deployment shares (Redis in production). Through Django's cache
API that is two or three commands (`RedisCache.incr` is EXISTS then INCRBY, and a
window's first count an `add` besides), each through a new Redis client object and a
pool checkout with its health poll: more CPU than a cached verify answer. On Redis a
count is therefore one EVALSHA of a short Lua script (INCR, and EXPIRE on the window's
first count: atomic on the server), sent on a connection kept for counting alone, under
the key Django's cache uses (`cache.make_key`), so `cache.get(key)` reads the same
count. Any other cache (a process's memory in the tests, the demo's file cache) goes
through the cache API.
"""

import hashlib
import os
import weakref

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

INCR_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then
    redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return count
"""
INCR_SHA = hashlib.sha1(INCR_SCRIPT.encode()).hexdigest()  # noqa: S324 - Redis's script id
# `EVALSHA <sha> 1 <key> <timeout>` in RESP, up to the key: packed once, not per count.
_EVALSHA_HEAD = b"*5\r\n$7\r\nEVALSHA\r\n$40\r\n%s\r\n$1\r\n1\r\n" % INCR_SHA.encode()


def _evalsha(key, timeout):
    key, timeout = key.encode(), str(timeout).encode()
    return b"%s$%d\r\n%s\r\n$%d\r\n%s\r\n" % (
        _EVALSHA_HEAD,
        len(key),
        key,
        len(timeout),
        timeout,
    )


class RedisCounter:
    """One connection to the cache's write server (the first), used only for counting.

    Django's cache objects are per thread, and so is this (see `_counter`); after a
    fork the child opens its own connection (redis-py leaves the parent's socket
    alone in a child). A lost connection is reopened once per count; a server that
    forgot the script (restarted, SCRIPT FLUSH) is sent it whole with EVAL, which
    also makes it known again."""

    def __init__(self, cache):
        pool = cache._cache.get_client(write=True).connection_pool  # the cache's own settings
        self.connection_class = pool.connection_class
        self.connection_kwargs = dict(pool.connection_kwargs)
        self.pid = None
        self.connection = None

    def _connection(self):
        if self.pid != os.getpid():
            self.connection = self.connection_class(**self.connection_kwargs)
            self.pid = os.getpid()
        return self.connection

    def count(self, key, timeout):
        from redis.exceptions import ConnectionError, NoScriptError, TimeoutError

        connection = self._connection()
        for retry in (True, False):
            try:
                try:
                    connection.send_packed_command([_evalsha(key, timeout)])
                    return int(connection.read_response())
                except NoScriptError:
                    connection.send_command("EVAL", INCR_SCRIPT, 1, key, timeout)
                    return int(connection.read_response())
            except (ConnectionError, TimeoutError):
                connection.disconnect()
                if not retry:
                    raise
        raise AssertionError("unreachable")


_counters = weakref.WeakKeyDictionary()  # cache object -> its RedisCounter


def _counter(cache):
    """The RedisCounter of `cache`, or None when it is not Django's Redis cache."""
    counter = _counters.get(cache)
    if counter is None and isinstance(cache, RedisCache):
        counter = _counters[cache] = RedisCounter(cache)
    return counter


def count(key, *, timeout, alias="default"):
    """Add one to the counter `key` of cache `alias` and return the new count. A counter
    that does not exist yet starts at 1 and lives `timeout` seconds from then."""
    cache = caches[alias]
    counter = _counter(cache)
    if counter is not None:
        return counter.count(cache.make_key(key), int(timeout))
    try:  # the counter exists but for the first count
        return cache.incr(key)
    except ValueError:
        # (add fails when another process created it meanwhile)
        if cache.add(key, 1, timeout=timeout):
            return 1
        return cache.incr(key)
