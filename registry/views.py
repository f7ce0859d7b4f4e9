"""Public registry pages and the plain (non-DRF) public endpoints: JWKS, streamed export,
the Atom change feed. Everything here is anonymous and read-only."""

import csv
import functools
import hashlib
import io
import json
import math

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.syndication.views import Feed
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats
from django.utils.dateparse import parse_datetime
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET
from rest_framework.exceptions import APIException, Throttled, ValidationError

from accreditation import views as accreditation_views
from accreditation.models import AccreditationStatus, Course, Decision, SuspensionReason
from core import reference

from . import credentials, deqar, services, signing
from .api import (
    LIST_FIELDS,
    STATUSES,
    api_error,
    check_throttle,
    course_body,
    list_item,
    provider_detail,
    public_course_record,
    search_filter,
    verify_answer,
)
from .models import EventType, RegistryEvent, RegistryProvider

EXPORT_CHUNK = 1000
CSV_COLUMNS = ("id", "legal_name", "country", "status", "identifiers", "accreditations")


def throttled(view):
    """Put the registry API's throttle (same scope, same count, same client address) in
    front of a public page: over the limit the page answers 429 with `Retry-After` and a
    short page saying when to come back, and does no other work."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            check_throttle(request)
        except Throttled as exc:
            wait = max(1, math.ceil(exc.wait or 1))
            response = render(request, "registry/throttled.html", {"wait": wait}, status=429)
            response["Retry-After"] = str(wait)
            return response
        return view(request, *args, **kwargs)

    return wrapper


def _key_document(request, document, content_type):
    """A public key document (JWKS, DID document): ETag, 304, cached as long as a
    verifier may keep the keys (REGISTRY_JWKS_MAX_AGE), readable cross-origin."""
    body = json.dumps(document, separators=(",", ":"))
    etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:20] + '"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type=content_type)
    response["ETag"] = etag
    response["Cache-Control"] = f"public, max-age={settings.REGISTRY_JWKS_MAX_AGE}"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def jwks_view(request):
    """The registry's public keys, old ones included (rotation keeps them published)."""
    return _key_document(request, signing.jwks(), "application/jwk-set+json")


@require_GET
def did_view(request):
    """The agency's did:web document: the same public keys as the JWKS, cached as long."""
    return _key_document(request, credentials.did_document(), "application/did+json")


def export_record(entry):
    return {
        "id": entry.provider_id,
        "legal_name": entry.legal_name,
        "country": entry.country,
        "status": entry.status,
        "identifiers": entry.identifiers,
        "accreditations": entry.accreditations,
    }


def csv_safe(text):
    """A provider-typed cell that a spreadsheet would run as a formula gets a leading
    apostrophe (CSV injection); JSON Lines keep the text exactly."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def deqar_csv():
    """The DEQAR submission, streamed line by line (provider text defused)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(deqar.COLUMNS)
    for record in deqar.deqar_records():
        for column in deqar.PROVIDER_TEXT:
            record[column] = csv_safe(record[column])
        writer.writerow([record.get(column, "") for column in deqar.COLUMNS])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def export_rows(fmt):
    """Yield the export line by line, reading the projection in chunks (constant memory
    whatever the registry's size)."""
    queryset = (
        RegistryProvider.objects.order_by("provider_id")
        .only("provider_id", "legal_name", "country", "status", "identifiers", "accreditations")
        .iterator(chunk_size=EXPORT_CHUNK)
    )
    if fmt == "jsonl":
        for entry in queryset:
            yield json.dumps(export_record(entry), ensure_ascii=False, separators=(",", ":")) + "\n"
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for entry in queryset:
        record = export_record(entry)
        writer.writerow(
            [
                record["id"],
                csv_safe(record["legal_name"]),
                record["country"],
                record["status"],
                json.dumps(record["identifiers"], separators=(",", ":")),
                json.dumps(record["accreditations"], separators=(",", ":")),
            ]
        )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


