"""A count in the shared cache starts at 1, lives its timeout from its first count, and
is the number Django's cache API reads under the same key; on Redis it survives a
server that forgot the script and a lost connection."""

import os

import pytest
from django.core.cache import caches
from django.test import override_settings

from core import counters


@pytest.fixture
def redis_cache():
    url = os.environ.get("CACHE_URL", "")
    assert url.startswith("redis://"), "the redis leg sets CACHE_URL to a Redis database"
    cache_settings = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url},
    }
    with override_settings(CACHES=cache_settings):
        cache = caches["default"]
        cache.delete("counter-test")
        yield cache
        cache.delete("counter-test")


def test_counts_in_the_cache_api_start_at_one_and_read_back():
    cache = caches["default"]
    cache.delete("counter-test")
    assert [counters.count("counter-test", timeout=60) for _ in range(3)] == [1, 2, 3]
    assert cache.get("counter-test") == 3
    cache.delete("counter-test")


@pytest.mark.redis
def test_a_redis_count_is_the_cache_keys_value_and_expires(redis_cache):
    assert [counters.count("counter-test", timeout=61) for _ in range(3)] == [1, 2, 3]
    assert redis_cache.get("counter-test") == 3
    client = redis_cache._cache.get_client(write=True)
    assert 0 < client.ttl(redis_cache.make_key("counter-test")) <= 61
    # Counting on does not extend the counter's life (a window ends when it ends).
    client.expire(redis_cache.make_key("counter-test"), 5)
    counters.count("counter-test", timeout=61)
    assert client.ttl(redis_cache.make_key("counter-test")) <= 5


@pytest.mark.redis
def test_a_redis_count_survives_a_flushed_script_and_a_lost_connection(redis_cache):
    assert counters.count("counter-test", timeout=61) == 1
    client = redis_cache._cache.get_client(write=True)
    client.script_flush()
    assert counters.count("counter-test", timeout=61) == 2
    counters._counter(redis_cache).connection.disconnect()
    assert counters.count("counter-test", timeout=61) == 3


def test_the_packed_count_command_is_what_redis_py_would_send():
    import redis

    packed = redis.Connection()._command_packer.pack(
        "EVALSHA", counters.INCR_SHA, 1, ":1:throttle_registry_2001:db8::1:29536", 61
    )
    assert counters._evalsha(":1:throttle_registry_2001:db8::1:29536", 61) == b"".join(packed)
