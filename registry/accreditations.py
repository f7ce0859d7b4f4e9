"""One accreditation as the registry shows it: the record every format of
`GET /api/v1/registry/accreditations/{id}/` is built from (JSON here, ELM JSON-LD in
`registry.elm`).

The record is read from the registry's events only (DESIGN section 7: "everything a
verify answer depends on is history"), so the accreditation endpoint says exactly what
the provider page and the verify answer say about the same accreditation.
"""

import datetime

from django.conf import settings
from django.utils import timezone

from accreditation.models import Accreditation

from . import services, verify_cache
from .models import EventType, RegistryEvent, RegistryProvider

# Events that change an accreditation's lifecycle (the `history` of the record).
_LIFECYCLE = (
    EventType.CREATE,
    EventType.SUSPEND,
    EventType.REINSTATE,
    EventType.REVOKE,
    EventType.EXPIRE,
    EventType.ANNUL,
    EventType.CONDITIONS_MET,
)


def _iso(value):
    return value.isoformat().replace("+00:00", "Z") if value else None


def _reason(event):
    """The reason code of a status change, as the change feed gives it: an annulment
    only ever happens because an appeal was upheld."""
    if event.type == EventType.ANNUL:
        return "appeal_upheld"
    return (event.data or {}).get("reason") or None


def accreditation_record(pk):
    """The accreditation `pk` as the registry shows it now, or None when the registry
    has no such accreditation (unknown id, or not projected yet).

    On PostgreSQL the process keeps a record it has built in the verify answer cache
    (`registry.verify_cache`: every table the record is read from notifies on commit)
    until what it was read from changes, or until time alone changes it (the end of
    an active or suspended accreditation's `valid_until` day): a verifier fetching the
    same accreditation again costs no query. Each call gets its own copy."""
    cache = verify_cache.answer_cache()
    if cache is None:
        return _read_record(pk)
    now = timezone.now()
    key = ("accreditation", pk)
    record = cache.get(key, now)
    if record is not None:
        return record
    generation = cache.generation  # before the read: see AnswerCache.put
    record = _read_record(pk)
    if record is not None:
        expires = now + datetime.timedelta(seconds=settings.REGISTRY_VERIFY_CACHE_SECONDS)
        if record["status"] in ("active", "suspended") and record["valid_until"]:
            until = datetime.date.fromisoformat(record["valid_until"])
            expires = min(expires, services.start_of(until + datetime.timedelta(days=1)))
        cache.put(key, record, generation=generation, expires=expires)
    return record


def _read_record(pk):
    """The record from the database: three queries (the accreditation's provider and
    course, the provider's events, its registry row)."""
    row = (
        Accreditation.objects.filter(pk=pk)
        .values("provider_id", "course__uid", "course__title")
        .first()
    )
    if row is None:
        return None
    provider_events = RegistryEvent.objects.filter(provider_id=row["provider_id"])
    events = list(provider_events.order_by("at", "seq"))
    accreditations, _ = services.state_at(events, timezone.now())
    acc = accreditations.get(pk)
    entry = RegistryProvider.objects.filter(pk=row["provider_id"]).first()
    if acc is None or entry is None:
        return None
    history = [
        {
            "at": _iso(e.at),
            "type": e.type,
            "status": e.status,
            "reason": _reason(e),
            "comment": (e.data or {}).get("comment") or "",
        }
        for e in events
        if e.accreditation_id == pk and e.type in _LIFECYCLE
    ]
    return {
        "id": pk,
        "url": services.accreditation_url(pk),
        "provider": {
            "id": entry.provider_id,
            "legal_name": entry.legal_name,
            "country": entry.country,
            "identifiers": entry.identifiers,
            "url": services.provider_url(entry.provider_id),
        },
        "scope": "provider" if acc["_course_id"] is None else "course",
        "course": (
            {
                "uid": str(row["course__uid"]),
                "title": acc["_course_title"] or row["course__title"],
                "url": services.course_url(row["course__uid"]),
            }
            if acc["_course_id"] is not None
            else None
        ),
        "status": acc["status"],
        "decision": acc["decision"],
        "decided_at": acc["_decided_at"] or None,
        "valid_from": acc["valid_from"],
        "valid_until": acc["valid_until"],
        "eqf_levels": acc["eqf_levels"],
        "isced_fields": acc["isced_fields"],
        "conditions": acc["conditions"],
        "report": acc["report"],
        "history": history,
        "issuer": services.issuer(),
        "_etag": (entry.last_seq, _iso(entry.updated_at)),
        "_last_modified": _iso(entry.updated_at),  # text: the record is plain values
    }


def accreditation_json(record):
    """The plain JSON form: the record without its internal keys."""
    return {k: v for k, v in record.items() if not k.startswith("_")}
