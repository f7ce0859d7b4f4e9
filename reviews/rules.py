"""Review rules registered with the application workflow: the panel chair's rights, the
panel and report guards, the independence of the decision from the panel, and the
application detail's `panel` field.

Imported by `ReviewsConfig.ready()`; `accreditation` never imports this module.
"""

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accreditation import workflow
from accreditation.api.extensions import register_application_field
from accreditation.models import Document
from accreditation.services.documents import register_uploader
from core.errors import Unmet

from . import selectors, tasks  # noqa: F401  (tasks: registers the reminders with beat)
from .models import PanelAssignment, Report, ReviewerJudgement, SiteVisit
from .reports.selectors import latest_ready_report
from .services import unresolved_conflicts

MIN_PANEL_SIZE = 3


# --------------------------------------------------------------------------- rights


@workflow.allow(workflow.taken_by(workflow.PANEL_CHAIR))
def panel_chair_leads_review(application, actor):
    """The accepted chair asks the provider for clarifications and sends the draft report."""
    return selectors.is_panel_chair(actor, application)


@workflow.deny(workflow.DECISION_TRANSITIONS + workflow.APPEAL_DECISIONS)
def panel_member_does_not_decide(application, actor):
    """Independence (ESG 2.4, 2.7): whoever sat on the case's panel judged the dossier and
    may not also decide the case, nor an appeal against the decision, whatever other seats
    they hold."""
    if selectors.sat_on_panel(actor, application):
        return _("You sat on this case's review panel, so you may not decide it.")
    return None


# --------------------------------------------------------------------------- guards


@workflow.guard("start_review")
def panel_composed(application, actor, data):
    """The review starts with a panel of at least three accepted members: exactly one chair
    and at least one student (ESG 2.4 asks for a student member), and no accepted member
    with a conflict of interest that no override covers. Each unmet item is listed."""
    return panel_composition_unmet(application)


def panel_composition_unmet(application):
    """What the sitting panel lacks: size, chair, student, independence (one item each)."""
    seats = list(
        PanelAssignment.objects.filter(
            application=application, state__in=selectors.SITTING_STATES
        ).select_related("reviewer", "application__provider")
    )
    unmet = []
    if len(seats) < MIN_PANEL_SIZE:
        unmet.append(
            Unmet(
                "panel_too_small",
                _("The panel needs at least %(minimum)s accepted members; it has %(count)s.")
                % {"minimum": MIN_PANEL_SIZE, "count": len(seats)},
            )
        )
    chairs = [s for s in seats if s.role == PanelAssignment.Role.CHAIR]
    if len(chairs) != 1:
        unmet.append(
            Unmet(
                "panel_missing_chair",
                _("The panel needs exactly one accepted chair; it has %(count)s.")
                % {"count": len(chairs)},
            )
        )
    if not any(s.role == PanelAssignment.Role.STUDENT for s in seats):
        unmet.append(
            Unmet("panel_missing_student", _("The panel needs an accepted student member."))
        )
    for seat in seats:
        unmet.extend(conflict.as_unmet() for conflict in unresolved_conflicts(seat))
    return unmet


@workflow.guard("submit_draft_report")
def review_complete(application, actor, data):
    """The draft report goes to the provider only when the review is complete: the panel
    is still properly composed (a member may have left, or a conflict surfaced, since the
    review started), every sitting member judged every standard of the frozen framework,
    the chair recorded a consolidated finding for every standard, and a draft report PDF
    is ready."""
    unmet = panel_composition_unmet(application)
    standards = list(selectors.standards_of(application))
    seats = list(selectors.sitting_panel(application))
    judged = set(
        ReviewerJudgement.objects.filter(assignment__in=[s.pk for s in seats]).values_list(
            "assignment_id", "standard_id"
        )
    )
    for seat in seats:
        name = seat.reviewer.get_username()
        for standard in standards:
            if (seat.pk, standard.pk) not in judged:
                unmet.append(
                    Unmet(
                        f"missing_judgement:{name}:{standard.code}",
                        _("%(name)s has not judged standard %(code)s %(title)s.")
                        % {"name": name, "code": standard.code, "title": standard.display_title},
                    )
                )
    unmet.extend(selectors.findings_unmet(application))
    unmet.extend(_report_unmet(application, Report.Stage.DRAFT))
    return unmet


