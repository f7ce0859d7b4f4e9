"""Celery tasks that render and publish review reports.

Tasks receive ids, load, and call the services in `reviews.reports.services`; every one is
safe to run twice (a ready report is never rendered again). Render time is bounded by
a soft time limit (the render is then recorded as failed and retried later) and a hard
one; a render is claimed for longer than the hard limit, so a claim that ran out means
its worker died and the sweep (every `REPORT_SWEEP_SECONDS`) hands it to another.
Worker processes are recycled by the worker settings (max tasks and memory per child),
so a leaking render cannot grow a worker for ever.
"""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from accreditation import workflow
from accreditation.models import AccreditationTransition, Application, ApplicationTransition

from ..models import Report
from .services import (
    MAX_RENDER_ATTEMPTS,
    RENDER_TASK,
    REQUESTABLE_STAGES,
    report_give_up_lost,
    report_publish,
    report_render,
    report_request_after_step,
)

RENDER_SOFT_TIME_LIMIT = 45
RENDER_TIME_LIMIT = 60
TRANSIENT_ERRORS = (OperationalError, InterfaceError)
MAX_ATTEMPTS = MAX_RENDER_ATTEMPTS
LOST_PUBLICATION_WINDOW = timedelta(days=7)
PUBLISHING = workflow.names(workflow.APPLICATION, publishes=True)
ANNULLING = workflow.names(workflow.APPLICATION, annuls=True)
RENDERING = tuple(s.name for s in workflow.CATALOGUE.values() if s.renders_report)


@shared_task(
    name=RENDER_TASK,
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


@shared_task(
    name="reviews.request_report_after_step",
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=5,
    acks_late=True,
)
def request_report_after_step(application_id, stage, trigger):
    """Create (once per trigger) the report a step asks the system for, and render it."""
    application = Application.objects.get(pk=application_id)
    report = report_request_after_step(application=application, stage=stage, trigger=trigger)
    return {"id": report.pk, "status": report.status} if report else None


@shared_task(name="reviews.sweep_reports")
def sweep_reports(now=None):
    """Re-queue renders that were lost or failed (beat, every `REPORT_SWEEP_SECONDS`).

    A pending report whose claim ran out lost its worker (killed mid-render, out of
    memory, over the hard time limit): queue it again at once, or give it up as `failed`
    after `MAX_RENDER_ATTEMPTS` claims. A pending report nobody claimed for
    `REPORT_UNCLAIMED_SECONDS` lost its task (the broker was down): queue it again. A
    failed report is retried until it has failed `MAX_ATTEMPTS` times, waiting longer
    after each failure; after that it needs a coordinator's explicit retry. Queuing a
    report twice is harmless: the claim lets one worker render it.
    """
    now = now or timezone.now()
    report_give_up_lost(now=now)
    queued = list(
        Report.objects.filter(status=Report.Status.PENDING, lease_until__lt=now).values_list(
            "pk", flat=True
        )
    )
    unclaimed = Report.objects.filter(
        status=Report.Status.PENDING,
        lease_until=None,
        updated_at__lt=now - timedelta(seconds=settings.REPORT_UNCLAIMED_SECONDS),
    )
    lost_tasks = list(unclaimed.values_list("pk", flat=True))
    # Touched, so a report waiting in a long queue is queued again only once a period.
    Report.objects.filter(pk__in=lost_tasks).update(updated_at=now)
    queued.extend(lost_tasks)
    for pk, attempts, updated_at in Report.objects.filter(
        status=Report.Status.FAILED, attempts__lt=MAX_ATTEMPTS
    ).values_list("pk", "attempts", "updated_at"):
        if updated_at <= now - timedelta(minutes=2**attempts):
            queued.append(pk)
    for pk in queued:
        render_report.delay(pk)
    for application_id, trigger in lost_publications(now):
        report = report_publish(application=Application(pk=application_id), trigger=trigger)
        queued.append(report.pk)
    for application_id, stage, trigger in lost_report_requests(now):
        report = report_request_after_step(
            application=Application(pk=application_id), stage=stage, trigger=trigger
        )
        if report is not None:
            queued.append(report.pk)
    return queued


def lost_report_requests(now):
    """(application id, stage, trigger) of recent steps that ask the system for a report
    (the catalogue's `renders_report`: the final report when the factual-accuracy check
    closes) where no report of that stage was made since: the broker lost the task, and
    the decision body would wait for ever. Only while the case still waits for that
    report (the stage is requestable in its state); a report the coordinator or the
    chair asked for meanwhile counts as made."""
    since = now - LOST_PUBLICATION_WINDOW
    lost = []
    for name in RENDERING:
        stage = workflow.step(name).renders_report
        rows = ApplicationTransition.objects.filter(
            transition=name, at__gte=since, application__state__in=REQUESTABLE_STAGES[stage]
        ).values_list("pk", "application_id", "at")
        for pk, application_id, at in rows:
            made = Report.objects.filter(
                application_id=application_id, stage=stage, created_at__gte=at
            ).exists()
            if not made:
                lost.append((application_id, stage, f"application-log:{pk}"))
    return lost


def lost_publications(now):
    """(application id, trigger) of recent publishing events that have no published report.

    A decision or a confirmation of conditions asks for a published report through a
    task; when the broker lost that task the report was never created, so the sweep
    recreates it. Of an application's decisions only the newest counts, and not when an
    upheld appeal came after it (that decision no longer stands). Publishing is keyed by
    the trigger under the application's row lock, so racing the regular task is harmless.
    """
    since = now - LOST_PUBLICATION_WINDOW
    newest = {}
    for pk, application_id, name in ApplicationTransition.objects.filter(
        transition__in=(*PUBLISHING, *ANNULLING), at__gte=since
    ).values_list("pk", "application_id", "transition"):
        if pk > newest.get(application_id, (0, ""))[0]:
            newest[application_id] = (pk, name)
    events = [
        (application_id, f"application-log:{pk}")
        for application_id, (pk, name) in newest.items()
        if name in PUBLISHING
    ]
    events += [
        (application_id, f"accreditation-log:{pk}")
        for pk, application_id in AccreditationTransition.objects.filter(
            transition__in=workflow.names(workflow.ACCREDITATION, publishes=True), at__gte=since
        ).values_list("pk", "accreditation__application_id")
    ]
    published = set(
        Report.objects.filter(stage=Report.Stage.PUBLISHED, created_at__gte=since).values_list(
            "data__report__trigger", flat=True
        )
    )
    return [
        (application_id, trigger) for application_id, trigger in events if trigger not in published
    ]
