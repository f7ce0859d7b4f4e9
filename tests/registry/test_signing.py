"""Signed answers checked as a verifier would: with joserfc and only the served JWKS."""

import json

import pytest
from django.core.management import call_command
from joserfc import jws
from joserfc.jwk import KeySet

from registry.models import SigningKey
from tests.registry.conftest import day

pytestmark = pytest.mark.django_db
URL = "/api/v1/registry/verify/"


def served_keys(api):
    response = api.get("/.well-known/jwks.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/jwk-set+json"
    return KeySet.import_key_set(json.loads(response.content))


def check(token, keys):
    obj = jws.deserialize_compact(token, keys, algorithms=["EdDSA"])
    return obj.headers(), json.loads(obj.payload)


def signed(api, **params):
    response = api.get(URL, params, HTTP_ACCEPT="application/jose")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/jose"
    return response.content.decode("ascii")


def test_signed_answer_is_the_same_payload_verifiable_with_the_jwks(api, history):
    provider = history.provider()
    history.decide(provider, when=day("2025-01-10"))
    history.publish()
    params = {"identifier": "schac:uni.example.org", "at": "2025-03-01"}
    token = signed(api, **params)
    assert token.count(".") == 2
    header, payload = check(token, served_keys(api))
    assert header["alg"] == "EdDSA" and header["kid"] == SigningKey.objects.get(active=True).kid
    plain = api.get(URL, params).json()
    assert {k: v for k, v in payload.items() if k != "checked_at"} == {
        k: v for k, v in plain.items() if k != "checked_at"
    }
    assert payload["trusted"] is True


def test_tampered_answer_fails_verification(api, history):
    token = signed(api, identifier="schac:nobody.example.org")
    head, body, sig = token.split(".")
    forged = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    with pytest.raises(Exception):  # noqa: B017 - any verification error will do
        check(f"{head}.{forged}.{sig}", served_keys(api))


def test_first_use_creates_one_key(api, history):
    assert not SigningKey.objects.exists()
    keys = api.get("/.well-known/jwks.json").json()["keys"]
    assert len(keys) == 1
    assert keys[0]["kty"] == "OKP" and keys[0]["crv"] == "Ed25519" and "d" not in keys[0]
    key = SigningKey.objects.get()
    assert key.active
    assert b"PRIVATE" not in bytes(key.private_key_encrypted)


def test_rotation_keeps_old_keys_published_and_old_signatures_valid(api, history):
    old_token = signed(api, identifier="schac:nobody.example.org")
    old_kid = SigningKey.objects.get(active=True).kid
    call_command("registry_rotate_key", "--immediately", stdout=open("/dev/null", "w"))  # noqa: SIM115
    new_kid = SigningKey.objects.get(active=True).kid
    assert new_kid != old_kid
    assert SigningKey.objects.get(kid=old_kid).retired_at is not None
    keys = served_keys(api)
    assert {k.kid for k in keys.keys} == {old_kid, new_kid}
    assert check(old_token, keys)[0]["kid"] == old_kid
    new_token = signed(api, identifier="schac:nobody.example.org")
    assert check(new_token, keys)[0]["kid"] == new_kid


def test_private_key_is_unusable_without_the_secret(history, settings):
    from cryptography.fernet import InvalidToken

    from registry import signing

    signing.active_key()
    settings.REGISTRY_KEY_SECRET = "another secret"
    signing._cache.update(key=None, loaded=0.0, jwks=None)
    with pytest.raises(InvalidToken):
        signing.active_key()
    signing._cache.update(key=None, loaded=0.0, jwks=None)
