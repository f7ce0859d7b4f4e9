"""The registry's records as W3C credentials: status lists, accreditation credentials
and the agency's did:web document.

- Status lists (W3C Bitstring Status List v1.0): each accreditation has one index
  (`StatusListIndex`), the same in both lists. The `revocation` list sets the bit of
  every revoked or annulled accreditation, the `suspension` list that of every
  suspended one. An expired accreditation sets neither: its credential's `validUntil`
  says it. The bitstring is GZIP-compressed and multibase-encoded (base64url, prefix
  `u`, no padding), at least 131,072 bits long (the specification's minimum, which
  hides which entry a verifier looks at); index 0 is the left-most bit of the first
  byte.
- Credentials (W3C VC Data Model 2.0) are secured as JWTs (VC-JOSE-COSE): the claims
  are the credential itself, the header is `{"alg": "EdDSA", "kid", "typ": "vc+jwt",
  "cty": "vc"}` and the key is the registry's, published in `/.well-known/jwks.json`
  and in the DID document as `<did>#<kid>`.

Everything a credential says is read from the accreditation's current record; the
status lists are computed from the accreditations' current statuses, so a suspension,
reinstatement, revocation, expiry or annulment shows in the next answer.
"""

import base64
import datetime
import gzip
import threading

from django.conf import settings
from django.utils import timezone

from accreditation.models import Accreditation, AccreditationStatus
from reviews.models import Report

from . import signing
from .models import StatusListIndex
from .services import (
    accreditation_url,
    agency_did,
    course_url,
    provider_url,
    report_url,
    site_url,
)

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
VC_MEDIA_TYPE = "application/vc+jwt"
MIN_BITS = 131_072
# Which accreditation statuses set a bit in which list.
PURPOSES = {
    "revocation": (AccreditationStatus.REVOKED, AccreditationStatus.ANNULLED),
    "suspension": (AccreditationStatus.SUSPENDED,),
}


