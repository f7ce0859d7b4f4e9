"""The public registry API: anonymous, throttled per client, cacheable.

No authentication classes run here (so no CSRF and no session lookup); every answer
carries caching headers derived from the newest registry event, and a conditional GET
with a matching `If-None-Match` or `If-Modified-Since` is answered 304.
"""

import datetime
import hashlib
import json
import re
import uuid
from urllib.parse import unquote

from django.conf import settings
from django.core.exceptions import TooManyFieldsSent
from django.db import connection
from django.db.models import BooleanField, OuterRef, Q, Subquery
from django.db.models.expressions import RawSQL
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import http_date, parse_etags, parse_http_date_safe, quote_etag
from django.views.decorators.csrf import csrf_exempt
from rest_framework import renderers
from rest_framework.exceptions import APIException, Throttled, ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from accreditation.models import Course
from core import counters, reference
from core.clients import ClientAddressMixin

from . import accreditations, credentials, elm, services, signing, verify_cache
from .models import EventType, RegistryEvent, RegistryProvider
from .schema import (
    accreditation_schema,
    changes_schema,
    course_schema,
    detail_schema,
    list_schema,
    verify_schema,
)

STATUSES = ("active", "suspended", "revoked", "expired", "annulled", "none")
DEFAULT_RATE = "300/minute"


class RegistryThrottle(ClientAddressMixin, SimpleRateThrottle):
    """Per-client throttle for the public registry, API and pages alike; the client is
    `core.clients.client_address` (the socket peer unless it is a trusted proxy) and the
    counts live in the default cache, which every process shares (Redis in production,
    a file cache in the demo). The rate is read from
    REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']['registry'] at request time.

    A fixed-window counter (one atomic count per request, one Redis round trip:
    `core.counters`) rather than DRF's sliding list of timestamps, whose cost grows
    with the rate: the registry must stay cheap for verifiers at high volume.
    `Retry-After` is the time left in the window.
    """

    scope = "registry"

    def get_rate(self):
        rates = settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {})
        return rates.get(self.scope) or DEFAULT_RATE

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        key = f"{self.get_cache_key(request, view)}:{window}"
        self.window_end = (window + 1) * self.duration
        self.now = now
        return counters.count(key, timeout=self.duration + 1) <= self.num_requests

    def wait(self):
        return max(1.0, self.window_end - self.now)


def check_throttle(request):
    """Throttle a plain Django view the same way (raises Throttled with the wait)."""
    throttle = RegistryThrottle()
    if not throttle.allow_request(request, None):
        raise Throttled(wait=throttle.wait())


class JoseRenderer(renderers.BaseRenderer):
    """The payload as a compact JWS signed with the registry's active key."""

    media_type = "application/jose"
    format = "jose"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return signing.sign(data).encode("ascii")


class RegistryNegotiation(DefaultContentNegotiation):
    """JSON unless the client asks for a signed answer (`application/jose`): no 406 for
    odd Accept headers, and no Accept parsing on the hot path."""

    def select_renderer(self, request, renderers, format_suffix=None):
        accept = request.META.get("HTTP_ACCEPT", "")
        for renderer in renderers[1:]:
            if renderer.media_type in accept:
                return renderer, renderer.media_type
        return renderers[0], renderers[0].media_type


class PublicAPIView(APIView):
    content_negotiation_class = RegistryNegotiation
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [RegistryThrottle]
    renderer_classes = [renderers.JSONRenderer]
    max_age = 60

    def finalize_response(self, request, response, *args, **kwargs):
        """Public, credential-free data: any web page (a wallet, an admissions portal)
        may read it cross-origin."""
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Access-Control-Allow-Origin"] = "*"
        return response

    def cached(self, request, response_factory, *, etag, last_modified=None):
        """Answer 304 when the client's copy is current, else the response with
        ETag, Last-Modified and Cache-Control."""
        etag = quote_etag(etag)
        inm = request.headers.get("If-None-Match")
        ims = request.headers.get("If-Modified-Since")
        not_modified = False
        if inm:
            not_modified = etag in parse_etags(inm) or inm.strip() == "*"
        elif ims and last_modified is not None:
            since = parse_http_date_safe(ims)
            not_modified = since is not None and int(last_modified.timestamp()) <= since
        response = Response(status=304) if not_modified else response_factory()
        response["ETag"] = etag
        if last_modified is not None:
            response["Last-Modified"] = http_date(last_modified.timestamp())
        response["Cache-Control"] = f"public, max-age={self.max_age}"
        return response


