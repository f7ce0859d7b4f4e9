import pytest
from rest_framework.test import APIClient

from tests.factories import ApplicationFactory, MembershipFactory, UserFactory


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
