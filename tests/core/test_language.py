"""A signed-in person's language choice is remembered, handed back at sign-in, and
refused without a CSRF token; the switch stays Django's (cookie, then `next`)."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from core.language import language_of
from core.models import UserLanguage
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

COOKIE = settings.LANGUAGE_COOKIE_NAME


def test_switching_language_while_signed_in_stores_the_choice(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("set_language"), {"language": "de", "next": "/help/"})
    assert response.status_code == 302 and response["Location"] == "/help/"
    assert response.cookies[COOKIE].value == "de"
    assert UserLanguage.objects.get(user=user).language == "de"
    client.post(reverse("set_language"), {"language": "en", "next": "/help/"})
    assert language_of(user.__class__.objects.get(pk=user.pk)) == "en"
    assert UserLanguage.objects.count() == 1


def test_switching_anonymously_sets_only_the_cookie(client):
    response = client.post(reverse("set_language"), {"language": "de", "next": "/"})
    assert response.cookies[COOKIE].value == "de"
    assert not UserLanguage.objects.exists()


def test_a_language_the_site_does_not_offer_is_not_stored(client):
    user = UserFactory()
    client.force_login(user)
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    assert not UserLanguage.objects.exists()
    assert language_of(user) == settings.LANGUAGE_CODE


def test_the_switch_needs_a_post_with_a_csrf_token():
    user = UserFactory()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    assert browser.get(reverse("set_language"), {"language": "de"}).status_code == 405
    refused = browser.post(reverse("set_language"), {"language": "de", "next": "/"})
    assert refused.status_code == 403
    assert COOKIE not in refused.cookies
    assert not UserLanguage.objects.exists()

    page = browser.get("/help/")
    token = page.cookies[settings.CSRF_COOKIE_NAME].value
    accepted = browser.post(
        reverse("set_language"), {"language": "de", "next": "/", "csrfmiddlewaretoken": token}
    )
    assert accepted.status_code == 302
    assert UserLanguage.objects.get(user=user).language == "de"


def test_signing_in_sets_the_stored_language_as_the_cookie(client):
    user = UserFactory(username="greta")
    UserLanguage.objects.create(user=user, language="de")
    response = client.post(
        reverse("login"), {"username": "greta", "password": "correct horse battery"}
    )
    assert response.status_code == 302
    assert response.cookies[COOKIE].value == "de"
    assert 'lang="de"' in client.get("/help/").content.decode()


def test_signing_in_without_a_stored_choice_keeps_the_browsers_language(client):
    UserFactory(username="ed")
    client.cookies[COOKIE] = "de"
    response = client.post(
        reverse("login"), {"username": "ed", "password": "correct horse battery"}
    )
    assert response.status_code == 302
    assert COOKIE not in response.cookies
    assert not UserLanguage.objects.exists()


def test_staff_correct_a_persons_language_in_the_admin(client):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    person = UserFactory(username="lost")
    client.force_login(root)
    assert client.get("/admin/core/userlanguage/").status_code == 200
    added = client.post("/admin/core/userlanguage/add/", {"user": person.pk, "language": "de"})
    assert added.status_code == 302, added.content[:500]
    assert language_of(person.__class__.objects.get(pk=person.pk)) == "de"
    refused = client.post("/admin/core/userlanguage/add/", {"user": root.pk, "language": "fr"})
    assert refused.status_code == 200  # not a language of the site
    assert not UserLanguage.objects.filter(user=root).exists()
