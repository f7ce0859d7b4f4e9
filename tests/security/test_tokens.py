"""API tokens die: hashed at rest, new per login, expiring, revocable, gone with the password.

Integrators keep `POST /api/v1/auth/token/` → `{"token": ...}` and
`Authorization: Token <token>`; everything else about the token changed underneath.
"""

import datetime
from types import SimpleNamespace
from unittest import mock

import pytest
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"  # tests.factories.UserFactory
NEW_PASSWORD = "lilac-orbit-quarry-7"
TOKEN_URL = "/api/v1/auth/token/"
ME_URL = "/api/v1/me/"


def login(username="alice", password=PASSWORD):
    response = APIClient().post(
        TOKEN_URL, {"username": username, "password": password}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def me(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get(ME_URL)


@pytest.fixture
def alice():
    return UserFactory(username="alice")


def test_a_login_returns_a_new_key_that_works_with_the_token_header(alice):
    first = login()["token"]
    second = login()["token"]
    assert first != second
    assert me(first).json()["username"] == "alice"
    assert me(second).json()["username"] == "alice"


def test_the_stored_form_is_not_the_key(alice):
    key = login()["token"]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {AuthToken._meta.db_table}")  # noqa: S608
        rows = cursor.fetchall()
    assert len(rows) == 1
    stored = " ".join(str(value) for value in rows[0])
    assert key not in stored
    # Only a prefix short enough to find the row is kept beside the digest.
    assert key[:15] in stored and key[:20] not in stored


def test_the_answer_says_when_the_token_expires_default_30_days(alice):
    before = timezone.now()
    answer = login()
    expiry = parse_datetime(answer["expiry"])
    assert before + datetime.timedelta(days=30) <= expiry
    assert expiry <= timezone.now() + datetime.timedelta(days=30)


def test_a_token_stops_working_at_its_expiry():
    user = UserFactory(username="alice")
    issued = timezone.now()
    key = login()["token"]
    with mock.patch("django.utils.timezone.now", return_value=issued + datetime.timedelta(29)):
        assert me(key).status_code == 200
    later = issued + datetime.timedelta(days=30, seconds=5)
    with mock.patch("django.utils.timezone.now", return_value=later):
        refused = me(key)
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"].startswith("Token")
    assert not AuthToken.objects.filter(user=user).exists()  # an expired token is deleted


def test_the_lifetime_is_a_setting(alice, settings):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_TTL": datetime.timedelta(days=2)}
    expiry = parse_datetime(login()["expiry"])
    assert expiry <= timezone.now() + datetime.timedelta(days=2)
    assert expiry > timezone.now() + datetime.timedelta(days=1)


def test_the_holder_revokes_the_token_with_delete(alice):
    key = login()["token"]
    other = login()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.delete(TOKEN_URL)
    assert response.status_code == 204
    assert me(key).status_code == 401
    assert client.delete(TOKEN_URL).status_code == 401
    # Only the presented token: the holder's other integration keeps working.
    assert me(other).status_code == 200


def test_delete_without_a_token_revokes_nothing(alice, client):
    key = login()["token"]
    assert APIClient().delete(TOKEN_URL).status_code == 401
    client.force_login(alice)  # a browser session is not the token
    assert client.delete(TOKEN_URL).status_code == 401
    assert me(key).status_code == 200


def test_the_password_change_page_revokes_every_token(alice, client):
    keys = [login()["token"], login()["token"]]
    client.force_login(alice)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert [me(key).status_code for key in keys] == [401, 401]
    assert me(login(password=NEW_PASSWORD)["token"]).status_code == 200


def test_a_password_set_in_the_admin_revokes_every_token(alice, client):
    key = login()["token"]
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.post(
        reverse("admin:auth_user_password_change", args=[alice.pk]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302, response.context["form"].errors
    assert me(key).status_code == 401


def test_a_password_reset_revokes_every_token(alice, client):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    key = login()["token"]
    uid = urlsafe_base64_encode(force_bytes(alice.pk))
    link = reverse("password_reset_confirm", args=[uid, default_token_generator.make_token(alice)])
    form = client.get(link, follow=True)
    assert form.status_code == 200 and form.context["validlink"]
    response = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert me(key).status_code == 401


def test_set_password_anywhere_revokes_every_token(alice):
    key = login()["token"]
    alice.refresh_from_db()
    alice.set_password(NEW_PASSWORD)
    alice.save()
    assert me(key).status_code == 401


def test_saving_the_user_without_a_new_password_keeps_the_tokens(alice):
    key = login()["token"]
    alice.refresh_from_db()
    alice.email = "alice@example.org"
    alice.save()
    alice.save(update_fields=["last_login"])
    assert me(key).status_code == 200


def test_logging_out_of_the_web_pages_leaves_api_tokens_alone(alice, client):
    """Documented choice (docs/security.md): a browser logout ends the browser session;
    the token of a script ends by expiry, DELETE or a new password."""
    key = login()["token"]
    client.force_login(alice)
    assert client.post(reverse("logout")).status_code == 302
    assert me(key).status_code == 200


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=3)
def test_a_locked_out_username_gets_no_token(alice):
    for _ in range(3):
        APIClient().post(TOKEN_URL, {"username": "alice", "password": "x"}, format="json")
    response = APIClient().post(
        TOKEN_URL, {"username": "alice", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 429
    assert not AuthToken.objects.exists()


# ------------------------------------------------------------------ the old tokens


def test_the_migration_hashes_the_old_plain_tokens_and_drops_them(alice):
    """An integration holding a key from DRF's authtoken table keeps working (until one
    token lifetime after the migration); the plain keys are gone from the database."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("core.migrations.0002_api_tokens_hashed")
    old_key = "0123456789abcdef0123456789abcdef01234567"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, "
            "created timestamp with time zone NOT NULL, user_id integer NOT NULL)"
            if connection.vendor == "postgresql"
            else "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, "
            "created datetime NOT NULL, user_id integer NOT NULL)"
        )
        cursor.execute(
            "INSERT INTO authtoken_token VALUES (%s, %s, %s)",
            [old_key, timezone.now(), alice.pk],
        )
        cursor.execute(
            "INSERT INTO django_migrations (app, name, applied) VALUES (%s, %s, %s)",
            ["authtoken", "0001_initial", timezone.now()],
        )
    assert me(old_key).status_code == 401  # before: the plain key is no knox token

    migration.hash_old_tokens(apps, SimpleNamespace(connection=connection))

    assert "authtoken_token" not in connection.introspection.table_names()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM django_migrations WHERE app = 'authtoken'")
        assert cursor.fetchone() == (0,)
    assert me(old_key).json()["username"] == "alice"
    token = AuthToken.objects.get(user=alice)
    assert token.digest != old_key and old_key not in token.digest
    assert timezone.now() + datetime.timedelta(days=29) < token.expiry
    with mock.patch(
        "django.utils.timezone.now", return_value=token.expiry + datetime.timedelta(seconds=1)
    ):
        assert me(old_key).status_code == 401
