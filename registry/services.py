"""The registry's projection from the accreditation history, and its point-in-time reads.

The registry is never edited: every public fact is an event appended by `registry_sync`
from a row of the accreditation history (a decision, an accreditation transition, an
annulment on appeal, a published report, an approved identity change request). Answers
about a moment are computed from the events up to that moment only, so a later
suspension or revocation never rewrites what was true before it.
"""

import bisect
import datetime
import functools
import json
import uuid
from collections import defaultdict
from urllib.parse import urlsplit

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import CharField, Exists, F, OuterRef, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from accreditation.models import (
    Accreditation,
    AccreditationTransition,
    Condition,
    Decision,
    Provider,
    ProviderChangeRequest,
    ProviderIdentity,
)
from core.reference import isced_f_covers
from reviews.models import Report

from . import elm, statements, verify_cache
from .models import EventType, RegistryEvent, RegistryProvider

# Advisory lock number that serialises projection runs on PostgreSQL (SQLite serialises
# writers by itself: the project opens its transactions IMMEDIATE).
_SYNC_LOCK = 0x6D637161  # "mcqa"
# Within one instant, a decision precedes the accreditation it creates, and a report
# follows the decision it publishes.
_TYPE_ORDER = {
    EventType.DECISION: 0,
    EventType.CREATE: 1,
    EventType.ANNULLED: 3,
    EventType.REPORT: 4,
}
_TRANSITION_TYPES = {"confirm_conditions_met": EventType.CONDITIONS_MET}
# History rows of each kind projected per transaction (bounded memory on a large replay).
SYNC_BATCH = 5000


def site_url(path=""):
    """`path` on the site's public address (MCQA_SITE_URL): what every public record,
    credential and export names things by."""
    return settings.MCQA_SITE_URL.rstrip("/") + path


def report_url(report_id):
    """Public download address of a ready published report (anyone may fetch it)."""
    return site_url(f"/api/v1/reports/{report_id}/pdf/")


def accreditation_url(accreditation_id):
    """The accreditation's public URL: its `id` in every format (JSON, ELM, VC)."""
    return site_url(f"/api/v1/registry/accreditations/{accreditation_id}/")


def provider_url(provider_id):
    """The provider's public registry page."""
    return site_url(f"/registry/providers/{provider_id}/")


def course_url(uid):
    """The course's public URI (DESIGN section 7): its public record in the registry,
    what a credential's accreditation points to."""
    return site_url(f"/registry/courses/{uid}/")


# --------------------------------------------------------------------------- projection


def _unprojected(queryset, prefix):
    source = Concat(Value(prefix), Cast(OuterRef("pk"), output_field=CharField()))
    return queryset.filter(~Exists(RegistryEvent.objects.filter(source=source)))


def _lock():
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_SYNC_LOCK])


def _conditions(conditions, met):
    """The conditions as published with an event: `met` once the decision body confirmed
    them, else `open` (the same on a rebuild as when first projected; an overdue
    condition is a matter for the decision body, which suspends if needed)."""
    return [
        {
            "text": c.text,
            "due_date": c.due_date.isoformat() if c.due_date else None,
            "status": "met" if met else "open",
        }
        for c in conditions
    ]


def _course_data(course, version):
    """What an event about a course says of it: its public uid, the number of the
    version concerned (the one its application was pinned to) and that version's title
    (None for an institutional event)."""
    if course is None:
        return {"course_uid": None, "course_version": None, "course_title": None}
    return {
        "course_uid": str(course.uid),
        "course_version": version.number if version is not None else None,
        "course_title": version.title if version is not None else course.title,
    }


