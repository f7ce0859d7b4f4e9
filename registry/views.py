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
from django.utils import dateformat
from django.utils.dateparse import parse_datetime
from django.utils.feedgenerator import Atom1Feed
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


class ChangesFeed(Feed):
    """The change feed for people (Atom): the newest 50 events, throttled like the API."""

    feed_type = Atom1Feed
    link = "/registry/"
    subtitle = "Decisions and status changes of accredited micro-credential providers."

    def __call__(self, request, *args, **kwargs):
        return throttled(super().__call__)(request, *args, **kwargs)

    def title(self):
        return f"{settings.MCQA_AGENCY_NAME}: registry changes"

    def items(self):
        return RegistryEvent.objects.select_related("provider__registry_entry").order_by("-seq")[
            :50
        ]

    def item_title(self, item):
        entry = getattr(item.provider, "registry_entry", None)
        name = entry.legal_name if entry else item.provider.legal_name
        what = item.get_type_display()
        if item.type == "decision":
            outcomes = dict(Decision.Outcome.choices)
            what = f"Decision: {outcomes.get(item.outcome, item.outcome).lower()}"
        if item.type == EventType.IDENTITY:
            name = item.data.get("legal_name") or name
        return f"{name}: {what}"

    def item_description(self, item):
        if item.type == EventType.IDENTITY:
            identifiers = ", ".join(
                f"{i['scheme']}:{i['value']}" for i in item.data.get("identifiers") or []
            )
            return (
                f"Event {item.seq}: now {item.data.get('legal_name')} "
                f"({item.data.get('country')}); identifiers: {identifiers or 'none'}."
            )
        scope = "institutional"
        if item.course_id is not None:
            uid, number = item.data.get("course_uid"), item.data.get("course_version")
            scope = f"course {uid or item.course_id}" + (f" version {number}" if number else "")
        statuses = dict(AccreditationStatus.choices)
        status = f", {statuses.get(item.status, item.status).lower()}" if item.status else ""
        text = f"Event {item.seq} ({scope}{status})."
        data = item.data or {}
        if data.get("reason"):
            reasons = dict(SuspensionReason.choices)
            text += f" Reason: {reasons.get(data['reason'], data['reason'])}."
        if item.type in (EventType.ANNUL, EventType.ANNULLED):
            text += " Reason: the decision was annulled on appeal."
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


@require_GET
@throttled
def search_page(request):
    """Search with filters and a result count; invalid filters are shown, not hidden."""
    error = None
    results = None
    try:
        condition = search_filter(request.GET)
    except ValidationError as exc:
        field, messages = next(iter(exc.detail.items()))
        error = {"field": field, "message": str(messages[0])}
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
                "message": "Enter the provider's identifier, e.g. schac:uni.example.org.",
            }
        return render(request, "registry/verify.html", context, status=400 if request.GET else 200)
    params = _verify_params(request.GET)
    try:
        answer = verify_answer(params)
    except ValidationError as exc:
        field, messages = next(iter(exc.detail.items()))
        context["error"] = {"field": field, "message": str(messages[0])}
        return render(request, "registry/verify.html", context, status=400)
    query = QueryDict(mutable=True)
    query.update(params)
    context.update(
        {
            "answer": answer,
            "words": answer_in_words(answer, identifier=asked["identifier"]),
            "checked": dateformat.format(parse_datetime(answer["checked_at"]), "j F Y, H:i"),
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
    moment = parse_datetime(stamp) if stamp else None
    return dateformat.format(moment, "j F Y") if moment else stamp


def _course_title(answer):
    course = answer["query"].get("course")
    if not course:
        return None
    lookup = Course.objects.filter(pk=int(course)) if course.isdigit() else None
    if lookup is None:
        lookup = Course.objects.filter(pk=services.course_id_for_uid(course))
    return lookup.values_list("title", flat=True).first()


def answer_in_words(answer, *, identifier):
    """The verify answer as one plain sentence, and whether it is a yes. Names the
    provider as it was called at the moment asked about, the course (when one was asked
    about) and what decided: the course's own approval or the institutional
    accreditation."""
    day = _day(answer["as_of"])
    agency = answer["issuer"]["name"]
    provider = answer["provider"]
    if provider is None:
        return {
            "yes": False,
            "sentence": f"No. On {day}, the registry knew no provider with the identifier "
            f"{identifier}: {agency} had not quality-assured it.",
        }
    name = provider["legal_name"]
    course = _course_title(answer)
    accreditation = answer["accreditation"]
    if accreditation is None:
        covering = f" covering the course “{course}”" if course else ""
        return {
            "yes": False,
            "sentence": f"No. On {day}, {name} held no accreditation from {agency}{covering}.",
        }
    for_course = f" for the course “{course}”" if course else ""
    if accreditation["scope"] == "provider":
        what = "its institutional accreditation"
        if course:
            what += ", which covers the course,"
    else:
        what = "the course's own approval"
    if answer["trusted"]:
        until = accreditation.get("valid_until")
        validity = f" (valid until {_day(until + 'T00:00:00Z')})" if until else ""
        return {
            "yes": True,
            "sentence": f"Yes. On {day}, {name} was quality-assured by {agency}{for_course}: "
            f"{what} was in force{validity}.",
        }
    status = dict(AccreditationStatus.choices).get(answer["status"], answer["status"])
    return {
        "yes": False,
        "sentence": f"No. On {day}, {name} was not quality-assured{for_course}: {what} "
        f"was {status.lower()}.",
    }


def bench_constant(request):
    """A constant answer: the benchmark's baseline for what Django itself costs."""
    return HttpResponse(b'{"ok":true}', content_type="application/json")
