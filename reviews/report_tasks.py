"""Celery tasks that render and publish review reports.

Tasks receive ids, load, and call the services in `reviews.reporting`; every one is
safe to run twice (a ready report is never rendered again). Render time is bounded by
a soft time limit (the render is then recorded as failed and retried later) and a hard
one; worker processes are recycled by the worker settings (max tasks and memory per
child), so a leaking render cannot grow a worker for ever.
"""

from datetime import timedelta

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from accreditation.models import Application

from .models import Report
from .reporting import report_publish, report_render

RENDER_SOFT_TIME_LIMIT = 45
RENDER_TIME_LIMIT = 60
TRANSIENT_ERRORS = (OperationalError, InterfaceError)
MAX_ATTEMPTS = 3
STALE_PENDING_AFTER = timedelta(minutes=5)


@shared_task(
    name="reviews.render_report",
    soft_time_limit=RENDER_SOFT_TIME_LIMIT,
    time_limit=RENDER_TIME_LIMIT,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
    acks_late=True,
)
def render_report(report_id):
    """Render report `report_id` (no-op when it is already ready)."""
    report = report_render(report_id=report_id)
    return {"id": report.pk, "status": report.status}


@shared_task(
    name="reviews.publish_report",
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=5,
    acks_late=True,
)
def publish_report(application_id, trigger=""):
    """Create (once per trigger) the published report after a decision and render it."""
    application = Application.objects.get(pk=application_id)
    report = report_publish(application=application, trigger=trigger)
    return {"id": report.pk, "status": report.status}


@shared_task(name="reviews.sweep_reports")
def sweep_reports(now=None):
    """Re-queue renders that were lost or failed (beat, every few minutes).

    A pending report older than a few minutes lost its task (a worker died, the broker
    was down): queue it again. A failed report is retried until it has failed
    `MAX_ATTEMPTS` times, waiting longer after each failure; after that it needs a
    coordinator's explicit retry.
    """
    now = now or timezone.now()
    queued = []
    pending = Report.objects.filter(
        status=Report.Status.PENDING, updated_at__lt=now - STALE_PENDING_AFTER
    ).values_list("pk", flat=True)
    queued.extend(pending)
    for pk, attempts, updated_at in Report.objects.filter(
        status=Report.Status.FAILED, attempts__lt=MAX_ATTEMPTS
    ).values_list("pk", "attempts", "updated_at"):
        if updated_at <= now - timedelta(minutes=2**attempts):
            queued.append(pk)
    for pk in queued:
        render_report.delay(pk)
    return queued
