"""Login, logout and password reset through Django's auth views with our templates."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_anonymous_pages_of_the_workflow_redirect_to_login(client):
    response = client.get(reverse("application-list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_login_page_has_csrf_labels_and_skip_link(client):
    response = client.get(reverse("login"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "csrfmiddlewaretoken" in html
    assert '<label for="id_username"' in html and '<label for="id_password"' in html
    assert 'class="skip-link" href="#main"' in html
    assert '<main id="main"' in html


def test_login_with_password_lands_on_home(client):
    UserFactory(username="alice", roles=["coordinator"])
    response = client.post(
        reverse("login"), {"username": "alice", "password": "correct horse battery"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert "Coordination" in client.get("/").content.decode()


def test_wrong_password_is_refused_with_a_message(client):
    UserFactory(username="alice")
    response = client.post(reverse("login"), {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logout_is_a_post(client):
    user = UserFactory()
    client.force_login(user)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_password_reset_by_email_sets_a_new_password(client):
    UserFactory(username="bob", email="bob@example.org")
    response = client.post(reverse("password_reset"), {"email": "bob@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    page = client.get(link, follow=True)
    assert page.status_code == 200 and "Choose a new password" in page.content.decode()
    set_url = page.redirect_chain[-1][0]
    done = client.post(
        set_url,
        {"new_password1": "a much longer secret 42", "new_password2": "a much longer secret 42"},
    )
    assert done.status_code == 302
    assert client.login(username="bob", password="a much longer secret 42")


def test_password_reset_for_unknown_address_sends_nothing_and_says_the_same(client):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"}, follow=True)
    assert "Check your e-mail" in response.content.decode()
    assert mail.outbox == []


def test_password_reset_in_german_mails_in_german(client):
    UserFactory(username="grete", email="grete@example.org")
    client.cookies["mcqa_language"] = "de"
    response = client.post(reverse("password_reset"), {"email": "grete@example.org"}, follow=True)
    assert "Sehen Sie in Ihr E-Mail-Postfach" in response.content.decode()
    message = mail.outbox[0]
    assert message.subject == "Passwort zurücksetzen"
    assert "Jemand hat angefordert, das Passwort des Kontos grete" in message.body
    assert re.search(r"https?://[^/\s]+/accounts/reset/\S+", message.body)
