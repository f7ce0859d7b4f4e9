"""The reviewer profile API (`/api/v1/reviewers/me/profile/`, `/api/v1/reviewers/{id}/profile/`)
and the ranked panel candidates (`/api/v1/applications/{id}/panel/candidates/`)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from reviews.models import Affiliation, ReviewerProfile
from tests.conftest import client_for
from tests.reviews.helpers import make_reviewer

pytestmark = pytest.mark.django_db
ME = "/api/v1/reviewers/me/profile/"


def test_reviewer_reads_and_patches_their_profile():
    reviewer = make_reviewer("api-rev")
    client = client_for(reviewer)
    empty = client.get(ME)
    assert empty.status_code == 200
    assert empty.json()["expertise"] == [] and empty.json()["reviewer"] == "api-rev"
    assert not ReviewerProfile.objects.exists()  # reading writes nothing
    until = (timezone.localdate() + timedelta(days=60)).isoformat()
    response = client.patch(
        ME,
        {"expertise": ["0613"], "languages": ["en"], "is_student": True, "student_until": until},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["expertise_labels"] == ["0613 Software and applications development and analysis"]
    assert body["is_student"] is True and body["student_until"] == until
    assert client.patch(ME, {"country": "DE"}, format="json").json()["expertise"] == ["0613"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"expertise": ["9876"]}, "expertise"),
        ({"expertise": ["06130"]}, "expertise"),
        ({"languages": ["xx"]}, "languages"),
        ({"country": "ZZ"}, "country"),
        ({"is_student": True}, "student_until"),
        ({"student_until": "tomorrow"}, "student_until"),
        ({"last_training_on": "2999-01-01"}, "last_training_on"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_changes_nothing(body, field):
    reviewer = make_reviewer("api-bad")
    response = client_for(reviewer).patch(ME, body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not ReviewerProfile.objects.exists()


def test_non_reviewers_have_no_profile(coordinator, provider_user):
    assert client_for(coordinator).get(ME).status_code == 403
    assert client_for(provider_user).patch(ME, {"country": "NL"}, format="json").status_code == 403
    assert not ReviewerProfile.objects.exists()


def test_coordinator_reads_a_reviewers_profile_others_get_404(coordinator, provider_user):
    reviewer = make_reviewer("api-read")
    other = make_reviewer("api-other")
    client_for(reviewer).patch(ME, {"expertise": ["0311"]}, format="json")
    url = f"/api/v1/reviewers/{reviewer.pk}/profile/"
    assert client_for(coordinator).get(url).json()["expertise"] == ["0311"]
    assert client_for(reviewer).get(url).status_code == 200
    assert client_for(other).get(url).status_code == 404
    assert client_for(provider_user).get(url).status_code == 404
    not_a_reviewer = f"/api/v1/reviewers/{coordinator.pk}/profile/"
    assert client_for(coordinator).get(not_a_reviewer).status_code == 404


def test_candidates_api_ranks_and_shows_conflicts(screening_application, coordinator, chair):
    client_for(chair).patch(ME, {"expertise": ["0613"]}, format="json")
    conflicted = make_reviewer("api-conflicted")
    Affiliation.objects.create(reviewer=conflicted, provider=screening_application.provider)
    url = f"/api/v1/applications/{screening_application.pk}/panel/candidates/"
    rows = client_for(coordinator).get(url).json()
    assert [r["reviewer"] for r in rows] == ["chair-r", "api-conflicted"]
    assert rows[0]["invitable"] and rows[0]["suggested_role"] == "chair"
    assert rows[0]["score"] > 0 and rows[0]["reasons"]
    assert not rows[1]["invitable"]
    assert rows[1]["conflicts"][0]["code"] == "conflict_of_interest"


def test_candidates_are_for_the_coordinator(screening_application, provider_user, chair):
    url = f"/api/v1/applications/{screening_application.pk}/panel/candidates/"
    assert client_for(provider_user).get(url).status_code == 403
    assert client_for(chair).get(url).status_code == 404


def test_profile_and_candidate_endpoints_are_in_the_openapi_schema_without_warnings():
    from drf_spectacular import drainage
    from drf_spectacular.generators import SchemaGenerator

    stats = drainage.GENERATOR_STATS
    stats.reset()
    with stats.silence():
        schema = SchemaGenerator().get_schema(request=None, public=True)
    complaints = [str(c) for c in (*stats._warn_cache, *stats._error_cache)]
    paths = schema["paths"]
    assert {"get", "patch"} <= set(paths["/api/v1/reviewers/me/profile/"])
    assert "get" in paths["/api/v1/reviewers/{id}/profile/"]
    assert "get" in paths["/api/v1/applications/{id}/panel/candidates/"]
    assert [c for c in complaints if "Profile" in c or "Candidate" in c] == []
