"""Test vectors for verifiers (`docs/test-vectors/`): signed answers, credentials and
status lists made by the registry's own code with fixed test keys, each with the
outcome a verifier must reach.

Everything is deterministic (Ed25519 signatures are, gzip is written without a
timestamp, every date is fixed), so `manage.py registry_test_vectors` rewrites the same
bytes and a test can tell when the vectors no longer match the code. The keys are
test keys derived from fixed seeds: never use them for anything else.
"""

import datetime
import hashlib
import json

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.test import override_settings

from . import credentials
from .signing import b64url, sign_with

SITE = "https://registry.example.org"
ISSUED = datetime.datetime(2026, 1, 15, 9, 30, tzinfo=datetime.UTC)
VALID, REVOKED, SUSPENDED = 5, 7, 8  # status-list indexes of the three credentials


def _key(seed, kid):
    private = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(seed).digest())
    raw = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    public = {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw), "kid": kid}
    public.update({"alg": "EdDSA", "use": "sig"})
    return private, public


def _tamper(token):
    """The token with one character of its payload changed (its signature no longer
    matches)."""
    head, body, sig = token.split(".")
    body = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    return f"{head}.{body}.{sig}"


def _credential(accreditation_id, index):
    return credentials.credential_document(
        accreditation_id=accreditation_id,
        index=index,
        outcome="positive",
        course=None,
        eqf_levels=[5, 6],
        isced_fields=["06"],
        valid_from=datetime.date(2026, 1, 15),
        valid_until=datetime.date(2031, 1, 14),
        provider={
            "id": accreditation_id,
            "legal_name": f"Example Provider {accreditation_id}",
            "country": "NL",
            "identifiers": [{"scheme": "schac", "value": f"p{accreditation_id}.example.org"}],
        },
        report=None,
    )


def build():
    """{file name: text} of every vector, `index.json` and `jwks.json` included."""
    key, public = _key(b"mcqa test vector key A", "test-2026-a")
    stranger, _ = _key(b"mcqa test vector key B (unpublished)", "test-2026-unpublished")
    files = {"jwks.json": json.dumps({"keys": [public]}, indent=2) + "\n"}
    vectors = []

    def add(name, token, kind, outcome, what):
        files[name] = token + "\n"
        vectors.append({"file": name, "kind": kind, "outcome": outcome, "description": what})

    with override_settings(MCQA_SITE_URL=SITE, MCQA_AGENCY_DID="", MCQA_AGENCY_NAME="Test QA"):
        issuer = {"id": credentials.agency_did(), "name": "Test QA"}
        answer = {
            "trusted": True,
            "status": "active",
            "provider": {"id": 1, "legal_name": "Example Provider 1", "country": "NL"},
            "accreditation": {"id": 1, "scope": "provider", "decision": "positive"},
            "as_of": "2026-02-01T23:59:59.999999Z",
            "checked_at": "2026-02-02T10:00:00Z",
            "query": {"identifier": "schac:p1.example.org", "course": None, "at": "2026-02-01"},
            "issuer": issuer,
        }
        signed = sign_with(key, public["kid"], answer)
        add("verify-answer.jws", signed, "jws", "valid", "a signed verify answer")
        add(
            "verify-answer-bad-signature.jws",
            _tamper(signed),
            "jws",
            "bad_signature",
            "the same answer with its payload altered",
        )
        add(
            "verify-answer-unknown-key.jws",
            sign_with(stranger, "test-2026-unpublished", answer),
            "jws",
            "unknown_key",
            "the answer signed by a key the JWKS does not list",
        )
        for purpose, index in (("revocation", REVOKED), ("suspension", SUSPENDED)):
            status_list = credentials.status_list_credential(purpose, [index], valid_from=ISSUED)
            add(
                f"status-{purpose}.jwt",
                sign_with(key, public["kid"], status_list, typ="vc+jwt", cty="vc"),
                "status-list",
                "valid",
                f"the {purpose} list, bit {index} set",
            )
        for name, index, outcome in (
            ("accreditation-valid.jwt", VALID, "valid"),
            ("accreditation-revoked.jwt", REVOKED, "revoked"),
            ("accreditation-suspended.jwt", SUSPENDED, "suspended"),
        ):
            vc = sign_with(key, public["kid"], _credential(index, index), typ="vc+jwt", cty="vc")
            add(name, vc, "vc+jwt", outcome, f"an accreditation credential, status index {index}")
        add(
            "accreditation-bad-signature.jwt",
            _tamper(files["accreditation-valid.jwt"].strip()),
            "vc+jwt",
            "bad_signature",
            "the valid credential with its claims altered",
        )
        status_lists = {
            credentials.status_list_url(p): f"status-{p}.jwt" for p in ("revocation", "suspension")
        }
    files["index.json"] = (
        json.dumps(
            {
                "jwks": "jwks.json",
                "status_lists": status_lists,
                "outcomes": ["valid", "revoked", "suspended", "bad_signature", "unknown_key"],
                "vectors": vectors,
            },
            indent=2,
        )
        + "\n"
    )
    return files