def _newest_event():
    """seq and time of the newest event (ETag and Last-Modified of lists): one indexed
    read in plain SQL, as every list request makes it."""
    table = RegistryEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT seq, at FROM {table} ORDER BY seq DESC LIMIT 1")  # noqa: S608
        row = cursor.fetchone()
    if row is None:
        return {"seq": 0, "at": None}
    return {"seq": row[0], "at": _aware(row[1])}


def _aware(value):
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    return value


def _digest(*parts):
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:20]


# --------------------------------------------------------------------------- verify

IDENTIFIER = re.compile(r"^(?P<scheme>[a-z-]+):(?P<value>\S.{0,199})$", re.S)


def _bad(parameter, message):
    return ValidationError({parameter: [message]})


_json_renderer = renderers.JSONRenderer()
_answer_encoder = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def answer_json(answer):
    """A verify answer (JSON types only) as the JSON bytes DRF's JSONRenderer writes
    with this project's settings (compact, UTF-8, no NaN, U+2028 and U+2029 escaped),
    with one encoder kept instead of one made per answer."""
    text = _answer_encoder.encode(answer)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").encode()


def query_params(request):
    """The query string's parameters, each with its last value as `request.GET.get`
    gives it, parsed as Django parses it (UTF-8, else Latin-1; more than
    DATA_UPLOAD_MAX_NUMBER_FIELDS is TooManyFieldsSent, a 400) without building the
    QueryDict, which costs three times as much: verify is asked at volume."""
    if "GET" in request.__dict__:  # parsed already
        return request.GET
    raw = request.META.get("QUERY_STRING", "").encode("iso-8859-1")
    try:
        text = raw.decode(settings.DEFAULT_CHARSET)
    except UnicodeDecodeError:
        text = raw.decode("iso-8859-1")
    if not text:
        return {}
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    if limit is not None and text.count("&") + 1 > limit:
        raise TooManyFieldsSent(
            "The number of GET/POST parameters exceeded settings.DATA_UPLOAD_MAX_NUMBER_FIELDS."
        )
    # `urllib.parse.parse_qsl(text, keep_blank_values=True)` (as QueryDict calls it), in
    # the common case without its per-pair calls: a part without `+` or `%` is its own
    # value. A part without `=` is a name with a blank value; empty parts are skipped.
    params = {}
    encoding = settings.DEFAULT_CHARSET
    for part in text.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        if "+" in name or "%" in name:
            name = unquote(name.replace("+", " "), encoding=encoding, errors="replace")
        if "+" in value or "%" in value:
            value = unquote(value.replace("+", " "), encoding=encoding, errors="replace")
        params[name] = value
    return params


def wants_fresh(request):
    """`Cache-Control: no-cache` asks for an answer read from the database now."""
    return "no-cache" in request.META.get("HTTP_CACHE_CONTROL", "")


def verify_answer(params, *, fresh=False):
    """Check the verify parameters (400 naming the first bad one) and answer."""
    raw = params.get("identifier", "")
    match = IDENTIFIER.match(raw.strip())
    if not match or match["scheme"] not in reference.IDENTIFIER_SCHEMES:
        raise _bad(
            "identifier",
            "identifier must be <scheme>:<value> with a scheme among "
            + ", ".join(reference.IDENTIFIER_SCHEMES)
            + ".",
        )
    course = params.get("course")
    course_id = course_uid = None
    if course not in (None, ""):
        if course.isdigit() and len(course) <= 18:
            course_id = int(course)
        else:
            try:
                course_uid = uuid.UUID(course)
            except ValueError as exc:
                raise _bad(
                    "course", "course must be a course's uid (a UUID) or its id (an integer)."
                ) from exc
    try:
        at = services.parse_at(params.get("at"))
    except (ValueError, OverflowError) as exc:
        raise _bad("at", "at must be an ISO 8601 date or date-time.") from exc
    answer = services.verify(
        scheme=match["scheme"],
        value=match["value"].strip(),
        course_id=course_id,
        course_uid=course_uid,
        at=at,
        fresh=fresh,
    )
    answer["query"] = {
        "identifier": raw.strip(),
        "course": course or None,
        "at": params.get("at") or None,
    }
    answer["issuer"] = services.issuer()
    return answer


