"""Writes of review reports: the request, the publication, the retry and the render.

Stages: `draft` for the provider's factual-accuracy check, `final` before the decision,
`published` (the final report with the decision, validity and conditions) created by
the system after a decision or after conditions are confirmed met. The structured data
(`reports.data`) is frozen on the `Report` row when the report is requested, and the PDF
is rendered from it in a Celery task after commit; a failed render leaves the report
`failed` and retryable and never touches the application. A ready report is never
re-rendered: a correction is a new version and the old one stays downloadable.
"""

import hashlib
import logging
import os
import socket
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import DatabaseError, transaction
from django.db.models import F, Max
from django.utils import timezone, translation

from accreditation.models import Application, ApplicationState
from accreditation.rules import current_decision
from accreditation.selectors import applications_visible_to
from core.audit import audit
from core.effects import after_commit
from core.errors import ConflictError, GuardFailed, NotAllowed, NotVisible
from core.roles import Role, has_role

from ..models import Report
from ..selectors import findings_unmet, is_panel_chair
from .data import report_data
from .render import render_report_pdf
from .selectors import reports_visible_to

logger = logging.getLogger(__name__)

REQUESTABLE_STAGES = {
    Report.Stage.DRAFT: (ApplicationState.IN_REVIEW, ApplicationState.CLARIFICATION_REQUESTED),
    Report.Stage.FINAL: (ApplicationState.FACTUAL_CHECK, ApplicationState.DECISION_PENDING),
}
MAX_ERROR_CHARS = 2000
# Claims of one report (each a render attempt) before a lost render is given up as failed.
MAX_RENDER_ATTEMPTS = 3
# The render task, by the name it is registered and queued under. `reports.tasks` calls
# these services, so this module reaches the task through Celery's registry instead of
# importing it (no import cycle); `ReviewsConfig.ready()` registers it.
RENDER_TASK = "reviews.render_report"


def _data_in_language(application, stage, report):
    """The report's structured data, its labels and wording in the report's language.

    A report is written in one language (`Report.language`, the application's report
    language when the report is requested): its data, frozen now, carries the labels in
    that language, and the render (`report_render`) fills the template in the same one,
    whatever language the request or the worker runs in. Codes stay codes."""
    with translation.override(report.language):
        data = report_data(application, stage, report=report)
    data["report"]["language"] = report.language
    return data


def report_language_set(*, application, language, actor):
    """Set the language `application`'s reports are written in (coordinator only).

    Who: the coordinator; others who may see the case get 403, those who may not see it
    404. Which: one of `settings.LANGUAGES` (400 naming `report_language` otherwise). It
    applies to the reports requested from now on (a requested report keeps the language
    its data was frozen in, so its PDF is never half in one language and half in
    another); ready reports are immutable. Any state: the published report of a decision
    still to come may need it.
    """
    if not applications_visible_to(user=actor).filter(pk=application.pk).exists():
        raise NotVisible()
    if not has_role(actor, Role.COORDINATOR):
        raise NotAllowed("Only the coordinator may set the report language.")
    allowed = [code for code, _name in settings.LANGUAGES]
    if language not in allowed:
        raise ValidationError(
            {"report_language": [f"Choose one of: {', '.join(allowed)}."]}, code="invalid"
        )
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=application.pk)
        previous = locked.report_language
        if previous != language:
            locked.report_language = language
            locked.save(update_fields=["report_language", "updated_at"])
            audit(
                "report_language_set", actor=actor, obj=locked, previous=previous, language=language
            )
    return locked


def _next_version(application_id, stage):
    top = Report.objects.filter(application_id=application_id, stage=stage).aggregate(
        top=Max("version")
    )["top"]
    return (top or 0) + 1


def _schedule_render(report_id):
    """After commit, queue the render of `report_id` (a report left pending because the
    task could not be queued is re-queued by the sweep)."""
    after_commit(_queue_render, report_id)


def _queue_render(report_id):
    current_app.tasks[RENDER_TASK].delay(report_id)


