"""The registry's published reports as a DEQAR CSV report submission.

EQAR's Database of External Quality Assurance Results (DEQAR) ingests an agency's
reports as CSV; the columns, their names and their order are those of EQAR's sample
submission (`COLUMNS`). One row per published report, read from the registry's events
in batches: a fixed number of queries per batch, whatever the registry's size, so the
export streams in constant memory.

Choices where DEQAR leaves one to the agency:
- `local_identifier` names the decision (`decision-<id>`): DEQAR updates a record
  submitted again under the same local identifier, and a decision "positive with
  conditions" later confirmed as positive is, for DEQAR, the same report record whose
  decision changes. Rows come in the order of the registry's events, so the newest
  report of a decision comes last.
- The provider is named by one identifier, in DEQAR's own order of precedence: its
  DEQARINST id, else its ETER id, else the agency's local identifier (the registry's
  provider id).
- A negative decision has no validity; DEQAR requires `valid_from`, which is then the
  day of the decision.
- `file[1].report_language[1]` is the language the report's PDF is written in (the
  report's `language`, recorded when it was rendered), as an ISO 639-2/B code.
"""

import datetime
from collections import defaultdict
from functools import cache

import pycountry
from django.conf import settings
from django.urls import reverse

from accreditation.models import Course

from .models import EventType, RegistryEvent, RegistryProvider

COLUMNS = (
    "agency",
    "local_identifier",
    "activity",
    "status",
    "decision",
    "valid_from",
    "valid_to",
    "date_format",
    "link[1]",
    "link_display_name[1]",
    "file[1].original_location",
    "file[1].display_name",
    "file[1].report_language[1]",
    "institution[1].identifier[1]",
    "programme[1].name_primary",
    "programme[1].qualification_primary",
    "programme[1].qf_ehea_level",
    "programme[2].name_primary",
    "programme[2].qualification_primary",
    "programme[2].qf_ehea_level",
)
# Columns whose text comes from providers (a spreadsheet must not run it as a formula).
PROVIDER_TEXT = ("programme[1].name_primary",)
DATE_FORMAT = "%Y-%m-%d"
BATCH = 1000
# DEQAR decision ids: 1 positive, 2 positive with conditions or restrictions, 3 negative.
DECISIONS = {"positive": "1", "positive_with_conditions": "2", "negative": "3"}
# QF-EHEA cycles by name, and the EQF levels they correspond to (DEQAR's own table).
QF_EHEA = {"short": "short cycle", "first": "first cycle", "second": "second cycle"}
QF_EHEA["third"] = "third cycle"
EQF_TO_QF_EHEA = {5: "short cycle", 6: "first cycle", 7: "second cycle", 8: "third cycle"}


@cache
def report_language(code=None):
    """DEQAR's code of the language a report is written in: `code` (the report's language,
    an ISO 639-1 code as in `settings.LANGUAGES`), else the site's, as ISO 639-2/B.

    DEQAR's "Report Data Elements", section "Files", element "Report Language"
    (`file[n].report_language[n]`, required): "one or more languages ... in the form of an
    ISO 639 1 (two-digit) or ISO 639 2 (three digit) language code (see ISO 639-1 or ISO
    639-2/B format)". The three-letter bibliographic form is what earlier exports sent
    ("eng"), so German is "ger" (ISO 639-2/B), not the terminological "deu".
    """
    alpha_2 = (code or settings.LANGUAGE_CODE)[:2].lower()
    language = pycountry.languages.get(alpha_2=alpha_2)
    if language is None:
        return alpha_2
    return getattr(language, "bibliographic", None) or language.alpha_3


def institution_identifier(provider_id, identifiers):
    """The one identifier DEQAR links the provider by: DEQARINST, else ETER, else the
    agency's local identifier."""
    by_scheme = {i["scheme"]: i["value"] for i in identifiers}
    return by_scheme.get("deqar") or by_scheme.get("eter") or str(provider_id)


def qf_ehea_level(course):
    if course is None:
        return ""
    if course["qf_ehea_cycle"]:
        return QF_EHEA.get(course["qf_ehea_cycle"], "")
    return EQF_TO_QF_EHEA.get(course["eqf_level"], "")