class VerifyView(PublicAPIView):
    """Was a provider (a course) trusted at a moment? JSON or, with
    `Accept: application/jose`, the same payload signed."""

    renderer_classes = [renderers.JSONRenderer, JoseRenderer]

    @verify_schema
    def get(self, request):
        response = Response(verify_answer(request.query_params, fresh=wants_fresh(request)))
        response["Cache-Control"] = "no-cache"
        response["Vary"] = "Accept"
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        if response.status_code >= 400:  # an error is no attestation: plain JSON, unsigned
            request.accepted_renderer = _json_renderer
            request.accepted_media_type = _json_renderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


def api_error(exc):
    """A DRF exception as the JSON answer DRF gives for it (Retry-After on 429)."""
    detail = exc.detail if isinstance(exc.detail, dict) else {"detail": exc.detail}
    response = HttpResponse(
        _json_renderer.render(detail), status=exc.status_code, content_type="application/json"
    )
    wait = getattr(exc, "wait", None)
    if wait is not None:
        response["Retry-After"] = str(max(1, int(wait + 0.999)))
    return response


_verify_drf = VerifyView.as_view()


@csrf_exempt  # as every DRF view; the delegated methods answer 405 or OPTIONS
def verify_view(request):
    """The verify URL. GET and HEAD, what verifiers call at volume, are answered here
    without DRF's request wrapping, content negotiation and renderer lookup, with the
    same throttle, checks, bodies and headers as `VerifyView`; every other method
    (OPTIONS, 405) goes to `VerifyView`, which also documents the endpoint."""
    if request.method not in ("GET", "HEAD"):
        return _verify_drf(request)
    throttle = RegistryThrottle()
    try:
        if not throttle.allow_request(request, None):
            raise Throttled(wait=throttle.wait())
        answer = verify_answer(query_params(request), fresh=wants_fresh(request))
    except APIException as exc:
        response = api_error(exc)
    else:
        if JoseRenderer.media_type in request.META.get("HTTP_ACCEPT", ""):
            response = HttpResponse(signing.sign(answer), content_type=JoseRenderer.media_type)
        else:
            response = HttpResponse(answer_json(answer), content_type=_json_renderer.media_type)
        response["Cache-Control"] = "no-cache"
    response["Allow"] = "GET, HEAD, OPTIONS"
    response["Vary"] = "Accept"
    response["Access-Control-Allow-Origin"] = "*"
    return response


# drf-spectacular documents a URL from its view's `cls`, as DRF's as_view() sets it.
verify_view.cls = VerifyView
verify_view.initkwargs = {}


# --------------------------------------------------------------------------- providers


class ProviderCursor(CursorPagination):
    ordering = ("legal_name", "provider_id")
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 200


SUFFIX_CHARS = 32  # migration 0004 indexes the first 32 characters of each suffix


def prefix_tsquery(words):
    """The tsquery `'w1':* & 'w2':*` for the words (quoted: any character is literal)."""
    return " & ".join("'" + w.replace("\\", "\\\\").replace("'", "''") + "':*" for w in words)


def _search_terms_match(words):
    """PostgreSQL: the words as prefixes of the suffixes indexed by migration 0004; the
    same rows as the substring matches beside it, found through the index. A suffix is
    indexed up to 32 characters, which is enough for words up to that length; longer
    words are left to the substring match (and the trigram index)."""
    return RawSQL(  # noqa: S611 - fixed SQL; the words are one bound parameter
        f"{RegistryProvider._meta.db_table}.search_terms @@ %s::tsquery",
        [prefix_tsquery(words)],
        output_field=BooleanField(),
    )


