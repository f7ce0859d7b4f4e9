"""Rate limits that hold: one client address, counted once for every process.

The client is the socket peer unless `TRUSTED_PROXIES` names it (then the nearest
untrusted address of `X-Forwarded-For`, read from the right); the counts live in the
default cache, which every process of a deployment shares; the public registry pages and
the Atom feed are throttled like the API.
"""

import json
import os
import subprocess
import sys

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.cache import cache
from django.test import RequestFactory, override_settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from core.clients import client_address
from registry.models import RegistryProvider
from tests.factories import ProviderFactory, UserFactory

PASSWORD = "correct horse battery"  # tests.factories.UserFactory
TOKEN_URL = "/api/v1/auth/token/"
VERIFY_URL = "/api/v1/registry/verify/?identifier=schac:uni.example.org"
PROXY = "10.0.0.5"


@pytest.fixture(autouse=True)
def _clean_counts():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def registry_rate(settings):
    def set_rate(rate):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {
                **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                "registry": rate,
            },
        }

    return set_rate


@pytest.fixture
def auth_rate(monkeypatch):
    def set_rate(rate):
        monkeypatch.setattr(
            SimpleRateThrottle,
            "THROTTLE_RATES",
            {**SimpleRateThrottle.THROTTLE_RATES, "auth": rate},
        )

    return set_rate


def address(remote, forwarded=None, **extra):
    meta = {"REMOTE_ADDR": remote, **extra}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_address(RequestFactory().get("/", **meta))


# ------------------------------------------------------------------ the client address


def test_without_trusted_proxies_the_forwarded_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = []
    assert address("198.51.100.7", "203.0.113.1") == "198.51.100.7"


def test_a_peer_that_is_not_a_trusted_proxy_cannot_name_another_client(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert address("198.51.100.7", "203.0.113.1, 10.0.0.9") == "198.51.100.7"


def test_behind_trusted_proxies_the_nearest_untrusted_forwarded_address_is_the_client(
    settings,
):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "192.168.0.0/16"]
    # The client wrote "6.6.6.6"; the edge proxy appended what it saw, the inner one too.
    assert address(PROXY, "6.6.6.6, 203.0.113.1, 192.168.1.1") == "203.0.113.1"
    assert address(PROXY, "203.0.113.1") == "203.0.113.1"
    assert address(PROXY, "[2001:db8::7]:4431, 10.1.1.1") == "2001:db8::7"
    assert address(PROXY, "203.0.113.1:51234") == "203.0.113.1"
    assert address("::ffff:10.0.0.5", "203.0.113.1") == "203.0.113.1"


def test_behind_trusted_proxies_garbage_stops_the_walk_at_the_last_trusted_hop(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert address(PROXY, "203.0.113.1, unknown, 10.0.0.8") == "10.0.0.8"
    assert address(PROXY, "") == PROXY
    assert address(PROXY) == PROXY
    assert address(PROXY, "10.0.0.9, 10.0.0.8") == "10.0.0.9"


# ------------------------------------------------------------------ spoofing, API


@pytest.mark.django_db
def test_a_fresh_x_forwarded_for_per_request_is_still_throttled_at_the_token_endpoint(auth_rate):
    auth_rate("3/minute")
    UserFactory(username="alice")
    api = APIClient()
    statuses = [
        api.post(
            TOKEN_URL,
            {"username": "alice", "password": "wrong"},
            format="json",
            REMOTE_ADDR="198.51.100.7",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        ).status_code
        for n in range(5)
    ]
    assert statuses == [400, 400, 400, 429, 429]


@pytest.mark.django_db
def test_a_fresh_x_forwarded_for_per_request_is_still_throttled_at_verify(registry_rate):
    registry_rate("3/minute")
    api = APIClient()
    statuses = [
        api.get(
            VERIFY_URL, REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}"
        ).status_code
        for n in range(5)
    ]
    assert statuses[3:] == [429, 429]
    assert 429 not in statuses[:3]


@pytest.mark.django_db
def test_a_trusted_proxys_forwarded_address_is_honoured(settings, registry_rate):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    registry_rate("2/minute")
    api = APIClient()

    def get(forwarded):
        return api.get(VERIFY_URL, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)

    assert get("203.0.113.1").status_code == 200
    # What the client writes left of the proxy's entry changes nothing.
    assert get("6.6.6.6, 203.0.113.1").status_code == 200
    refused = get("7.7.7.7, 203.0.113.1")
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    # Another client behind the same proxy has its own count.
    assert get("203.0.113.2").status_code == 200


