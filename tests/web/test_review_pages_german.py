"""The review pages in German: the judgement page, the panel page and the consolidation
come out with German labels and judgement choices when the reader chose German; the
calendar file speaks the language of whoever downloads it; the audit log and the API stay
English whatever the reader's language."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from core.models import AuditEvent
from reviews import services
from reviews.models import Affiliation, Judgement
from tests.web.conftest import to_review, to_screening

pytestmark = pytest.mark.django_db


def german(client):
    client.cookies["mcqa_language"] = "de"
    return client


@pytest.fixture
def in_review(course_application, provider_user, coordinator, reviewers):
    seats = to_review(course_application, provider_user, coordinator, reviewers)
    course_application.refresh_from_db()
    return course_application, seats


def test_the_judgement_page_speaks_german(as_user, reviewers, in_review):
    application, seats = in_review
    client = german(as_user(reviewers["member"]))
    html = client.get(reverse("assignment-review", args=[seats["member"].pk])).content.decode()
    assert f"<h1>Ihre Begutachtung von Antrag Nr. {application.pk}</h1>" in html
    assert "Ihre Rolle: Mitglied." in html
    assert "Selbstbewertung des Anbieters" in html
    # The judgement form: its labels and every choice of the scale.
    assert ">Bewertung:</label>" in html and ">Begründung:</label>" in html
    assert '<option value="" selected>— bitte wählen —</option>' in html
    for value, words in (
        ("compliant", "Erfüllt"),
        ("substantially_compliant", "Weitgehend erfüllt"),
        ("partially_compliant", "Teilweise erfüllt"),
        ("non_compliant", "Nicht erfüllt"),
    ):
        assert f'<option value="{value}">{words}</option>' in html
    assert "Partially compliant" not in html and "Your judgement on" not in html


def test_the_judgement_page_stays_english_by_default(as_user, reviewers, in_review):
    _, seats = in_review
    html = (
        as_user(reviewers["member"])
        .get(reverse("assignment-review", args=[seats["member"].pk]))
        .content.decode()
    )
    assert '<option value="partially_compliant">Partially compliant</option>' in html
    assert "you are the member." in html


def test_the_panel_page_speaks_german(as_user, course_application, provider_user, coordinator):
    screening = to_screening(course_application, provider_user, coordinator)
    html = (
        german(as_user(coordinator))
        .get(reverse("panel-compose", args=[screening.pk]))
        .content.decode()
    )
    assert f"<h1>Gutachtergruppe zu Antrag Nr. {screening.pk}</h1>" in html
    assert "Kandidatinnen und Kandidaten, beste Eignung zuerst" in html
    assert ">Rolle in der Gutachtergruppe:</label>" in html
    assert '<option value="chair">Vorsitz</option>' in html
    assert '<option value="student">Studentisches Mitglied</option>' in html
    assert "Candidates, best fit first" not in html and ">Student member<" not in html


def test_the_consolidation_names_seats_and_judgements_in_german(as_user, reviewers, in_review):
    application, seats = in_review
    services.judgement_put(
        assignment=seats["student"],
        standard_code="quality",
        actor=reviewers["student"],
        judgement=Judgement.PARTIALLY_COMPLIANT,
        rationale="Half of it.",
    )
    html = (
        german(as_user(reviewers["chair"]))
        .get(reverse("consolidation", args=[application.pk]))
        .content.decode()
    )
    assert "(studentisches Mitglied)" in html and "(Vorsitz)" in html
    assert ">Teilweise erfüllt</span>" in html
    assert "Feststellung der Gutachtergruppe" in html


def test_a_german_conflict_warning_is_audited_in_english(
    as_user, course_application, provider_user, coordinator, reviewers
):
    screening = to_screening(course_application, provider_user, coordinator)
    reviewer = reviewers["member"]
    Affiliation.objects.create(reviewer=reviewer, provider=screening.provider)
    client = german(as_user(coordinator))
    url = reverse("panel-compose", args=[screening.pk])
    refused = client.post(url, {"reviewer": reviewer.pk, "role": "member"})
    assert refused.status_code == 400
    assert f"member-w ist mit {screening.provider.legal_name} verbunden." in (
        refused.content.decode()
    )
    body = {"reviewer": reviewer.pk, "role": "member", "override_justification": "Long ago."}
    assert client.post(url, body).status_code == 302
    event = AuditEvent.objects.get(action="review.conflict_overridden")
    assert event.data["conflicts"] == [
        f"member-w is affiliated with {screening.provider.legal_name}."
    ]


def test_the_api_answers_in_english_to_a_german_reader(
    course_application, provider_user, coordinator, reviewers
):
    screening = to_screening(course_application, provider_user, coordinator)
    Affiliation.objects.create(reviewer=reviewers["member"], provider=screening.provider)
    client = APIClient()
    client.force_authenticate(user=coordinator)
    response = client.post(
        reverse("api-panel", args=[screening.pk]),
        {"reviewer": "member-w", "role": "member"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="de",
    )
    assert response.status_code == 400
    assert "is affiliated with" in response.content.decode()
    assert "verbunden" not in response.content.decode()


def unfolded(content):
    return content.decode().replace("\r\n ", "")


def test_the_calendar_file_is_in_the_language_of_whoever_downloads_it(
    as_user, coordinator, in_review
):
    application, _ = in_review
    start = timezone.localdate() + datetime.timedelta(days=5)
    visit = services.site_visit_plan(
        application=application,
        actor=coordinator,
        data={
            "mode": "online",
            "starts_on": start.isoformat(),
            "ends_on": start.isoformat(),
            "sessions": [{"group": "management", "at": f"{start}T09:00:00Z"}],
        },
    )
    url = reverse("site-visit-calendar", args=[application.pk, visit.pk])
    ics = unfolded(german(as_user(coordinator)).get(url).content)
    assert "SUMMARY;LANGUAGE=de:Vor-Ort-Begehung (online): " in ics
    assert ": Gesprächsrunde mit der Leitung\r\n" in ics
    assert f"DESCRIPTION;LANGUAGE=de:Antrag Nr. {application.pk}\\, " in ics
    assert "session with" not in ics and ":Site visit" not in ics
    ics = unfolded(as_user(coordinator).get(url).content)
    assert "SUMMARY;LANGUAGE=en:Site visit (online): " in ics
    assert ": session with management\r\n" in ics
