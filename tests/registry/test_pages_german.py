"""The public registry pages in German (the language cookie), while the API under /api/
keeps its English whatever the caller's Accept-Language, and machine-read values (the
verify form's date, `<time datetime>`, ids in links) stay ISO and unlocalised.

German needs the compiled catalogue (locale/, assembled from the translators' work)."""

import re

import pytest
from django.urls import reverse

from tests.registry.conftest import day

pytestmark = pytest.mark.django_db


@pytest.fixture
def german(client):
    client.cookies["mcqa_language"] = "de"
    return client


@pytest.fixture
def accredited(history):
    provider = history.provider(name="Beispiel-Hochschule", identifier="hs.example.org")
    history.decide(provider, when=day("2025-01-10"))
    history.publish()
    return provider


def test_landing_page_is_german_with_the_cookie(german, accredited):
    text = german.get("/").content.decode()
    assert '<html lang="de">' in text
    assert "Wurde dieser Anbieter oder Kurs qualitätsgesichert?</h2>" in text
    assert "Im öffentlichen Register suchen" in text
    assert "1 Anbieter mit einer veröffentlichten Entscheidung" in text


def test_provider_page_is_german_with_dates_in_german_and_iso(german, accredited):
    text = german.get(f"/registry/providers/{accredited.pk}/").content.decode()
    assert '<html lang="de">' in text
    assert "<h2>Akkreditierungen</h2>" in text and "<h2>Entscheidungen</h2>" in text
    assert "Institutionell" in text
    assert '<time datetime="2025-01-10">10. Januar 2025</time>' in text


def test_provider_page_stays_english_without_the_cookie(client, accredited):
    text = client.get(f"/registry/providers/{accredited.pk}/").content.decode()
    assert '<html lang="en">' in text and "<h2>Accreditations</h2>" in text
    assert '<time datetime="2025-01-10">10 January 2025</time>' in text


def test_verify_api_stays_english_for_a_german_caller(api, accredited):
    response = api.get(
        "/api/v1/registry/verify/",
        {"identifier": "schac:hs.example.org", "at": "2025-13-01"},
        HTTP_ACCEPT_LANGUAGE="de",
    )
    assert response.status_code == 400
    assert response.json() == {"at": ["at must be an ISO 8601 date or date-time."]}
    assert response.get("Content-Language") != "de"
    answer = api.get(
        "/api/v1/registry/verify/",
        {"identifier": "schac:hs.example.org"},
        HTTP_ACCEPT_LANGUAGE="de",
    )
    assert answer.status_code == 200 and answer.json()["trusted"] is True
    assert answer.get("Content-Language") != "de"
    assert "Accept-Language" not in answer.get("Vary", "")


def test_german_verify_form_submits_and_keeps_an_iso_date(german, accredited):
    page = german.get(
        reverse("registry-verify-page"),
        {"identifier": "schac:hs.example.org", "at": "2025-03-01"},
    )
    text = page.content.decode()
    assert page.status_code == 200
    assert "Ja. Am 1. März 2025 war Beispiel-Hochschule" in text
    # The date input's value stays ISO (what <input type="date"> reads and sends back).
    assert re.search(r'<input type="date" id="v-at" name="at" value="2025-03-01"', text)
    assert "Erneut fragen" in text


def test_german_verify_form_names_a_bad_date_in_german(german, accredited):
    page = german.get(
        reverse("registry-verify-page"), {"identifier": "schac:hs.example.org", "at": "bald"}
    )
    assert page.status_code == 400
    assert "Datum: Geben Sie das Datum als JJJJ-MM-TT ein" in page.content.decode()


def test_german_error_page(german):
    page = german.get("/registry/does-not-exist/")
    assert page.status_code == 404
    text = page.content.decode()
    assert '<html lang="de">' in text and "Seite nicht gefunden" in text


def test_course_page_is_german_with_a_localised_workload(german, history):
    provider = history.provider(name="Beispiel-Hochschule", identifier="hs.example.org")
    course = history.course(provider, title="Datenkompetenz")
    history.decide(provider, course=course, when=day("2025-02-10"))
    history.publish()
    text = german.get(f"/registry/courses/{course.uid}/").content.decode()
    assert "<h2>Akkreditierte Beschreibung (Anhang I)</h2>" in text
    assert "<td>5 ECTS</td>" in text
    assert '<li id="event-' in text and "Akkreditierung erteilt" in text