def search_filter(params):
    """Validate the search parameters and turn them into a filter (400 names the first
    bad parameter). `q` matches names and identifiers; EQF and ISCED-F filters match an
    institutional accreditation without limits or with a matching limit, and approved
    courses of that level or field."""
    q = Q()
    text = (params.get("q") or "").strip()
    if len(text) > 200:
        raise _bad("q", "q is limited to 200 characters.")
    if text:
        words = text.lower().split()[:8]
        for word in words:
            q &= Q(search_text__contains=word)
        indexed = [w for w in words if len(w) <= SUFFIX_CHARS]
        if indexed and connection.vendor == "postgresql":
            q &= Q(_search_terms_match(indexed))
    country = (params.get("country") or "").strip()
    if country:
        if not reference.is_country(country.upper()):
            raise _bad("country", "country must be an ISO 3166-1 alpha-2 code.")
        q &= Q(country=country.upper())
    status = (params.get("status") or "").strip()
    if status:
        if status not in STATUSES:
            raise _bad("status", "status must be one of " + ", ".join(STATUSES) + ".")
        q &= Q(status=status)
    level = (params.get("eqf_level") or "").strip()
    if level:
        if not level.isdigit() or not 1 <= int(level) <= 8:
            raise _bad("eqf_level", "eqf_level must be an integer from 1 to 8.")
        q &= Q(facets__contains=f"|eqf:{int(level)}|") | Q(facets__contains="|eqf:*|")
    isced = (params.get("isced_f") or "").strip()
    if isced:
        if not reference.is_isced_f(isced):
            raise _bad("isced_f", "isced_f must be an ISCED-F 2013 field code.")
        field = Q(facets__contains="|isced:*|") | Q(facets__contains=f"|isced:{isced}")
        for size in range(2, len(isced)):
            field |= Q(facets__contains=f"|isced:{isced[:size]}|")
        q &= field
    return q


LIST_FIELDS = ("provider_id", "legal_name", "country", "identifiers", "status")
LIST_FIELDS += ("eqf_levels", "isced_fields")


def list_item(entry):
    """One search result, from a `.values(*LIST_FIELDS)` row (no model instances on
    the search path: they cost more than the query)."""
    return {
        "id": entry["provider_id"],
        "legal_name": entry["legal_name"],
        "country": entry["country"],
        "identifiers": entry["identifiers"],
        "status": entry["status"],
        "eqf_levels": entry["eqf_levels"],
        "isced_fields": entry["isced_fields"],
        "url": f"/api/v1/registry/providers/{entry['provider_id']}/",
    }


class ProviderListView(PublicAPIView):
    """Search the registry (cursor-paginated; two queries per page)."""

    @list_schema
    def get(self, request):
        condition = search_filter(request.query_params)
        newest = _newest_event()
        etag = _digest("list", newest["seq"], request.get_full_path())

        def build():
            paginator = ProviderCursor()
            queryset = RegistryProvider.objects.filter(condition).values(*LIST_FIELDS)
            page = paginator.paginate_queryset(queryset, request, view=self)
            return paginator.get_paginated_response([list_item(e) for e in page])

        return self.cached(request, build, etag=etag, last_modified=newest["at"])


def provider_detail(entry):
    return {
        "id": entry.provider_id,
        "legal_name": entry.legal_name,
        "country": entry.country,
        "type": entry.type,
        "website": entry.website,
        "identifiers": entry.identifiers,
        "status": entry.status,
        "eqf_levels": entry.eqf_levels,
        "isced_fields": entry.isced_fields,
        "accreditations": entry.accreditations,
        "courses": entry.courses,
        "decisions": entry.decisions,
        "updated_at": entry.updated_at.isoformat().replace("+00:00", "Z"),
    }


class ProviderDetailView(PublicAPIView):
    """One provider: identifiers, accreditations, approved courses and every decision,
    negative ones included (ESG 2.6). One query."""

    @detail_schema
    def get(self, request, pk):
        entry = RegistryProvider.objects.filter(pk=pk).first()
        if entry is None:
            raise Http404
        return self.cached(
            request,
            lambda: Response(provider_detail(entry)),
            etag=_digest("provider", pk, entry.last_seq, entry.updated_at),
            last_modified=entry.updated_at,
        )


# --------------------------------------------------------------------------- courses


def public_course_record(uid):
    """The course's public record (without its internal keys), or 404: for an unknown
    uid and for a course the agency has taken no decision on alike."""
    record = services.course_record(uid)
    if record is None:
        raise Http404
    return record


