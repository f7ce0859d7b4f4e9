"""The language a report is written in: the coordinator chooses it for the application,
every report requested from then on (the automatic final and published ones included) is
rendered in it and records it, and a German report reads German."""

import io

import pytest
from pypdf import PdfReader

from reviews.models import Report
from tests.conftest import client_for
from tests.factories import UserFactory

from .test_report_case import build_case, pdf_text
from .test_report_render import stored_bytes

pytestmark = pytest.mark.django_db

GERMAN_HEADINGS = (
    "Bericht zur externen Begutachtung",
    "1 Zusammenfassung der Bewertungen",
    "2 Das Verfahren",
    "3 Die Gutachtergruppe",
    "4 Das Microcredential (Elemente nach Anhang I)",
    "5 Feststellungen nach Standard",
    "6 Entscheidung",
    "Über diesen Bericht",
)
ENGLISH_HEADINGS = (
    "External review report",
    "1 Summary of judgements",
    "5 Findings by standard",
    "About this report",
)


def _case(application, provider_user, coordinator, decider):
    return build_case(
        application=application,
        provider_user=provider_user,
        coordinator=coordinator,
        decider=decider,
    )


def test_report_language_german_renders_every_report_in_german(
    course_application, provider_user, coordinator, decider
):
    response = client_for(coordinator).put(
        f"/api/v1/applications/{course_application.pk}/report-language/",
        {"report_language": "de"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"report_language": "de"}

    case = _case(course_application, provider_user, coordinator, decider)

    for stage in ("draft", "final", "published"):
        report = Report.objects.get(pk=case[stage].pk)
        assert report.status == "ready", report.error
        assert report.language == "de" and report.data["report"]["language"] == "de"
    pdf = stored_bytes(case["published"])
    text = pdf_text(pdf)
    for heading in GERMAN_HEADINGS:
        assert heading in text, heading
    for heading in ENGLISH_HEADINGS:
        assert heading not in text, heading
    assert "Seite 1 von" in text
    # Dates in German's named format ("3. Dezember 2026"), not English's.
    decided = case["published"].data["decision"]["decided_at"][:10]
    months = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August")
    months += ("September", "Oktober", "November", "Dezember")
    year, month, day_ = decided.split("-")
    assert f"{int(day_)}. {months[int(month) - 1]} {year}" in text
    root = PdfReader(io.BytesIO(pdf)).trailer["/Root"]
    assert root["/Lang"] == "de"
    assert "Begutachtungsbericht" in PdfReader(io.BytesIO(pdf)).metadata.title

    # The API states the language; the data keeps its codes whatever the language.
    body = client_for(coordinator).get(f"/api/v1/reports/{case['published'].pk}/").json()
    assert body["language"] == "de"
    assert body["data"]["decision"]["outcome"] == "positive_with_conditions"


def test_english_is_the_default_report_language(
    course_application, provider_user, coordinator, decider
):
    assert course_application.report_language == "en"
    case = _case(course_application, provider_user, coordinator, decider)
    report = Report.objects.get(pk=case["published"].pk)
    assert report.language == "en"
    text = pdf_text(stored_bytes(report))
    for heading in ENGLISH_HEADINGS:
        assert heading in text, heading
    assert "Bericht zur externen Begutachtung" not in text
    assert PdfReader(io.BytesIO(stored_bytes(report))).trailer["/Root"]["/Lang"] == "en"


def test_only_the_coordinator_sets_the_report_language(course_application, provider_user):
    url = f"/api/v1/applications/{course_application.pk}/report-language/"
    # The provider sees the application but may not change its report language.
    assert (
        client_for(provider_user).put(url, {"report_language": "de"}, format="json").status_code
        == 403
    )
    # Someone who may not see the application learns nothing about it.
    stranger = UserFactory(username="stranger", roles=["reviewer"])
    assert (
        client_for(stranger).put(url, {"report_language": "de"}, format="json").status_code == 404
    )
    course_application.refresh_from_db()
    assert course_application.report_language == "en"


def test_an_unknown_report_language_is_refused_naming_the_field(course_application, coordinator):
    url = f"/api/v1/applications/{course_application.pk}/report-language/"
    for value in ("fr", "", None, "deu"):
        response = client_for(coordinator).put(url, {"report_language": value}, format="json")
        assert response.status_code == 400, value
        assert "report_language" in response.json(), value
    course_application.refresh_from_db()
    assert course_application.report_language == "en"


def test_coordinator_sets_the_report_language_on_the_application_page(
    client, course_application, coordinator, provider_user
):
    client.force_login(coordinator)
    page = client.get(f"/applications/{course_application.pk}/")
    assert page.status_code == 200
    assert b'id="report-language"' in page.content
    response = client.post(
        f"/applications/{course_application.pk}/report-language/", {"report_language": "de"}
    )
    assert response.status_code == 302
    course_application.refresh_from_db()
    assert course_application.report_language == "de"
    # In German, the section speaks German.
    client.cookies["mcqa_language"] = "de"
    page = client.get(f"/applications/{course_application.pk}/")
    assert "Sprache der Berichte" in page.content.decode()
    # The provider sees no such form, and may not post it.
    client.force_login(provider_user)
    assert (
        b'id="report-language"' not in client.get(f"/applications/{course_application.pk}/").content
    )
    refused = client.post(
        f"/applications/{course_application.pk}/report-language/", {"report_language": "en"}
    )
    assert refused.status_code == 403
    course_application.refresh_from_db()
    assert course_application.report_language == "de"
