"""Each e-mail is written in its recipient's language: the choice they made with the
language switcher, or the site's default (English) when they never chose."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone, translation

from accreditation import tasks
from accreditation.models import Application
from accreditation.services import application_transition
from core.models import UserLanguage
from tests.factories import UserFactory, complete_dossier

pytestmark = pytest.mark.django_db


@pytest.fixture
def coordinators():
    german = UserFactory(username="greta", email="greta@example.org", roles=["coordinator"])
    UserLanguage.objects.create(user=german, language="de")
    english = UserFactory(username="emma", email="emma@example.org", roles=["coordinator"])
    return german, english


def mail_to(address):
    (message,) = [m for m in mail.outbox if m.to == [address]]
    return message


def test_one_notification_run_writes_german_and_english_mails(
    course_application, provider_user, coordinators, django_capture_on_commit_callbacks
):
    complete_dossier(course_application, provider_user)
    with django_capture_on_commit_callbacks(execute=True):
        application_transition(application=course_application, name="submit", actor=provider_user)
    german, english = mail_to("greta@example.org"), mail_to("emma@example.org")
    number = course_application.pk
    assert f"Antrag Nr. {number} von" in german.body and "wechselte von" in german.body
    assert f"Application #{number} of" in english.body and "moved from" in english.body
    assert "Application #" not in german.body
    assert german.subject != english.subject
    assert translation.get_language() == "en"  # the run leaves the language as it was


def test_a_deadline_reminder_is_german_for_the_german_coordinator_only(
    course_application, coordinators
):
    Application.objects.filter(pk=course_application.pk).update(
        state="screening", due_at=timezone.now() + datetime.timedelta(days=1)
    )
    assert tasks.run_deadlines()["reminders"] == 1
    german, english = mail_to("greta@example.org"), mail_to("emma@example.org")
    assert f"] Erinnerung: Nr. {course_application.pk} (" in german.subject
    assert "ist der nächste Schritt fällig" in german.body
    assert "Reminder:" in english.subject and "Screening" in english.subject
    assert "the next step is due" in english.body
