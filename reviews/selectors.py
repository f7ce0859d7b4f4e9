"""Reads of the review stage. Every list a reviewer sees comes from here, so that no view
can forget who may see what, and every list runs a constant number of queries."""

from django.db.models import Prefetch, Q
from django.utils.translation import gettext as _

from accreditation.models import ApplicationState, Standard
from accreditation.selectors import is_provider_member, sees_everything
from core.errors import Unmet
from core.roles import Role, has_role

from .models import Finding, PanelAssignment, ReviewerJudgement, SiteVisit

S = PanelAssignment.State

# Seats that count as sitting on the panel: accepted, and kept once the panel's work is done.
SITTING_STATES = (S.ACCEPTED, S.COMPLETED)
# Seats still holding a place on the panel (the database allows one per reviewer).
LIVE_STATES = (S.INVITED, S.ACCEPTED, S.COMPLETED)
A = ApplicationState
# Application states in which the panel can still use a new member, so an invitation can
# be answered (and its reviewer is reminded of it): from screening, when the panel is
# composed, until the draft report, a pending clarification included. On a withdrawn case
# or one past the draft report an invitation stays `invited` but is asked of nobody.
ACCEPTING_STATES = (A.SCREENING, A.IN_REVIEW, A.CLARIFICATION_REQUESTED)
# Application states in which the site visit is planned (or cancelled): from screening,
# when the panel is composed, until the draft report, a pending clarification included.
SITE_VISIT_STATES = ACCEPTING_STATES
# Application states in which the provider has not yet been sent the draft report.
BEFORE_DRAFT_REPORT = (
    A.DRAFT,
    A.SUBMITTED,
    A.SCREENING,
    A.RETURNED,
    A.IN_REVIEW,
    A.CLARIFICATION_REQUESTED,
    A.WITHDRAWN,
)


def assignments_for(*, user):
    """The caller's own panel seats, in every state, newest first.

    An invited reviewer sees their assignment (enough to judge a conflict: the provider and
    the course) but not the application itself until they accept.
    """
    if not getattr(user, "is_authenticated", False):
        return PanelAssignment.objects.none()
    return (
        PanelAssignment.objects.filter(reviewer=user)
        .select_related("application__provider", "application__course", "reviewer")
        .order_by("-created_at", "-id")
    )


def assignment_of(*, user, pk):
    """The caller's own assignment `pk`, or None: nobody else's seat is visible by id."""
    return assignments_for(user=user).filter(pk=pk).first()


def panel_of(application):
    """Every seat of `application`'s panel (declined and replaced ones included, so the
    history of the panel stays readable), with the reviewers in one query."""
    return (
        PanelAssignment.objects.filter(application=application)
        .select_related("reviewer")
        .order_by("created_at", "id")
    )


def panel_prefetch():
    """A prefetch that loads the panels of many applications in one query (detail and list
    payloads read `application.panel_assignments.all()`)."""
    return Prefetch(
        "panel_assignments",
        queryset=PanelAssignment.objects.select_related("reviewer").order_by("created_at", "id"),
    )


def sitting_panel(application):
    """The accepted members (accepted, or completed once the draft report went out): the
    people whose judgements the panel's report rests on."""
    return (
        PanelAssignment.objects.filter(application=application, state__in=SITTING_STATES)
        .select_related("reviewer")
        .order_by("role", "id")
    )


def is_panel_chair(user, application):
    """True when `user` holds the accepted chair of `application`'s panel.

    The chair consolidates findings, asks for clarifications and submits the draft report;
    the seat still counts once completed, so the chair can request the final report after
    the factual-accuracy check.
    """
    if not getattr(user, "is_authenticated", False):
        return False
    return PanelAssignment.objects.filter(
        application_id=application.pk,
        reviewer=user,
        role=PanelAssignment.Role.CHAIR,
        state__in=SITTING_STATES,
    ).exists()


def sat_on_panel(user, application):
    """True when `user` accepted a seat on `application`'s panel at any time (even if later
    replaced): such a person judged the case and may not also decide it."""
    if not getattr(user, "is_authenticated", False):
        return False
    return PanelAssignment.objects.filter(
        Q(state__in=SITTING_STATES) | Q(state=S.REPLACED, no_conflict_declared=True),
        application_id=application.pk,
        reviewer=user,
    ).exists()


def is_sitting_member(user, application):
    """True when `user` currently sits on `application`'s panel in any role."""
    if not getattr(user, "is_authenticated", False):
        return False
    return PanelAssignment.objects.filter(
        application_id=application.pk, reviewer=user, state__in=SITTING_STATES
    ).exists()


def may_read_findings(user, application):
    """Findings are the panel's working material: the agency's staff and the sitting panel
    read them at any time; the provider reads them once the draft report is sent for the
    factual-accuracy check (they are then part of the report it comments on)."""
    if sees_everything(user) or is_sitting_member(user, application):
        return True
    return application.state not in BEFORE_DRAFT_REPORT and is_provider_member(
        user, application.provider_id
    )


def may_read_summary(user, application):
    """The panel summary (who judged what) is for the chair, who consolidates it, and the
    coordinator, who runs the procedure."""
    return has_role(user, Role.COORDINATOR) or is_panel_chair(user, application)


def findings_of(application):
    """The chair's consolidated findings in the framework's order of standards."""
    return (
        Finding.objects.filter(application=application)
        .select_related("standard", "recorded_by")
        .order_by("standard__order")
    )


def judgements_of(assignment):
    """One panel member's judgements in the framework's order of standards."""
    return (
        ReviewerJudgement.objects.filter(assignment=assignment)
        .select_related("standard")
        .order_by("standard__order")
    )


def standards_of(application):
    """The standards of the framework frozen at submission, in order."""
    return Standard.objects.filter(framework_id=application.framework_id).order_by("order")


def standard_of(application, code):
    """The standard `code` of the application's frozen framework, or None."""
    return standards_of(application).filter(code=code).first()


def may_plan_site_visit(user, application):
    """The site visit is planned, cancelled and minuted by the panel chair, who leads the
    panel on the visit, or a coordinator, who organises it with the provider."""
    return has_role(user, Role.COORDINATOR) or is_panel_chair(user, application)


def site_visits_of(application):
    """The application's site visits (cancelled ones included, marked), in date order,
    with their sessions: two queries whatever their number."""
    return (
        SiteVisit.objects.filter(application=application)
        .select_related("planned_by")
        .prefetch_related("sessions")
        .order_by("starts_on", "id")
    )


def site_visit_of(application, pk):
    """Visit `pk` of `application`, or None (a visit of another case is not found)."""
    return site_visits_of(application).filter(pk=pk).first()


def findings_unmet(application):
    """One `missing_finding:<code>` item per standard the chair has not yet recorded the
    panel's consolidated finding on: a report (draft or final) shows the findings, so
    none may be rendered without all of them, nor the draft sent."""
    found = set(
        Finding.objects.filter(application=application).values_list("standard_id", flat=True)
    )
    return [
        Unmet(
            f"missing_finding:{standard.code}",
            _("The chair has not recorded the panel's finding on standard %(code)s %(title)s.")
            % {"code": standard.code, "title": standard.display_title},
        )
        for standard in standards_of(application)
        if standard.pk not in found
    ]
