"""Plain words and the front door (issue 18 items 2, 3, 5, 7, 8): labels instead of codes,
removing a document before submission, the landing page and its verify box, the site's
own error pages."""

import datetime

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from accreditation.models import Document
from core.models import AuditEvent
from reviews.models import Judgement
from reviews.services import judgement_put
from tests.conftest import client_for
from tests.factories import DocumentFactory, IdentifierFactory, UserFactory
from tests.registry.conftest import History
from tests.web.conftest import fire, judge_all, to_review, to_screening

pytestmark = pytest.mark.django_db


# --------------------------------------------------------------------------- words


def test_history_shows_what_happened_in_words_not_transition_codes(
    as_user, provider_user, coordinator, course_application
):
    to_screening(course_application, provider_user, coordinator)
    html = as_user(provider_user).get(course_application.get_absolute_url()).content.decode()
    timeline = html[html.index('id="h-history"') :]
    assert "Dossier submitted" in timeline
    assert "Submitted → Screening" in timeline
    assert "start_screening" not in timeline
    assert "submitted → screening" not in timeline


def test_named_standards_are_not_doubled_and_numbered_ones_keep_their_number(
    as_user, provider_user, course_application
):
    html = as_user(provider_user).get(course_application.get_absolute_url()).content.decode()
    assert "<h3>Quality</h3>" in html
    assert "quality Quality" not in html
    page = as_user(provider_user).get(
        reverse("self-assessment-edit", args=[course_application.pk, "quality"])
    )
    assert "Self-assessment: Quality</h1>" in page.content.decode()


def test_home_names_roles_in_words(as_user):
    decider = UserFactory(roles=["decision_body", "appeals_committee"])
    html = as_user(decider).get("/").content.decode()
    assert "(Decision body, Appeals committee)" in html
    assert "decision_body" not in html


def test_consolidation_shows_judgement_and_seat_labels(
    as_user, provider_user, coordinator, reviewers, course_application
):
    seats = to_review(course_application, provider_user, coordinator, reviewers)
    judgement_put(
        assignment=seats["student"],
        standard_code="quality",
        actor=reviewers["student"],
        judgement=Judgement.PARTIALLY_COMPLIANT,
        rationale="Half of it.",
    )
    html = (
        as_user(reviewers["chair"])
        .get(reverse("consolidation", args=[course_application.pk]))
        .content.decode()
    )
    assert "Partially compliant" in html
    assert ">partially_compliant<" not in html
    assert "(student member)" in html
    assert "(student)" not in html


def test_refused_submit_names_the_step_not_its_code(as_user, provider_user, course_application):
    response = as_user(provider_user).post(
        reverse("application-transition", args=[course_application.pk, "submit"])
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "Submit the dossier: not yet, requirements are unmet." in html
    assert "submit is refused" not in html


def test_registry_pages_say_labels_titles_and_dids_as_written(client):
    history = History()
    provider = history.provider(name="Labelled University")
    IdentifierFactory(provider=provider, scheme="did", value="did:web:labelled.example")
    course = history.course(provider, title="Applied Statistics")
    history.decide(provider, course=course, name="accredit_with_conditions")
    history.publish()
    html = client.get(reverse("registry-provider", args=[provider.pk])).content.decode()
    assert "Positive with conditions" in html and "positive_with_conditions" not in html
    assert "Applied Statistics" in html
    assert f"Course {course.pk}<" not in html
    assert "did:web:labelled.example" in html and "did:did:" not in html
    search = client.get(reverse("registry-search")).content.decode()
    assert ">Suspended</option>" in search and ">suspended</option>" not in search


# --------------------------------------------------------------------------- documents


def _document(application, user, name="wrong-file.pdf"):
    return DocumentFactory(
        application=application, uploaded_by=user, kind="evidence", original_name=name
    )


def test_provider_removes_a_document_from_a_draft_and_it_is_logged(
    as_user, provider_user, course_application, django_capture_on_commit_callbacks
):
    document = _document(course_application, provider_user)
    stored = document.file.name
    client = as_user(provider_user)
    page = client.get(course_application.get_absolute_url()).content.decode()
    assert f'data-delete-document="{document.pk}"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("document-delete", args=[course_application.pk, document.pk])
        )
    assert response.status_code == 302
    assert not Document.objects.filter(pk=document.pk).exists()
    event = AuditEvent.objects.get(action="document.delete")
    assert event.actor == provider_user and event.data["sha256"] == document.sha256
    assert not default_storage.exists(stored)
    follow = client.get(response["Location"]).content.decode()
    assert "wrong-file.pdf was removed from the dossier." in follow


def test_document_removal_api_answers_204_then_404(provider_user, course_application):
    document = _document(course_application, provider_user)
    client = client_for(provider_user)
    url = f"/api/v1/applications/{course_application.pk}/documents/{document.pk}/"
    assert client.delete(url).status_code == 204
    assert client.delete(url).status_code == 404


def test_a_submitted_dossier_keeps_its_documents(
    as_user, provider_user, coordinator, course_application
):
    to_screening(course_application, provider_user, coordinator)
    document = course_application.documents.first()
    url = f"/api/v1/applications/{course_application.pk}/documents/{document.pk}/"
    response = client_for(provider_user).delete(url)
    assert response.status_code == 409
    page = as_user(provider_user).post(
        reverse("document-delete", args=[course_application.pk, document.pk])
    )
    assert page.status_code == 409
    assert Document.objects.filter(pk=document.pk).exists()
    assert not AuditEvent.objects.filter(action="document.delete").exists()
    html = as_user(provider_user).get(course_application.get_absolute_url()).content.decode()
    assert "data-delete-document" not in html


