"""Review reports: the structured data, the request, the render and the publication.

ESG 2.6 asks that the panel's full report is published, clear and accessible, negative
ones included. A report is therefore never typed by hand: `report_data` builds the
structured data from the case (dossier, panel, findings, decision), the data is frozen
on the `Report` row when the report is requested, and the PDF is rendered from that
data alone (and carries it as the embedded `report.json`). Rendering happens in a
Celery task after commit; a failed render leaves the report `failed` and retryable and
never touches the application.

Stages: `draft` for the provider's factual-accuracy check, `final` before the decision,
`published` (the final report with the decision, validity and conditions) rendered by
the system after a decision or after conditions are confirmed met. A ready report is
never re-rendered: a correction is a new version and the old one stays downloadable.
"""

import copy
import hashlib
import json
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import DatabaseError, transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from accreditation import annex, workflow
from accreditation.api.extensions import register_application_field
from accreditation.models import (
    Accreditation,
    Application,
    ApplicationState,
    Document,
    SelfAssessment,
)
from accreditation.rules import current_decision
from accreditation.selectors import applications_visible_to
from accreditation.signals import accreditation_changed, application_transitioned
from core.audit import audit
from core.errors import ConflictError, NotAllowed, NotVisible
from core.roles import Role, has_role

from .models import Finding, Judgement, PanelAssignment, Report
from .selectors import is_panel_chair

logger = logging.getLogger(__name__)

SCHEMA = "mcqa.report/1"
REQUESTABLE_STAGES = {
    Report.Stage.DRAFT: (ApplicationState.IN_REVIEW, ApplicationState.CLARIFICATION_REQUESTED),
    Report.Stage.FINAL: (ApplicationState.FACTUAL_CHECK, ApplicationState.DECISION_PENDING),
}
STYLESHEET = "reports/report.css"
TEMPLATE = "reports/report.html"
SELF_ASSESSMENT_LIMIT = 6000
MAX_ERROR_CHARS = 2000
LIVE_SEATS = (PanelAssignment.State.ACCEPTED, PanelAssignment.State.COMPLETED)

PANEL_ROLE_ORDER = {"chair": 0, "member": 1, "student": 2}

# --------------------------------------------------------------------------- data


def _iso(value):
    return value.isoformat() if value else None


def _person(user):
    if user is None:
        return None
    return user.get_full_name().strip() or user.get_username()


def _course_elements(course, sample_credential):
    """The Annex I table: every mandatory and optional element with its value."""
    per_learner = (
        f"Shown on each issued credential; see the sample credential ({sample_credential})."
        if sample_credential
        else "Shown on each issued credential; no sample credential is in the dossier."
    )
    level = []
    if course.eqf_level:
        level.append(f"EQF level {course.eqf_level}")
    if course.qf_ehea_cycle:
        level.append(f"QF-EHEA {course.get_qf_ehea_cycle_display().lower()}")
    values = {
        "title": course.title,
        "country": course.provider.country,
        "awarding_body": course.provider.legal_name,
        "learning_outcomes": list(course.learning_outcomes or []),
        "workload": (
            f"{course.workload_ects.normalize():f} ECTS" if course.workload_ects is not None else ""
        ),
        "level": "; ".join(level),
        "assessment_type": course.assessment_type,
        "participation_form": course.get_participation_form_display()
        if course.participation_form
        else "",
        "quality_assurance": course.quality_assurance,
        "prerequisites": course.prerequisites,
        "supervision_identity_verification": course.supervision_identity_verification,
        "stackability": course.stackability,
        "further_information": course.further_information,
    }
    rows = []
    for element in annex.ELEMENTS:
        if element.per_learner:
            value = per_learner
            if element.code == "grade" and course.grading:
                value = f"{course.grading} ({per_learner[0].lower()}{per_learner[1:]})"
        else:
            value = values[element.code]
        rows.append(
            {
                "code": element.code,
                "label": element.label,
                "mandatory": element.mandatory,
                "per_learner": element.per_learner,
                "value": value,
                "present": bool(value),
            }
        )
    return rows


