"""Status lists (W3C Bitstring Status List v1.0) as a verifier reads them: the VC-JWT
checked with jwcrypto against the served JWKS, the list decoded with plain base64 and
gzip, the bit read at the index the accreditation's credential names."""

import base64
import gzip
import importlib
import json

import pytest
from django.apps import apps
from django.db import connection
from jwcrypto import jwk, jws

from accreditation.models import ProviderMembership
from accreditation.services import application_transition
from registry.models import StatusListIndex
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def status_url(purpose):
    return f"/api/v1/registry/status/{purpose}/"


def fetch_list(api, purpose):
    """The status list credential of `purpose`, its signature checked."""
    response = api.get(status_url(purpose))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vc+jwt"
    token = response.content.decode("ascii")
    keys = jwk.JWKSet.from_json(api.get("/.well-known/jwks.json").content)
    header = json.loads(jws.base64url_decode(token.split(".")[0]))
    assert header["typ"] == "vc+jwt" and header["alg"] == "EdDSA"
    obj = jws.JWS()
    obj.deserialize(token)
    obj.verify(keys.get_key(header["kid"]), alg="EdDSA")
    return json.loads(obj.payload)


def bits(credential):
    encoded = credential["credentialSubject"]["encodedList"]
    assert encoded[0] == "u"  # multibase base64url, no padding
    data = encoded[1:]
    return gzip.decompress(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))


def bit(credential, index):
    return (bits(credential)[index // 8] >> (7 - index % 8)) & 1


def test_status_list_is_a_signed_bitstring_status_list_credential(api, history, settings):
    settings.MCQA_SITE_URL = "https://qa.example.org"
    credential = fetch_list(api, "revocation")
    assert credential["@context"] == ["https://www.w3.org/ns/credentials/v2"]
    assert credential["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert credential["id"] == "https://qa.example.org/api/v1/registry/status/revocation/"
    assert credential["issuer"] == "did:web:qa.example.org"
    subject = credential["credentialSubject"]
    assert subject["type"] == "BitstringStatusList"
    assert subject["statusPurpose"] == "revocation"
    assert len(bits(credential)) * 8 >= 131_072
    assert not any(bits(credential))


def test_unknown_purpose_is_404(api, history):
    assert api.get(status_url("refresh")).status_code == 404


def test_each_accreditation_has_its_own_index_allocated_at_creation(history):
    provider = history.provider()
    _, _, first = history.decide(provider)
    _, _, second = history.decide(history.provider(name="B", identifier="b.example.org"))
    indexes = {e.accreditation_id: e.index for e in StatusListIndex.objects.all()}
    assert set(indexes) == {first.pk, second.pk}
    assert indexes[first.pk] != indexes[second.pk]


def test_suspension_reinstatement_and_revocation_show_in_the_next_answer(api, history):
    provider = history.provider()
    _, _, acc = history.decide(provider)
    index = StatusListIndex.objects.get(accreditation=acc).index
    assert bit(fetch_list(api, "suspension"), index) == 0
    history.change(acc, "suspend", reason="complaint")
    assert bit(fetch_list(api, "suspension"), index) == 1
    assert bit(fetch_list(api, "revocation"), index) == 0
    history.change(acc, "reinstate")
    assert bit(fetch_list(api, "suspension"), index) == 0
    history.change(acc, "revoke", reason="fraud")
    assert bit(fetch_list(api, "revocation"), index) == 1
    assert bit(fetch_list(api, "suspension"), index) == 0


def test_an_annulled_accreditation_is_set_in_the_revocation_list(api, history):
    provider = history.provider()
    application, _, acc = history.decide(provider, name="accredit_with_conditions")
    index = StatusListIndex.objects.get(accreditation=acc).index
    member = UserFactory()
    ProviderMembership.objects.create(user=member, provider=provider)
    application_transition(
        application=application, name="appeal", actor=member, data={"grounds": "Unfair."}
    )
    application_transition(application=application, name="uphold_appeal", actor=history.appeals)
    assert bit(fetch_list(api, "revocation"), index) == 1


def test_expiry_sets_no_bit(api, history):
    _, _, acc = history.decide(history.provider())
    history.change(acc, "expire")
    index = StatusListIndex.objects.get(accreditation=acc).index
    assert bit(fetch_list(api, "revocation"), index) == 0
    assert bit(fetch_list(api, "suspension"), index) == 0


def test_etag_changes_with_a_status_change_and_a_conditional_get_is_304(api, history, settings):
    _, _, acc = history.decide(history.provider())
    first = api.get(status_url("suspension"))
    assert first["Cache-Control"] == f"public, max-age={settings.REGISTRY_STATUS_LIST_MAX_AGE}"
    again = api.get(status_url("suspension"), HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    history.change(acc, "suspend")
    changed = api.get(status_url("suspension"), HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]


def test_a_list_grows_past_the_minimum_for_high_indexes(api, history):
    _, _, acc = history.decide(history.provider())
    StatusListIndex.objects.filter(accreditation=acc).update(index=200_000)
    history.change(acc, "suspend")
    credential = fetch_list(api, "suspension")
    assert len(bits(credential)) * 8 == 2 * 131_072
    assert bit(credential, 200_000) == 1


def test_migration_allocates_an_index_for_every_existing_accreditation(history):
    _, _, first = history.decide(history.provider())
    _, _, second = history.decide(history.provider(name="B", identifier="b.example.org"))
    StatusListIndex.objects.all().delete()
    migration = importlib.import_module("registry.migrations.0008_status_lists")
    migration.allocate_existing(apps, connection.schema_editor())
    rows = list(
        StatusListIndex.objects.order_by("index").values_list("accreditation_id", flat=True)
    )
    assert rows == sorted([first.pk, second.pk])