def _pending_events(limit):
    """History rows not yet projected, as unsaved events in a stable order: at most
    `limit` rows of each kind, cut where the oldest truncated kind stops, so that the
    batches, taken one after the other, give the same order as one pass would."""
    events = []
    truncated_at = []

    def take(queryset, time_field):
        rows = list(queryset.order_by(time_field, "id")[:limit])
        if len(rows) == limit:
            truncated_at.append(_time_of(rows[-1], time_field))
        return rows

    decisions = take(
        _unprojected(
            Decision.objects.select_related(
                "application", "application__course", "application__course_version"
            ),
            "decision:",
        ),
        "decided_at",
    )
    created = dict(
        Accreditation.objects.filter(decision__in=[d.pk for d in decisions]).values_list(
            "decision_id", "pk"
        )
    )
    for d in decisions:
        app = d.application
        events.append(
            RegistryEvent(
                at=d.decided_at,
                type=EventType.DECISION,
                provider_id=app.provider_id,
                accreditation_id=created.get(d.pk),
                status=None,
                application_id=app.pk,
                decision_id=d.pk,
                outcome=d.outcome,
                course_id=app.course_id,
                valid_from=d.valid_from,
                valid_until=d.valid_until,
                data={
                    "decided_at": d.decided_at.isoformat(),
                    **_course_data(app.course, app.course_version),
                },
                source=f"decision:{d.pk}",
            )
        )
    annulled = take(
        _unprojected(
            Decision.objects.filter(annulled_at__isnull=False).select_related(
                "application", "application__course", "application__course_version"
            ),
            "annulled:",
        ),
        "annulled_at",
    )
    for d in annulled:
        events.append(
            RegistryEvent(
                at=d.annulled_at,
                type=EventType.ANNULLED,
                provider_id=d.application.provider_id,
                accreditation_id=created.get(d.pk)
                or Accreditation.objects.filter(decision=d).values_list("pk", flat=True).first(),
                application_id=d.application_id,
                decision_id=d.pk,
                outcome=d.outcome,
                course_id=d.application.course_id,
                data=_course_data(d.application.course, d.application.course_version),
                source=f"annulled:{d.pk}",
            )
        )
    logs = take(
        _unprojected(
            AccreditationTransition.objects.select_related(
                "accreditation",
                "accreditation__decision",
                "accreditation__course",
                "accreditation__course_version",
            ),
            "acc-log:",
        ),
        "at",
    )
    acc_ids = {log.accreditation_id for log in logs}
    conditions = defaultdict(list)
    for c in Condition.objects.filter(accreditation_id__in=acc_ids).order_by("due_date", "id"):
        conditions[c.accreditation_id].append(c)
    met_before = set(
        RegistryEvent.objects.filter(
            accreditation_id__in=acc_ids, type=EventType.CONDITIONS_MET
        ).values_list("accreditation_id", flat=True)
    )
    for log in logs:
        acc = log.accreditation
        kind = _TRANSITION_TYPES.get(log.transition, log.transition)
        if kind == EventType.CONDITIONS_MET:
            met_before.add(acc.pk)
        met = acc.pk in met_before
        outcome = Decision.Outcome.POSITIVE if met else acc.decision.outcome
        events.append(
            RegistryEvent(
                at=log.at,
                type=kind,
                provider_id=acc.provider_id,
                accreditation_id=acc.pk,
                status=log.to_state or None,
                application_id=acc.application_id,
                decision_id=acc.decision_id,
                outcome=outcome,
                course_id=acc.course_id,
                eqf_levels=list(acc.eqf_levels or []),
                isced_fields=list(acc.isced_fields or []),
                valid_from=acc.valid_from,
                valid_until=acc.valid_until,
                data={
                    "decided_at": acc.decision.decided_at.isoformat(),
                    "conditions": _conditions(conditions[acc.pk], met),
                    **_course_data(acc.course, acc.course_version),
                    "comment": log.comment if kind != EventType.CREATE else "",
                    "reason": log.payload.get("reason") if kind != EventType.CREATE else None,
                },
                source=f"acc-log:{log.pk}",
            )
        )
    reports = take(
        _unprojected(
            Report.objects.filter(
                stage=Report.Stage.PUBLISHED, status=Report.Status.READY
            ).select_related("application", "application__course", "application__course_version"),
            "report:",
        ),
        "rendered_at",
    )
    newest_acc = dict(
        Accreditation.objects.filter(application_id__in={r.application_id for r in reports})
        .order_by("created_at", "id")
        .values_list("application_id", "pk")
    )
    for r in reports:
        acc_id = newest_acc.get(r.application_id)
        events.append(
            RegistryEvent(
                at=r.rendered_at or r.updated_at,
                type=EventType.REPORT,
                provider_id=r.application.provider_id,
                accreditation_id=acc_id,
                application_id=r.application_id,
                course_id=r.application.course_id,
                data={
                    "report": {
                        "id": r.pk,
                        "url": report_url(r.pk),
                        "sha256": r.sha256,
                        "language": r.language,
                    },
                    "version": r.version,
                    **_course_data(r.application.course, r.application.course_version),
                },
                source=f"report:{r.pk}",
            )
        )
    identities = take(
        _unprojected(
            ProviderChangeRequest.objects.filter(
                status=ProviderChangeRequest.Status.APPROVED
            ).select_related("identity"),
            "identity:",
        ),
        "decided_at",
    )
    for r in identities:
        events.append(
            RegistryEvent(
                at=r.decided_at,
                type=EventType.IDENTITY,
                provider_id=r.provider_id,
                data={
                    "legal_name": r.identity.legal_name,
                    "country": r.identity.country,
                    "identifiers": r.identity.identifiers,
                    "changed": sorted(r.changes()),
                    "previous": {field: r.previous.get(field) for field in sorted(r.changes())},
                },
                source=f"identity:{r.pk}",
            )
        )
    events.sort(
        key=lambda e: (
            e.at,
            _TYPE_ORDER.get(e.type, 2),
            e.source.split(":")[0],
            int(e.source.split(":")[1]),
        )
    )
    if truncated_at:
        cutoff = min(truncated_at)
        kept = [e for e in events if e.at < cutoff]
        events = kept or events
    return events


def _time_of(row, field):
    value = getattr(row, field)
    return value if value is not None else row.updated_at


def registry_sync():
    """Append an event for every history row not yet in the registry, then refresh the
    providers concerned. Returns the number of events appended.

    Safe to run twice and concurrently: runs are serialised by a lock and every event's
    `source` is unique, so a row is projected exactly once. Sequence numbers are given
    in order under the lock, so the change feed never shows a gap that fills in later.
    """
    total = 0
    while True:
        with transaction.atomic():
            _lock()
            events = _pending_events(SYNC_BATCH)
            if not events:
                _catch_up_profiles()
                return total
            last = RegistryEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
            for offset, event in enumerate(events, start=1):
                event.seq = last + offset
            RegistryEvent.objects.bulk_create(events, batch_size=1000)
            ids = sorted({e.provider_id for e in events})
            for start in range(0, len(ids), 2000):
                refresh_providers(ids[start : start + 2000])
        total += len(events)


