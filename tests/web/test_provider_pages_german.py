"""The course form and the provider's pages in German (language cookie): labels, help
texts and the refusals of the form and of the services come out German, while the API
answers the same mistake in English."""

import pytest
from django.urls import reverse

from tests.factories import IdentifierFactory, ProviderFactory
from tests.web.test_provider_pages import course_post, profile_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def german(as_user):
    def client_for(user):
        client = as_user(user)
        client.cookies["mcqa_language"] = "de"
        return client

    return client_for


def test_course_form_shows_annex_i_labels_and_help_in_german(german, provider_user):
    html = german(provider_user).get(reverse("course-create")).content.decode()
    assert '<html lang="de"' in html
    assert "Neuen Kurs beschreiben" in html
    assert "Pflichtelemente" in html and "Optionale Elemente" in html
    assert "Titel des Microcredentials" in html
    assert "Fiktiver Arbeitsaufwand in ECTS (nach Möglichkeit)" in html
    assert "Zugangsvoraussetzungen (optional)" in html
    assert "Ein Lernergebnis pro Zeile." in html
    assert "Kurs speichern" in html
    assert "Save the course" not in html and "Mandatory elements" not in html


def test_course_form_errors_come_out_in_german(german, provider_user):
    course = provider_user.providers.get().courses.create(title="Kept")
    response = german(provider_user).post(
        reverse("course-edit", args=[course.pk]),
        course_post(isced_f="1234", languages="en, xx", workload_hours="30"),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "1234 ist kein ISCED-F-2013-Code für einen Bildungsbereich." in html
    assert "Keine ISO-639-1-Sprachcodes: xx." in html
    assert "Geben Sie den Arbeitsaufwand in ECTS an" in html
    assert "is not an ISCED-F 2013 field code" not in html


def test_provider_page_shows_german_labels(german, provider_user):
    provider = provider_user.providers.get()
    IdentifierFactory(provider=provider, scheme="schac", value="example.org")
    html = german(provider_user).get(provider.get_absolute_url()).content.decode()
    for text in ("Land", "Art", "Kennungen", "Kurse", "Anträge", "Neuen Kurs beschreiben"):
        assert f">{text}<" in html
    assert "schac:example.org" in html
    assert "Profil und Kennungen bearbeiten" in html


def test_a_service_refusal_on_the_provider_form_is_german_and_the_api_stays_english(
    german, as_user, provider_user
):
    IdentifierFactory(provider=ProviderFactory(), scheme="schac", value="taken.example.org")
    provider = provider_user.providers.get()
    response = german(provider_user).post(
        reverse("provider-edit", args=[provider.pk]),
        profile_post(provider, **{"identifiers-0-value": "taken.example.org"}),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "schac:taken.example.org kennzeichnet bereits einen anderen Anbieter." in html
    assert "Rechtlicher Name" in html

    api = as_user(provider_user)
    api.cookies["mcqa_language"] = "de"
    answer = api.patch(
        f"/api/v1/providers/{provider.pk}/",
        {"identifiers": [{"scheme": "schac", "value": "taken.example.org"}]},
        content_type="application/json",
    )
    assert answer.status_code == 400
    assert "already identifies another provider" in answer.content.decode()
