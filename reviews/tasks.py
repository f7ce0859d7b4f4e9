"""Celery tasks of the review stage: invitations, declines and deadline reminders.

Tasks receive ids, load fresh rows and are safe to run twice: every e-mail goes through the
workflow's `deliver`, which records it as a `Notification` keyed by its event, so a key
already sent is not sent again.
"""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from accreditation.models import ApplicationState
from accreditation.notifications import deliver

from .models import PanelAssignment
from .selectors import ACCEPTING_STATES

S = PanelAssignment.State
A = ApplicationState


def mail_once(*, key, recipient, subject, body):
    """Send `subject`/`body` to `recipient` unless this event (`key`) was already mailed to
    them (the workflow's notification record). Returns True when a mail went out now."""
    if not recipient.email or not recipient.is_active:
        return False
    return deliver(key=key[:200], users=[recipient], subject=subject, body=body) == 1


def _case(assignment):
    application = assignment.application
    scope = application.course.title if application.course_id else "institutional review"
    return f"application #{application.pk} ({application.provider.legal_name}, {scope})"


def _assignment(assignment_id):
    return (
        PanelAssignment.objects.select_related(
            "application__provider", "application__course", "reviewer", "assigned_by"
        )
        .filter(pk=assignment_id)
        .first()
    )


def _site(path):
    return f"{settings.MCQA_SITE_URL.rstrip('/')}{path}"


@shared_task(name="reviews.tasks.notify_reviewer_invited")
def notify_reviewer_invited(*, assignment_id):
    """Invite the reviewer by e-mail; they accept (declaring no conflict) or decline."""
    assignment = _assignment(assignment_id)
    if assignment is None or assignment.state != S.INVITED:
        return False
    return mail_once(
        key=f"assignment:{assignment.pk}:invited",
        recipient=assignment.reviewer,
        subject=f"Invitation to review {_case(assignment)}",
        body=(
            f"You are invited as {assignment.get_role_display().lower()} of the panel for "
            f"{_case(assignment)}.\n\nPlease accept (declaring that you have no conflict of "
            f"interest) or decline by {assignment.due_date}: "
            f"{_site('/api/v1/assignments/')}\n"
        ),
    )


@shared_task(name="reviews.tasks.notify_assignment_declined")
def notify_assignment_declined(*, assignment_id):
    """Tell the coordinator who assigned the seat that it was declined, so they refill it."""
    assignment = _assignment(assignment_id)
    if assignment is None or assignment.state != S.DECLINED:
        return False
    return mail_once(
        key=f"assignment:{assignment.pk}:declined",
        recipient=assignment.assigned_by,
        subject=f"{assignment.reviewer.get_username()} declined a seat on {_case(assignment)}",
        body=(
            f"{assignment.reviewer.get_username()} declined the "
            f"{assignment.get_role_display().lower()} seat on {_case(assignment)}.\n\n"
            f"Reason: {assignment.decline_reason}\n\nPlease invite another reviewer.\n"
        ),
    )


def _reminder_candidates(today):
    """Seats whose next step is pending: invitations that can still be answered (the
    panel can still use the reviewer, as `services.invitation_open` says), and accepted
    seats while the review runs."""
    return PanelAssignment.objects.filter(
        Q(state=S.INVITED, application__state__in=ACCEPTING_STATES)
        | Q(state=S.ACCEPTED, application__state=A.IN_REVIEW),
        due_date__isnull=False,
    ).select_related("application__provider", "application__course", "reviewer", "assigned_by")


def _judged_everything(assignment):
    needed = assignment.application.framework.standards.count()
    return assignment.judgements.count() >= needed


@shared_task(name="reviews.tasks.send_assignment_reminders")
def send_assignment_reminders():
    """Remind reviewers whose step is due within `MCQA_REMINDER_DAYS_BEFORE` days, and tell
    reviewer and coordinator once a step is overdue.

    Invitations are due for an answer; accepted seats for a complete set of judgements (a
    reviewer who judged every standard is not chased). Each reminder is keyed by the seat,
    its due date and its kind, so running the task twice, or every few hours, mails once;
    a new due date (e.g. after accepting) earns a new reminder.
    """
    today = timezone.now().date()
    soon = today + timedelta(days=settings.MCQA_REMINDER_DAYS_BEFORE)
    sent = 0
    for assignment in _reminder_candidates(today).filter(due_date__lte=soon):
        if assignment.state == S.ACCEPTED and _judged_everything(assignment):
            continue
        what = (
            "answer the invitation (accept or decline)"
            if assignment.state == S.INVITED
            else "record your judgement of every standard"
        )
        stamp = f"assignment:{assignment.pk}:{assignment.state}:{assignment.due_date}"
        if assignment.due_date >= today:
            if mail_once(
                key=f"{stamp}:due-soon",
                recipient=assignment.reviewer,
                subject=f"Reminder: {_case(assignment)} is due on {assignment.due_date}",
                body=f"Please {what} for {_case(assignment)} by {assignment.due_date}.\n",
            ):
                sent += 1
                PanelAssignment.objects.filter(pk=assignment.pk).update(
                    reminder_sent_at=timezone.now()
                )
            continue
        subject = f"Overdue: {_case(assignment)} was due on {assignment.due_date}"
        body = (
            f"{assignment.reviewer.get_username()} was to {what} for {_case(assignment)} "
            f"by {assignment.due_date}.\n"
        )
        for recipient in (assignment.reviewer, assignment.assigned_by):
            if mail_once(key=f"{stamp}:overdue", recipient=recipient, subject=subject, body=body):
                sent += 1
    return sent
