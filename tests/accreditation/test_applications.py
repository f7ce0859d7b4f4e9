"""Opening applications: frameworks frozen at creation, renewals pre-filled from the last
cycle, one open application per course, and the detail payload."""

import pytest

from accreditation.api.extensions import register_application_field, registered_fields
from accreditation.models import Application, Framework, SelfAssessment, Standard
from tests.factories import CourseFactory, ProviderFactory, complete_dossier

from .conftest import token_client
from .helpers import decided, fire

pytestmark = pytest.mark.django_db


def create(client, **body):
    return client.post("/api/v1/applications/", body, format="json")


def test_provider_review_defaults_to_esg(provider_user):
    provider = provider_user.providers.get()
    response = create(token_client(provider_user), kind="provider", provider=provider.pk)
    assert response.status_code == 201
    body = response.json()
    assert body["framework"]["code"] == "esg-2015-part1"
    assert [s["code"] for s in body["standards"]][:2] == ["1.1", "1.2"]
    assert body["course"] is None and body["state"] == "draft"


def test_framework_parameter_takes_the_newest_version(provider_user):
    provider = provider_user.providers.get()
    course = CourseFactory(provider=provider)
    old = Framework.objects.get(code="esg-2015-part1")
    newer = Framework.objects.create(
        code="esg-2015-part1",
        title=old.title,
        version="2099.1",
        effective_from="2099-01-01",
    )
    Standard.objects.create(framework=newer, code="1.1", title="Policy", order=1)
    response = create(
        token_client(provider_user),
        kind="course",
        provider=provider.pk,
        course=course.pk,
        framework="esg-2015-part1",
    )
    assert response.status_code == 201
    assert response.json()["framework"]["version"] == "2099.1"
    assert Application.objects.get().framework == newer


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "course"}, "course"),
        ({"kind": "holiday"}, "kind"),
        ({"kind": "provider", "framework": "iso-9001"}, "framework"),
        ({"kind": "provider", "course": "abc"}, "course"),
        ({"kind": "renewal"}, "previous"),
        ({"kind": "provider", "colour": 1}, "colour"),
    ],
)
def test_invalid_application_is_400_naming_the_field(provider_user, body, field):
    provider = provider_user.providers.get()
    response = create(token_client(provider_user), provider=provider.pk, **body)
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Application.objects.exists()


def test_course_of_another_provider_is_refused(provider_user):
    provider = provider_user.providers.get()
    foreign = CourseFactory()
    response = create(
        token_client(provider_user), kind="course", provider=provider.pk, course=foreign.pk
    )
    assert response.status_code == 400 and "course" in response.json()


def test_applying_for_someone_elses_provider_is_refused(provider_user, coordinator):
    other = ProviderFactory()
    response = create(token_client(provider_user), kind="provider", provider=other.pk)
    assert response.status_code == 400 and "provider" in response.json()
    response = create(token_client(coordinator), kind="provider", provider=other.pk)
    assert response.status_code == 403


def test_one_open_application_per_course(course_application, provider_user):
    client = token_client(provider_user)
    body = {
        "kind": "course",
        "provider": course_application.provider_id,
        "course": course_application.course_id,
    }
    response = create(client, **body)
    assert response.status_code == 409
    assert f"#{course_application.pk}" in response.json()["detail"]
    assert fire(client, course_application.pk, "withdraw").status_code == 200
    assert create(client, **body).status_code == 201


def test_renewal_is_prefilled_from_the_previous_cycle(course_application, provider_user, decider):
    complete_dossier(course_application, provider_user)
    decided(course_application, decider)
    response = create(
        token_client(provider_user),
        kind="renewal",
        provider=course_application.provider_id,
        course=course_application.course_id,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "renewal"
    assert body["course"] == course_application.course_id
    assert body["previous"] == course_application.pk
    assert body["framework"]["code"] == "eu-mc-2022-principles"
    renewal = Application.objects.get(pk=body["id"])
    old = dict(
        SelfAssessment.objects.filter(application=course_application).values_list(
            "standard__code", "narrative"
        )
    )
    new = dict(renewal.self_assessments.values_list("standard__code", "narrative"))
    assert new == old and len(new) == 10
    assert not renewal.documents.exists()


def test_renewal_of_an_undecided_application_is_refused(course_application, provider_user):
    response = create(
        token_client(provider_user),
        kind="renewal",
        provider=course_application.provider_id,
        previous=course_application.pk,
    )
    assert response.status_code == 400 and "previous" in response.json()


def test_detail_lists_available_transitions_per_caller(
    course_application, provider_user, coordinator
):
    complete_dossier(course_application, provider_user)
    prov, coord = token_client(provider_user), token_client(coordinator)
    url = f"/api/v1/applications/{course_application.pk}/"
    assert prov.get(url).json()["available_transitions"] == ["submit", "withdraw"]
    assert coord.get(url).json()["available_transitions"] == []
    fire(prov, course_application.pk, "submit")
    assert prov.get(url).json()["available_transitions"] == ["withdraw"]
    assert coord.get(url).json()["available_transitions"] == ["start_screening"]


def test_detail_shows_decision_and_accreditation(course_application, provider_user, decider):
    accreditation = decided(course_application, decider)
    body = token_client(provider_user).get(f"/api/v1/applications/{course_application.pk}/").json()
    assert body["accreditation"] == accreditation.pk
    assert body["decision"]["outcome"] == "positive"
    assert body["available_transitions"] == []


def test_registered_fields_appear_in_the_detail(course_application, provider_user):
    saved = registered_fields()
    try:
        register_application_field(
            "panel", lambda application, request: [{"seen_by": request.user.username}]
        )
        body = (
            token_client(provider_user).get(f"/api/v1/applications/{course_application.pk}/").json()
        )
        assert body["panel"] == [{"seen_by": provider_user.username}]
    finally:
        from accreditation.api import extensions

        extensions._FIELDS.clear()
        extensions._FIELDS.update(saved)