def _stamp(moment):
    return moment.astimezone(datetime.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def status_list_url(purpose):
    """Where the status list credential of `purpose` is served (its `id`)."""
    return site_url(f"/api/v1/registry/status/{purpose}/")


# --------------------------------------------------------------------------- indexes


def allocate_index(accreditation):
    """The accreditation's status-list index, allocating it on first call (it is
    allocated when the accreditation is created; this also covers rows written
    without signals, e.g. by bulk_create)."""
    entry, _ = StatusListIndex.objects.get_or_create(accreditation_id=accreditation.pk)
    return entry.index


def _allocate_missing():
    missing = Accreditation.objects.filter(status_list_index__isnull=True).order_by("pk")
    # Two requests may find the same accreditations missing: the second one's rows are
    # skipped (the unique accreditation), so an index is still given once.
    StatusListIndex.objects.bulk_create(
        [StatusListIndex(accreditation_id=pk) for pk in missing.values_list("pk", flat=True)],
        ignore_conflicts=True,
    )


# --------------------------------------------------------------------------- bitstring


def encode_bitstring(indexes, *, size=None):
    """The multibase (base64url, `u`) GZIP of a bitstring with the bits at `indexes`
    set. Its length is a multiple of MIN_BITS that holds every index."""
    top = max(indexes, default=0)
    size = size or MIN_BITS * (top // MIN_BITS + 1)
    bits = bytearray(size // 8)
    for i in indexes:
        bits[i // 8] |= 0x80 >> (i % 8)
    compressed = gzip.compress(bytes(bits), compresslevel=9, mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")


def status_list_credential(purpose, indexes, *, valid_from):
    """The BitstringStatusListCredential of `purpose` with the bits at `indexes` set."""
    url = status_list_url(purpose)
    return {
        "@context": [VC_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": agency_did(),
        "validFrom": _stamp(valid_from),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": encode_bitstring(indexes),
        },
    }


def status_list_indexes(purpose):
    """The indexes whose bit is set in the list of `purpose` now (one query)."""
    _allocate_missing()
    return list(
        StatusListIndex.objects.filter(accreditation__status__in=PURPOSES[purpose]).values_list(
            "index", flat=True
        )
    )


_lists = {}
_lists_lock = threading.Lock()


def status_list_jwt(purpose, *, version):
    """The signed status list of `purpose` as a VC-JWT, rebuilt only when `version`
    (the newest registry event and the signing key) changed: every status change is a
    registry event committed with it, so this is as current as the registry."""
    cached = _lists.get(purpose)
    if cached is not None and cached[0] == version:
        return cached[1]
    credential = status_list_credential(
        purpose, status_list_indexes(purpose), valid_from=timezone.now()
    )
    token = signing.sign(credential, typ="vc+jwt", cty="vc")
    with _lists_lock:
        _lists[purpose] = (version, token)
    return token


# --------------------------------------------------------------------------- accreditations


def accreditation_credential(acc):
    """The accreditation as a W3C Verifiable Credential 2.0 (unsigned), from its current
    record: see `credential_document`."""
    provider = acc.provider
    course = None
    if acc.course_id is not None:
        course = {"uid": str(acc.course.uid), "title": acc.course.title}
    return credential_document(
        accreditation_id=acc.pk,
        index=allocate_index(acc),
        outcome=acc.outcome,
        course=course,
        eqf_levels=list(acc.eqf_levels),
        isced_fields=[str(f) for f in acc.isced_fields],
        valid_from=acc.valid_from,
        valid_until=acc.valid_until,
        provider={
            "id": provider.pk,
            "legal_name": provider.legal_name,
            "country": provider.country,
            "identifiers": [
                {"scheme": i.scheme, "value": i.value} for i in provider.identifiers.all()
            ],
        },
        report=_published_report(acc),
    )


def credential_document(
    *,
    accreditation_id,
    index,
    outcome,
    course,
    eqf_levels,
    isced_fields,
    valid_from,
    valid_until,
    provider,
    report,
):
    """The credential for these facts.

    The subject is the provider (its own DID as the subject's `id` when it has one,
    else its public registry page), with the identifiers in force; what it is accredited
    for (institutional within EQF and ISCED-F limits, or one course by its public URI)
    is the subject's `accreditation`. Validity is the decision's: `validFrom` the start
    of `valid_from`, `validUntil` the end of `valid_until` (UTC: valid through that
    whole day). Status travels in the two status lists, at the accreditation's index.
    """
    scope = {
        "id": accreditation_url(accreditation_id),
        "type": "Accreditation",
        "scope": "provider" if course is None else "course",
        "decision": outcome,
        "eqfLevels": eqf_levels,
        "iscedFields": isced_fields,
    }
    if course is not None:
        scope["course"] = {"id": course_url(course["uid"]), **course}
    if report is not None:
        scope["report"] = report
    did = next((i["value"] for i in provider["identifiers"] if i["scheme"] == "did"), None)
    subject = {
        "id": did or provider_url(provider["id"]),
        "type": "EducationalOrganization",
        "legalName": provider["legal_name"],
        "country": provider["country"],
        "identifiers": provider["identifiers"],
        "accreditation": scope,
    }
    start = datetime.datetime.combine(valid_from, datetime.time.min, tzinfo=datetime.UTC)
    end = datetime.datetime.combine(valid_until, datetime.time(23, 59, 59), tzinfo=datetime.UTC)
    return {
        "@context": [VC_CONTEXT],
        "id": accreditation_url(accreditation_id),
        "type": ["VerifiableCredential", "AccreditationCredential"],
        "issuer": {"id": agency_did(), "name": settings.MCQA_AGENCY_NAME},
        "validFrom": _stamp(start),
        "validUntil": _stamp(end),
        "credentialSubject": subject,
        "credentialStatus": [status_entry("revocation", index), status_entry("suspension", index)],
    }


def status_entry(purpose, index):
    """A BitstringStatusListEntry pointing at `index` of the list of `purpose`."""
    return {
        "id": f"{status_list_url(purpose)}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": status_list_url(purpose),
    }


def _published_report(acc):
    """The newest ready published report of the accreditation's decision."""
    report = (
        Report.objects.filter(
            application_id=acc.application_id,
            stage=Report.Stage.PUBLISHED,
            status=Report.Status.READY,
        )
        .order_by("-version")
        .only("id", "sha256")
        .first()
    )
    if report is None:
        return None
    return {"url": report_url(report.pk), "sha256": report.sha256}


def accreditation_vc_jwt(acc):
    """The accreditation credential secured as a VC-JWT with the registry key."""
    return signing.sign(accreditation_credential(acc), typ="vc+jwt", cty="vc")


_VC_CACHE_SIZE = 2000
_vcs = {}


def record_credential(record):
    """The accreditation credential built from its registry record
    (`registry.accreditations.accreditation_record`): what the JSON and ELM forms of the
    same accreditation say, and one query more (its status-list index)."""
    course = record["course"]
    report = record["report"]
    return credential_document(
        accreditation_id=record["id"],
        index=allocate_index(Accreditation(pk=record["id"])),
        outcome=record["decision"],
        course=None if course is None else {"uid": course["uid"], "title": course["title"]},
        eqf_levels=list(record["eqf_levels"]),
        isced_fields=[str(f) for f in record["isced_fields"]],
        valid_from=datetime.date.fromisoformat(record["valid_from"]),
        valid_until=datetime.date.fromisoformat(record["valid_until"]),
        provider={
            key: record["provider"][key] for key in ("id", "legal_name", "country", "identifiers")
        },
        report=None if report is None else {"url": report["url"], "sha256": report["sha256"]},
    )


def accreditation_vc_jwt_cached(record, *, version):
    """The credential of `record` as a VC-JWT, kept per process while `version` (the
    provider's registry row: its newest event and last refresh, and the signing key)
    is unchanged, so a credential costs what its JSON costs. At most _VC_CACHE_SIZE
    credentials, the oldest dropped first."""
    pk = record["id"]
    cached = _vcs.get(pk)
    if cached is not None and cached[0] == version:
        return cached[1]
    token = signing.sign(record_credential(record), typ="vc+jwt", cty="vc")
    with _lists_lock:
        _vcs.pop(pk, None)
        while len(_vcs) >= _VC_CACHE_SIZE:
            _vcs.pop(next(iter(_vcs)))
        _vcs[pk] = (version, token)
    return token


# --------------------------------------------------------------------------- did:web


def did_document():
    """The agency's did:web document: every registry key (next, active and retired, as
    in the JWKS) as a JsonWebKey2020 verification method `<did>#<kid>`, each one usable
    for assertions (credentials and signed answers)."""
    did = agency_did()
    methods = [
        {
            "id": f"{did}#{jwk['kid']}",
            "type": "JsonWebKey2020",
            "controller": did,
            "publicKeyJwk": jwk,
        }
        for jwk in signing.jwks()["keys"]
    ]
    return {
        "@context": [
            "https://www.w3.org/ns/did/v1",
            "https://w3id.org/security/suites/jws-2020/v1",
        ],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": [m["id"] for m in methods],
        "service": [
            {
                "id": f"{did}#registry",
                "type": "LinkedDomains",
                "serviceEndpoint": site_url("/registry/"),
            }
        ],
    }