def report_request(*, application, stage, actor):
    """Ask for a `draft` or `final` report of `application`, rendered after commit.

    Who: the coordinator or the panel's chair (an accepted chair seat); others who may
    see the case get 403, those who may not see it 404. When: a draft while the panel
    reviews (in review or waiting for a clarification), a final report once the draft
    went to the factual-accuracy check (factual check or decision pending); otherwise
    409. A report shows the panel's findings, so one is refused (400, one
    `missing_finding:<code>` item per standard) until the chair has recorded a finding on
    every standard: a draft rendered before that would be an empty report the provider
    might take for the real one. Each request is a new version of that stage with the
    data frozen now, so the PDF shows the case as it was when the report was asked for.
    """
    if stage not in REQUESTABLE_STAGES:
        raise ValidationError({"stage": ["Choose 'draft' or 'final'."]})
    if not applications_visible_to(user=actor).filter(pk=application.pk).exists():
        raise NotVisible()
    if not (has_role(actor, Role.COORDINATOR) or is_panel_chair(actor, application)):
        raise NotAllowed("Only the coordinator or the panel chair may request a report.")
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=application.pk)
        if locked.state not in REQUESTABLE_STAGES[stage]:
            allowed = " or ".join(REQUESTABLE_STAGES[stage])
            raise ConflictError(
                f"A {stage} report can be requested only while the application is "
                f"{allowed}; it is {locked.state}."
            )
        unmet = findings_unmet(locked)
        if unmet:
            raise GuardFailed(
                unmet,
                detail=f"The {stage} report cannot be rendered yet: the panel's findings are "
                f"incomplete. The panel chair must record a finding on every standard "
                f"(Panel consolidation) first.",
            )
        report = Report.objects.create(
            application=locked,
            stage=stage,
            version=_next_version(locked.pk, stage),
            requested_by=actor,
            language=locked.report_language,
        )
        report.data = _data_in_language(locked, stage, report)
        report.save(update_fields=["data", "updated_at"])
        audit("report_requested", actor=actor, obj=report, stage=stage, version=report.version)
        _schedule_render(report.pk)
    return report


def report_request_after_step(*, application, stage, trigger):
    """The system's own request of a `stage` report after a step whose catalogue entry
    names it (`renders_report`: the final report once the factual-accuracy check closes),
    so that the decision body never waits on a step nobody knew about.

    Once per `trigger` (the log row of the step): a task delivered twice makes one
    report. Only while the stage is requestable: a late delivery after the case moved
    on (withdrawn, decided) makes nothing and returns None. The coordinator's or chair's
    own request (`report_request`) stays available as a retry after a failed render.
    """
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=application.pk)
        existing = Report.objects.filter(
            application=locked, stage=stage, data__report__trigger=trigger
        ).first()
        if existing is not None:
            return existing
        if locked.state not in REQUESTABLE_STAGES[stage]:
            return None
        report = Report.objects.create(
            application=locked,
            stage=stage,
            version=_next_version(locked.pk, stage),
            language=locked.report_language,
        )
        data = _data_in_language(locked, stage, report)
        data["report"]["trigger"] = trigger
        report.data = data
        report.save(update_fields=["data", "updated_at"])
        audit("report_requested", obj=report, stage=stage, version=report.version, trigger=trigger)
        _schedule_render(report.pk)
    return report


def report_publish(*, application, trigger=""):
    """Create the next `published` report of `application` (system action, rendered
    after commit): after a decision, and again when conditions are confirmed met.

    The published stage adds the decision in force, its validity and conditions to the
    panel's report. Earlier published versions stay as they are (immutable, still
    downloadable); the registry links the newest ready one. `trigger` names the event
    (e.g. `application:12:accredit`) so that an event delivered twice makes one report.
    """
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=application.pk)
        if trigger:
            existing = Report.objects.filter(
                application=locked, stage=Report.Stage.PUBLISHED, data__report__trigger=trigger
            ).first()
            if existing is not None:
                return existing
        if current_decision(locked) is None:
            raise ConflictError("There is no decision to publish.")
        report = Report.objects.create(
            application=locked,
            stage=Report.Stage.PUBLISHED,
            version=_next_version(locked.pk, Report.Stage.PUBLISHED),
            language=locked.report_language,
        )
        data = _data_in_language(locked, Report.Stage.PUBLISHED, report)
        data["report"]["trigger"] = trigger
        report.data = data
        report.save(update_fields=["data", "updated_at"])
        audit("report_published", obj=report, version=report.version, trigger=trigger)
        _schedule_render(report.pk)
    return report


def report_retry(*, report, actor):
    """Render a failed report again (coordinator). A ready or pending report is not
    re-rendered (409): ready reports are immutable and pending ones are queued. A report
    the system gave up on (`MAX_RENDER_ATTEMPTS` attempts) gets one more attempt."""
    if not reports_visible_to(user=actor).filter(pk=report.pk).exists():
        raise NotVisible()
    if not has_role(actor, Role.COORDINATOR):
        raise NotAllowed("Only the coordinator may retry a report.")
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        if locked.status != Report.Status.FAILED:
            raise ConflictError(
                f"Only a failed report can be retried; this one is {locked.status}."
            )
        locked.status = Report.Status.PENDING
        locked.lease_until = None
        locked.save(update_fields=["status", "lease_until", "updated_at"])
        audit("report_retry", actor=actor, obj=locked, attempts=locked.attempts)
        _schedule_render(locked.pk)
    return locked


