"""The reader's language: chosen by the switcher (a cookie) or Accept-Language, on the
pages only; the API answers in English whatever the caller asks."""

import pytest
from django.conf import settings
from django.utils import translation

pytestmark = pytest.mark.django_db


def test_switcher_sets_the_language_cookie_and_returns_to_the_page(client):
    client.get("/registry/")  # a CSRF cookie for the form
    response = client.post("/i18n/setlang/", {"language": "de", "next": "/registry/"})
    assert response.status_code == 302
    assert response["Location"] == "/registry/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"
    page = client.get("/registry/")
    assert '<html lang="de">' in page.content.decode()
    assert page["Content-Language"] == "de"


def test_switcher_refuses_a_cross_site_post(client):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/i18n/setlang/", {"language": "de", "next": "/registry/"})
    assert response.status_code == 403
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_switcher_offers_the_other_language_in_its_own_name(client):
    english = client.get("/registry/").content.decode()
    assert 'lang="de">Deutsch</button>' in english
    assert 'lang="en">English</button>' not in english
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    german = client.get("/registry/").content.decode()
    assert 'lang="en">English</button>' in german


def test_accept_language_chooses_the_pages_language(client):
    page = client.get("/registry/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9,en;q=0.5")
    assert '<html lang="de">' in page.content.decode()
    assert "Accept-Language" in page["Vary"]


def test_unknown_language_falls_back_to_english(client):
    page = client.get("/registry/", HTTP_ACCEPT_LANGUAGE="fr-FR")
    assert '<html lang="en">' in page.content.decode()


def test_api_answers_in_english_whatever_is_asked(client):
    # DRF ships a German catalogue ("Nicht gefunden."): were the API translated, this
    # would be German.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    response = client.get("/api/v1/applications/999999/", HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code in (401, 403, 404)
    assert "Content-Language" not in response
    body = response.json()
    text = str(body)
    assert "nicht" not in text.lower() and "Anmeldedaten" not in text
    assert "Accept-Language" not in response.get("Vary", "")


def test_api_after_a_german_page_in_the_same_thread_is_english(client):
    translation.activate("de")  # what a German page request leaves behind in a thread
    try:
        response = client.get("/api/v1/applications/", HTTP_ACCEPT_LANGUAGE="de")
        assert response.status_code in (401, 403)
        detail = response.json()["detail"]
        assert detail.startswith("Authentication credentials") or "not" in detail.lower()
    finally:
        translation.deactivate()