def test_only_the_providers_people_remove_documents(
    provider_user, coordinator, outsider, course_application
):
    document = _document(course_application, provider_user)
    url = f"/api/v1/applications/{course_application.pk}/documents/{document.pk}/"
    assert client_for(coordinator).delete(url).status_code == 403
    assert client_for(outsider).delete(url).status_code == 404
    other = _document(DocumentFactory().application, provider_user)
    foreign = f"/api/v1/applications/{course_application.pk}/documents/{other.pk}/"
    assert client_for(provider_user).delete(foreign).status_code == 404
    assert Document.objects.filter(pk__in=[document.pk, other.pk]).count() == 2


def test_evidence_field_is_a_labelled_group_that_says_to_upload_first(
    as_user, provider_user, course_application
):
    url = reverse("self-assessment-edit", args=[course_application.pk, "quality"])
    empty = as_user(provider_user).get(url).content.decode()
    assert "<legend>Evidence documents</legend>" in empty
    assert "Upload the documents first" in empty
    _document(course_application, provider_user, name="evidence-a.pdf")
    html = as_user(provider_user).get(url).content.decode()
    legend, box = html.index("<legend>Evidence documents</legend>"), html.index("evidence-a.pdf")
    assert legend < box


# --------------------------------------------------------------------------- front door


def test_a_visitor_lands_on_the_front_door_with_search_verify_and_login(client):
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'action="/registry/verify/"' in html
    assert 'action="/registry/"' in html
    assert 'action="/accounts/login/"' in html and "csrfmiddlewaretoken" in html


def test_a_logged_in_person_still_lands_on_their_work(as_user, coordinator):
    assert "My work" in as_user(coordinator).get("/").content.decode()


def test_front_door_is_throttled_like_the_registry(client, settings):
    from django.core.cache import cache

    cache.clear()
    rest = settings.REST_FRAMEWORK
    settings.REST_FRAMEWORK = {
        **rest,
        "DEFAULT_THROTTLE_RATES": {**rest["DEFAULT_THROTTLE_RATES"], "registry": "2/minute"},
    }
    try:
        codes = [client.get("/").status_code for _ in range(3)]
    finally:
        cache.clear()
    assert codes[:2] == [200, 200] and codes[2] == 429


def test_verify_box_answers_yes_in_plain_words_with_the_signed_answer(client):
    history = History()
    provider = history.provider(name="Trusted College", identifier="trusted.example.org")
    history.decide(provider)
    history.publish()
    response = client.get(
        reverse("registry-verify-page"), {"identifier": "schac:trusted.example.org"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Yes. On " in html and "Trusted College was quality-assured by" in html
    signed = html.split("data-signed-answer")[0].rsplit('href="', 1)[1].split('"')[0]
    jws = client.get(signed.replace("&amp;", "&"))
    assert jws.status_code == 200 and jws["Content-Type"] == "application/jose"
    assert jws.content.count(b".") == 2


def test_verify_box_says_no_for_a_date_before_the_decision(client):
    history = History()
    provider = history.provider(name="Late College", identifier="late.example.org")
    history.decide(provider)
    history.publish()
    html = client.get(
        reverse("registry-verify-page"),
        {"identifier": "schac:late.example.org", "at": "2001-01-01"},
    ).content.decode()
    assert "No. On 1 January 2001" in html


def test_verify_box_accepts_a_did_as_people_write_it(client):
    history = History()
    provider = history.provider(name="Did University", identifier="did-uni.example.org")
    IdentifierFactory(
        provider=provider,
        scheme="did",
        value="did:web:did-uni.example",
        valid_from=datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC),
    )
    history.decide(provider)
    history.publish()
    html = client.get(
        reverse("registry-verify-page"), {"identifier": "did:web:did-uni.example"}
    ).content.decode()
    assert "Yes. On " in html and "Did University" in html


def test_verify_box_names_a_bad_field_and_answers_400(client):
    response = client.get(
        reverse("registry-verify-page"), {"identifier": "schac:x.example.org", "at": "soon"}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "Date: Enter the date as YYYY-MM-DD" in html
    assert 'id="v-at"' in html and 'aria-invalid="true"' in html


# --------------------------------------------------------------------------- error pages


def test_an_unknown_address_answers_the_sites_own_page_without_url_patterns(client):
    response = client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "Page not found" in html and 'href="/registry/"' in html
    assert "api/v1/" not in html and "URLconf" not in html


def test_history_names_a_clarification_request_in_words(
    as_user, provider_user, coordinator, reviewers, course_application
):
    seats = to_review(course_application, provider_user, coordinator, reviewers)
    judge_all(course_application, seats, reviewers["chair"])
    fire(course_application, "request_clarification", coordinator, comment="Which exams?")
    html = as_user(provider_user).get(course_application.get_absolute_url()).content.decode()
    assert "Clarification requested" in html
    assert "request_clarification" not in html.split('id="h-history"')[1]


def test_the_front_doors_login_form_logs_in_with_its_csrf_token():
    import re

    from django.test import Client

    UserFactory(username="front-door-user", roles=["coordinator"])
    browser = Client(enforce_csrf_checks=True)
    landing = browser.get("/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', landing).group(1)
    response = browser.post(
        reverse("login"),
        {
            "username": "front-door-user",
            "password": "correct horse battery",
            "csrfmiddlewaretoken": token,
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert "My work" in browser.get("/").content.decode()