@pytest.mark.django_db
@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=3, TRUSTED_PROXIES=["10.0.0.0/8"])
def test_the_login_lockout_keys_on_the_same_client_address(client):
    """Behind the proxy, the lock-out closes on the client that guessed (whatever it
    writes in X-Forwarded-For) and not on everyone who shares the proxy."""
    UserFactory(username="alice")

    def login(forwarded, password="wrong"):
        return client.post(
            reverse("login"),
            {"username": "alice", "password": password},
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=forwarded,
        )

    for n in range(3):
        login(f"6.6.6.{n}, 203.0.113.1")
    assert login("9.9.9.9, 203.0.113.1", PASSWORD).status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.1"}
    assert login("203.0.113.2", PASSWORD).status_code == 302


# ------------------------------------------------------------------ pages and feed


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["search", "provider", "feed"])
def test_registry_pages_and_the_feed_are_throttled_like_the_api(client, registry_rate, page):
    entry = RegistryProvider.objects.create(
        provider=ProviderFactory(),
        legal_name="Throttled University",
        country="NL",
        updated_at=timezone.now(),
    )
    url = {
        "search": reverse("registry-search"),
        "provider": reverse("registry-provider", args=[entry.pk]),
        "feed": reverse("registry-changes-atom"),
    }[page]
    registry_rate("2/minute")
    assert [client.get(url).status_code for _ in range(2)] == [200, 200]
    refused = client.get(url)
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert b"Throttled University" not in refused.content
    # One count for the whole registry: the API is closed to this client too.
    assert client.get("/api/v1/registry/providers/").status_code == 429
    assert client.get(url, REMOTE_ADDR="198.51.100.99").status_code == 200


# ------------------------------------------------------------------ shared counts

PROBE = """
import json, sys
import django
django.setup()
from django.conf import settings
from django.test import RequestFactory
from registry.api import RegistryThrottle

allowed = 0
for _ in range(int(sys.argv[1])):
    request = RequestFactory().get("/registry/", REMOTE_ADDR="198.51.100.42")
    allowed += bool(RegistryThrottle().allow_request(request, None))
print(json.dumps({"allowed": allowed, "cache": settings.CACHES["default"]["BACKEND"]}))
"""


def probe(env, requests):
    """One process, `requests` requests of one client through the registry throttle."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(requests)],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def clean_env(**extra):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "MCQA_", "CACHE_", "REGISTRY_"))
    }
    # A day's window: the two processes run well inside one.
    return {**env, "REGISTRY_THROTTLE_RATE": "5/day", **extra}


def test_the_demo_processes_share_one_count(tmp_path):
    """`make demo` runs several processes on the demo settings: what one process
    counted, the next one sees."""
    env = clean_env(DJANGO_SETTINGS_MODULE="config.settings.demo", MCQA_VAR_DIR=str(tmp_path))
    first = probe(env, 3)
    second = probe(env, 3)
    assert first["allowed"] == 3
    assert second["allowed"] == 2, second


@pytest.mark.redis
def test_processes_on_redis_share_one_count():
    """Production's cache: two processes on the same Redis database."""
    url = os.environ.get("CACHE_URL", "")
    assert url.startswith("redis://"), "the redis leg sets CACHE_URL to a Redis database"
    env = clean_env(DJANGO_SETTINGS_MODULE="config.settings.test", CACHE_URL=url)
    cache.clear()  # this process is on the same database
    try:
        first = probe(env, 3)
        second = probe(env, 3)
    finally:
        cache.clear()
    assert first["cache"].endswith("RedisCache")
    assert (first["allowed"], second["allowed"]) == (3, 2)


@pytest.mark.django_db
def test_the_course_record_page_is_throttled_like_the_api(client, registry_rate):
    """Asking for course uids (known or not) counts like any registry page."""
    url = reverse("registry-course", args=["8d7f2f4e-8c55-4d8a-9a35-0d5f0b3c2a11"])
    registry_rate("2/minute")
    assert [client.get(url).status_code for _ in range(2)] == [404, 404]
    refused = client.get(url)
    assert refused.status_code == 429
    assert client.get("/api/v1/registry/providers/").status_code == 429
