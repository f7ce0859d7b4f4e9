"""Reviewer reminders: due soon, overdue, once per seat and due date, and scheduled by beat."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accreditation.models import Application
from reviews import services
from reviews.models import PanelAssignment
from reviews.tasks import notify_reviewer_invited, send_assignment_reminders
from tests.reviews.helpers import judge_everything, make_reviewer

pytestmark = pytest.mark.django_db


def _due_in(seat, days):
    PanelAssignment.objects.filter(pk=seat.pk).update(
        due_date=timezone.now().date() + timedelta(days=days)
    )


def _mails_to(address):
    return [m for m in mail.outbox if m.to == [address]]


def test_reminder_tasks_are_on_the_beat_schedule():
    from config.celery import app

    entry = app.conf.beat_schedule["reviews-assignment-reminders"]
    assert entry["task"] == "reviews.tasks.send_assignment_reminders"
    assert entry["task"] in app.tasks


def test_unanswered_invitation_due_soon_is_reminded_once(
    screening_application, coordinator, settings
):
    settings.MCQA_REMINDER_DAYS_BEFORE = 3
    reviewer = make_reviewer(email="slow@example.org")
    seat = services.panel_member_assign(
        application=screening_application, reviewer=reviewer, role="member", actor=coordinator
    )
    _due_in(seat, 5)
    assert send_assignment_reminders() == 0
    _due_in(seat, 2)
    assert send_assignment_reminders() == 1
    assert send_assignment_reminders() == 0  # safe to run twice
    reminders = _mails_to("slow@example.org")
    assert len(reminders) == 1 and "Reminder" in reminders[0].subject
    assert "accept or decline" in reminders[0].body
    seat.refresh_from_db()
    assert seat.reminder_sent_at is not None


def test_invitations_are_chased_exactly_while_they_can_be_answered(
    screening_application, coordinator, settings
):
    """The reminders follow `services.invitation_open`: a withdrawn case can no longer
    use the reviewer, a case awaiting a clarification still can."""
    settings.MCQA_REMINDER_DAYS_BEFORE = 3
    reviewer = make_reviewer(email="asked@example.org")
    seat = services.panel_member_assign(
        application=screening_application, reviewer=reviewer, role="member", actor=coordinator
    )
    _due_in(seat, 1)
    for state, answerable in (("withdrawn", False), ("clarification_requested", True)):
        Application.objects.filter(pk=screening_application.pk).update(state=state)
        seat = PanelAssignment.objects.select_related("application").get(pk=seat.pk)
        assert services.invitation_open(seat) is answerable
        assert send_assignment_reminders() == int(answerable)
    assert len(_mails_to("asked@example.org")) == 1


def test_overdue_invitation_tells_reviewer_and_coordinator_once(screening_application, coordinator):
    coordinator.email = "coord@example.org"
    coordinator.save()
    reviewer = make_reviewer(email="late@example.org")
    seat = services.panel_member_assign(
        application=screening_application, reviewer=reviewer, role="member", actor=coordinator
    )
    _due_in(seat, -1)
    assert send_assignment_reminders() == 2
    assert send_assignment_reminders() == 0
    assert [m.subject.startswith("Overdue") for m in _mails_to("late@example.org")] == [True]
    assert len(_mails_to("coord@example.org")) == 1


def test_answered_or_closed_seats_are_not_chased(screening_application, coordinator):
    declined = make_reviewer(email="declined@example.org")
    seat = services.panel_member_assign(
        application=screening_application, reviewer=declined, role="member", actor=coordinator
    )
    services.assignment_decline(assignment=seat, actor=declined, reason="No time")
    _due_in(seat, 1)
    assert send_assignment_reminders() == 0
    assert mail.outbox == []


def test_accepted_member_is_reminded_of_judgements_until_done(in_review_application, panel, member):
    member.email = "member@example.org"
    member.save()
    for seat in panel.values():
        _due_in(seat, 1)
    assert send_assignment_reminders() == 3
    body = _mails_to("member@example.org")[0].body
    assert "judgement of every standard" in body
    mail.outbox.clear()
    judge_everything(panel["member"])
    for seat in panel.values():
        _due_in(seat, -2)
    send_assignment_reminders()
    assert _mails_to("member@example.org") == []


def test_new_due_date_earns_a_new_reminder(screening_application, coordinator):
    reviewer = make_reviewer(email="again@example.org")
    seat = services.panel_member_assign(
        application=screening_application, reviewer=reviewer, role="member", actor=coordinator
    )
    _due_in(seat, 1)
    send_assignment_reminders()
    _due_in(seat, 2)
    send_assignment_reminders()
    assert len(_mails_to("again@example.org")) == 2


def test_invitation_mail_is_sent_once_and_not_for_answered_seats(
    screening_application, coordinator
):
    reviewer = make_reviewer(email="inv@example.org")
    seat = services.panel_member_assign(
        application=screening_application, reviewer=reviewer, role="chair", actor=coordinator
    )
    assert notify_reviewer_invited(assignment_id=seat.pk) is True
    assert notify_reviewer_invited(assignment_id=seat.pk) is False
    assert len(_mails_to("inv@example.org")) == 1
    assert "as: Chair." in mail.outbox[0].body
    assert f"/assignments/{seat.pk}/" in mail.outbox[0].body  # the seat's own page
    assert notify_reviewer_invited(assignment_id=999999) is False


def test_invitation_mail_is_in_the_reviewers_language(screening_application, coordinator):
    from core.models import UserLanguage

    reviewer = make_reviewer(email="de@example.org")
    UserLanguage.objects.create(user=reviewer, language="de")
    seat = services.panel_member_assign(
        application=screening_application, reviewer=reviewer, role="chair", actor=coordinator
    )
    assert notify_reviewer_invited(assignment_id=seat.pk) is True
    (message,) = _mails_to("de@example.org")
    assert message.subject.startswith("Einladung zur Begutachtung")
    assert "Interessenkonflikt" in message.body
    assert "Invitation" not in message.subject
