"""Celery tasks of the review stage: invitations, declines and deadline reminders.

Tasks receive ids, load fresh rows and are safe to run twice: every e-mail goes through the
workflow's `deliver`, which records it as a `Notification` keyed by its event, so a key
already sent is not sent again.
"""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accreditation.models import ApplicationState
from accreditation.notifications import deliver

from .models import PanelAssignment
from .selectors import ACCEPTING_STATES

S = PanelAssignment.State
A = ApplicationState


def mail_once(*, key, recipient, compose):
    """Send the e-mail `compose()` writes (subject, body), in the recipient's language, to
    `recipient` unless this event (`key`) was already mailed to them (the workflow's
    notification record). Returns True when a mail went out now."""
    if not recipient.email or not recipient.is_active:
        return False
    return deliver(key=key[:200], users=[recipient], compose=compose) == 1


def _case(assignment):
    """The case in words, in the active language."""
    application = assignment.application
    values = {"number": application.pk, "provider": application.provider.legal_name}
    if application.course_id:
        values["course"] = application.course.title
        return _("application #%(number)s (%(provider)s, %(course)s)") % values
    return _("application #%(number)s (%(provider)s, institutional review)") % values


def _day(value):
    return formats.date_format(value, "DATE_FORMAT")


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

    def compose():
        values = {
            "case": _case(assignment),
            "role": assignment.get_role_display(),
            "due": _day(assignment.due_date),
            "link": _site(f"/assignments/{assignment.pk}/"),
        }
        return (
            _("Invitation to review %(case)s") % values,
            _(
                "You are invited to the panel for %(case)s, as: %(role)s.\n\n"
                "Please accept (declaring that you have no conflict of interest) or decline "
                "by %(due)s: %(link)s\n"
            )
            % values,
        )

    return mail_once(
        key=f"assignment:{assignment.pk}:invited", recipient=assignment.reviewer, compose=compose
    )


@shared_task(name="reviews.tasks.notify_assignment_declined")
def notify_assignment_declined(*, assignment_id):
    """Tell the coordinator who assigned the seat that it was declined, so they refill it."""
    assignment = _assignment(assignment_id)
    if assignment is None or assignment.state != S.DECLINED:
        return False

    def compose():
        values = {
            "reviewer": assignment.reviewer.get_username(),
            "case": _case(assignment),
            "role": assignment.get_role_display(),
            "reason": assignment.decline_reason,
        }
        return (
            _("%(reviewer)s declined a seat on %(case)s") % values,
            _(
                "%(reviewer)s declined the seat (%(role)s) on %(case)s.\n\n"
                "Reason: %(reason)s\n\nPlease invite another reviewer.\n"
            )
            % values,
        )

    return mail_once(
        key=f"assignment:{assignment.pk}:declined",
        recipient=assignment.assigned_by,
        compose=compose,
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
        stamp = f"assignment:{assignment.pk}:{assignment.state}:{assignment.due_date}"
        if assignment.due_date >= today:
            compose = _due_soon(assignment)
            if mail_once(key=f"{stamp}:due-soon", recipient=assignment.reviewer, compose=compose):
                sent += 1
                PanelAssignment.objects.filter(pk=assignment.pk).update(
                    reminder_sent_at=timezone.now()
                )
            continue
        compose = _overdue(assignment)
        for recipient in (assignment.reviewer, assignment.assigned_by):
            if mail_once(key=f"{stamp}:overdue", recipient=recipient, compose=compose):
                sent += 1
    return sent


def _due_soon(assignment):
    def compose():
        values = {"case": _case(assignment), "due": _day(assignment.due_date)}
        subject = _("Reminder: %(case)s is due on %(due)s") % values
        if assignment.state == S.INVITED:
            body = _("Please answer the invitation (accept or decline) for %(case)s by %(due)s.\n")
        else:
            body = _("Please record your judgement of every standard for %(case)s by %(due)s.\n")
        return subject, body % values

    return compose


def _overdue(assignment):
    def compose():
        values = {
            "case": _case(assignment),
            "due": _day(assignment.due_date),
            "reviewer": assignment.reviewer.get_username(),
        }
        subject = _("Overdue: %(case)s was due on %(due)s") % values
        if assignment.state == S.INVITED:
            body = _(
                "%(reviewer)s was to answer the invitation (accept or decline) for %(case)s "
                "by %(due)s.\n"
            )
        else:
            body = _(
                "%(reviewer)s was to record their judgement of every standard for %(case)s "
                "by %(due)s.\n"
            )
        return subject, body % values

    return compose