def report_data(application, stage, *, report=None):
    """The structured content of a report of `stage` on `application`, JSON-serialisable.

    This dict is what the PDF is rendered from, what is embedded in it as `report.json`
    and what `Report.data` keeps, so a reader can check the PDF against machine-readable
    data. The decision is included only for the `published` stage: draft and final
    reports are the panel's, before (or without) a decision. Personal data is limited to
    what a published report must name: the provider and the panel members' names.
    """
    application = (
        Application.objects.select_related("provider", "course__provider", "framework")
        .prefetch_related("provider__identifiers")
        .get(pk=application.pk)
    )
    course = application.course
    framework = application.framework
    standards = list(framework.standards.order_by("order"))
    findings = {f.standard_id: f for f in Finding.objects.filter(application=application)}
    assessments = {
        sa.standard_id: sa
        for sa in SelfAssessment.objects.filter(application=application).prefetch_related(
            "evidence"
        )
    }
    sample = (
        application.documents.filter(kind=Document.Kind.CREDENTIAL_SAMPLE)
        .order_by("-uploaded_at", "-id")
        .first()
    )
    seats = sorted(
        PanelAssignment.objects.filter(
            application=application, state__in=LIVE_SEATS
        ).select_related("reviewer"),
        key=lambda a: (PANEL_ROLE_ORDER.get(a.role, 9), a.pk),
    )
    transitions = list(application.transitions.order_by("at", "id"))

    standard_rows = []
    counts = dict.fromkeys(Judgement.values, 0)
    for standard in standards:
        finding = findings.get(standard.pk)
        assessment = assessments.get(standard.pk)
        narrative = assessment.narrative if assessment else ""
        if len(narrative) > SELF_ASSESSMENT_LIMIT:
            narrative = narrative[:SELF_ASSESSMENT_LIMIT].rstrip() + " […] (abridged)"
        if finding:
            counts[finding.judgement] += 1
        standard_rows.append(
            {
                "code": standard.code,
                "title": standard.title,
                "guidance": standard.guidance,
                "self_assessment": narrative,
                "evidence": [d.display_name for d in assessment.evidence.all()]
                if assessment
                else [],
                "judgement": finding.judgement if finding else None,
                "judgement_label": finding.get_judgement_display() if finding else None,
                "rationale": finding.rationale if finding else "",
                "recommendations": finding.recommendations if finding else "",
            }
        )

    procedure = []
    for log in transitions:
        step = workflow.step(log.transition)
        label, party = step.record, step.taken_by
        if log.actor_id is None and step.actors:
            party = "System (deadline passed)"
        procedure.append(
            {
                "transition": log.transition,
                "label": label,
                "by": party,
                "from_state": log.from_state,
                "to_state": log.to_state,
                "at": _iso(log.at),
            }
        )
    clarifications = [
        {
            "question": c.question,
            "asked_at": _iso(c.asked_at),
            "answer": c.answer,
            "answered_at": _iso(c.answered_at),
        }
        for c in application.clarifications.order_by("asked_at", "id")
    ]

    data = {
        "schema": SCHEMA,
        "report": {
            "id": report.pk if report else None,
            "stage": stage,
            "stage_label": Report.Stage(stage).label,
            "version": report.version if report else None,
        },
        "agency": {"name": settings.MCQA_AGENCY_NAME},
        "prepared_at": _iso(timezone.now()),
        "application": {
            "id": application.pk,
            "kind": application.kind,
            "kind_label": application.get_kind_display(),
            "state": application.state,
            "submitted_at": _iso(application.submitted_at),
            "decided_at": _iso(application.decided_at) if stage == "published" else None,
        },
        "provider": {
            "id": application.provider_id,
            "legal_name": application.provider.legal_name,
            "country": application.provider.country,
            "type": application.provider.get_type_display(),
            "website": application.provider.website,
            "identifiers": [
                {"scheme": i.scheme, "value": i.value}
                for i in application.provider.identifiers.all()
            ],
        },
        "scope": {
            "kind": application.scope_kind,
            "label": (
                f"Course: {course.title}"
                if course
                else "Institutional review of the provider (all its micro-credentials)"
            ),
        },
        "course": None,
        "framework": {
            "code": framework.code,
            "title": framework.title,
            "version": framework.version,
            "effective_from": _iso(framework.effective_from),
        },
        "procedure": procedure,
        "clarifications": clarifications,
        "panel": [
            {
                "name": _person(seat.reviewer),
                "role": seat.role,
                "role_label": seat.get_role_display(),
                "student": seat.role == PanelAssignment.Role.STUDENT,
                "declared_no_conflict": seat.no_conflict_declared,
                "conflict_overridden": bool(seat.override_justification.strip()),
            }
            for seat in seats
        ],
        "standards": standard_rows,
        "summary": {
            "standards": len(standard_rows),
            "judged": sum(counts.values()),
            "counts": [
                {"judgement": value, "label": label, "count": counts[value]}
                for value, label in Judgement.choices
            ],
        },
        "decision": None,
    }
    if course is not None:
        data["course"] = {
            "id": course.pk,
            "title": course.title,
            "isced_f": course.isced_f,
            "languages": list(course.languages or []),
            "sample_credential": sample.display_name if sample else None,
            "annex_i": _course_elements(course, sample.display_name if sample else None),
        }
    if stage == Report.Stage.PUBLISHED:
        data["decision"] = _decision_data(application)
    return data


