"""docs/test-vectors/ checked as an outside verifier would, with libraries the registry
does not sign with: jwcrypto for JWS and JWT, plain base64 and gzip for the status lists.
And the vectors still are what the registry's code makes (same bytes)."""

import base64
import gzip
import json
from pathlib import Path

import pytest
from jwcrypto import jwk, jws

from registry.vectors import build

FOLDER = Path(__file__).resolve().parents[2] / "docs" / "test-vectors"
INDEX = json.loads((FOLDER / "index.json").read_text())


def read(name):
    return (FOLDER / name).read_text().strip()


def b64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def check_signature(token, keys):
    """The payload, or the outcome a verifier must stop at: unknown_key, bad_signature."""
    header = json.loads(b64url(token.split(".")[0]))
    assert header["alg"] == "EdDSA"
    key = keys.get_key(header["kid"])
    if key is None:
        return "unknown_key", None
    obj = jws.JWS()
    obj.deserialize(token)
    try:
        obj.verify(key, alg="EdDSA")
    except jws.InvalidJWSSignature:
        return "bad_signature", None
    return None, (header, json.loads(obj.payload))


def status_bit(keys, entry):
    """The bit a BitstringStatusListEntry points at, from the signed list it names."""
    failure, checked = check_signature(
        read(INDEX["status_lists"][entry["statusListCredential"]]), keys
    )
    assert failure is None
    subject = checked[1]["credentialSubject"]
    assert subject["statusPurpose"] == entry["statusPurpose"]
    assert subject["encodedList"][0] == "u"
    bitstring = gzip.decompress(b64url(subject["encodedList"][1:]))
    assert len(bitstring) * 8 >= 131_072
    index = int(entry["statusListIndex"])
    return (bitstring[index // 8] >> (7 - index % 8)) & 1


def outcome(vector, keys):
    failure, checked = check_signature(read(vector["file"]), keys)
    if failure:
        return failure
    header, claims = checked
    if vector["kind"] == "vc+jwt":
        assert header["typ"] == "vc+jwt"
        assert claims["@context"][0] == "https://www.w3.org/ns/credentials/v2"
        entries = claims["credentialStatus"]
        assert {e["statusPurpose"] for e in entries} == {"revocation", "suspension"}
        for entry in entries:
            assert entry["type"] == "BitstringStatusListEntry"
            if status_bit(keys, entry):
                return "revoked" if entry["statusPurpose"] == "revocation" else "suspended"
    if vector["kind"] == "status-list":
        assert claims["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    return "valid"


@pytest.mark.parametrize("vector", INDEX["vectors"], ids=lambda v: v["file"])
def test_a_verifier_reaches_the_stated_outcome(vector):
    keys = jwk.JWKSet.from_json((FOLDER / INDEX["jwks"]).read_text())
    assert outcome(vector, keys) == vector["outcome"]


def test_every_outcome_has_a_vector():
    assert {v["outcome"] for v in INDEX["vectors"]} == set(INDEX["outcomes"])


def test_the_vectors_are_what_the_code_makes_now():
    """Regenerate with `manage.py registry_test_vectors` when a format changes."""
    made = build()
    assert sorted(made) == sorted(
        p.name for p in FOLDER.iterdir() if p.is_file() and p.name != "README.md"
    )
    for name, text in made.items():
        assert (FOLDER / name).read_text() == text, name
