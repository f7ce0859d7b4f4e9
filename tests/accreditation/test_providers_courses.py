"""Providers and courses over the API: validation names the field; only members write."""

import pytest
from django.contrib.auth.models import Group

from accreditation.models import Course, Provider, ProviderIdentifier, ProviderMembership
from tests.factories import CourseFactory, IdentifierFactory, ProviderFactory, UserFactory

from .conftest import token_client

pytestmark = pytest.mark.django_db

PROVIDER = {
    "legal_name": "Hanze Skills Academy",
    "country": "NL",
    "type": "vet",
    "website": "https://skills.example.org",
    "identifiers": [{"scheme": "schac", "value": "skills.example.org"}],
}


def test_creator_becomes_admin_member_with_provider_role():
    user = UserFactory(roles=[])
    client = token_client(user)
    response = client.post("/api/v1/providers/", PROVIDER, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["identifiers"] == [{"scheme": "schac", "value": "skills.example.org"}]
    membership = ProviderMembership.objects.get(user=user)
    assert membership.provider_id == body["id"] and membership.role == "admin"
    assert user.groups.filter(name="provider").exists()
    assert client.get("/api/v1/me/").json()["provider"] == body["id"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"country": "XX"}, "country"),
        ({"type": "pirate"}, "type"),
        ({"website": "not a url"}, "website"),
        ({"legal_name": ""}, "legal_name"),
        ({"identifiers": [{"scheme": "isbn", "value": "1"}]}, "identifiers"),
        ({"identifiers": [{"scheme": "lei", "value": ""}]}, "identifiers"),
        ({"identifiers": "schac:x"}, "identifiers"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_invalid_provider_is_400_naming_the_field(change, field):
    user = UserFactory(roles=[])
    response = token_client(user).post("/api/v1/providers/", {**PROVIDER, **change}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Provider.objects.exists()
    assert not user.groups.exists()


def test_identifier_of_another_provider_is_refused():
    IdentifierFactory(scheme="schac", value="skills.example.org")
    response = token_client(UserFactory()).post("/api/v1/providers/", PROVIDER, format="json")
    assert response.status_code == 400
    assert "already identifies" in response.json()["identifiers"][0]


def test_patch_replaces_all_identifiers(provider_user):
    provider = provider_user.providers.get()
    IdentifierFactory(provider=provider, scheme="schac", value="old.example.org")
    IdentifierFactory(provider=provider, scheme="erasmus", value="NL OLD01")
    response = token_client(provider_user).patch(
        f"/api/v1/providers/{provider.pk}/",
        {"identifiers": [{"scheme": "lei", "value": "5493001KJTIIGC8Y1R12"}], "website": ""},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["identifiers"] == [{"scheme": "lei", "value": "5493001KJTIIGC8Y1R12"}]
    assert list(ProviderIdentifier.objects.values_list("scheme", flat=True)) == ["lei"]


def test_patch_without_identifiers_keeps_them(provider_user):
    provider = provider_user.providers.get()
    IdentifierFactory(provider=provider, scheme="schac", value="keep.example.org")
    response = token_client(provider_user).patch(
        f"/api/v1/providers/{provider.pk}/", {"legal_name": "Renamed"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["identifiers"] == [{"scheme": "schac", "value": "keep.example.org"}]


def test_failed_patch_changes_nothing(provider_user):
    provider = provider_user.providers.get()
    IdentifierFactory(provider=provider, scheme="schac", value="keep.example.org")
    response = token_client(provider_user).patch(
        f"/api/v1/providers/{provider.pk}/",
        {"legal_name": "Renamed", "identifiers": [{"scheme": "bogus", "value": "1"}]},
        format="json",
    )
    assert response.status_code == 400
    provider.refresh_from_db()
    assert provider.legal_name != "Renamed"
    assert provider.identifiers.count() == 1


def test_other_providers_are_404(provider_user):
    other = ProviderFactory()
    client = token_client(provider_user)
    assert client.get(f"/api/v1/providers/{other.pk}/").status_code == 404
    assert client.patch(f"/api/v1/providers/{other.pk}/", {}, format="json").status_code == 404
    listed = [p["id"] for p in client.get("/api/v1/providers/").json()["results"]]
    assert listed == [provider_user.providers.get().pk]


def test_plain_member_cannot_edit_the_profile(provider_user):
    provider = provider_user.providers.get()
    member = UserFactory(roles=["provider"])
    ProviderMembership.objects.create(user=member, provider=provider, role="member")
    response = token_client(member).patch(
        f"/api/v1/providers/{provider.pk}/", {"legal_name": "Mine now"}, format="json"
    )
    assert response.status_code == 403


# --------------------------------------------------------------------------- courses

COURSE = {
    "title": "Data Stewardship",
    "learning_outcomes": ["Write a data management plan"],
    "workload_ects": "2.5",
    "eqf_level": 6,
    "qf_ehea_cycle": "first",
    "isced_f": "0612",
    "assessment_type": "Portfolio",
    "participation_form": "online",
    "quality_assurance": "Faculty exam board",
    "languages": ["en", "nl"],
    "prerequisites": "",
    "supervision_identity_verification": "supervised_with_identity_verification",
    "grading": "Pass/fail",
    "stackability": "Counts towards the MSc",
    "further_information": "https://example.org/ds",
}


def test_course_with_every_annex_i_field_round_trips(provider_user):
    provider = provider_user.providers.get()
    client = token_client(provider_user)
    response = client.post("/api/v1/courses/", {**COURSE, "provider": provider.pk}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    for key, value in COURSE.items():
        expected = "2.50" if key == "workload_ects" else value
        assert body[key] == expected, key
    assert client.get(f"/api/v1/courses/{body['id']}/").json() == body


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"learning_outcomes": []}, "learning_outcomes"),
        ({"learning_outcomes": ["ok", "  "]}, "learning_outcomes"),
        ({"learning_outcomes": "one outcome"}, "learning_outcomes"),
        ({"workload_ects": 0}, "workload_ects"),
        ({"workload_ects": "-1"}, "workload_ects"),
        ({"workload_ects": "lots"}, "workload_ects"),
        ({"eqf_level": 9}, "eqf_level"),
        ({"eqf_level": 0}, "eqf_level"),
        ({"eqf_level": "six"}, "eqf_level"),
        ({"qf_ehea_cycle": "fourth"}, "qf_ehea_cycle"),
        ({"isced_f": "0699"}, "isced_f"),
        ({"participation_form": "telepathy"}, "participation_form"),
        ({"languages": ["english"]}, "languages"),
        ({"languages": "en"}, "languages"),
        ({"title": ""}, "title"),
    ],
)
def test_invalid_course_is_400_naming_the_field(provider_user, change, field):
    provider = provider_user.providers.get()
    response = token_client(provider_user).post(
        "/api/v1/courses/", {**COURSE, "provider": provider.pk, **change}, format="json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Course.objects.exists()


def test_null_levels_are_allowed(provider_user):
    provider = provider_user.providers.get()
    response = token_client(provider_user).post(
        "/api/v1/courses/",
        {**COURSE, "provider": provider.pk, "eqf_level": None, "qf_ehea_cycle": None},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["eqf_level"] is None


def test_course_for_a_provider_one_does_not_act_for(provider_user):
    other = ProviderFactory()
    response = token_client(provider_user).post(
        "/api/v1/courses/", {**COURSE, "provider": other.pk}, format="json"
    )
    assert response.status_code == 400
    assert "provider" in response.json()


def test_coordinator_may_read_but_not_write_courses(coordinator):
    course = CourseFactory()
    client = token_client(coordinator)
    assert client.get(f"/api/v1/courses/{course.pk}/").status_code == 200
    response = client.patch(f"/api/v1/courses/{course.pk}/", {"title": "X"}, format="json")
    assert response.status_code == 403
    response = client.post(
        "/api/v1/courses/", {**COURSE, "provider": course.provider_id}, format="json"
    )
    assert response.status_code == 403


def test_course_cannot_move_to_another_provider(provider_user):
    course = CourseFactory(provider=provider_user.providers.get())
    other = ProviderFactory()
    response = token_client(provider_user).patch(
        f"/api/v1/courses/{course.pk}/", {"provider": other.pk}, format="json"
    )
    assert response.status_code == 400 and "provider" in response.json()


def test_stranger_cannot_see_course(stranger):
    course = CourseFactory()
    assert token_client(stranger).get(f"/api/v1/courses/{course.pk}/").status_code == 404


def test_provider_group_exists_for_new_providers():
    assert Group.objects.filter(name="provider").exists()