def _catch_up_profiles():
    """Providers whose name, country or identifiers changed after their row was built
    are rebuilt too (a profile edit is not a registry event, but the registry shows it)."""
    stale = list(
        RegistryProvider.objects.filter(provider__updated_at__gt=F("refreshed_at")).values_list(
            "provider_id", flat=True
        )[:2000]
    )
    refresh_providers(stale)


def registry_rebuild():
    """Wipe the projection and replay the whole history: the same events, statuses and
    order as an incremental projection gives (used after a bug fix or a restore).

    The wipe and the replay are one transaction under the projection lock: readers in
    other connections keep seeing the old registry until the new one commits whole, so
    no verify answer is ever `none` or partial because a rebuild is running, and no
    transition can slip an event in between.
    """
    with transaction.atomic():
        _lock()
        RegistryProvider.objects.all().delete()
        RegistryEvent.objects.all().delete()
        return registry_sync()


# --------------------------------------------------------------------------- point in time


def start_of(day):
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)


def _end_of(day):
    return datetime.datetime.combine(day, datetime.time.max, tzinfo=datetime.UTC)


def state_at(events, as_of):
    """The registry as it stood at `as_of`, read from `events` (one provider's, ordered by
    time then seq). Returns (accreditations by id, decisions in order).

    An accreditation is valid through the whole of its `valid_until` day (UTC, as DEQAR's
    `valid_to`) and counts as expired once that day has ended, even if the scheduled
    `expire` transition has not run yet; a revoked or annulled one stays so.
    """
    accreditations = {}
    decisions = []
    reports = defaultdict(list)  # application id -> report events
    annulled = set()
    for e in events:
        if e.at > as_of:
            continue
        if e.type == EventType.DECISION:
            decisions.append(e)
        elif e.type == EventType.ANNULLED:
            annulled.add(e.decision_id)
        elif e.type == EventType.REPORT:
            reports[e.application_id].append(e)
        elif e.accreditation_id is not None:
            accreditations[e.accreditation_id] = e
    report_of_decision = {}
    by_application = defaultdict(list)
    for d in decisions:
        by_application[d.application_id].append(d)
    for application_id, items in reports.items():
        for r in items:
            owner = None
            for d in by_application.get(application_id, ()):
                if d.at <= r.at:
                    owner = d
            if owner is not None:
                report_of_decision[owner.decision_id] = r.data.get("report")
    result = {}
    for acc_id, e in accreditations.items():
        status = e.status
        if status in ("active", "suspended") and e.valid_until and as_of > _end_of(e.valid_until):
            status = "expired"
        result[acc_id] = {
            "id": acc_id,
            "scope": "provider" if e.course_id is None else e.course_id,
            "decision": e.outcome,
            "status": status,
            "valid_from": e.valid_from.isoformat() if e.valid_from else None,
            "valid_until": e.valid_until.isoformat() if e.valid_until else None,
            "eqf_levels": e.eqf_levels,
            "isced_fields": e.isced_fields,
            "conditions": e.data.get("conditions", []),
            "report": report_of_decision.get(e.decision_id),
            "_decided_at": e.data.get("decided_at", ""),
            "_course_id": e.course_id,
            "_course_title": e.data.get("course_title"),
            "_application": e.application_id,
        }
    decision_rows = [
        {
            "application": d.application_id,
            "scope": "provider" if d.course_id is None else d.course_id,
            "decision": d.outcome,
            "decided_at": d.data.get("decided_at") or d.at.isoformat(),
            "annulled": d.decision_id in annulled,
            "report": report_of_decision.get(d.decision_id),
        }
        for d in decisions
    ]
    return result, decision_rows


def public_accreditation(acc):
    """The contract's accreditation object (internal keys dropped)."""
    return {k: v for k, v in acc.items() if not k.startswith("_")}


_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_MICROSECOND = datetime.timedelta(microseconds=1)
# What a timeline keeps of an accreditation beyond its public object: the keys verify
# decides with (`deciding_accreditation`) and `_expires`.
_TIMELINE_KEYS = ("_decided_at", "_course_id")


def micros(moment):
    """An aware datetime as whole microseconds since 1970 (UTC): exact, and ordered as
    the moments are."""
    return (moment - _EPOCH) // _MICROSECOND


