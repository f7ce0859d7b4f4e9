import pytest
from rest_framework.test import APIClient

from tests.factories import ApplicationFactory, MembershipFactory, UserFactory


def pytest_collection_modifyitems(items):
    """Every transactional test rolls back by serialization.

    A transactional test ends with a flush that empties every table, the reference data
    of the migrations (frameworks, groups) included. With `serialized_rollback` the flush
    skips post_migrate and the data is restored; without it, post_migrate recreates the
    content types, which the next serialized test then inserts again (duplicate key on
    PostgreSQL), and later tests find no framework. One plain transactional test is
    enough to break the others, so none is left plain.
    """
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker is None or not marker.kwargs.get("transaction"):
            continue
        if not marker.kwargs.get("serialized_rollback"):
            kwargs = {**marker.kwargs, "serialized_rollback": True}
            item.add_marker(pytest.mark.django_db(*marker.args, **kwargs), append=False)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def api():
    return APIClient()


def client_for(user):
    client = APIClient()
    client.force_authenticate(user=user)
    return client


@pytest.fixture
def coordinator(db):
    return UserFactory(username="coord", roles=["coordinator"])


@pytest.fixture
def decider(db):
    return UserFactory(username="decider-x", roles=["decision_body", "appeals_committee"])


@pytest.fixture
def appeals_member(db):
    return UserFactory(username="appeals-x", roles=["appeals_committee"])


@pytest.fixture
def provider_user(db):
    return MembershipFactory().user


@pytest.fixture
def course_application(provider_user):
    provider = provider_user.providers.get()
    return ApplicationFactory(
        provider=provider, course__provider=provider, created_by=provider_user
    )


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts and ends in the default language. A page request leaves its
    language active in the thread (Django's locale middleware, like the server's next
    request, sets it again each time), so a German page in one test would otherwise
    be the language a later test starts with."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()
