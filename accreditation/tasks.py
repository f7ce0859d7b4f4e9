"""Celery tasks of the accreditation app: e-mail after commit and the deadline sweep.

Tasks receive ids, load the rows and call the notification helpers or the services;
each is safe to run twice (notifications are recorded per event and recipient; the
sweep only acts on rows that still need it and fires transitions through the services,
whose state checks refuse a second firing).
"""

import logging
from datetime import timedelta
from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.audit import audit
from core.errors import DomainError

from . import engine, notifications, reminders, workflow
from .models import (
    Accreditation,
    AccreditationStatus,
    Application,
    ApplicationState,
    Condition,
)
from .notifications import WAITING_FOR

logger = logging.getLogger(__name__)

SWEEP_SCHEDULE_NAME = "accreditation-deadlines"
MAIL_ERRORS = (OSError, SMTPException)


def _mail_task(task, fn, *args):
    """Run a delivery; when the mail server fails, retry later with backoff (whoever was
    already mailed is skipped on the retry, see notifications.deliver). Run eagerly (tests,
    commands) the error is raised as it is."""
    try:
        return fn(*args)
    except MAIL_ERRORS as exc:
        if task.request.is_eager or task.request.called_directly:
            raise
        countdown = min(600, 30 * 2**task.request.retries)
        raise task.retry(exc=exc, countdown=countdown, max_retries=8) from exc


@shared_task(bind=True, name="accreditation.send_application_notifications")
def send_application_notifications(self, log_id):
    return _mail_task(self, notifications.notify_application_transition, log_id)


@shared_task(bind=True, name="accreditation.send_accreditation_notifications")
def send_accreditation_notifications(self, log_id):
    return _mail_task(self, notifications.notify_accreditation_change, log_id)


@shared_task(bind=True, name="accreditation.send_complaint_notification")
def send_complaint_notification(self, complaint_id):
    return _mail_task(self, notifications.notify_complaint, complaint_id)


@shared_task(bind=True, name="accreditation.send_change_request_notification")
def send_change_request_notification(self, change_request_id):
    return _mail_task(self, notifications.notify_change_request, change_request_id)


@shared_task(bind=True, name="accreditation.send_condition_response_notification")
def send_condition_response_notification(self, response_id):
    return _mail_task(self, notifications.notify_condition_response, response_id)


@shared_task(bind=True, name="accreditation.send_condition_assessment_notification")
def send_condition_assessment_notification(self, assessment_id):
    return _mail_task(self, notifications.notify_condition_assessment, assessment_id)


@shared_task(name="accreditation.send_follow_up_reminders")
def send_follow_up_reminders_task():
    """Follow-up reminders (conditions coming due, validity ending); each sent once."""
    return reminders.send_follow_up_reminders()


# --------------------------------------------------------------------------- deadlines


@workflow.after_commit(workflow.APPLICATION_TRANSITIONS)
def queue_application_notifications(application_id, log_id):
    """After a transition commits: tell whose turn it is now (a task, ids only)."""
    send_application_notifications.delay(log_id=log_id)


@workflow.after_commit(workflow.ACCREDITATION_TRANSITIONS)
def queue_accreditation_notifications(accreditation_id, log_id):
    """After an accreditation's change commits: tell the provider and the agency."""
    send_accreditation_notifications.delay(log_id=log_id)


def send_reminders(now=None):
    """Remind whoever an application waits for, MCQA_REMINDER_DAYS_BEFORE days before its
    due date; `reminder_sent_at` (reset by every transition) makes it once per deadline."""
    now = now or timezone.now()
    soon = now + timedelta(days=settings.MCQA_REMINDER_DAYS_BEFORE)
    count = 0
    waiting = Application.objects.filter(
        state__in=list(WAITING_FOR),
        due_at__isnull=False,
        due_at__gt=now,
        due_at__lte=soon,
        reminder_sent_at__isnull=True,
    ).select_related("provider", "course")
    for application in waiting:
        notifications.notify_deadline(application, overdue=False)
        Application.objects.filter(pk=application.pk, due_at=application.due_at).update(
            reminder_sent_at=now
        )
        count += 1
    return count