def timeline_json(events):
    """One provider's answer timeline, as the compact JSON text `RegistryProvider.timeline`
    keeps: what `state_at` gives at each instant its events (ordered by time, then seq)
    changed it, so that an answer about any moment is a bisection instead of a replay.

    `at` lists those instants (`micros`), ascending; `states[k]` the positions in `accs`
    of the accreditations as they stood from `at[k]` until the next instant. Each
    accreditation state is kept once however many instants share it, with `_expires`
    (`micros` of the day after its `valid_until`, the first moment at which it counts as
    expired) while it is active or suspended: time alone changes it then, so the reader
    applies the expiry for the moment asked about (`timeline_state`), exactly as
    `state_at` does. Built by the projection in the events' own transaction.

    An accreditation state is kept as `[shape, value, ...]`, its keys being
    `shapes[shape]` (a timeline has one or two shapes): half the text of an object
    each, which halves what verify reads and decodes per question, and the reader
    makes objects of only the states it needs. A timeline written before (objects in
    `accs`, no `shapes`) reads the same."""
    moments, states, accs, positions = [], [], [], {}
    for k, event in enumerate(events):
        if k + 1 < len(events) and events[k + 1].at == event.at:
            continue  # one point per instant, after all of its events
        accreditations, _ = state_at(events[: k + 1], event.at)  # none after it counts
        state = []
        for acc in accreditations.values():
            kept = public_accreditation(acc)
            kept.update((key, acc[key]) for key in _TIMELINE_KEYS)
            if kept["status"] in ("active", "suspended") and kept["valid_until"]:
                last_day = datetime.date.fromisoformat(kept["valid_until"])
                kept["_expires"] = micros(start_of(last_day + datetime.timedelta(days=1)))
            key = json.dumps(kept, sort_keys=True)
            if key not in positions:
                positions[key] = len(accs)
                accs.append(kept)
            state.append(positions[key])
        moments.append(micros(event.at))
        states.append(state)
    timeline = {"at": moments, "states": states, "accs": accs}
    if accs:
        timeline["shapes"], timeline["accs"] = compact_states(accs)
    return json.dumps(timeline, separators=(",", ":"))


def compact_states(accs):
    """Accreditation states (objects) as a timeline keeps them: (shapes, rows), each
    row `[shape, value, ...]` with its keys in `shapes[shape]`, in the states' order."""
    shapes, shape_of, rows = [], {}, []
    for acc in accs:
        shape = shape_of.setdefault(tuple(acc), len(shapes))
        if shape == len(shapes):
            shapes.append(list(acc))
        rows.append([shape, *acc.values()])
    return shapes, rows


def timeline_state(timeline, as_of):
    """The accreditations of a decoded timeline at `as_of` (by id, as `state_at` gives
    them), and the first moment after `as_of` at which time alone changes one (an
    expiry), in `micros`; None when the provider had no event by then."""
    moment = micros(as_of)
    point = bisect.bisect_right(timeline["at"], moment) - 1
    if point < 0:
        return None, None
    accs = timeline["accs"]
    shapes = timeline.get("shapes")
    accreditations = {}
    changes_at = None
    for position in timeline["states"][point]:
        acc = accs[position]
        if shapes is not None:
            acc = dict(zip(shapes[acc[0]], acc[1:], strict=True))
        expires = acc.get("_expires")
        if expires is not None:
            if moment >= expires:
                acc = {**acc, "status": "expired"}
            elif changes_at is None or expires < changes_at:
                changes_at = expires
        accreditations[acc["id"]] = acc
    return accreditations, changes_at


def identities_json(periods, current):
    """One provider's identity history, as the compact JSON text
    `RegistryProvider.identities` keeps for verify: `current` (name, country,
    identifiers: the projected row's) first, without bounds, then each
    `ProviderIdentity` period in order of its start, as
    `[valid_from, valid_until, legal_name, country, identifiers]` with the bounds in
    `micros` (null: open). Verify reads the name, country and identifiers shown for a
    moment from here (`identity_at`) rather than joining the periods in its query,
    which would cost the database as much as the rest of the query does."""
    rows = [[None, None, *current]]
    for p in sorted(periods, key=lambda p: (p.valid_from, p.pk)):
        until = micros(p.valid_until) if p.valid_until is not None else None
        rows.append([micros(p.valid_from), until, p.legal_name, p.country, p.identifiers])
    return json.dumps(rows, separators=(",", ":"))


def identity_at(identities, moment):
    """(legal name, country, identifiers) of a decoded `identities_json` at `moment`
    (`micros`): the latest-starting period in force then, else the projected row's
    (a moment before any period was kept)."""
    for start, end, legal_name, country, identifiers in reversed(identities):
        if (start is None or start <= moment) and (end is None or moment < end):
            return legal_name, country, identifiers
    return "", "", []


def refresh_identities(provider_id):
    """Rebuild the identity periods that verify reads for one provider, in the
    transaction that changed them (registry.receivers: any saved or deleted
    `ProviderIdentity`), under the projection lock so that a rebuild running meanwhile
    is waited for. A provider not in the registry has no row to refresh: it gets one,
    periods included, when its first event is projected."""
    row = RegistryProvider.objects.filter(pk=provider_id)
    if not row.exists():
        return
    _lock()
    current = row.values_list("legal_name", "country", "identifiers").first()
    if current is None:  # a rebuild committed meanwhile without it
        return
    periods = ProviderIdentity.objects.filter(provider_id=provider_id)
    row.update(identities=identities_json(periods, current))


def _newest(candidates):
    return max(candidates, key=lambda a: (a["_decided_at"], a["id"]), default=None)


def covers(acc, course):
    """An institutional accreditation covers a course of its provider within its EQF and
    ISCED-F limits (an empty list sets no limit; a course without a level or field is
    outside any limit that is set)."""
    if acc["eqf_levels"] and course["eqf_level"] not in acc["eqf_levels"]:
        return False
    return not acc["isced_fields"] or any(
        isced_f_covers(str(limit), course["isced_f"]) for limit in acc["isced_fields"]
    )