@workflow.guard("submit_draft_report")
def site_visit_held(application, actor, data):
    """An institutional review (a `provider` case, and its renewals) reports only after the
    panel visited the provider (ESG 2.3: a site visit, on site or online, before the
    report): a visit that was not cancelled and has ended (its last day is before today),
    and its minutes uploaded as a `site_visit_minutes` document. A course approval may hold
    a visit but needs none."""
    if application.scope_kind != "provider":
        return []
    unmet = []
    held = SiteVisit.objects.filter(
        application=application, cancelled_at__isnull=True, ends_on__lt=timezone.localdate()
    )
    if not held.exists():
        unmet.append(
            Unmet(
                "missing_site_visit",
                _(
                    "An institutional review needs a site visit that has ended before the "
                    "draft report goes out."
                ),
            )
        )
    minutes = Document.objects.filter(
        application=application, kind=Document.Kind.SITE_VISIT_MINUTES
    )
    if not minutes.exists():
        unmet.append(
            Unmet("missing_site_visit_minutes", _("Upload the minutes of the site visit."))
        )
    return unmet


@workflow.prerequisite(workflow.DECISION_TRANSITIONS)
def final_report_ready(application):
    """A decision rests on the panel's final report: a ready final report PDF must exist.
    The system renders it when the factual-accuracy check closes; the item says where it
    is (being rendered, failed, never asked for) and who provides it."""
    if latest_ready_report(application, Report.Stage.FINAL) is not None:
        return []
    return [Unmet("missing_report:final", final_report_missing(application))]


def final_report_missing(application):
    """What keeps the final report from the decision body, and who provides it."""
    newest = (
        Report.objects.filter(application=application, stage=Report.Stage.FINAL)
        .order_by("-version")
        .first()
    )
    if newest is None:
        return _(
            "A ready final report PDF is required: none has been made yet. The system "
            "renders it when the factual-accuracy check closes; the coordinator or the "
            "panel chair can request it in the Reports section."
        )
    if newest.status == Report.Status.FAILED:
        return _(
            "A ready final report PDF is required: rendering it failed. The coordinator "
            "or the panel chair must request it again (Reports section: Request the final "
            "report)."
        )
    return _(
        "A ready final report PDF is required: the final report is being rendered; it "
        "will be ready in a minute."
    )


REPORT_REQUIRED = {
    Report.Stage.DRAFT: gettext_lazy("A ready draft report PDF is required."),
    Report.Stage.FINAL: gettext_lazy("A ready final report PDF is required."),
}


def _report_unmet(application, stage):
    if latest_ready_report(application, stage) is not None:
        return []
    return [Unmet(f"missing_report:{stage}", str(REPORT_REQUIRED[stage]))]


# --------------------------------------------------------------------------- effects


@workflow.effect("start_review")
def judgements_due_with_review(application, actor, data, log):
    """Once the review runs, the sitting members' next step (their judgements) is due when
    the review is."""
    if application.due_at is not None:
        PanelAssignment.objects.filter(
            application=application, state=PanelAssignment.State.ACCEPTED
        ).update(due_date=application.due_at.date(), reminder_sent_at=None)


@workflow.effect("submit_draft_report")
def panel_work_completed(application, actor, data, log):
    """The draft report closes the panel's work: accepted seats become `completed` (they
    keep their view of the case) and no reminder chases them any more."""
    PanelAssignment.objects.filter(
        application=application, state=PanelAssignment.State.ACCEPTED
    ).update(state=PanelAssignment.State.COMPLETED, due_date=None)


# --------------------------------------------------------------------------- detail field


def panel_field(application, request):
    """The application detail's `panel`: every seat as `{id, reviewer, role, state, due_date}`
    (read from the prefetched panel when the caller prefetched it)."""
    return [
        {
            "id": seat.pk,
            "reviewer": seat.reviewer.get_username(),
            "role": seat.role,
            "state": seat.state,
            "due_date": seat.due_date.isoformat() if seat.due_date else None,
        }
        for seat in application.panel_assignments.all()
    ]


register_uploader(
    Document.Kind.SITE_VISIT_MINUTES,
    may=lambda application, actor: selectors.may_plan_site_visit(actor, application),
    states=selectors.SITE_VISIT_STATES,
    who=gettext_lazy("the panel chair or a coordinator"),
)
register_application_field("panel", panel_field, prefetch=(selectors.panel_prefetch(),))