def course_body(record):
    return {k: v for k, v in record.items() if not k.startswith("_")}


class CourseRecordView(PublicAPIView):
    """A course's public record: the approved version's Annex I elements, the provider,
    the decisions and accreditations on the course with their status history, and its
    versions. Four queries."""

    @course_schema
    def get(self, request, uid):
        record = public_course_record(uid)
        return self.cached(
            request,
            lambda: Response(course_body(record)),
            etag=_digest("course", *record["_etag"]),
            last_modified=record["_last_modified"],
        )


# --------------------------------------------------------------------------- changes

CHANGES_PAGE = 200


# Why an accreditation was annulled: the only way it happens is an upheld appeal.
_ANNUL_REASON = "appeal_upheld"


def event_item(e):
    """One change-feed event (DESIGN section 4): fields that do not apply to the event's
    type are null; an `identity` event also carries the provider's new identity."""
    reason = (e["data"] or {}).get("reason") or None
    if e["type"] in (EventType.ANNUL, EventType.ANNULLED):
        reason = _ANNUL_REASON
    item = {
        "seq": e["seq"],
        "at": e["at"].isoformat().replace("+00:00", "Z"),
        "type": e["type"],
        "provider": e["provider_id"],
        "accreditation": e["accreditation_id"],
        "status": e["status"],
        "course": str(e["course_uid"]) if e["course_uid"] else None,
        "decision": e["decision_id"],
        "valid_from": e["valid_from"].isoformat() if e["valid_from"] else None,
        "valid_until": e["valid_until"].isoformat() if e["valid_until"] else None,
        "reason": reason,
        "course_version": (e["data"] or {}).get("course_version") if e["course_id"] else None,
    }
    if e["type"] == EventType.IDENTITY:
        data = e["data"] or {}
        item["identity"] = {
            key: data.get(key) for key in ("legal_name", "country", "identifiers", "changed")
        }
    return item


_EVENT_FIELDS = (
    "seq",
    "at",
    "type",
    "provider_id",
    "accreditation_id",
    "status",
    "decision_id",
    "valid_from",
    "valid_until",
    "course_id",
    "data",
)


class ChangesView(PublicAPIView):
    """The append-only feed: events after `after` in seq order; read on with
    `after=next` until `events` is empty. One query per page."""

    max_age = 10

    @changes_schema
    def get(self, request):
        after = request.query_params.get("after", "0").strip() or "0"
        if not after.isdigit() or len(after) > 18:
            raise _bad("after", "after must be a non-negative integer (a seq).")
        after = int(after)
        course_uid = Course.objects.filter(pk=OuterRef("course_id")).values("uid")[:1]
        rows = list(
            RegistryEvent.objects.filter(seq__gt=after)
            .order_by("seq")
            .annotate(course_uid=Subquery(course_uid))
            .values(*_EVENT_FIELDS, "course_uid")[:CHANGES_PAGE]
        )
        events = [event_item(e) for e in rows]
        body = {"events": events, "next": rows[-1]["seq"] if rows else after}
        # A full page never changes (the feed is append-only); a short one grows.
        last_modified = rows[-1]["at"] if len(rows) == CHANGES_PAGE else None
        return self.cached(
            request,
            lambda: Response(body),
            etag=_digest("changes", after, *[e["seq"] for e in rows]),
            last_modified=last_modified,
        )


# --------------------------------------------------------------------------- accreditations

# Every form of an accreditation, by media type: a builder turns the accreditation
# record (`registry.accreditations.accreditation_record`) into the answer's body. JSON
# first: it answers any Accept header that names none of the others. A new form is one
# more entry here.
ACCREDITATION_FORMATS = {
    "application/json": lambda record: _json_renderer.render(
        accreditations.accreditation_json(record)
    ),
    elm.MEDIA_TYPE: lambda record: _json_renderer.render(elm.accreditation_elm(record)),
    # W3C VC 2.0 secured as a JWT (VC-JOSE-COSE), kept per process while the record and
    # the signing key are unchanged.
    credentials.VC_MEDIA_TYPE: lambda record: credentials.accreditation_vc_jwt_cached(
        record, version=(*record["_etag"], signing.active_key()[0])
    ).encode("ascii"),
}