def _decision_data(application):
    """The decision in force, its validity and conditions (with their current status)."""
    decision = current_decision(application)
    if decision is None:
        return None
    accreditation = (
        Accreditation.objects.filter(decision=decision).prefetch_related("conditions").first()
    )
    outcome = accreditation.outcome if accreditation else decision.outcome
    labels = dict(decision._meta.get_field("outcome").choices)
    return {
        "outcome": outcome,
        "outcome_label": labels[outcome],
        "original_outcome": decision.outcome,
        "original_outcome_label": labels[decision.outcome],
        "decided_at": _iso(decision.decided_at),
        "rationale": decision.rationale,
        "valid_from": _iso(decision.valid_from),
        "valid_until": _iso(decision.valid_until),
        "accreditation": accreditation.pk if accreditation else None,
        "accreditation_status": accreditation.status if accreditation else None,
        "conditions": [
            {
                "text": c.text,
                "due_date": _iso(c.due_date),
                "status": c.status,
                "met_at": _iso(c.met_at),
            }
            for c in (accreditation.conditions.all() if accreditation else [])
        ],
    }


# --------------------------------------------------------------------------- reads


def latest_ready_report(application, stage):
    """The newest ready report of `stage`, or None: what guards and the registry rely on
    (an older ready version stays downloadable but is superseded)."""
    application_id = getattr(application, "pk", application)
    return (
        Report.objects.filter(application_id=application_id, stage=stage, status="ready")
        .order_by("-version")
        .first()
    )


def report_public_url(report):
    """The absolute download URL of the report's PDF (public once published and ready)."""
    path = reverse("report-pdf", kwargs={"pk": report.pk})
    return settings.MCQA_SITE_URL.rstrip("/") + path


def report_is_public(report):
    """Published reports are public once rendered (ESG 2.6); nothing else is."""
    return report.stage == Report.Stage.PUBLISHED and report.status == Report.Status.READY


def reports_visible_to(*, user):
    """Reports `user` may see: every report of an application they see, and every ready
    published report (public)."""
    public = Report.objects.filter(stage=Report.Stage.PUBLISHED, status=Report.Status.READY)
    if not getattr(user, "is_authenticated", False):
        return public
    return Report.objects.filter(application__in=applications_visible_to(user=user)) | public


# --------------------------------------------------------------------------- writes


def _next_version(application_id, stage):
    top = Report.objects.filter(application_id=application_id, stage=stage).aggregate(
        top=Max("version")
    )["top"]
    return (top or 0) + 1


def _schedule_render(report_id):
    from .report_tasks import render_report

    transaction.on_commit(lambda: render_report.delay(report_id), robust=True)


def report_request(*, application, stage, actor):
    """Ask for a `draft` or `final` report of `application`, rendered after commit.

    Who: the coordinator or the panel's chair (an accepted chair seat); others who may
    see the case get 403, those who may not see it 404. When: a draft while the panel
    reviews (in review or waiting for a clarification), a final report once the draft
    went to the factual-accuracy check (factual check or decision pending); otherwise
    409. Each request is a new version of that stage with the data frozen now, so the
    PDF shows the case as it was when the report was asked for.
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
        report = Report.objects.create(
            application=locked,
            stage=stage,
            version=_next_version(locked.pk, stage),
            requested_by=actor,
        )
        report.data = report_data(locked, stage, report=report)
        report.save(update_fields=["data", "updated_at"])
        audit("report_requested", actor=actor, obj=report, stage=stage, version=report.version)
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
        )
        data = report_data(locked, Report.Stage.PUBLISHED, report=report)
        data["report"]["trigger"] = trigger
        report.data = data
        report.save(update_fields=["data", "updated_at"])
        audit("report_published", obj=report, version=report.version, trigger=trigger)
        _schedule_render(report.pk)
    return report


def report_retry(*, report, actor):
    """Render a failed report again (coordinator). A ready or pending report is not
    re-rendered (409): ready reports are immutable and pending ones are queued."""
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
        locked.save(update_fields=["status", "updated_at"])
        audit("report_retry", actor=actor, obj=locked, attempts=locked.attempts)
        _schedule_render(locked.pk)
    return locked


def render_report_pdf(data):
    """The PDF bytes of a report with `data` (and `data` embedded as report.json)."""
    from core.pdf import render_pdf, static_url

    html = render_to_string(TEMPLATE, {"r": _for_template(data)})
    title = _title(data)
    payload = json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2).encode()
    return render_pdf(
        html,
        stylesheets=[static_url(STYLESHEET)],
        attachments=[("report.json", payload, "Structured data of this report (JSON)")],
        metadata={
            "title": title,
            "authors": [data["agency"]["name"]],
            "subject": f"{data['report']['stage_label']} on {data['provider']['legal_name']}: "
            f"{data['scope']['label']}",
            "keywords": ["quality assurance", "micro-credentials", data["framework"]["code"]],
        },
    )


def _date(value):
    if not value:
        return None
    return parse_date(value) if len(value) == 10 else parse_datetime(value)


def _for_template(data):
    """A copy of `data` with its ISO dates parsed, for the template's `date` filter."""
    view = copy.deepcopy(data)
    view["dates"] = {
        "submitted_at": _date(data["application"]["submitted_at"]),
        "prepared_at": _date(data["prepared_at"]),
        "decided_at": _date((data.get("decision") or {}).get("decided_at")),
    }
    for step in view["procedure"]:
        step["at_date"] = _date(step["at"])
    for item in view["clarifications"]:
        item["asked_date"] = _date(item["asked_at"])
        item["answered_date"] = _date(item["answered_at"])
    decision = view.get("decision")
    if decision:
        decision["decided_date"] = _date(decision["decided_at"])
        decision["valid_from_date"] = _date(decision["valid_from"])
        decision["valid_until_date"] = _date(decision["valid_until"])
        for condition in decision["conditions"]:
            condition["due"] = _date(condition["due_date"])
            condition["met"] = _date(condition["met_at"])
    return view


