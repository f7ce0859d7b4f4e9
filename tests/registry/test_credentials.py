"""The accreditation as a W3C Verifiable Credential 2.0 secured as a JWT
(VC-JOSE-COSE), checked with jwcrypto against the served JWKS, and its JSON form."""

import json
import os
from pathlib import Path

import pytest
from django.core.management import call_command
from jwcrypto import jwk, jws

from registry.models import StatusListIndex
from tests.registry.conftest import day

pytestmark = pytest.mark.django_db


def url(pk):
    return f"/api/v1/registry/accreditations/{pk}/"


def verified(token, keys):
    header = json.loads(jws.base64url_decode(token.split(".")[0]))
    obj = jws.JWS()
    obj.deserialize(token)
    obj.verify(keys.get_key(header["kid"]), alg="EdDSA")
    return header, json.loads(obj.payload)


def served_keys(api):
    return jwk.JWKSet.from_json(api.get("/.well-known/jwks.json").content)


def test_accreditation_json_is_the_published_record(api, history):
    provider = history.provider()
    _, _, acc = history.decide(provider, eqf_levels=[5, 6], isced_fields=["06"])
    response = api.get(url(acc.pk))
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["provider"]["id"], body["scope"], body["status"]) == (
        acc.pk,
        provider.pk,
        "provider",
        "active",
    )
    assert body["eqf_levels"] == [5, 6] and body["isced_fields"] == ["06"]
    assert body["valid_until"] == acc.valid_until.isoformat()


def test_unknown_accreditation_is_404_in_every_form(api, history):
    assert api.get(url(999)).status_code == 404
    assert api.get(url(999), HTTP_ACCEPT="application/vc+jwt").status_code == 404


def test_vc_jwt_is_a_signed_vc_2_credential_with_two_status_entries(api, history, settings):
    settings.MCQA_SITE_URL = "https://qa.example.org"
    provider = history.provider()
    course = history.course(provider)
    _, _, acc = history.decide(provider, course=course, when=day("2025-01-10"))
    response = api.get(url(acc.pk), HTTP_ACCEPT="application/vc+jwt")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vc+jwt"
    assert "Accept" in response["Vary"]
    header, vc = verified(response.content.decode("ascii"), served_keys(api))
    assert header["typ"] == "vc+jwt" and header["cty"] == "vc"
    assert vc["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert vc["type"] == ["VerifiableCredential", "AccreditationCredential"]
    assert vc["issuer"]["id"] == "did:web:qa.example.org"
    assert vc["validFrom"] == f"{acc.valid_from.isoformat()}T00:00:00Z"
    assert vc["validUntil"] == f"{acc.valid_until.isoformat()}T23:59:59Z"
    subject = vc["credentialSubject"]
    assert subject["legalName"] == provider.legal_name
    assert {"scheme": "schac", "value": "uni.example.org"} in subject["identifiers"]
    scope = subject["accreditation"]
    assert scope["scope"] == "course" and scope["decision"] == "positive"
    assert scope["course"]["id"] == f"https://qa.example.org/registry/courses/{course.uid}/"
    index = str(StatusListIndex.objects.get(accreditation=acc).index)
    entries = {e["statusPurpose"]: e for e in vc["credentialStatus"]}
    assert set(entries) == {"revocation", "suspension"}
    for purpose, entry in entries.items():
        assert entry["type"] == "BitstringStatusListEntry"
        assert entry["statusListIndex"] == index
        assert entry["statusListCredential"] == (
            f"https://qa.example.org/api/v1/registry/status/{purpose}/"
        )


def test_a_provider_did_is_the_credential_subject(api, history):
    from tests.factories import IdentifierFactory

    provider = history.provider()
    IdentifierFactory(provider=provider, scheme="did", value="did:web:uni.example.org")
    _, _, acc = history.decide(provider)
    token = api.get(url(acc.pk), HTTP_ACCEPT="application/vc+jwt").content.decode()
    assert verified(token, served_keys(api))[1]["credentialSubject"]["id"] == (
        "did:web:uni.example.org"
    )


def test_publish_static_writes_status_lists_did_document_and_credentials(api, history, tmp_path):
    _, _, acc = history.decide(history.provider())
    history.change(acc, "suspend")
    call_command("registry_publish_static", str(tmp_path), stdout=open(os.devnull, "w"))  # noqa: SIM115
    keys = jwk.JWKSet.from_json((tmp_path / "jwks.json").read_text())
    did = json.loads((tmp_path / "did.json").read_text())
    assert [m["publicKeyJwk"]["kid"] for m in did["verificationMethod"]] == [
        k["kid"] for k in json.loads((tmp_path / "jwks.json").read_text())["keys"]
    ]
    _, vc = verified((tmp_path / f"accreditations/{acc.pk}.jwt").read_text(), keys)
    assert vc["id"].endswith(url(acc.pk))
    for purpose in ("revocation", "suspension"):
        _, status_list = verified((tmp_path / f"status/{purpose}.jwt").read_text(), keys)
        assert status_list["credentialSubject"]["statusPurpose"] == purpose
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert {"did.json", "status/revocation.jwt", f"accreditations/{acc.pk}.jwt"} <= set(
        manifest["files"]
    )
    assert (
        Path(tmp_path / "status/suspension.jwt").stat().st_size
        == (manifest["files"]["status/suspension.jwt"]["size"])
    )
