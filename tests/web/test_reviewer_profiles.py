"""The reviewer's profile page and the ranked candidate list on the panel page."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from reviews import services
from reviews.models import Affiliation, PanelAssignment, ReviewerProfile
from tests.factories import UserFactory
from tests.web.conftest import HOSTILE, to_screening

pytestmark = pytest.mark.django_db


@pytest.fixture
def screening(course_application, provider_user, coordinator):
    return to_screening(course_application, provider_user, coordinator)


def test_reviewer_fills_their_profile_on_the_page(as_user, reviewers):
    reviewer = reviewers["student"]
    client = as_user(reviewer)
    url = reverse("reviewer-profile")
    assert client.get(url).status_code == 200
    until = timezone.localdate() + timedelta(days=120)
    response = client.post(
        url,
        {
            "expertise": ["0613", "0612"],
            "country": "BE",
            "languages": "en, nl",
            "is_student": "on",
            "student_until": until.isoformat(),
            "last_training_on": (timezone.localdate() - timedelta(days=3)).isoformat(),
        },
    )
    assert response.status_code == 302
    profile = ReviewerProfile.objects.get(reviewer=reviewer)
    assert (profile.expertise, profile.country, profile.languages) == (
        ["0613", "0612"],
        "BE",
        ["en", "nl"],
    )
    assert profile.is_student and profile.student_until == until
    html = client.get(url).content.decode()
    assert "0613 Software and applications development and analysis" in html
    assert "Keep your profile up to date" in client.get("/").content.decode()


def test_bad_profile_input_is_a_400_naming_the_field_and_saves_nothing(as_user, reviewers):
    client = as_user(reviewers["member"])
    response = client.post(
        reverse("reviewer-profile"),
        {"languages": f"en, {HOSTILE}", "is_student": "on"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_languages_errors"' in html and "Not ISO 639-1 language codes" in html
    assert HOSTILE not in html
    assert not ReviewerProfile.objects.exists()


def test_only_reviewers_have_a_profile_page(as_user, coordinator, provider_user):
    assert as_user(coordinator).get(reverse("reviewer-profile")).status_code == 403
    response = as_user(provider_user).post(reverse("reviewer-profile"), {"country": "NL"})
    assert response.status_code == 403
    assert not ReviewerProfile.objects.exists()


def test_profile_page_needs_csrf(reviewers):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(reviewers["chair"])
    assert client.post(reverse("reviewer-profile"), {"country": "NL"}).status_code == 403
    assert not ReviewerProfile.objects.exists()


def _profile(reviewer, **changes):
    return services.reviewer_profile_update(reviewer=reviewer, actor=reviewer, changes=changes)


def test_panel_page_ranks_candidates_with_reasons_and_marks_conflicts(
    as_user, coordinator, screening, reviewers
):
    _profile(reviewers["chair"], expertise=["0613"], languages=["en"])
    _profile(reviewers["member"], expertise=["0613"], languages=["en"])
    Affiliation.objects.create(
        reviewer=reviewers["member"], provider=screening.provider, description=HOSTILE
    )
    client = as_user(coordinator)
    html = client.get(reverse("panel-compose", args=[screening.pk])).content.decode()
    rows = html.split('id="candidates"')[1]
    assert rows.index('data-reviewer="chair-w"') < rows.index('data-reviewer="student-w"')
    assert rows.index('data-reviewer="student-w"') < rows.index('data-reviewer="member-w"')
    assert "expert in the case&#x27;s field 0613" in rows
    member_row = rows.split('data-reviewer="member-w"')[1].split("</tr>")[0]
    assert "is affiliated with" in member_row and "disabled" in member_row
    assert HOSTILE not in html
    chair_row = rows.split('data-reviewer="chair-w"')[1].split("</tr>")[0]
    assert "disabled" not in chair_row and 'value="chair" selected' in chair_row


def test_inviting_from_the_list_takes_the_candidate_off_it_and_the_drop_down(
    as_user, coordinator, screening, reviewers
):
    client = as_user(coordinator)
    url = reverse("panel-compose", args=[screening.pk])
    response = client.post(url, {"reviewer": reviewers["chair"].pk, "role": "chair"})
    assert response.status_code == 302
    assert PanelAssignment.objects.get().reviewer == reviewers["chair"]
    html = client.get(url).content.decode()
    candidates = html.split('id="candidates"')[1].split("</table>")[0]
    assert 'data-reviewer="chair-w"' not in candidates
    form = html.split('id="id_reviewer"')[1].split("</select>")[0]
    assert "chair-w" not in form and "member-w" in form
    # Posting the seated reviewer again is refused on the form, naming the field.
    response = client.post(url, {"reviewer": reviewers["chair"].pk, "role": "member"})
    assert response.status_code == 400
    assert 'id="id_reviewer_errors"' in response.content.decode()
    assert PanelAssignment.objects.count() == 1


def test_only_the_coordinator_sees_the_candidates(as_user, screening, provider_user, reviewers):
    html = as_user(provider_user).get(reverse("panel-compose", args=[screening.pk]))
    assert html.status_code == 200
    assert 'id="candidates"' not in html.content.decode()


def test_panel_page_queries_do_not_grow_with_the_candidates(
    as_user, coordinator, screening, django_assert_max_num_queries
):
    client = as_user(coordinator)
    url = reverse("panel-compose", args=[screening.pk])

    def add(start, n):
        for i in range(start, start + n):
            reviewer = UserFactory(username=f"many-{i}", roles=["reviewer"])
            _profile(reviewer, expertise=["0613"], languages=["en"])
            Affiliation.objects.create(reviewer=reviewer, provider=screening.provider)

    add(0, 2)
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    add(2, 25)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).content.decode().count("data-reviewer=") == 27