def _title(data):
    return (
        f"{data['agency']['name']}: review report on {data['provider']['legal_name']} "
        f"({data['report']['stage']}, version {data['report']['version']})"
    )


def report_render(*, report_id):
    """Render report `report_id` and store its PDF; safe to run any number of times.

    A ready report is left exactly as it is (so running twice makes one file, and a
    published report never changes). On success the PDF is stored under a random name
    with its SHA-256 and size, and the report becomes `ready`. On any rendering error
    the report becomes `failed` with the error kept and the attempt counted, so it can
    be retried; the application itself is never changed by a render.
    """
    report = Report.objects.get(pk=report_id)
    if report.status == Report.Status.READY:
        return report
    try:
        data = report.data or report_data(report.application, report.stage, report=report)
        pdf = render_report_pdf(data)
    except DatabaseError:
        raise  # transient: the task retries; the report stays pending
    except Exception as exc:  # noqa: BLE001 – any render failure is recorded, not lost
        logger.exception("Rendering report %s failed", report_id)
        return _record_failure(report_id, exc)
    return _store(report_id, data, pdf)


def _record_failure(report_id, exc):
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report_id)
        if report.status == Report.Status.READY:
            return report
        report.status = Report.Status.FAILED
        report.error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]
        report.attempts += 1
        report.save(update_fields=["status", "error", "attempts", "updated_at"])
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
            report.attempts += 1
            report.rendered_at = timezone.now()
            report.save()
    except Exception:
        if stored_name:
            Report.file.field.storage.delete(stored_name)
        raise
    return report


# --------------------------------------------------------------------------- hooks


def _on_application_transitioned(sender, application_id, transition, log_id, **kwargs):
    """After a decision, publish the report with the decision (a Celery task)."""
    if workflow.step(transition).publishes:
        from .report_tasks import publish_report

        publish_report.delay(application_id, f"application-log:{log_id}")


def _on_accreditation_changed(sender, accreditation_id, transition, log_id, **kwargs):
    """Conditions confirmed met change the decision shown: publish a new version."""
    if transition in workflow.CATALOGUE and workflow.step(transition).publishes:
        application_id = (
            Accreditation.objects.filter(pk=accreditation_id)
            .values_list("application_id", flat=True)
            .first()
        )
        if application_id is not None:
            from .report_tasks import publish_report

            publish_report.delay(application_id, f"accreditation-log:{log_id}")


application_transitioned.connect(
    _on_application_transitioned, dispatch_uid="reviews.reports.publish"
)
accreditation_changed.connect(_on_accreditation_changed, dispatch_uid="reviews.reports.conditions")


def application_reports_field(application, request):
    """`reports` in the application detail: `[{id, stage, version, status}]`, oldest first."""
    order = {stage: i for i, stage in enumerate(Report.Stage.values)}
    reports = sorted(application.reports.all(), key=lambda r: (order[r.stage], r.version))
    return [
        {"id": r.pk, "stage": r.stage, "version": r.version, "status": r.status} for r in reports
    ]


register_application_field("reports", application_reports_field, prefetch=("reports",))
