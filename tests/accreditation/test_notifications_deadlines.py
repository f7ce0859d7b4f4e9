"""E-mail to whoever must act next (once per event and person, even when a task runs
twice) and the deadline sweep: reminders, overdue notices, the system closing a lapsed
factual-accuracy check, overdue conditions and expiries."""

import datetime

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from accreditation import notifications, tasks, workflow
from accreditation.models import (
    Accreditation,
    AccreditationTransition,
    Application,
    ApplicationTransition,
    Condition,
    Notification,
)
from accreditation.services import application_transition, complaint_lodge
from core.models import AuditEvent
from tests.factories import UserFactory, complete_dossier

from .helpers import decided

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(provider_user, coordinator):
    coordinator.email = "coord@example.org"
    coordinator.save()
    provider_user.email = "prov@example.org"
    provider_user.save()
    return {
        "decision": UserFactory(username="db1", email="db1@example.org", roles=["decision_body"]),
        "appeals": UserFactory(
            username="ap1", email="ap1@example.org", roles=["appeals_committee"]
        ),
    }


def to(messages):
    return sorted(address for m in messages for address in m.to)


def set_state(application, state, due_at):
    Application.objects.filter(pk=application.pk).update(
        state=state, due_at=due_at, reminder_sent_at=None, overdue_notified_at=None
    )
    application.refresh_from_db()


def test_submit_mails_coordinators_once_even_if_the_task_runs_twice(
    course_application, provider_user, coordinator, people, django_capture_on_commit_callbacks
):
    complete_dossier(course_application, provider_user)
    with django_capture_on_commit_callbacks(execute=True):
        application_transition(application=course_application, name="submit", actor=provider_user)
    assert to(mail.outbox) == ["coord@example.org"]
    assert "submitted" in mail.outbox[0].subject
    log = ApplicationTransition.objects.get()
    assert tasks.send_application_notifications(log_id=log.pk) == 0
    assert len(mail.outbox) == 1
    note = Notification.objects.get()
    assert note.key == f"application-log:{log.pk}" and note.sent_at is not None