def send_overdue_notices(now=None):
    """Tell whoever an application waits for that its due date passed (once per deadline).
    The factual-accuracy check is closed by the system instead (see below)."""
    now = now or timezone.now()
    count = 0
    late = (
        Application.objects.filter(
            state__in=list(WAITING_FOR),
            due_at__isnull=False,
            due_at__lte=now,
            overdue_notified_at__isnull=True,
        )
        .exclude(state=ApplicationState.FACTUAL_CHECK)
        .select_related("provider", "course")
    )
    for application in late:
        notifications.notify_deadline(application, overdue=True)
        Application.objects.filter(pk=application.pk, due_at=application.due_at).update(
            overdue_notified_at=now
        )
        count += 1
    return count


def close_factual_checks(now=None):
    """When the provider lets the factual-accuracy deadline pass, the system confirms the
    draft report for them (the procedure must not stall on silence)."""
    now = now or timezone.now()
    count = 0
    ids = Application.objects.filter(
        state=ApplicationState.FACTUAL_CHECK, due_at__isnull=False, due_at__lte=now
    ).values_list("pk", flat=True)
    for application in Application.objects.filter(pk__in=list(ids)):
        try:
            engine.fire(
                application,
                "confirm_factual_accuracy",
                None,
                {"comment": "The factual-accuracy deadline passed without an answer."},
            )
            count += 1
        except DomainError as exc:  # someone else moved it meanwhile
            logger.info("factual check of #%s not closed: %s", application.pk, exc)
    return count


def expire_accreditations(now=None):
    """An accreditation is valid through the whole of its `valid_until` day (UTC, as
    DEQAR's `valid_to`) and expires once that day has ended, whether active or suspended
    (fired by the system, logged, published)."""
    today = (now or timezone.now()).date()
    count = 0
    for accreditation in Accreditation.objects.filter(
        status__in=[AccreditationStatus.ACTIVE, AccreditationStatus.SUSPENDED],
        valid_until__lt=today,
    ):
        try:
            engine.fire(accreditation, "expire", None)
            count += 1
        except DomainError as exc:
            logger.info("accreditation #%s not expired: %s", accreditation.pk, exc)
    return count


def mark_overdue_conditions(now=None):
    """An open condition past its due date becomes overdue, which raises the case for
    suspension: the decision body and the coordinators are told (once per condition)."""
    today = (now or timezone.now()).date()
    count = 0
    for condition in Condition.objects.filter(
        status=Condition.Status.OPEN, due_date__lt=today
    ).select_related("accreditation__provider", "accreditation__application"):
        with transaction.atomic():
            changed = Condition.objects.filter(
                pk=condition.pk, status=Condition.Status.OPEN
            ).update(status=Condition.Status.OVERDUE)
            if changed:
                audit(
                    "condition.overdue",
                    obj=condition,
                    accreditation=condition.accreditation_id,
                    due_date=condition.due_date.isoformat(),
                )
        if changed:
            notifications.notify_condition_overdue(condition)
            count += 1
    return count


def run_deadlines(now=None):
    """One sweep: e-mails the after-commit path lost, then every deadline. Each step runs
    even when another fails (a mail server outage must not stop expiries); the result
    says what each step did, or `"failed"`."""
    steps = {
        "notifications_recovered": lambda: notifications.resend_missed(now=now),
        "reminders": lambda: send_reminders(now),
        "overdue": lambda: send_overdue_notices(now),
        "factual_checks_closed": lambda: close_factual_checks(now),
        "conditions_overdue": lambda: mark_overdue_conditions(now),
        "accreditations_expired": lambda: expire_accreditations(now),
    }
    result = {}
    for name, step in steps.items():
        try:
            result[name] = step()
        except Exception:
            logger.exception("deadline step %s failed", name)
            result[name] = "failed"
    return result


@shared_task(name="accreditation.run_deadlines")
def run_deadlines_task():
    return run_deadlines()
