"""Anonymous access, throttling per client, caching headers and conditional GET."""

import json

import pytest
from django.core.cache import cache
from joserfc import jws
from joserfc.jwk import KeySet

from tests.registry.conftest import day

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(history):
    provider = history.provider()
    history.decide(provider, when=day("2025-01-10"))
    history.publish()
    return provider


def test_anonymous_needs_no_csrf_or_auth(published):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    assert client.get("/api/v1/registry/providers/").status_code == 200
    assert (
        client.get("/api/v1/registry/verify/?identifier=schac:uni.example.org").status_code == 200
    )


def test_throttle_answers_429_with_retry_after(api, published, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"registry": "3/minute"},
    }
    cache.clear()
    url = "/api/v1/registry/verify/?identifier=schac:uni.example.org"
    assert [api.get(url).status_code for _ in range(3)] == [200, 200, 200]
    response = api.get(url)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert api.get("/api/v1/registry/providers/").status_code == 429
    export = api.get("/api/v1/registry/export/?format=csv")
    assert export.status_code == 429 and int(export["Retry-After"]) >= 1


def test_throttle_is_per_client(api, published, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"registry": "2/minute"},
    }
    cache.clear()
    url = "/api/v1/registry/providers/"
    for _ in range(2):
        api.get(url, REMOTE_ADDR="10.0.0.1")
    assert api.get(url, REMOTE_ADDR="10.0.0.1").status_code == 429
    assert api.get(url, REMOTE_ADDR="10.0.0.2").status_code == 200


@pytest.mark.parametrize(
    "url",
    ["/api/v1/registry/providers/", "/api/v1/registry/changes/?after=0", "/.well-known/jwks.json"],
)
def test_etag_and_conditional_get(api, published, url):
    first = api.get(url)
    assert first.status_code == 200
    assert "max-age" in first["Cache-Control"]
    etag = first["ETag"]
    again = api.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    assert api.get(url, HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_detail_has_last_modified_and_etag_changes_with_a_new_event(api, history, published):
    url = f"/api/v1/registry/providers/{published.pk}/"
    first = api.get(url)
    assert first["Last-Modified"] and first["ETag"]
    assert api.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304
    history.decide(published, name="reject")
    history.publish()
    changed = api.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]
    listing = api.get("/api/v1/registry/providers/")
    assert listing["Last-Modified"]


def test_verify_is_not_cached_and_varies_on_accept(api, published):
    response = api.get("/api/v1/registry/verify/?identifier=schac:uni.example.org")
    assert response["Cache-Control"] == "no-cache"
    assert "Accept" in response["Vary"]


def test_atom_feed_for_people(client, published):
    response = client.get("/registry/changes.atom")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    text = response.content.decode()
    assert "Example University: Decision: positive" in text
    assert "Example University: Accreditation created" in text


def test_atom_feed_says_why_an_accreditation_was_suspended(client, history):
    provider = history.provider()
    _, _, acc = history.decide(provider)
    history.change(acc, "suspend", reason="complaint", comment="Exams were not invigilated.")
    text = client.get("/registry/changes.atom").content.decode()
    assert "Reason: A complaint. Exams were not invigilated." in text


def test_public_api_is_readable_cross_origin(api, published):
    response = api.get("/api/v1/registry/verify/?identifier=schac:uni.example.org")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert api.get("/.well-known/jwks.json")["Access-Control-Allow-Origin"] == "*"


def test_any_accept_header_gets_json_unless_jose_is_asked(api, published):
    url = "/api/v1/registry/verify/?identifier=schac:uni.example.org"
    for accept in ("text/html", "*/*", "application/xml;q=0.9", ""):
        response = api.get(url, HTTP_ACCEPT=accept)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
    signed = api.get(url, HTTP_ACCEPT="application/json;q=0.5, application/jose")
    assert signed["Content-Type"] == "application/jose"


def rf_jwks(rf):
    from registry.views import jwks_view

    return jwks_view(rf.get("/.well-known/jwks.json")).content


VERIFY_CASES = [
    ("get", "identifier=schac:uni.example.org", "application/json"),
    ("get", "identifier=schac:uni.example.org&at=2025-01-09", "application/json"),
    ("get", "identifier=schac:nobody.example.org", "*/*"),
    ("get", "identifier=schac:uni.example.org&at=2025-02-01", "application/jose"),
    ("get", "identifier=nonsense", "application/json"),
    ("get", "identifier=schac:x&course=abc", "application/jose"),  # errors are never signed
    ("head", "identifier=schac:uni.example.org", "application/json"),
    ("post", "identifier=schac:uni.example.org", "application/json"),
    ("options", "", "application/json"),
]
COMPARED_HEADERS = ("Content-Type", "Cache-Control", "Vary", "Allow", "Access-Control-Allow-Origin")


@pytest.mark.parametrize(("method", "query", "accept"), VERIFY_CASES)
def test_verify_fast_path_answers_as_the_drf_view(rf, published, method, query, accept):
    """The URL's view skips DRF's request machinery for GET and HEAD; its answers must
    be the ones the documented DRF view gives: status, body and headers."""
    from registry.api import VerifyView, verify_view

    drf_view = VerifyView.as_view()
    path = "/api/v1/registry/verify/" + (f"?{query}" if query else "")

    def answer(view):
        cache.clear()  # the same throttle state for both
        request = getattr(rf, method)(path, HTTP_ACCEPT=accept)
        response = view(request)
        if hasattr(response, "render"):
            response.render()
        return response

    fast, slow = answer(verify_view), answer(drf_view)
    assert fast.status_code == slow.status_code
    for name in COMPARED_HEADERS:
        assert fast.get(name) == slow.get(name), name
    if fast.status_code != 200 or method not in ("get", "head"):
        assert fast.content == slow.content
        return
    if accept == "application/jose":  # the same payload signed by the same key
        keys = KeySet.import_key_set(json.loads(rf_jwks(rf)))
        fast_body, slow_body = (
            json.loads(jws.deserialize_compact(r.content.decode(), keys, ["EdDSA"]).payload)
            for r in (fast, slow)
        )
    else:
        fast_body, slow_body = json.loads(fast.content), json.loads(slow.content)
    # `checked_at` (and `as_of` when no moment is asked) is the time of each call.
    for body in (fast_body, slow_body):
        body.pop("checked_at")
        if "at=" not in query:
            body.pop("as_of")
    assert fast_body == slow_body
    # Nobody, or a moment before the provider's first decision: unknown to the registry.
    unknown = "nobody" in query or "at=2025-01-09" in query
    assert (fast_body["provider"] is None) == unknown


def test_verify_fast_path_throttles_as_the_api(api, published, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"registry": "2/minute"},
    }
    url = "/api/v1/registry/verify/?identifier=schac:uni.example.org"
    assert [api.get(url).status_code for _ in range(2)] == [200, 200]
    refused = api.get(url, HTTP_ACCEPT="application/jose")
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/json"
    assert refused.json()["detail"].startswith("Request was throttled")
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused["Access-Control-Allow-Origin"] == "*"


def test_verify_endpoint_stays_documented_in_the_schema(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"]["/api/v1/registry/verify/"]["get"]
    assert operation["operationId"] == "registry_verify"
    assert {p["name"] for p in operation["parameters"]} >= {"identifier", "course", "at"}