def deciding_accreditation(accreditations, *, provider_id, course=None):
    """The accreditation that answers "is this provider (this course) trusted?".

    Without a course, only institutional accreditations count. With a course, the
    course's own approvals decide when there is any (a suspended course approval is
    not rescued by the institution's); otherwise an institutional accreditation that
    covers the course. An approval of another course never counts. Among candidates,
    the one from the most recent decision decides.
    """
    institutional = [a for a in accreditations.values() if a["_course_id"] is None]
    if course is None:
        return _newest(institutional)
    if course["provider_id"] != provider_id:
        return None
    own = [a for a in accreditations.values() if a["_course_id"] == course["id"]]
    if own:
        return _newest(own)
    return _newest([a for a in institutional if covers(a, course)])


def parse_at(value):
    """`at` as an aware UTC datetime: a date means the end of that day (UTC), a
    date-time without offset is UTC; None when absent (`verify` then answers as of
    now). Raises ValueError when malformed."""
    if value is None or value == "":
        return None
    value = value.strip()
    if len(value) == 10:
        return _end_of(datetime.date.fromisoformat(value))
    if "T" not in value and " " not in value:
        raise ValueError("not an ISO 8601 date or date-time")
    moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(datetime.UTC)


def provider_public(entry):
    return {
        "id": entry.provider_id,
        "legal_name": entry.legal_name,
        "country": entry.country,
        "identifiers": entry.identifiers,
    }


def agency_did():
    """The agency's `did:web` identifier: MCQA_AGENCY_DID when set, else from the site's
    address (did:web Method Specification, "Method-specific identifier": the host, a
    port percent-encoded as `%3A`, and path segments joined by colons)."""
    return settings.MCQA_AGENCY_DID or _did_web(settings.MCQA_SITE_URL)


@functools.lru_cache(maxsize=8)
def _did_web(site_url):
    """`did:web` of a site's address (kept: every verify answer names it)."""
    parts = urlsplit(site_url)
    host = parts.hostname or "localhost"
    if parts.port:
        host = f"{host}%3A{parts.port}"
    path = [segment for segment in parts.path.split("/") if segment]
    return ":".join(["did:web", host, *path])


def issuer():
    """Who answers: the agency, as `{id, name}` (the `issuer` of every verify answer)."""
    return {"id": agency_did(), "name": settings.MCQA_AGENCY_NAME}


def agency():
    """The agency as it presents itself to verifiers (settings MCQA_AGENCY_*)."""
    return {
        "id": agency_did(),
        "name": settings.MCQA_AGENCY_NAME,
        "acronym": settings.MCQA_AGENCY_ACRONYM,
        "deqar_id": settings.MCQA_AGENCY_DEQAR_ID or None,
        "eqar_registered": settings.MCQA_AGENCY_EQAR_REGISTERED,
    }


def course_id_for_uid(uid):
    """The id of the course with public identifier `uid`, or 0 (no course) if none has."""
    from accreditation.models import Course

    return Course.objects.filter(uid=uid).values_list("pk", flat=True).first() or 0


def verify(*, scheme, value, course_id=None, course_uid=None, at=None, fresh=False):
    """Answer a verifier: was the provider with identifier `scheme:value` (for the
    course `course_id`, or the course whose public uid is `course_uid`) trusted at `at`?
    Point in time from the provider's answer timeline (built from its events); one
    query whatever the history's length.

    The answer for a moment never changes afterwards; a moment in the future is
    answered as of now (the registry does not vouch for what has not happened).
    On PostgreSQL a computed answer is kept by the process (registry.verify_cache)
    until a change to what it was read from commits; `fresh` reads the database.
    """
    now = timezone.now()
    as_of = min(at or now, now)
    checked_at = now.isoformat().replace("+00:00", "Z")
    as_of_text = checked_at if as_of == now else as_of.isoformat().replace("+00:00", "Z")
    stamps = {"as_of": as_of_text, "checked_at": checked_at}
    course = course_id if course_uid is None else course_uid
    db = connections[DEFAULT_DB_ALIAS]  # looked up once: each lookup costs microseconds
    cache = verify_cache.answer_cache(db=db)
    if cache is None:
        return {**_verify_core(scheme, value, course, as_of, db)[0], **stamps}
    # The key holds plain values only (a uid as its text), which the garbage collector
    # stops tracking: see AnswerCache.
    asked = course if course_uid is None else str(course_uid)
    key = (scheme, value, asked, None if as_of == now else as_of)
    if not fresh:
        core = cache.get(key, now)  # the reader's own copy
        if core is not None:
            core.update(stamps)
            return core
    generation = cache.generation  # before the read: see AnswerCache.put
    core, changes_at = _verify_core(scheme, value, course, as_of, db)
    expires = now + datetime.timedelta(seconds=settings.REGISTRY_VERIFY_CACHE_SECONDS)
    if key[3] is None and changes_at is not None:
        expires = min(expires, changes_at)
    cache.put(key, core, generation=generation, expires=expires)  # kept as a copy
    core.update(stamps)
    return core