def test_return_mails_the_provider_with_the_comment(
    course_application, provider_user, coordinator, people, django_capture_on_commit_callbacks
):
    complete_dossier(course_application, provider_user)
    application_transition(application=course_application, name="submit", actor=provider_user)
    application_transition(
        application=course_application, name="start_screening", actor=coordinator
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        application_transition(
            application=course_application,
            name="return_for_completion",
            actor=coordinator,
            data={"comment": "The sample credential lacks the learner's name."},
        )
    assert to(mail.outbox) == ["prov@example.org"]
    assert "learner's name" in mail.outbox[0].body


def test_recipients_per_step(course_application, people, coordinator, provider_user):
    assert NEXT(course_application, "confirm_factual_accuracy") == ["db1@example.org"]
    assert NEXT(course_application, "appeal") == ["ap1@example.org", "coord@example.org"]
    assert NEXT(course_application, "accredit") == ["coord@example.org", "prov@example.org"]


def NEXT(application, name):
    audiences = workflow.step(name).next
    return sorted(u.email for u in notifications.recipients(application, audiences))


def test_complaint_mails_coordinators(
    course_application, provider_user, people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        complaint_lodge(actor=provider_user, application=course_application, text="Too slow.")
    assert to(mail.outbox) == ["coord@example.org"]


# --------------------------------------------------------------------------- deadlines


def test_reminder_before_due_then_overdue_once(course_application, people):
    now = timezone.now()
    set_state(course_application, "screening", now + datetime.timedelta(days=1))
    assert tasks.run_deadlines()["reminders"] == 1
    assert to(mail.outbox) == ["coord@example.org"]
    assert "Reminder" in mail.outbox[0].subject
    assert tasks.run_deadlines()["reminders"] == 0
    assert len(mail.outbox) == 1
    # Time passes: the due date is behind us.
    Application.objects.filter(pk=course_application.pk).update(
        due_at=now - datetime.timedelta(hours=1)
    )
    assert tasks.run_deadlines()["overdue"] == 1
    assert "Overdue" in mail.outbox[-1].subject
    assert tasks.run_deadlines()["overdue"] == 0
    assert len(mail.outbox) == 2


def test_no_reminder_when_due_is_far(course_application, people):
    set_state(course_application, "screening", timezone.now() + datetime.timedelta(days=30))
    assert tasks.run_deadlines()["reminders"] == 0
    assert mail.outbox == []


def test_lapsed_factual_check_is_confirmed_by_the_system(course_application, people):
    set_state(course_application, "factual_check", timezone.now() - datetime.timedelta(minutes=1))
    result = tasks.run_deadlines()
    assert result["factual_checks_closed"] == 1
    course_application.refresh_from_db()
    assert course_application.state == "decision_pending"
    log = ApplicationTransition.objects.get()
    assert (log.transition, log.actor_id, log.actor_name) == (
        "confirm_factual_accuracy",
        None,
        "system",
    )
    assert tasks.run_deadlines()["factual_checks_closed"] == 0
    assert ApplicationTransition.objects.count() == 1


def test_factual_check_not_yet_due_stays(course_application, people):
    set_state(course_application, "factual_check", timezone.now() + datetime.timedelta(days=5))
    tasks.run_deadlines()
    course_application.refresh_from_db()
    assert course_application.state == "factual_check"


def test_history_shows_system_as_actor(course_application, provider_user, people):
    from .conftest import token_client
    from .helpers import history

    set_state(course_application, "factual_check", timezone.now() - datetime.timedelta(days=1))
    call_command("run_deadlines", stdout=open("/dev/null", "w"))  # noqa: SIM115
    steps = history(token_client(provider_user), course_application.pk)
    assert steps[-1]["actor"] == "system"
    assert steps[-1]["transition"] == "confirm_factual_accuracy"


def test_overdue_condition_raises_the_case_once(course_application, decider, people):
    today = timezone.now().date()
    accreditation = decided(
        course_application,
        decider,
        state="conditionally_accredited",
        conditions=[
            ("Publish the grid", today - datetime.timedelta(days=1)),
            ("Later", today + datetime.timedelta(days=30)),
        ],
    )
    mail.outbox.clear()
    assert tasks.run_deadlines()["conditions_overdue"] == 1
    statuses = dict(accreditation.conditions.values_list("text", "status"))
    assert statuses == {"Publish the grid": "overdue", "Later": "open"}
    assert to(mail.outbox) == ["coord@example.org", "db1@example.org", "decider-x@example.org"]
    assert AuditEvent.objects.filter(action="condition.overdue").count() == 1
    assert tasks.run_deadlines()["conditions_overdue"] == 0
    assert len(mail.outbox) == 3
    assert Condition.objects.filter(status="overdue").count() == 1


def test_accreditation_expires_once_its_valid_until_day_has_ended(
    course_application, decider, people
):
    today = timezone.now().date()
    accreditation = decided(course_application, decider, valid_until=today)
    assert tasks.run_deadlines()["accreditations_expired"] == 0
    accreditation.refresh_from_db()
    assert accreditation.status == "active"
    Accreditation.objects.filter(pk=accreditation.pk).update(
        valid_until=today - datetime.timedelta(days=1),
        valid_from=today - datetime.timedelta(days=400),
    )
    assert tasks.run_deadlines()["accreditations_expired"] == 1
    accreditation.refresh_from_db()
    assert accreditation.status == "expired"
    log = AccreditationTransition.objects.filter(transition="expire").get()
    assert log.actor_name == "system"
    assert tasks.run_deadlines()["accreditations_expired"] == 0


def test_suspended_accreditation_expires_too(course_application, decider, people):
    today = timezone.now().date()
    accreditation = decided(course_application, decider)
    Accreditation.objects.filter(pk=accreditation.pk).update(
        status="suspended",
        valid_until=today - datetime.timedelta(days=1),
        valid_from=today - datetime.timedelta(days=400),
    )
    assert tasks.run_deadlines()["accreditations_expired"] == 1
    accreditation.refresh_from_db()
    assert accreditation.status == "expired"


def test_accreditation_still_valid_is_left(course_application, decider, people):
    today = timezone.now().date()
    accreditation = decided(
        course_application, decider, valid_until=today + datetime.timedelta(days=1)
    )
    tasks.run_deadlines()
    accreditation.refresh_from_db()
    assert accreditation.status == "active"


def test_beat_runs_the_sweep(settings):
    entry = settings.CELERY_BEAT_SCHEDULE[tasks.SWEEP_SCHEDULE_NAME]
    assert entry["task"] == "accreditation.run_deadlines"
    from config.celery import app

    assert "accreditation.run_deadlines" in app.tasks


def test_retry_after_a_mail_failure_mails_only_who_was_missed(monkeypatch, people, coordinator):
    from smtplib import SMTPException

    from django.core.mail import send_mail as real_send_mail

    users = [coordinator, people["decision"], people["appeals"]]
    calls = []

    def flaky(subject, body, sender, to_list):
        calls.append(to_list[0])
        if to_list[0] == "db1@example.org" and calls.count("db1@example.org") == 1:
            raise SMTPException("server busy")
        return real_send_mail(subject, body, sender, to_list)

    monkeypatch.setattr(notifications, "send_mail", flaky)
    with pytest.raises(SMTPException):
        notifications.deliver(key="event:1", users=users, subject="S", body="B")
    assert to(mail.outbox) == ["coord@example.org"]
    assert notifications.deliver(key="event:1", users=users, subject="S", body="B") == 2
    assert to(mail.outbox) == ["ap1@example.org", "coord@example.org", "db1@example.org"]
    assert notifications.deliver(key="event:1", users=users, subject="S", body="B") == 0
    assert len(mail.outbox) == 3


def test_broker_down_at_submit_the_transition_stands_and_the_sweep_mails_later(
    course_application, provider_user, people, monkeypatch, django_capture_on_commit_callbacks
):
    from celery import Task
    from kombu.exceptions import OperationalError

    from .conftest import token_client
    from .helpers import fire

    complete_dossier(course_application, provider_user)

    def refuse(self, *args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(Task, "apply_async", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        response = fire(token_client(provider_user), course_application.pk, "submit")
    monkeypatch.undo()
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "submitted"
    assert mail.outbox == []
    assert tasks.run_deadlines()["notifications_recovered"] == 1
    assert to(mail.outbox) == ["coord@example.org"]
    assert tasks.run_deadlines()["notifications_recovered"] == 0
    assert len(mail.outbox) == 1


def test_mail_task_raises_when_run_eagerly_and_sends_once_after(
    course_application, provider_user, people, monkeypatch
):
    from smtplib import SMTPServerDisconnected

    from django.core.mail.backends.locmem import EmailBackend

    complete_dossier(course_application, provider_user)
    application_transition(application=course_application, name="submit", actor=provider_user)
    log = ApplicationTransition.objects.get()

    def down(self, messages):
        raise SMTPServerDisconnected("gone")

    monkeypatch.setattr(EmailBackend, "send_messages", down)
    with pytest.raises(SMTPServerDisconnected):
        tasks.send_application_notifications.apply(kwargs={"log_id": log.pk}, throw=True)
    monkeypatch.undo()
    assert Notification.objects.get().sent_at is None
    tasks.send_application_notifications.apply(kwargs={"log_id": log.pk}, throw=True)
    tasks.send_application_notifications.apply(kwargs={"log_id": log.pk}, throw=True)
    assert to(mail.outbox) == ["coord@example.org"]


@pytest.mark.parametrize("name", ["request_clarification", "accredit", "submit", "withdraw"])
def test_the_system_fires_only_the_deadline_transition(course_application, name):
    from core.errors import NotAllowed

    in_state = {"request_clarification": "in_review", "accredit": "decision_pending"}
    set_state(course_application, in_state.get(name, "draft"), None)
    with pytest.raises(NotAllowed):
        application_transition(
            application=course_application, name=name, actor=None, data={"comment": "x"}
        )
    course_application.refresh_from_db()
    assert course_application.state == in_state.get(name, "draft")
    assert not ApplicationTransition.objects.exists()
