"""Home queues per role, list query counts, the help page's state machine from the code."""

import re

import pytest
from django.urls import reverse

from accreditation.models import Application
from tests.factories import ApplicationFactory, CourseFactory

pytestmark = pytest.mark.django_db


def test_provider_home_shows_applications_and_next_steps(
    as_user, provider_user, course_application
):
    html = as_user(provider_user).get("/").content.decode()
    assert "Your organisation's applications" in html
    assert course_application.get_absolute_url() in html
    assert reverse("application-transition", args=[course_application.pk, "submit"]) in html
    assert "Submit the dossier" in html


def test_coordinator_home_counts_by_state(as_user, coordinator, course_application):
    html = as_user(coordinator).get("/").content.decode()
    assert re.search(r'<span class="count">1</span> Draft', html)
    assert re.search(r'<span class="count">0</span> Submitted', html)


def test_reviewer_without_seats_sees_an_empty_queue(as_user, reviewers):
    html = as_user(reviewers["chair"]).get("/").content.decode()
    assert "No invitation waits for an answer." in html
    assert "Coordination" not in html


def test_application_list_runs_a_constant_number_of_queries(
    as_user, coordinator, django_assert_max_num_queries
):
    client = as_user(coordinator)
    for _ in range(3):
        ApplicationFactory(course=CourseFactory())
    client.get(reverse("application-list"))
    with django_assert_max_num_queries(12):
        small = client.get(reverse("application-list"))
    for _ in range(15):
        ApplicationFactory(course=CourseFactory())
    with django_assert_max_num_queries(12):
        large = client.get(reverse("application-list"))
    assert Application.objects.count() == 18
    assert large.content.decode().count("<tr>") > small.content.decode().count("<tr>")


def test_coordinator_home_runs_a_constant_number_of_queries(
    as_user, coordinator, django_assert_max_num_queries
):
    client = as_user(coordinator)
    for _ in range(10):
        ApplicationFactory(course=CourseFactory())
    with django_assert_max_num_queries(14):
        client.get("/")


def test_help_page_draws_every_transition_from_the_code(client):
    response = client.get(reverse("help"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in html and 'role="img"' in html
    field = Application._meta.get_field("state")
    names = {t.name for t in field.get_all_transitions(Application)}
    assert len(names) == 15
    for name in names:
        assert f"<code>{name}</code>" in html, name
    drawn = re.findall(
        r'<g class="sm-edge"><path d="[^"]+" marker-end="url\(#arrow\)"/><text[^>]*>([^<]+)</text>',
        html,
    )
    drawn_names = {n.strip() for label in drawn for n in label.split(",")}
    assert names - {"withdraw"} <= drawn_names
    for state, _label in Application._meta.get_field("state").choices:
        assert f'class="sm-state sm-{state}"' in html


def test_the_german_help_page_explains_the_procedure_on_unlocalized_geometry(client):
    client.cookies["mcqa_language"] = "de"
    html = client.get(reverse("help")).content.decode()
    assert "<h1>So läuft das Verfahren ab</h1>" in html
    assert "Prüfung auf sachliche Richtigkeit" in html
    assert '<title id="sm-title">Zustandsautomat eines Antrags</title>' in html
    svg = html.split('class="sm">', 1)[1].split("</svg>", 1)[0]
    numbers = re.findall(r'\s(?:x|y|width|height|viewBox)="([^"]*)"', svg)
    assert numbers and [n for n in numbers if "," in n] == []


def test_pages_send_a_strict_script_policy(as_user, provider_user):
    response = as_user(provider_user).get("/")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "<script>" not in response.content.decode()


def test_application_page_runs_a_bounded_number_of_queries(
    as_user, provider_user, course_application, django_assert_max_num_queries
):
    from tests.factories import DocumentFactory, complete_dossier

    complete_dossier(course_application, provider_user)
    client = as_user(provider_user)
    client.get(course_application.get_absolute_url())
    with django_assert_max_num_queries(45) as few:
        client.get(course_application.get_absolute_url())
    for _ in range(10):
        DocumentFactory(application=course_application, uploaded_by=provider_user)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(course_application.get_absolute_url())