def _verify_core(scheme, value, course, as_of, db=None):
    """The answer without its time stamps, and the first moment after `as_of` at
    which time alone changes it (an accreditation's expiry), if any. `course` is a
    course's id, its uid (a UUID) or None."""
    core = {"trusted": False, "status": "none", "provider": None, "accreditation": None}
    entry, found, timeline = _verify_row(scheme, value, course, as_of, db)
    if entry is None:
        return core, None
    accreditations, changes_at = timeline_state(timeline, as_of)
    if accreditations is None:
        # The registry knows a provider from its first published event: asked about a
        # moment before it, the provider was unknown then (and the answer stays so).
        return core, None
    core["provider"] = entry
    if course is not None and found is None:
        return core, None
    acc = deciding_accreditation(accreditations, provider_id=entry["id"], course=found)
    if acc is not None:
        core["status"] = acc["status"]
        core["trusted"] = acc["status"] == "active"
        core["accreditation"] = public_accreditation(acc)
    if changes_at is not None:
        changes_at = _EPOCH + changes_at * _MICROSECOND
    return core, changes_at


@functools.cache
def _verify_sql(course_kind=None):
    """The verify query, one row: the provider the identifier named at the moment
    (identifiers are history: an ended one still names its provider for moments before
    its end, a new one names nobody before it began), its identity periods and answer
    timeline, and, when the question names a course (`course_kind` "id" or "uid", by
    which it is named), the course. The course's level and field are those of its
    version in force at the moment (courses are versioned: a later edit never moves a
    past answer), null before the course was first described.

    One statement per kind of question: each join costs the database as much as the
    rest of the query, so a question without a course joins no course, and the name,
    country and identifiers shown (the provider's `ProviderIdentity` period at the
    moment) are read from the row's own copy of its periods (`identities_json`)."""
    from accreditation.models import Course, CourseVersion, ProviderIdentifier

    course_columns, course_joins = "NULL, NULL, NULL, NULL", ""
    if course_kind is not None:
        course_columns = "c.id, c.provider_id, v.eqf_level, v.isced_f"
        course_joins = (
            f"LEFT JOIN {Course._meta.db_table} c ON c.{course_kind} = %s "
            f"LEFT JOIN {CourseVersion._meta.db_table} v ON v.course_id = c.id "
            "AND v.valid_from <= %s AND (v.valid_until IS NULL OR v.valid_until > %s) "
        )
    return (
        f"SELECT rp.provider_id, rp.identities, {course_columns}, rp.timeline "  # noqa: S608
        f"FROM {RegistryProvider._meta.db_table} rp "
        f"JOIN {ProviderIdentifier._meta.db_table} i ON i.provider_id = rp.provider_id "
        f"{course_joins}"
        "WHERE i.scheme = %s AND i.value = %s AND i.valid_from <= %s "
        "AND (i.valid_until IS NULL OR i.valid_until > %s)"
    )


def verify_query(scheme, value, course, moment, db=None):
    """The verify query for this question and its parameters in its placeholders'
    order (the course's id or uid and the course version's moment twice when a course
    is named; the identifier and its period's moment twice). The course goes as text,
    which psycopg sends untyped, so that PostgreSQL takes the column's type and one
    prepared statement serves every question of a kind."""
    params = []
    kind = None
    if isinstance(course, uuid.UUID):
        kind = "uid"
        native = (db or connection).features.has_native_uuid_field
        params += [str(course) if native else course.hex, moment, moment]
    elif course is not None:
        kind = "id"
        params += [str(course), moment, moment]
    return _verify_sql(kind), [*params, scheme, value, moment, moment]


# How each column of the verify query reads from its text form (registry.statements):
# provider id, identity periods (JSON), course id, its provider, its level, its field,
# the timeline (JSON).
_TEXT = statements.text
_VERIFY_COLUMNS = (int, _TEXT, int, int, int, _TEXT, _TEXT)


def _verify_row(scheme, value, course, as_of, db=None):
    """The verify hot path: one indexed query in plain SQL (no ORM query building).
    Returns (provider entry, course or None, decoded timeline), or (None, None, None)
    for an identifier that named no provider at `as_of`."""
    if db is None:
        db = connections[DEFAULT_DB_ALIAS]  # not the proxy: each access through it costs one
    moment = db.ops.adapt_datetimefield_value(as_of)
    if not isinstance(moment, str):  # once, not once per placeholder (two or four)
        moment = moment.isoformat()  # timestamptz input reads it (offset included)
    sql, params = verify_query(scheme, value, course, moment, db)
    row = statements.fetch_one(db, sql, params, _VERIFY_COLUMNS)
    if row is None:
        return None, None, None
    legal_name, country, identifiers = identity_at(_json(row[1]), micros(as_of))
    entry = {"id": row[0], "legal_name": legal_name, "country": country, "identifiers": identifiers}
    found = None
    if row[2] is not None:
        found = {"id": row[2], "provider_id": row[3], "eqf_level": row[4], "isced_f": row[5]}
    return entry, found, _json(row[6])


_scan_json = json.JSONDecoder().scan_once


def _json(value):
    """A JSON column's value. The database's own JSON text (PostgreSQL's jsonb output
    and the timeline have no surrounding whitespace) goes straight to the decoder's C
    scanner: `json.loads` costs several times as much per value in its checks and its
    whitespace regex."""
    if isinstance(value, str):
        try:
            parsed, end = _scan_json(value, 0)
        except StopIteration:  # not a value at its first character: let json say why
            return json.loads(value)
        return parsed if end == len(value) else json.loads(value)
    return json.loads(value) if isinstance(value, bytes) else value


