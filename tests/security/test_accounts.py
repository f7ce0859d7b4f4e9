"""Accounts: password strength, login lockout on the page and on the token endpoint.

Axes is installed and configured in base settings; the test settings switch it off so
that other suites may log in freely. These tests switch it back on and prove the lockout.
"""

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"


@pytest.mark.parametrize(
    "weak",
    ["short1", "password123", "1234567890123", "alice-example-org"],
    ids=["too-short", "common", "numeric", "like-the-username"],
)
def test_password_validators_refuse_weak_passwords(weak):
    user = UserFactory(username="alice-example-org", email="alice@example.org")
    with pytest.raises(ValidationError):
        validate_password(weak, user=user)


def test_password_change_page_refuses_a_weak_password_and_keeps_the_old_one(client):
    user = UserFactory(username="alice")
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "password", "new_password2": "password"},
    )
    assert response.status_code == 200  # the form comes back with its errors
    errors = response.context["form"].errors
    assert "new_password2" in errors
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_change_page_accepts_a_strong_password(client):
    user = UserFactory(username="alice")
    client.force_login(user)
    strong = "lilac-orbit-quarry-7"
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": strong, "new_password2": strong},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(strong)


def _fail_login(client, username, times):
    for _ in range(times):
        response = client.post(
            reverse("login"), {"username": username, "password": "not the password"}
        )
        assert response.status_code == 200  # the form again, with the error


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=3)
def test_login_page_locks_out_after_the_failure_limit(client):
    UserFactory(username="alice")
    _fail_login(client, "alice", 2)
    # Below the limit the right password still works (and resets the counter).
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    client.logout()
    assert not AccessAttempt.objects.filter(username="alice").exists()

    _fail_login(client, "alice", 2)
    third = client.post(reverse("login"), {"username": "alice", "password": "nope"})
    assert third.status_code == 429
    # Locked out: even the right password is refused, and no session is opened.
    locked = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    attempt = AccessAttempt.objects.get(username="alice")
    assert attempt.failures_since_start >= 3


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=3)
def test_lockout_is_per_username_so_other_accounts_still_log_in(client):
    UserFactory(username="alice")
    UserFactory(username="bob")
    _fail_login(client, "alice", 2)
    assert client.post(reverse("login"), {"username": "alice", "password": "x"}).status_code == 429
    response = client.post(reverse("login"), {"username": "bob", "password": PASSWORD})
    assert response.status_code == 302


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=3)
def test_token_endpoint_counts_failures_and_locks_out():
    UserFactory(username="alice")
    api = APIClient()
    url = "/api/v1/auth/token/"
    for _ in range(3):
        response = api.post(url, {"username": "alice", "password": "wrong"}, format="json")
        assert response.status_code in (400, 429)
    assert AccessAttempt.objects.get(username="alice").failures_since_start >= 3
    locked = api.post(url, {"username": "alice", "password": PASSWORD}, format="json")
    assert locked.status_code in (403, 429), locked.content
    assert "token" not in locked.json()


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=3)
def test_lockout_from_the_login_page_also_closes_the_token_endpoint(client):
    UserFactory(username="alice")
    _fail_login(client, "alice", 2)
    assert client.post(reverse("login"), {"username": "alice", "password": "x"}).status_code == 429
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "alice", "password": PASSWORD}, format="json"
    )
    assert response.status_code in (403, 429), response.content
    assert "token" not in response.json()


def test_token_endpoint_is_throttled(monkeypatch):
    """Password guessing through the API is rate limited as well (scope `auth`)."""
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {**SimpleRateThrottle.THROTTLE_RATES, "auth": "3/minute"},
    )
    from django.core.cache import cache

    cache.clear()
    UserFactory(username="alice")
    api = APIClient()
    statuses = [
        api.post(
            "/api/v1/auth/token/", {"username": "alice", "password": "wrong"}, format="json"
        ).status_code
        for _ in range(4)
    ]
    assert statuses[:3] == [400, 400, 400]
    assert statuses[3] == 429
    cache.clear()