def report_render(*, report_id):
    """Render report `report_id` and store its PDF; safe to run any number of times.

    A ready report is left exactly as it is (so running twice makes one file, and a
    published report never changes). Before rendering, the worker claims the report
    (`_claim`): a report another live worker holds is left to it, so a message delivered
    twice, or re-queued by the sweep, never renders twice at once. On success the PDF is
    stored under a random name with its SHA-256 and size, and the report becomes `ready`.
    On any rendering error the report becomes `failed` with the error kept, so it can be
    retried; the application itself is never changed by a render.
    """
    report, claimed = _claim(report_id)
    if not claimed:
        return report
    try:
        data = report.data or _data_in_language(report.application, report.stage, report)
        with translation.override(report.language):
            pdf = render_report_pdf(data)
    except DatabaseError:
        _release_after_transient_error(report_id)
        raise  # transient: the task retries; the report stays pending
    except Exception as exc:  # noqa: BLE001 – any render failure is recorded, not lost
        logger.exception("Rendering report %s failed", report_id)
        return _record_failure(report_id, exc)
    return _store(report_id, data, pdf)


def render_lease():
    """How long a claim holds a render: longer than the render task's hard time limit, so
    a claim can only expire once its worker is dead (the pool kills a render at the hard
    limit); no heartbeat is needed. `REPORT_RENDER_LEASE_SECONDS` shortens it in tests."""
    return timedelta(seconds=settings.REPORT_RENDER_LEASE_SECONDS)


def worker_name():
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def _claim(report_id):
    """Take report `report_id` for rendering: (report, claimed).

    Under the row lock: a ready report is not claimed; a report whose lease is still
    running belongs to a live worker and is left to it. A lease that ran out means the
    worker holding it died (killed, out of memory, hard time limit): after
    `MAX_RENDER_ATTEMPTS` claims the report is given up as `failed` (a coordinator's
    retry grants one more attempt) instead of being rendered for ever. Each claim
    counts as an attempt, so a render that kills its worker is counted although it never
    reports back.
    """
    now = timezone.now()
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report_id)
        if report.status == Report.Status.READY:
            return report, False
        if report.status == Report.Status.FAILED and report.attempts >= MAX_RENDER_ATTEMPTS:
            return report, False  # given up: only a coordinator's retry reopens it
        if report.lease_until is not None:
            if report.lease_until > now:
                return report, False
            if report.attempts >= MAX_RENDER_ATTEMPTS:
                _give_up(report)
                return report, False
        report.status = Report.Status.PENDING
        report.attempts += 1
        report.lease_until = now + render_lease()
        report.leased_by = worker_name()
        report.save(update_fields=["status", "attempts", "lease_until", "leased_by", "updated_at"])
    return report, True


def _give_up(report):
    """Record that report `report` (locked) was lost by its workers too often."""
    report.status = Report.Status.FAILED
    report.error = (
        f"WorkerLost: the render never finished in {report.attempts} attempts (the worker "
        f"process died: killed, out of memory or over its time limit)"
    )
    report.lease_until = None
    report.save(update_fields=["status", "error", "lease_until", "updated_at"])


def report_give_up_lost(*, now=None):
    """Mark `failed` every pending report whose lease ran out after its last attempt
    (`MAX_RENDER_ATTEMPTS` claims, each lost with its worker); ids of those reports.
    A coordinator may retry them (`report_retry`)."""
    now = now or timezone.now()
    given_up = []
    lost = Report.objects.filter(
        status=Report.Status.PENDING,
        lease_until__lt=now,
        attempts__gte=MAX_RENDER_ATTEMPTS,
    ).values_list("pk", flat=True)
    for pk in lost:
        with transaction.atomic():
            report = Report.objects.select_for_update().get(pk=pk)
            if report.status != Report.Status.PENDING or report.lease_until is None:
                continue
            if report.lease_until >= now:
                continue
            _give_up(report)
            given_up.append(pk)
    return given_up


def _release_after_transient_error(report_id):
    """A database error is not the render's fault: hand the claim back (and the attempt)
    so the task's own retry can claim it again. Best effort: the database may be down,
    and then the lease simply runs out."""
    try:
        Report.objects.filter(pk=report_id, status=Report.Status.PENDING).exclude(
            lease_until=None
        ).update(lease_until=None, leased_by="", attempts=F("attempts") - 1)
    except DatabaseError:
        logger.warning("Could not release the claim on report %s", report_id)


def _record_failure(report_id, exc):
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report_id)
        if report.status == Report.Status.READY:
            return report
        report.status = Report.Status.FAILED
        report.error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]
        report.lease_until = None
        report.save(update_fields=["status", "error", "lease_until", "updated_at"])
    return report


def _store(report_id, data, pdf):
    digest = hashlib.sha256(pdf).hexdigest()
    stored_name = None
    try:
        with transaction.atomic():
            report = Report.objects.select_for_update().get(pk=report_id)
            if report.status == Report.Status.READY:
                return report  # another worker finished first: keep its file
            report.file.save("report.pdf", ContentFile(pdf), save=False)
            stored_name = report.file.name
            report.data = data
            report.sha256 = digest
            report.size = len(pdf)
            report.status = Report.Status.READY
            report.error = ""
            report.lease_until = None
            report.rendered_at = timezone.now()
            report.save()
    except Exception:
        if stored_name:
            Report.file.field.storage.delete(stored_name)
        raise
    return report