# --------------------------------------------------------------------------- provider view


def _facets(accreditations, status):
    parts = {f"status:{status}"}
    for acc in accreditations:
        parts.add(f"status:{acc['status']}")
        if acc["status"] not in ("active", "suspended"):
            continue
        if acc["_course_id"] is None:
            parts.update(f"eqf:{lvl}" for lvl in acc["eqf_levels"] or ["*"])
            parts.update(f"isced:{f}" for f in acc["isced_fields"] or ["*"])
        else:
            if acc.get("_course_eqf"):
                parts.add(f"eqf:{acc['_course_eqf']}")
            if acc.get("_course_isced"):
                parts.add(f"isced:{acc['_course_isced']}")
    return "|" + "|".join(sorted(parts)) + "|"


def summary_status(accreditations):
    """One word for the provider: its institutional accreditation's status when it has
    one, else `active` if any course approval is active, else the newest status."""
    institutional = [a for a in accreditations if a["_course_id"] is None]
    newest = _newest(institutional)
    if newest is not None:
        return newest["status"]
    if any(a["status"] == "active" for a in accreditations):
        return "active"
    newest = _newest(accreditations)
    return newest["status"] if newest else "none"


def _approved_versions(accreditation_ids):
    """For each course approval, the course version its decision approved (title, level,
    field, number) and the course's uid: what the registry shows of an approved course,
    never the live course, which the provider may have edited since."""
    rows = Accreditation.objects.filter(pk__in=accreditation_ids, course__isnull=False).values(
        "id",
        "course__uid",
        "course__title",
        "course__eqf_level",
        "course__isced_f",
        "course_version__number",
        "course_version__title",
        "course_version__eqf_level",
        "course_version__isced_f",
    )
    result = {}
    for r in rows:
        pinned = r["course_version__number"] is not None
        prefix = "course_version__" if pinned else "course__"
        result[r["id"]] = {
            "uid": str(r["course__uid"]),
            "version": r["course_version__number"],
            "title": r[f"{prefix}title"],
            "eqf_level": r[f"{prefix}eqf_level"],
            "isced_f": r[f"{prefix}isced_f"],
        }
    return result


def refresh_providers(provider_ids):
    """Rebuild the public rows of these providers from their events (and the live
    provider name, country and identifiers); approved courses as their approved
    version describes them."""
    if not provider_ids:
        return
    now = timezone.now()
    providers = Provider.objects.filter(pk__in=provider_ids).prefetch_related("identifiers")
    events = defaultdict(list)
    for e in RegistryEvent.objects.filter(provider_id__in=provider_ids).order_by("at", "seq"):
        events[e.provider_id].append(e)
    periods = defaultdict(list)
    for period in ProviderIdentity.objects.filter(provider_id__in=provider_ids):
        periods[period.provider_id].append(period)
    approved_ids = {e.accreditation_id for evs in events.values() for e in evs if e.course_id}
    versions = _approved_versions(approved_ids - {None})
    rows = []
    for p in providers:
        evs = events.get(p.pk, [])
        accs, decisions = state_at(evs, now)
        ordered = sorted(accs.values(), key=lambda a: (a["_decided_at"], a["id"]), reverse=True)
        for a in ordered:
            v = versions.get(a["id"]) or {}
            a["_course_eqf"], a["_course_isced"] = v.get("eqf_level"), v.get("isced_f")
        status = summary_status(ordered)
        identifiers = [{"scheme": i.scheme, "value": i.value} for i in p.identifiers.all()]
        approved = [
            {
                "id": a["_course_id"],
                "uid": versions.get(a["id"], {}).get("uid"),
                "version": versions.get(a["id"], {}).get("version"),
                "title": versions.get(a["id"], {}).get("title") or a["_course_title"],
                "eqf_level": versions.get(a["id"], {}).get("eqf_level"),
                "isced_f": versions.get(a["id"], {}).get("isced_f"),
                "status": a["status"],
                "accreditation": a["id"],
            }
            for a in ordered
            if a["_course_id"] is not None and a["status"] in ("active", "suspended")
        ]
        eqf = sorted({lvl for a in ordered if a["status"] == "active" for lvl in a["eqf_levels"]})
        isced = sorted({f for a in ordered if a["status"] == "active" for f in a["isced_fields"]})
        rows.append(
            RegistryProvider(
                provider=p,
                legal_name=p.legal_name,
                country=p.country,
                type=p.type,
                website=p.website,
                identifiers=identifiers,
                search_text=" ".join(
                    [p.legal_name.lower()]
                    + [f"{i['scheme']}:{i['value']}".lower() for i in identifiers]
                ),
                facets=_facets(ordered, status),
                status=status,
                eqf_levels=eqf,
                isced_fields=isced,
                accreditations=[public_accreditation(a) for a in ordered],
                courses=approved,
                decisions=sorted(decisions, key=lambda d: d["decided_at"], reverse=True),
                timeline=timeline_json(evs),
                identities=identities_json(
                    periods.get(p.pk, []), (p.legal_name, p.country, identifiers)
                ),
                last_seq=max((e.seq for e in evs), default=0),
                updated_at=max((e.at for e in evs), default=now),
                refreshed_at=now,
            )
        )
    RegistryProvider.objects.filter(pk__in=[r.provider_id for r in rows]).delete()
    RegistryProvider.objects.bulk_create(rows, batch_size=500)


