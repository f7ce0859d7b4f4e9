"""The structured content of a review report.

ESG 2.6 asks that the panel's full report is published, clear and accessible, negative
ones included. A report is therefore never typed by hand: `report_data` builds the
structured data from the case (dossier, panel, findings, decision); the data is frozen
on the `Report` row when the report is requested, and the PDF is rendered from that
data alone (and carries it as the embedded `report.json`).

A report is written in one language: `report_data` runs under the report's language
(`translation.override`, see `services`), so every label and wording in the data is in
that language; codes (`stage`, `judgement`, `outcome`, `role` ...) stay codes, so a
machine reads the data the same in every language.
"""

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from accreditation import annex, workflow
from accreditation.models import Accreditation, Application, Document, SelfAssessment
from accreditation.rules import current_decision
from core import reference

from ..models import Finding, Judgement, PanelAssignment, Report, ReviewerProfile
from ..selectors import site_visits_of, sitting_panel

SCHEMA = "mcqa.report/1"
SELF_ASSESSMENT_LIMIT = 6000
PANEL_ROLE_ORDER = {"chair": 0, "member": 1, "student": 2}


def _iso(value):
    return value.isoformat() if value else None


def _text(label):
    """A label (possibly lazy) as the plain string of the active language, for the JSON."""
    return str(label) if label is not None else None


def _person(user):
    if user is None:
        return None
    return user.get_full_name().strip() or user.get_username()


def _course_elements(course, sample_credential):
    """The Annex I table: every mandatory and optional element with its value."""
    if sample_credential:
        per_learner = _(
            "Shown on each issued credential; see the sample credential (%(sample)s)."
        ) % {"sample": sample_credential}
    else:
        per_learner = _("Shown on each issued credential; no sample credential is in the dossier.")
    per_learner_note = (
        _("shown on each issued credential; see the sample credential (%(sample)s)")
        % {"sample": sample_credential}
        if sample_credential
        else _("shown on each issued credential; no sample credential is in the dossier")
    )
    cycle = course.get_qf_ehea_cycle_display() if course.qf_ehea_cycle else ""
    values = {
        "title": course.title,
        "country": course.country,
        "awarding_body": course.awarding_body,
        "learning_outcomes": list(course.learning_outcomes or []),
        "workload": annex.workload_text(course),
        "level": annex.level_text(course, cycle),
        "assessment_type": course.assessment_type,
        "participation_form": course.get_participation_form_display()
        if course.participation_form
        else "",
        "quality_assurance": course.quality_assurance,
        "prerequisites": course.prerequisites,
        "supervision_identity_verification": annex.supervision_label(
            course.supervision_identity_verification
        ),
        "stackability": course.stackability,
        "further_information": course.further_information,
    }
    rows = []
    for element in annex.ELEMENTS:
        if element.per_learner:
            value = per_learner
            if element.code == "grade" and course.grading:
                value = _("%(grading)s (%(note)s)") % {
                    "grading": course.grading,
                    "note": per_learner_note,
                }
        else:
            value = values[element.code]
        rows.append(
            {
                "code": element.code,
                "label": _text(element.display_label),
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
        Application.objects.select_related(
            "provider", "course__provider", "course_version", "framework"
        )
        .prefetch_related("provider__identifiers")
        .get(pk=application.pk)
    )
    # The course as submitted (its pinned version), never the live course: a later edit
    # must not change what a report says was assessed.
    course = application.course_as_assessed
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
        sitting_panel(application), key=lambda a: (PANEL_ROLE_ORDER.get(a.role, 9), a.pk)
    )
    expertise = dict(
        ReviewerProfile.objects.filter(
            reviewer_id__in=[seat.reviewer_id for seat in seats]
        ).values_list("reviewer_id", "expertise")
    )
    transitions = list(application.transitions.order_by("at", "id"))

    standard_rows = []
    counts = dict.fromkeys(Judgement.values, 0)
    for standard in standards:
        finding = findings.get(standard.pk)
        assessment = assessments.get(standard.pk)
        narrative = assessment.narrative if assessment else ""
        if len(narrative) > SELF_ASSESSMENT_LIMIT:
            narrative = _("%(text)s […] (abridged)") % {
                "text": narrative[:SELF_ASSESSMENT_LIMIT].rstrip()
            }
        if finding:
            counts[finding.judgement] += 1
        standard_rows.append(
            {
                "code": standard.code,
                "title": standard.display_title,
                "guidance": standard.display_guidance,
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
        label, party = _text(step.record), _text(step.taken_by)
        if log.actor_id is None and step.actors:
            party = _("System (deadline passed)")
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
            "stage_label": _text(Report.Stage(stage).label),
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
                _("Course: %(title)s") % {"title": course.title}
                if course
                else _("Institutional review of the provider (all its micro-credentials)")
            ),
        },
        "course": None,
        "framework": {
            "code": framework.code,
            "title": framework.display_title,
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
                "expertise": [
                    {"code": code, "label": _text(reference.ISCED_F_2013.get(code, ""))}
                    for code in expertise.get(seat.reviewer_id, [])
                ],
            }
            for seat in seats
        ],
        "site_visits": _site_visits_data(application),
        "standards": standard_rows,
        "summary": {
            "standards": len(standard_rows),
            "judged": sum(counts.values()),
            "counts": [
                {"judgement": value, "label": _text(label), "count": counts[value]}
                for value, label in Judgement.choices
            ],
        },
        "decision": None,
    }
    if course is not None:
        data["course"] = {
            "id": course.pk,
            "uid": str(application.course.uid),
            "version": application.course_version.number if application.course_version else None,
            "title": course.title,
            "isced_f": course.isced_f,
            "languages": list(course.languages or []),
            "sample_credential": sample.display_name if sample else None,
            "annex_i": _course_elements(course, sample.display_name if sample else None),
        }
    if stage == Report.Stage.PUBLISHED:
        data["decision"] = _decision_data(application)
    return data


def _site_visits_data(application):
    """The visits the panel held or planned (ESG 2.3), cancelled ones left out, each with
    its sessions: whom the panel met, and when."""
    return [
        {
            "mode": visit.mode,
            "mode_label": visit.get_mode_display(),
            "starts_on": _iso(visit.starts_on),
            "ends_on": _iso(visit.ends_on),
            "sessions": [
                {"group": s.group, "group_label": s.get_group_display(), "at": _iso(s.at)}
                for s in visit.sessions.all()
            ],
        }
        for visit in site_visits_of(application).filter(cancelled_at__isnull=True)
    ]


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
        "outcome_label": _text(labels[outcome]),
        "original_outcome": decision.outcome,
        "original_outcome_label": _text(labels[decision.outcome]),
        "decided_at": _iso(decision.decided_at),
        "rationale": decision.rationale,
        "valid_from": _iso(decision.valid_from),
        "valid_until": _iso(decision.valid_until),
        "accreditation": accreditation.pk if accreditation else None,
        "accreditation_status": accreditation.status if accreditation else None,
        "accreditation_status_label": accreditation.get_status_display() if accreditation else None,
        "conditions": [
            {
                "text": c.text,
                "due_date": _iso(c.due_date),
                "status": c.status,
                "status_label": c.get_status_display(),
                "met_at": _iso(c.met_at),
            }
            for c in (accreditation.conditions.all() if accreditation else [])
        ],
    }