def _decision_of(report, decisions):
    """The decision a report publishes: its application's newest decision taken up to
    the report (the newest at all if none was, as a report follows its decision)."""
    candidates = decisions.get(report["application_id"], [])
    before = [d for d in candidates if d["at"] <= report["at"]]
    return (before or candidates or [None])[-1]


def _day(value):
    return value.strftime(DATE_FORMAT) if value else ""


_DECISION_FIELDS = ("type", "at", "application_id", "decision_id", "outcome")
_DECISION_FIELDS += ("valid_from", "valid_until")


def _batch_rows(reports):
    """The CSV rows of one batch of report events: four queries, whatever its size."""
    provider_ids = {r["provider_id"] for r in reports}
    applications = {r["application_id"] for r in reports}
    decisions = defaultdict(list)
    confirmed = defaultdict(list)
    for e in (
        RegistryEvent.objects.filter(
            provider_id__in=provider_ids, type__in=(EventType.DECISION, EventType.CONDITIONS_MET)
        )
        .order_by("at", "seq")
        .values(*_DECISION_FIELDS)
    ):
        if e["application_id"] not in applications:
            continue
        if e["type"] == EventType.DECISION:
            decisions[e["application_id"]].append(e)
        else:
            confirmed[e["decision_id"]].append(e["at"])
    identifiers = dict(
        RegistryProvider.objects.filter(pk__in=provider_ids).values_list(
            "provider_id", "identifiers"
        )
    )
    courses = {
        c["id"]: c
        for c in Course.objects.filter(
            pk__in={r["course_id"] for r in reports if r["course_id"]}
        ).values("id", "title", "eqf_level", "qf_ehea_cycle")
    }
    site = settings.MCQA_SITE_URL.rstrip("/")
    for report in reports:
        decision = _decision_of(report, decisions)
        link = (report["data"] or {}).get("report") or {}
        if decision is None or not link.get("url"):
            continue
        outcome = decision["outcome"]
        if any(at <= report["at"] for at in confirmed.get(decision["decision_id"], ())):
            outcome = "positive"
        course = courses.get(report["course_id"])
        valid_from = decision["valid_from"] or decision["at"].astimezone(datetime.UTC).date()
        activity = (
            settings.MCQA_AGENCY_DEQAR_ACTIVITY_PROGRAMME
            if report["course_id"]
            else settings.MCQA_AGENCY_DEQAR_ACTIVITY_INSTITUTIONAL
        )
        yield {
            "agency": settings.MCQA_AGENCY_DEQAR_ID or settings.MCQA_AGENCY_ACRONYM,
            "local_identifier": f"decision-{decision['decision_id']}",
            "activity": activity,
            "status": settings.MCQA_AGENCY_DEQAR_REPORT_STATUS,
            "decision": DECISIONS.get(outcome, "4"),
            "valid_from": _day(valid_from),
            "valid_to": _day(decision["valid_until"]),
            "date_format": DATE_FORMAT,
            "link[1]": site + reverse("registry-provider", args=[report["provider_id"]]),
            "link_display_name[1]": "Record in the agency's public registry",
            "file[1].original_location": link["url"],
            "file[1].display_name": "Report and decision",
            "file[1].report_language[1]": report_language(link.get("language")),
            "institution[1].identifier[1]": institution_identifier(
                report["provider_id"], identifiers.get(report["provider_id"], [])
            ),
            "programme[1].name_primary": course["title"] if course else "",
            "programme[1].qualification_primary": "",
            "programme[1].qf_ehea_level": qf_ehea_level(course),
        }


def deqar_records():
    """Every published report as a dict keyed by `COLUMNS` (missing keys are empty), in
    the order of the registry's events; read in batches of `BATCH` report events."""
    after = 0
    while True:
        reports = list(
            RegistryEvent.objects.filter(type=EventType.REPORT, seq__gt=after)
            .order_by("seq")
            .values("seq", "at", "provider_id", "application_id", "course_id", "data")[:BATCH]
        )
        if not reports:
            return
        yield from _batch_rows(reports)
        if len(reports) < BATCH:
            return
        after = reports[-1]["seq"]
