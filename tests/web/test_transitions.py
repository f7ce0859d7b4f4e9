"""State changes from the pages: only offered when allowed, confirmed, and refused with the
engine's own reasons (400 with the unmet items, 403, 409, 404), leaving the case unchanged."""

import pytest
from django.test import Client
from django.urls import reverse

from accreditation.models import ApplicationTransition
from tests.factories import complete_dossier
from tests.web.conftest import HOSTILE, fire

pytestmark = pytest.mark.django_db


def url(application, name):
    return reverse("application-transition", args=[application.pk, name])


def test_failed_guard_lists_every_unmet_item_and_changes_nothing(
    as_user, provider_user, course_application
):
    response = as_user(provider_user).post(url(course_application, "submit"), {})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="refusal"' in html
    assert 'data-code="missing_document:self_evaluation"' in html
    assert 'data-code="missing_self_assessment:quality"' in html
    course_application.refresh_from_db()
    assert course_application.state == "draft"
    assert not ApplicationTransition.objects.exists()


def test_missing_right_is_a_403_page(as_user, provider_user, course_application):
    complete_dossier(course_application, provider_user)
    fire(course_application, "submit", provider_user)
    response = as_user(provider_user).post(url(course_application, "start_screening"), {})
    assert response.status_code == 403
    assert "You may not do this" in response.content.decode()
    course_application.refresh_from_db()
    assert course_application.state == "submitted"


def test_wrong_state_is_a_409_page(as_user, coordinator, course_application):
    response = as_user(coordinator).post(url(course_application, "start_screening"), {})
    assert response.status_code == 409
    assert "Not possible in the current state" in response.content.decode()


def test_unknown_transition_is_404(as_user, coordinator, course_application):
    assert as_user(coordinator).get(url(course_application, "teleport")).status_code == 404


def test_buttons_follow_available_transitions(
    as_user, provider_user, coordinator, course_application
):
    complete_dossier(course_application, provider_user)
    fire(course_application, "submit", provider_user)
    provider_page = (
        as_user(provider_user).get(course_application.get_absolute_url()).content.decode()
    )
    coordinator_page = (
        as_user(coordinator).get(course_application.get_absolute_url()).content.decode()
    )
    assert 'data-transition="withdraw"' in provider_page
    assert 'data-transition="start_screening"' not in provider_page
    assert 'data-transition="start_screening"' in coordinator_page
    assert 'data-transition="withdraw"' not in coordinator_page
    assert 'data-transition="submit"' not in coordinator_page


def test_return_for_completion_needs_a_comment_and_shows_it_in_the_timeline(
    as_user, provider_user, coordinator, course_application
):
    complete_dossier(course_application, provider_user)
    fire(course_application, "submit", provider_user)
    fire(course_application, "start_screening", coordinator)
    client = as_user(coordinator)
    response = client.post(url(course_application, "return_for_completion"), {"comment": ""})
    assert response.status_code == 400
    assert 'id="id_comment_errors"' in response.content.decode()
    response = client.post(
        url(course_application, "return_for_completion"), {"comment": f"Add evidence {HOSTILE}"}
    )
    assert response.status_code == 302
    course_application.refresh_from_db()
    assert course_application.state == "returned"
    html = as_user(provider_user).get(course_application.get_absolute_url()).content.decode()
    assert "Screening → Returned for completion" in html
    assert "Add evidence &lt;script&gt;" in html and HOSTILE not in html


def test_clarification_question_and_answer(
    as_user, provider_user, coordinator, course_application, reviewers
):
    from tests.web.conftest import to_review

    to_review(course_application, provider_user, coordinator, reviewers)
    client = as_user(reviewers["chair"])
    response = client.post(
        url(course_application, "request_clarification"), {"comment": "Which exam format?"}
    )
    assert response.status_code == 302
    provider = as_user(provider_user)
    page = provider.get(course_application.get_absolute_url()).content.decode()
    assert "Which exam format?" in page and 'data-transition="answer_clarification"' in page
    response = provider.post(
        url(course_application, "answer_clarification"), {"answer": "A proctored online exam."}
    )
    assert response.status_code == 302
    course_application.refresh_from_db()
    assert course_application.state == "in_review"
    assert course_application.clarifications.get().answer == "A proctored online exam."


def test_forms_need_the_csrf_token(provider_user, course_application):
    client = Client(enforce_csrf_checks=True)
    client.force_login(provider_user)
    response = client.post(url(course_application, "withdraw"), {})
    assert response.status_code == 403
    course_application.refresh_from_db()
    assert course_application.state == "draft"


def test_withdraw_is_marked_as_irreversible(as_user, provider_user, course_application):
    html = as_user(provider_user).get(url(course_application, "withdraw")).content.decode()
    assert "This cannot be undone." in html and 'class="danger"' in html


def test_confirmation_page_offers_no_button_for_what_is_not_allowed(
    as_user, provider_user, coordinator, course_application
):
    html = as_user(coordinator).get(url(course_application, "start_screening")).content.decode()
    assert 'id="not-available"' in html and 'name="confirm"' not in html
    html = as_user(provider_user).get(url(course_application, "withdraw")).content.decode()
    assert 'id="not-available"' not in html and 'name="confirm"' in html