@require_GET
def export_view(request):
    """The whole registry, one record per provider, streamed as CSV or JSON Lines; or,
    with `format=deqar`, one row per published report as a DEQAR CSV submission."""
    try:
        check_throttle(request)
        fmt = request.GET.get("format", "jsonl")
        if fmt not in ("csv", "jsonl", "deqar"):
            raise ValidationError({"format": ["format must be csv, jsonl or deqar."]})
    except APIException as exc:
        return api_error(exc)
    if fmt == "deqar":
        response = StreamingHttpResponse(deqar_csv(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="registry-deqar.csv"'
    else:
        content_type = "text/csv; charset=utf-8" if fmt == "csv" else "application/jsonl"
        response = StreamingHttpResponse(export_rows(fmt), content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="registry.{fmt}"'
    response["Cache-Control"] = "public, max-age=60"
    return response


# The feed's and the verify answer's words for a decision and a status, as they stand in
# a sentence ("Decision: positive with conditions", "... was suspended"): lower case in
# English, the words' own case in German.
FEED_DECISIONS = {
    "positive": gettext_lazy("Decision: positive"),
    "positive_with_conditions": gettext_lazy("Decision: positive with conditions"),
    "negative": gettext_lazy("Decision: negative"),
}
STATUS_WORDS = {
    "active": pgettext_lazy("accreditation was ...", "active"),
    "suspended": pgettext_lazy("accreditation was ...", "suspended"),
    "revoked": pgettext_lazy("accreditation was ...", "revoked"),
    "expired": pgettext_lazy("accreditation was ...", "expired"),
    "annulled": pgettext_lazy("accreditation was ...", "annulled on appeal"),
}


class ChangesFeed(Feed):
    """The change feed for people (Atom): the newest 50 events, throttled like the API."""

    feed_type = Atom1Feed
    link = "/registry/"

    def __call__(self, request, *args, **kwargs):
        return throttled(super().__call__)(request, *args, **kwargs)

    def title(self):
        return _("%(agency)s: registry changes") % {"agency": settings.MCQA_AGENCY_NAME}

    def subtitle(self):
        return _("Decisions and status changes of accredited micro-credential providers.")

    def items(self):
        return RegistryEvent.objects.select_related("provider__registry_entry").order_by("-seq")[
            :50
        ]

    def item_title(self, item):
        entry = getattr(item.provider, "registry_entry", None)
        name = entry.legal_name if entry else item.provider.legal_name
        what = item.get_type_display()
        if item.type == "decision":
            what = FEED_DECISIONS.get(item.outcome) or dict(Decision.Outcome.choices).get(
                item.outcome, item.outcome
            )
        if item.type == EventType.IDENTITY:
            name = item.data.get("legal_name") or name
        return _("%(name)s: %(what)s") % {"name": name, "what": what}

    def item_description(self, item):
        if item.type == EventType.IDENTITY:
            identifiers = ", ".join(
                f"{i['scheme']}:{i['value']}" for i in item.data.get("identifiers") or []
            )
            if identifiers:
                message = _("Event %(seq)s: now %(name)s (%(country)s); identifiers: %(ids)s.")
            else:
                message = _("Event %(seq)s: now %(name)s (%(country)s); identifiers: none.")
            return message % {
                "seq": item.seq,
                "name": item.data.get("legal_name"),
                "country": item.data.get("country"),
                "ids": identifiers,
            }
        scope = _("institutional")
        if item.course_id is not None:
            uid, number = item.data.get("course_uid"), item.data.get("course_version")
            course = uid or item.course_id
            if number:
                scope = _("course %(course)s version %(number)s") % {
                    "course": course,
                    "number": number,
                }
            else:
                scope = _("course %(course)s") % {"course": course}
        if item.status:
            status = STATUS_WORDS.get(item.status) or item.status
            text = _("Event %(seq)s (%(scope)s, %(status)s).") % {
                "seq": item.seq,
                "scope": scope,
                "status": status,
            }
        else:
            text = _("Event %(seq)s (%(scope)s).") % {"seq": item.seq, "scope": scope}
        data = item.data or {}
        if data.get("reason"):
            reasons = dict(SuspensionReason.choices)
            reason = reasons.get(data["reason"], data["reason"])
            text += " " + _("Reason: %(reason)s.") % {"reason": reason}
        if item.type in (EventType.ANNUL, EventType.ANNULLED):
            text += " " + _("Reason: the decision was annulled on appeal.")
        if data.get("comment"):
            text += f" {data['comment']}"
        return text

    def item_link(self, item):
        return reverse("registry-provider", args=[item.provider_id]) + f"#event-{item.seq}"

    def item_guid(self, item):
        return f"{settings.MCQA_SITE_URL.rstrip('/')}/registry/changes/{item.seq}"

    def item_pubdate(self, item):
        return item.at

    def item_updateddate(self, item):
        return item.at


PAGE_SIZE = 25

# What the search page says of a filter the API refuses (its own message is for
# integrators, in English): the filter's label and what to enter instead.
SEARCH_ERRORS = {
    "q": (gettext_lazy("Name or identifier"), gettext_lazy("Enter at most 200 characters.")),
    "country": (gettext_lazy("Country"), gettext_lazy("Choose a country from the list.")),
    "status": (gettext_lazy("Status"), gettext_lazy("Choose a status from the list.")),
    "eqf_level": (gettext_lazy("EQF level"), gettext_lazy("Choose a level from 1 to 8.")),
    "isced_f": (
        gettext_lazy("ISCED-F field"),
        gettext_lazy("Enter an ISCED-F 2013 field code of 2 to 4 digits, e.g. 0613."),
    ),
}


@require_GET
@throttled
def search_page(request):
    """Search with filters and a result count; invalid filters are shown, not hidden."""
    error = None
    results = None
    try:
        condition = search_filter(request.GET)
    except ValidationError as exc:
        field = next(iter(exc.detail))
        label, message = SEARCH_ERRORS.get(field, (field, exc.detail[field][0]))
        error = {"field": field, "label": label, "message": message}
        condition = None
    page = None
    if condition is not None:
        queryset = RegistryProvider.objects.filter(condition).values(*LIST_FIELDS)
        paginator = Paginator(queryset, PAGE_SIZE)
        page = paginator.get_page(request.GET.get("page"))
        results = [list_item(e) for e in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "registry/search.html",
        {
            "results": results,
            "page": page,
            "error": error,
            "params": request.GET,
            "query": query.urlencode(),
            "statuses": STATUSES,
            "countries": reference.country_choices(),
            "eqf_levels": range(1, 9),
        },
        status=400 if error else 200,
    )


@require_GET
@throttled
def provider_page(request, pk):
    """A provider's public record: accreditations, courses, every decision with its
    report download and SHA-256."""
    entry = RegistryProvider.objects.filter(pk=pk).first()
    if entry is None:
        raise Http404("No such provider in the registry.")
    return render(
        request, "registry/provider.html", {"p": with_course_titles(provider_detail(entry))}
    )


def with_course_titles(record):
    """The provider's record with each course scope named: `scope_title` and `scope_uid`
    on every accreditation and decision of a course, so the page says the course's title
    (and links its record) instead of "Course 2". Approved courses carry their approved
    title; any other course is read in one query."""
    known = {c["id"]: (c["title"], c["uid"]) for c in record["courses"] if c.get("title")}
    rows = {key: [dict(item) for item in record[key]] for key in ("accreditations", "decisions")}
    missing = {
        item["scope"]
        for items in rows.values()
        for item in items
        if item["scope"] != "provider" and item["scope"] not in known
    }
    if missing:
        for pk, title, uid in Course.objects.filter(pk__in=missing).values_list(
            "pk", "title", "uid"
        ):
            known[pk] = (title, str(uid))
    for items in rows.values():
        for item in items:
            item["scope_title"], item["scope_uid"] = known.get(item["scope"], (None, None))
    return {**record, **rows}


@require_GET
@throttled
def course_page(request, uid):
    """A course's public record (the same as its API answer): what the agency approved,
    the provider, every decision and accreditation with its history, the versions."""
    record = course_body(public_course_record(uid))
    return render(request, "registry/course.html", {"c": record})


# --------------------------------------------------------------------------- front door


def front_door(request):
    """The site's first page. A visitor sees what the agency does, the registry search,
    the verify box and the login for staff and providers (throttled like the registry's
    other pages); a person who is logged in sees their own work."""
    if request.user.is_authenticated:
        return accreditation_views.home(request)
    return _landing(request)


@require_GET
@throttled
def _landing(request):
    return render(
        request,
        "registry/landing.html",
        {
            "login_form": AuthenticationForm(request),
            "published": RegistryProvider.objects.count(),
        },
    )


VERIFY_FIELDS = ("identifier", "course", "at")


def _verify_error(field, message):
    """What the verify box says of a field the API refuses, in the reader's language
    (the API's own message is for integrators and stays English)."""
    if field == "identifier":
        return _(
            "Write the identifier as scheme:value, e.g. schac:uni.example.org; the schemes "
            "are %(schemes)s."
        ) % {"schemes": ", ".join(reference.IDENTIFIER_SCHEMES)}
    if field == "course":
        return _("Enter the course's public identifier (a UUID) or its number.")
    if field == "at":
        return _("Enter the date as YYYY-MM-DD (an ISO 8601 date-time is accepted too).")
    return message


def _verify_params(params):
    """The verify box's fields as the verify API takes them. A DID is written as people
    write it (`did:web:uni.example`); the API's identifier is `<scheme>:<value>`, so it is
    `did:` followed by the DID."""
    query = {name: (params.get(name) or "").strip() for name in VERIFY_FIELDS}
    identifier = query["identifier"]
    if identifier.startswith("did:") and not identifier.startswith("did:did:"):
        query["identifier"] = "did:" + identifier
    return {name: value for name, value in query.items() if value}


@require_GET
@throttled
def verify_page(request):
    """The verify box's answer in plain words ("Yes. On 3 March 2026, ... was
    quality-assured ..."), with links to the signed answer and the JSON one. A malformed
    field is 400 naming it, next to the field."""
    asked = {name: (request.GET.get(name) or "").strip() for name in VERIFY_FIELDS}
    context = {"asked": asked, "error": None, "answer": None}
    if not asked["identifier"]:
        if request.GET:
            context["error"] = {
                "field": "identifier",
                "message": _("Enter the provider's identifier, e.g. schac:uni.example.org."),
            }
        return render(request, "registry/verify.html", context, status=400 if request.GET else 200)
    params = _verify_params(request.GET)
    try:
        answer = verify_answer(params)
    except ValidationError as exc:
        field, messages = next(iter(exc.detail.items()))
        context["error"] = {"field": field, "message": _verify_error(field, str(messages[0]))}
        return render(request, "registry/verify.html", context, status=400)
    query = QueryDict(mutable=True)
    query.update(params)
    checked = parse_datetime(answer["checked_at"])
    context.update(
        {
            "answer": answer,
            "words": answer_in_words(answer, identifier=asked["identifier"]),
            "checked": formats.date_format(checked, "DATETIME_FORMAT"),
            "checked_iso": answer["checked_at"],
            "query": query.urlencode(),
        }
    )
    return render(request, "registry/verify.html", context)


@require_GET
@throttled
def verify_signed(request):
    """The same answer as the verify page, signed by the registry key (a compact JWS,
    `application/jose`), to download and keep: what the verify API answers with
    `Accept: application/jose`."""
    try:
        answer = verify_answer(_verify_params(request.GET))
    except APIException as exc:
        return api_error(exc)
    response = HttpResponse(signing.sign(answer), content_type="application/jose")
    response["Content-Disposition"] = 'attachment; filename="verify-answer.jws"'
    response["Cache-Control"] = "no-cache"
    return response


def _day(stamp):
    """An ISO stamp's day as the reader's language writes it ("3 March 2026")."""
    moment = parse_datetime(stamp) if stamp else None
    return formats.date_format(moment, "DATE_FORMAT") if moment else stamp


def _course_title(answer):
    course = answer["query"].get("course")
    if not course:
        return None
    lookup = Course.objects.filter(pk=int(course)) if course.isdigit() else None
    if lookup is None:
        lookup = Course.objects.filter(pk=services.course_id_for_uid(course))
    return lookup.values_list("title", flat=True).first()


# The verify answer's sentences, whole, so each language orders its own words. Keyed by
# what decided (`provider`: the institutional accreditation; `covers`: the same, asked
# about a course it covers; `course`: the course's own approval) and, for a yes, whether
# the accreditation states an end.
_YES = {
    ("provider", False): gettext_lazy(
        "Yes. On %(day)s, %(name)s was quality-assured by %(agency)s: its institutional "
        "accreditation was in force."
    ),
    ("provider", True): gettext_lazy(
        "Yes. On %(day)s, %(name)s was quality-assured by %(agency)s: its institutional "
        "accreditation was in force (valid until %(until)s)."
    ),
    ("covers", False): gettext_lazy(
        "Yes. On %(day)s, %(name)s was quality-assured by %(agency)s for the course "
        "“%(course)s”: its institutional accreditation, which covers the course, was in "
        "force."
    ),
    ("covers", True): gettext_lazy(
        "Yes. On %(day)s, %(name)s was quality-assured by %(agency)s for the course "
        "“%(course)s”: its institutional accreditation, which covers the course, was in "
        "force (valid until %(until)s)."
    ),
    ("course", False): gettext_lazy(
        "Yes. On %(day)s, %(name)s was quality-assured by %(agency)s for the course "
        "“%(course)s”: the course's own approval was in force."
    ),
    ("course", True): gettext_lazy(
        "Yes. On %(day)s, %(name)s was quality-assured by %(agency)s for the course "
        "“%(course)s”: the course's own approval was in force (valid until %(until)s)."
    ),
}
_NOT_TRUSTED = {
    "provider": gettext_lazy(
        "No. On %(day)s, %(name)s was not quality-assured: its institutional accreditation "
        "was %(status)s."
    ),
    "covers": gettext_lazy(
        "No. On %(day)s, %(name)s was not quality-assured for the course “%(course)s”: its "
        "institutional accreditation, which covers the course, was %(status)s."
    ),
    "course": gettext_lazy(
        "No. On %(day)s, %(name)s was not quality-assured for the course “%(course)s”: the "
        "course's own approval was %(status)s."
    ),
}


def answer_in_words(answer, *, identifier):
    """The verify answer as one plain sentence in the reader's language, and whether it
    is a yes. Names the provider as it was called at the moment asked about, the course
    (when one was asked about) and what decided: the course's own approval or the
    institutional accreditation."""
    words = {
        "day": _day(answer["as_of"]),
        "agency": answer["issuer"]["name"],
        "identifier": identifier,
    }
    provider = answer["provider"]
    if provider is None:
        return {
            "yes": False,
            "sentence": _(
                "No. On %(day)s, the registry knew no provider with the identifier "
                "%(identifier)s: %(agency)s had not quality-assured it."
            )
            % words,
        }
    words["name"] = provider["legal_name"]
    course = _course_title(answer)
    words["course"] = course or answer["query"].get("course")
    accreditation = answer["accreditation"]
    if accreditation is None:
        if course:
            sentence = _(
                "No. On %(day)s, %(name)s held no accreditation from %(agency)s covering the "
                "course “%(course)s”."
            )
        else:
            sentence = _("No. On %(day)s, %(name)s held no accreditation from %(agency)s.")
        return {"yes": False, "sentence": sentence % words}
    if accreditation["scope"] != "provider":
        decided = "course"
    else:
        decided = "covers" if course else "provider"
    if answer["trusted"]:
        until = accreditation.get("valid_until")
        words["until"] = _day(until + "T00:00:00Z") if until else None
        return {"yes": True, "sentence": _YES[(decided, bool(until))] % words}
    status = answer["status"]
    words["status"] = STATUS_WORDS.get(status) or dict(AccreditationStatus.choices).get(
        status, status
    )
    return {"yes": False, "sentence": _NOT_TRUSTED[decided] % words}


def bench_constant(request):
    """A constant answer: the benchmark's baseline for what Django itself costs."""
    return HttpResponse(b'{"ok":true}', content_type="application/json")