def accepted_format(accept, formats):
    """The media type of `formats` the client asks for: the first one its Accept header
    lists with a non-zero quality, else the first of `formats` (no 406: an odd Accept
    header gets JSON, as everywhere in the registry)."""
    for item in accept.split(","):
        media_type, *params = (part.strip() for part in item.split(";"))
        if media_type.lower() in formats and not any(
            p.replace(" ", "") in ("q=0", "q=0.0", "q=0.00", "q=0.000") for p in params
        ):
            return media_type.lower()
    return next(iter(formats))


def _key_of(media_type):
    """A signed form changes with the signing key: its ETag names the key."""
    return (signing.active_key()[0],) if media_type == credentials.VC_MEDIA_TYPE else ()


class AccreditationView(PublicAPIView):
    """One accreditation as the registry shows it (its status, scope, limits, validity,
    status changes with their reasons, report), in the form the Accept header asks for
    (`ACCREDITATION_FORMATS`). 404 for an id the registry does not know."""

    renderer_classes = [renderers.JSONRenderer]

    @accreditation_schema
    def get(self, request, pk):
        record = accreditations.accreditation_record(pk)
        if record is None:
            raise Http404
        media_type = accepted_format(request.META.get("HTTP_ACCEPT", ""), ACCREDITATION_FORMATS)
        builder = ACCREDITATION_FORMATS[media_type]

        def build():
            return HttpResponse(builder(record), content_type=media_type)

        response = self.cached(
            request,
            build,
            etag=_digest("accreditation", pk, media_type, *record["_etag"], *_key_of(media_type)),
            last_modified=_aware(record["_last_modified"]),
        )
        response["Vary"] = "Accept"
        return response


def _status_list(purpose):
    """(ETag, VC-JWT) of the status list of `purpose` now.

    The version is the newest registry event and the signing key: one indexed read,
    skipped on PostgreSQL while the process's verify answer cache holds the pair (the
    registry events table notifies every commit that changes it, which empties that
    cache: `registry.verify_cache`), at most REGISTRY_VERIFY_CACHE_SECONDS."""
    kid, _ = signing.active_key()
    cache = verify_cache.answer_cache()
    key = ("status-list", purpose, kid)
    now = timezone.now()
    if cache is not None and (pair := cache.get(key, now)) is not None:
        return pair
    generation = cache.generation if cache is not None else None
    version = (_newest_event()["seq"], kid)
    pair = (
        quote_etag(_digest("status", purpose, *version)),
        credentials.status_list_jwt(purpose, version=version),
    )
    if cache is not None:
        expires = now + datetime.timedelta(seconds=settings.REGISTRY_VERIFY_CACHE_SECONDS)
        cache.put(key, pair, generation=generation, expires=expires)
    return pair


@csrf_exempt
def status_list_view(request, purpose):
    """`GET /api/v1/registry/status/{purpose}/`: the BitstringStatusListCredential of
    `revocation` or `suspension` as a VC-JWT (404 for any other purpose).

    Served from a per-process copy that is rebuilt when the newest registry event or
    the signing key changed (every status change is a registry event committed with
    it); `ETag` names that version and a matching `If-None-Match` is 304. Short
    `max-age` (REGISTRY_STATUS_LIST_MAX_AGE). See `_status_list`."""
    if purpose not in credentials.PURPOSES:
        raise Http404
    if request.method not in ("GET", "HEAD"):
        response = HttpResponse(status=405)
        response["Allow"] = "GET, HEAD"
        return response
    try:
        check_throttle(request)
    except APIException as exc:
        return api_error(exc)
    etag, token = _status_list(purpose)
    inm = request.META.get("HTTP_IF_NONE_MATCH")  # (request.headers copies every header)
    if inm and (etag in parse_etags(inm) or inm.strip() == "*"):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(token, content_type=credentials.VC_MEDIA_TYPE)
    response["ETag"] = etag
    response["Cache-Control"] = f"public, max-age={settings.REGISTRY_STATUS_LIST_MAX_AGE}"
    response["Access-Control-Allow-Origin"] = "*"
    return response
