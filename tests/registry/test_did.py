"""The agency's did:web document and pre-announced key rotation, checked as a verifier
would: with the served JWKS (or DID document) and jwcrypto, across two processes."""

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from jwcrypto import jwk, jws

from registry import signing
from registry.models import SigningKey

pytestmark = pytest.mark.django_db
VERIFY = "/api/v1/registry/verify/"
ROOT = Path(__file__).resolve().parents[2]


def verify_with(token, keyset):
    """The payload when `token` verifies with a key of `keyset` named by its kid."""
    header = json.loads(jws.base64url_decode(token.split(".")[0]))
    key = keyset.get_key(header["kid"])
    if key is None:
        raise LookupError(f"unknown key {header['kid']}")
    obj = jws.JWS()
    obj.deserialize(token)
    obj.verify(key, alg="EdDSA")
    return json.loads(obj.payload)


def served_jwks(api):
    return jwk.JWKSet.from_json(api.get("/.well-known/jwks.json").content)


def signed(api):
    response = api.get(
        VERIFY, {"identifier": "schac:nobody.example.org"}, HTTP_ACCEPT="application/jose"
    )
    assert response.status_code == 200
    return response.content.decode("ascii")


def test_did_document_lists_the_same_keys_as_the_jwks(api, settings):
    settings.MCQA_SITE_URL = "https://qa.example.org"
    signing._forget()
    signed(api)
    signing.rotate_key()  # a next key: published in both before it signs
    signing._forget()
    response = api.get("/.well-known/did.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/did+json"
    assert response["Cache-Control"] == f"public, max-age={settings.REGISTRY_JWKS_MAX_AGE}"
    doc = response.json()
    assert doc["id"] == "did:web:qa.example.org"
    keys = api.get("/.well-known/jwks.json").json()["keys"]
    assert len(keys) == 2
    assert [m["publicKeyJwk"] for m in doc["verificationMethod"]] == keys
    assert [m["id"] for m in doc["verificationMethod"]] == [
        f"did:web:qa.example.org#{k['kid']}" for k in keys
    ]
    assert all(m["controller"] == doc["id"] for m in doc["verificationMethod"])
    assert doc["assertionMethod"] == [m["id"] for m in doc["verificationMethod"]]
    assert all("d" not in m["publicKeyJwk"] for m in doc["verificationMethod"])


def test_agency_did_from_the_site_address_unless_set(api, settings):
    settings.MCQA_SITE_URL = "https://qa.example.org:8443/"
    assert api.get("/.well-known/did.json").json()["id"] == "did:web:qa.example.org%3A8443"
    settings.MCQA_AGENCY_DID = "did:web:agency.example.eu"
    assert api.get("/.well-known/did.json").json()["id"] == "did:web:agency.example.eu"
    answer = api.get(VERIFY, {"identifier": "schac:nobody.example.org"}).json()
    assert answer["issuer"] == {
        "id": "did:web:agency.example.eu",
        "name": settings.MCQA_AGENCY_NAME,
    }


def test_rotation_announces_the_next_key_before_it_signs(api):
    first = verify_with(signed(api), served_jwks(api))  # creates the first key
    assert first["status"] == "none"
    old = SigningKey.objects.get(active=True)
    before = timezone.now()
    call_command("registry_rotate_key", stdout=open(os.devnull, "w"))  # noqa: SIM115
    new = SigningKey.objects.exclude(pk=old.pk).get()
    assert new.state == "next" and not new.active
    delay = settings.REGISTRY_JWKS_MAX_AGE + signing._CACHE_SECONDS
    assert new.activates_at >= before + datetime.timedelta(seconds=delay)
    signing._forget()
    assert {k["kid"] for k in api.get("/.well-known/jwks.json").json()["keys"]} == {
        old.kid,
        new.kid,
    }
    token = signed(api)
    assert json.loads(jws.base64url_decode(token.split(".")[0]))["kid"] == old.kid
    with pytest.raises(CommandError, match="already announced"):
        call_command("registry_rotate_key", stdout=open(os.devnull, "w"))  # noqa: SIM115


def test_next_key_signs_once_its_time_has_come_and_the_old_one_retires(api):
    signed(api)
    old = SigningKey.objects.get(active=True)
    new = signing.rotate_key()
    SigningKey.objects.filter(pk=new.pk).update(activates_at=timezone.now())
    signing._forget()
    header = json.loads(jws.base64url_decode(signed(api).split(".")[0]))
    assert header["kid"] == new.kid
    old.refresh_from_db()
    assert old.state == "retired" and old.retired_at is not None
    assert SigningKey.objects.get(active=True).pk == new.pk


def test_immediate_rotation_retires_an_announced_key_too(api):
    signed(api)
    announced = signing.rotate_key()
    call_command("registry_rotate_key", "--immediately", stdout=open(os.devnull, "w"))  # noqa: SIM115
    announced.refresh_from_db()
    assert announced.state == "retired"
    assert SigningKey.objects.filter(active=True).count() == 1


SIGNER = """
import sys, django
django.setup()
from django.utils import timezone
from registry import signing
from registry.models import SigningKey
if sys.argv[1] == "activate":
    due = SigningKey.objects.filter(active=False, retired_at__isnull=True)
    due.update(activates_at=timezone.now())
print(signing.sign({"signed_by": "other process"}))
"""


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_verifier_with_the_jwks_from_before_the_switch_verifies_every_later_signature(api):
    """Two processes share one database: this one (web) and a subprocess. The subprocess
    holds the old key in its cache; the rotation announces a new key; a verifier fetches
    the JWKS once, before any process signs with the new key. Every signature made
    afterwards, by either process, with the old key or the new, verifies with it."""
    assert connection.vendor == "postgresql", "this test needs DATABASE_URL on PostgreSQL"
    db = connection.settings_dict
    url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_URL": url}

    def other_process(mode):
        result = subprocess.run(
            [sys.executable, "-c", SIGNER, mode],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip().splitlines()[-1]

    first = other_process("sign")  # the other process creates and caches the first key
    before = served_jwks(api)  # a verifier's copy from before the rotation
    signing.rotate_key()  # announced: published now, signing later
    signing._forget()
    other_announced = other_process("sign")  # announced, not due: still the old key
    here_announced = signed(api)
    for token in (first, other_announced, here_announced):
        verify_with(token, before)
    held = served_jwks(api)  # taken after the announcement, before the switch
    after_switch = other_process("activate")  # its time has come, in the other process
    signing._forget()
    here_after = signed(api)
    kid = {t: json.loads(jws.base64url_decode(t.split(".")[0]))["kid"] for t in (first, here_after)}
    assert kid[first] != kid[here_after]
    for token in (first, other_announced, here_announced, after_switch, here_after):
        verify_with(token, held)
    with pytest.raises(LookupError):  # the pre-rotation copy is stale only after the switch
        verify_with(here_after, before)