# --------------------------------------------------------------------------- course record


def _annex_i(elements):
    """A frozen version's Annex I elements, in Annex I order: each element's value (the
    values of its fields when it has several, as the level has), per-learner ones
    marked as such (each issued credential shows them). A version frozen before an
    element had a field reads that field as None (`level_not_applicable` as false)."""
    from accreditation import annex

    rows = []
    for element in annex.ELEMENTS:
        if len(element.fields) > 1:
            value = {name: elements.get(name) for name in element.fields}
            if element.not_applicable:
                value[element.not_applicable] = bool(elements.get(element.not_applicable))
        elif element.fields:
            value = elements.get(element.fields[0])
        else:
            value = None
        rows.append(
            {
                "code": element.code,
                "label": element.label,
                "mandatory": element.mandatory,
                "per_learner": element.per_learner,
                "value": value,
            }
        )
    return rows


def _stamp(value):
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def course_record(uid):
    """A course's public record, or None when no course has `uid` or the agency has taken
    no decision on it (a course nobody decided on is not the registry's to show).

    Built from the registry's events about the course (decisions, accreditations and
    each change of their status, as published) and its frozen versions: the approved
    version is the one the newest course approval not annulled on appeal approved, so
    later edits of the course never change what the record says was approved. Four
    queries whatever the history's length.
    """
    from accreditation.models import Course, CourseVersion

    course = Course.objects.filter(uid=uid).values("id", "provider_id", "uid").first()
    if course is None:
        return None
    events = list(
        RegistryEvent.objects.filter(
            provider_id=course["provider_id"], course_id=course["id"]
        ).order_by("at", "seq")
    )
    if not any(e.type == EventType.DECISION for e in events):
        return None
    entry = RegistryProvider.objects.filter(pk=course["provider_id"]).first()
    if entry is None:
        return None
    versions = list(CourseVersion.objects.filter(course_id=course["id"]).order_by("number"))
    accreditations, decisions = state_at(events, timezone.now())
    # Every decision on one application is on the version pinned when it was submitted.
    version_of_application = {
        e.application_id: e.data.get("course_version")
        for e in events
        if e.type == EventType.DECISION
    }
    history = defaultdict(list)
    for e in events:
        if e.accreditation_id is not None and e.type not in (
            EventType.DECISION,
            EventType.REPORT,
        ):
            history[e.accreditation_id].append(
                {
                    "seq": e.seq,
                    "at": _stamp(e.at),
                    "type": e.type,
                    "status": e.status,
                    "reason": e.data.get("reason"),
                    "comment": e.data.get("comment") or "",
                }
            )
    version_of_acc = {
        e.accreditation_id: e.data.get("course_version")
        for e in events
        if e.accreditation_id is not None and e.data.get("course_version") is not None
    }
    ordered = sorted(accreditations.values(), key=lambda a: (a["_decided_at"], a["id"]))
    standing = [a for a in ordered if a["status"] != "annulled"]
    approved_numbers = {version_of_acc.get(a["id"]) for a in standing} - {None}
    approved_number = version_of_acc.get(standing[-1]["id"]) if standing else None
    approved = next((v for v in versions if v.number == approved_number), None)
    newest_at = max([e.at for e in events] + [v.valid_until or v.valid_from for v in versions])
    return {
        "uid": str(course["uid"]),
        "uri": course_url(course["uid"]),
        "title": approved.title if approved else None,
        "provider": {
            "id": entry.provider_id,
            "legal_name": entry.legal_name,
            "country": entry.country,
            "identifiers": entry.identifiers,
        },
        "approved_version": None
        if approved is None
        else {
            "number": approved.number,
            "valid_from": _stamp(approved.valid_from),
            "valid_until": _stamp(approved.valid_until),
            "title": approved.title,
            "eqf_level": approved.eqf_level,
            "isced_f": approved.isced_f,
            "languages": approved.elements.get("languages") or [],
            "annex_i": _annex_i(approved.elements),
            "learning_specification": elm.learning_specification(
                approved.elements, url=course_url(course["uid"]), title=approved.title
            ),
        },
        "decisions": [
            {
                **{k: v for k, v in d.items() if k != "scope"},
                "course_version": version_of_application.get(d["application"]),
            }
            for d in reversed(decisions)
        ],
        "accreditations": [
            {
                **public_accreditation(a),
                "course_version": version_of_acc.get(a["id"]),
                "history": history.get(a["id"], []),
            }
            for a in reversed(ordered)
        ],
        "versions": [
            {
                "number": v.number,
                "valid_from": _stamp(v.valid_from),
                "valid_until": _stamp(v.valid_until),
                "approved": v.number in approved_numbers,
            }
            for v in versions
        ],
        "_etag": (course["uid"], max(e.seq for e in events), len(versions), entry.last_seq),
        "_last_modified": max(newest_at, entry.refreshed_at or newest_at),
    }
