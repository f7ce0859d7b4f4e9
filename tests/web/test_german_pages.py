"""The case pages in German: the reader who chose German (the language cookie) reads the
application page, the home page and a refused transition in German, while the API,
asked for the same refusal, answers in English."""

import pytest
from django.conf import settings
from django.urls import reverse

from tests.web.conftest import browser_for

pytestmark = pytest.mark.django_db


def german(user):
    client = browser_for(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    return client


def test_application_page_reads_german_with_the_language_cookie(provider_user, course_application):
    html = german(provider_user).get(course_application.get_absolute_url()).content.decode()
    assert '<html lang="de">' in html
    assert f"Antrag Nr. {course_application.pk}:" in html
    assert '<h2 id="h-actions">Was Sie jetzt tun können</h2>' in html
    assert '<h2 id="h-documents">Dokumente</h2>' in html
    assert '<h2 id="h-history">Verlauf</h2>' in html
    assert ">Dossier einreichen</a>" in html  # the catalogue's label, in German
    assert "Mindestens ein PDF mit der Selbstbewertung ist erforderlich." in html
    assert "What you can do now" not in html


def test_home_page_reads_german_with_the_language_cookie(coordinator):
    html = german(coordinator).get(reverse("home")).content.decode()
    assert "<h1>Meine Aufgaben</h1>" in html
    assert '<h2 id="h-coord">Koordination</h2>' in html
    assert "<h3>Wartet auf die Koordination</h3>" in html
    assert "My work" not in html


def test_english_stays_the_default(provider_user, course_application):
    html = (
        browser_for(provider_user)
        .get(reverse("application-transition", args=[course_application.pk, "submit"]))
        .content.decode()
    )
    assert "Do you want to <strong>submit the dossier</strong> now?" in html


def test_refused_transition_reads_german_on_the_page_and_english_in_the_api(
    provider_user, course_application
):
    page = german(provider_user).post(
        reverse("application-transition", args=[course_application.pk, "submit"])
    )
    html = page.content.decode()
    assert page.status_code == 400
    assert "Dossier einreichen: noch nicht möglich, es fehlen Voraussetzungen." in html
    assert "Mindestens ein PDF mit der Selbstbewertung ist erforderlich." in html
    assert "requirements are unmet" not in html

    api = browser_for(provider_user)
    api.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    answer = api.post(
        f"/api/v1/applications/{course_application.pk}/transitions/submit/",
        {},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="de",
    )
    assert answer.status_code == 400
    body = answer.json()
    assert body["detail"] == "Submit the dossier: not yet, requirements are unmet."
    messages = {item["code"]: item["message"] for item in body["unmet"]}
    assert (
        messages["missing_document:self_evaluation"]
        == "At least one self-evaluation PDF is required."
    )


def test_missing_right_reads_german_on_the_page_and_english_in_the_api(
    provider_user, course_application
):
    url = reverse("application-transition", args=[course_application.pk, "start_screening"])
    html = german(provider_user).get(url).content.decode()
    assert (
        "Sie sind nicht berechtigt, bei diesem Antrag den Schritt „Vorprüfung beginnen“ "
        "auszuführen." in html
    )

    api = browser_for(provider_user)
    api.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    answer = api.post(
        f"/api/v1/applications/{course_application.pk}/transitions/start_screening/",
        {},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="de",
    )
    assert answer.status_code == 403
    assert answer.json()["detail"] == (
        "You do not have the right to start screening this application."
    )


def test_page_script_words_come_from_the_javascript_catalogue(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    script = client.get(reverse("javascript-catalog")).content.decode()
    assert "Automatisch gespeichert." in script
    assert reverse("javascript-catalog") in client.get("/registry/").content.decode()
