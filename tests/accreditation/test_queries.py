"""Lists stay at a constant number of SQL queries however many rows they show."""

import pytest

from tests.factories import (
    ApplicationFactory,
    CourseFactory,
    DocumentFactory,
    IdentifierFactory,
    MembershipFactory,
)

from .conftest import token_client
from .helpers import decided

pytestmark = pytest.mark.django_db


def _many_applications(provider, count):
    for _ in range(count):
        app = ApplicationFactory(provider=provider, course=CourseFactory(provider=provider))
        DocumentFactory(application=app)


def _count(django_assert_max_num_queries, client, url, limit):
    with django_assert_max_num_queries(limit) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries), response.json()


@pytest.mark.parametrize("user_kind", ["provider", "coordinator"])
def test_application_list_is_constant(django_assert_max_num_queries, coordinator, user_kind):
    member = MembershipFactory().user
    provider = member.providers.get()
    user = member if user_kind == "provider" else coordinator
    client = token_client(user)
    _many_applications(provider, 2)
    few, body = _count(django_assert_max_num_queries, client, "/api/v1/applications/", 12)
    assert body["count"] == 2
    _many_applications(provider, 15)
    many, body = _count(django_assert_max_num_queries, client, "/api/v1/applications/", 12)
    assert body["count"] == 17
    assert many == few


def test_provider_and_course_lists_are_constant(django_assert_max_num_queries, coordinator):
    client = token_client(coordinator)
    IdentifierFactory()
    CourseFactory()
    few_p, _ = _count(django_assert_max_num_queries, client, "/api/v1/providers/", 10)
    few_c, _ = _count(django_assert_max_num_queries, client, "/api/v1/courses/", 10)
    for _ in range(12):
        IdentifierFactory()
        CourseFactory()
    many_p, body = _count(django_assert_max_num_queries, client, "/api/v1/providers/", 10)
    many_c, _ = _count(django_assert_max_num_queries, client, "/api/v1/courses/", 10)
    assert (many_p, many_c) == (few_p, few_c)
    assert all(p["identifiers"] is not None for p in body["results"])


def test_accreditation_list_is_constant(django_assert_max_num_queries, decider):
    client = token_client(decider)
    decided(ApplicationFactory(), decider)
    few, _ = _count(django_assert_max_num_queries, client, "/api/v1/accreditations/", 10)
    for _ in range(8):
        decided(ApplicationFactory(), decider, conditions=[("Publish the grid", "2099-01-01")])
    many, body = _count(django_assert_max_num_queries, client, "/api/v1/accreditations/", 10)
    assert body["count"] == 9 and many == few


def test_application_detail_is_bounded(
    django_assert_max_num_queries, course_application, provider_user
):
    from tests.factories import complete_dossier

    complete_dossier(course_application, provider_user)
    for _ in range(10):
        DocumentFactory(application=course_application, kind="evidence")
    client = token_client(provider_user)
    with django_assert_max_num_queries(40):
        response = client.get(f"/api/v1/applications/{course_application.pk}/")
    assert response.status_code == 200
    assert len(response.json()["documents"]) == 12
