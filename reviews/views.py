"""HTML pages of the review stage: invitations, panel composition, judgements, the chair's
consolidation and report requests. They read through `reviews.selectors` and write through
`reviews.services` and `reviews.reports`, and add their parts (the panel, the reports,
the reviewer's queue) to the accreditation pages through `register_section`. What they
share with the accreditation pages (the refusal page, `run_service`) is `accreditation.web`.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accreditation.web import (
    application_context,
    register_section,
    render_domain_error,
    run_service,
    visible_application,
    wants_json,
)
from core.errors import DomainError
from core.roles import Role, has_role

from . import forms as f
from . import selectors, services
from .models import PanelAssignment, Report
from .reports import selectors as report_selectors
from .reports import services as report_services

S = PanelAssignment.State


# --------------------------------------------------------------------------- page sections


def reviewer_queue(request, _obj):
    """The reviewer's part of the home page: invitations to answer, panels to work on."""
    user = request.user
    assignments = list(selectors.assignments_for(user=user))
    if not assignments and not has_role(user, Role.REVIEWER):
        return None
    today = timezone.localdate()
    for a in assignments:
        a.overdue = bool(a.due_date and a.due_date < today)
    return {
        "template": "reviews/_home_reviewer.html",
        "invitations": [a for a in assignments if services.invitation_open(a)],
        "panels": [a for a in assignments if a.state in selectors.SITTING_STATES],
    }


def requestable_reports(application):
    """The report stages the reporting service accepts a request for in the current state,
    so that the page offers only buttons that can work."""
    return [
        stage
        for stage, states in report_services.REQUESTABLE_STAGES.items()
        if application.state in states
    ]


def application_review_part(request, application):
    """The panel and the reports of an application, with the links the user's seat allows."""
    user = request.user
    panel = list(selectors.panel_of(application))
    mine = next(
        (a for a in panel if a.reviewer_id == user.pk and a.state in selectors.LIVE_STATES), None
    )
    reports = list(
        report_selectors.reports_visible_to(user=user)
        .filter(application=application)
        .order_by("stage", "-version")
    )
    replaced = report_selectors.superseded_by(reports)
    for report in reports:
        report.superseded_by = replaced.get(report.pk)
    is_coordinator = has_role(user, Role.COORDINATOR)
    is_chair = selectors.is_panel_chair(user, application)
    return {
        "template": "reviews/_application_review.html",
        "panel": [a for a in panel if a.state in selectors.LIVE_STATES],
        "mine": mine,
        "reports": reports,
        "rendering": any(r.status == Report.Status.PENDING for r in reports),
        "is_coordinator": is_coordinator,
        "is_chair": is_chair,
        "may_request_reports": is_coordinator or is_chair,
        "requestable": requestable_reports(application),
        "findings": list(selectors.findings_of(application))
        if selectors.may_read_findings(user, application)
        else [],
    }


register_section("home", reviewer_queue)
register_section("application", application_review_part)


# --------------------------------------------------------------------------- coordinator


@login_required
@require_http_methods(["GET", "POST"])
def panel_compose(request, pk):
    """The coordinator composes the panel; a conflict of interest is shown with its reason
    and can be overridden only with a written justification (the service records it)."""
    application = visible_application(request, pk)
    form = f.PanelAssignForm(request.POST or None)
    unmet = []
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            outcome = run_service(
                request,
                lambda: services.panel_member_assign(
                    application=application,
                    reviewer=data["reviewer"],
                    role=data["role"],
                    actor=request.user,
                    override_justification=data["override_justification"],
                ),
                form=form,
                back=application.get_absolute_url(),
                guard_on_form=True,
            )
            if outcome.refusal:
                return outcome.refusal
            unmet = outcome.unmet
            if outcome.ok:
                messages.success(
                    request,
                    f"{data['reviewer'].get_username()} was invited as {data['role']}.",
                )
                return redirect("panel-compose", pk=application.pk)
    panel = list(selectors.panel_of(application))
    return render(
        request,
        "reviews/panel_compose.html",
        {
            "application": application,
            "form": form,
            "panel": panel,
            "unmet": unmet,
            "conflict": any(u.code == "conflict_of_interest" for u in unmet),
            "is_coordinator": has_role(request.user, Role.COORDINATOR),
        },
        status=status,
    )


# --------------------------------------------------------------------------- reviewer


def own_assignment(request, pk):
    assignment = selectors.assignment_of(user=request.user, pk=pk)
    if assignment is None:
        raise Http404
    return assignment


@login_required
def assignment_list(request):
    assignments = list(selectors.assignments_for(user=request.user))
    today = timezone.localdate()
    for a in assignments:
        a.overdue = bool(a.due_date and a.due_date < today)
    return render(request, "reviews/assignment_list.html", {"assignments": assignments})


@login_required
def assignment_detail(request, pk):
    """An invitation: what the case is (enough to judge a conflict) and the answer forms."""
    return _invitation_page(request, own_assignment(request, pk))


def _invitation_page(request, assignment, *, accept_form=None, decline_form=None, status=200):
    return render(
        request,
        "reviews/assignment_detail.html",
        {
            "assignment": assignment,
            "answerable": services.invitation_open(assignment),
            "accept_form": accept_form or f.AcceptForm(),
            "decline_form": decline_form or f.DeclineForm(),
        },
        status=status,
    )


@login_required
@require_POST
def assignment_accept(request, pk):
    assignment = own_assignment(request, pk)
    form = f.AcceptForm(request.POST)
    if form.is_valid():
        outcome = run_service(
            request,
            lambda: services.assignment_accept(
                assignment=assignment, actor=request.user, no_conflict=True
            ),
            form=form,
            back=reverse("assignment-detail", args=[assignment.pk]),
        )
        if outcome.refusal:
            return outcome.refusal
        if outcome.ok:
            messages.success(request, "You accepted the seat on the panel.")
            return redirect("assignment-review", pk=assignment.pk)
    return _invitation_page(request, assignment, accept_form=form, status=400)


@login_required
@require_POST
def assignment_decline(request, pk):
    assignment = own_assignment(request, pk)
    form = f.DeclineForm(request.POST)
    if form.is_valid():
        outcome = run_service(
            request,
            lambda: services.assignment_decline(
                assignment=assignment, actor=request.user, reason=form.cleaned_data["reason"]
            ),
            form=form,
            back=reverse("assignment-detail", args=[assignment.pk]),
        )
        if outcome.refusal:
            return outcome.refusal
        if outcome.ok:
            messages.success(request, "You declined the seat; the coordinator is told.")
            return redirect("home")
    return _invitation_page(request, assignment, decline_form=form, status=400)


def _judgement_forms(standards, existing, form_class, data=None, only=None):
    rows = []
    for standard in standards:
        record = existing.get(standard.pk)
        initial = {}
        if record is not None:
            initial = {"judgement": record.judgement, "rationale": record.rationale}
            if hasattr(record, "recommendations"):
                initial["recommendations"] = record.recommendations
        bound = data if (only is None or only == standard.code) else None
        form = form_class(bound, initial=initial, prefix=f"s-{standard.code}")
        rows.append({"standard": standard, "form": form, "record": record})
    return rows


@login_required
def assignment_review(request, pk):
    """The reviewer's workspace: the dossier beside a judgement form per standard."""
    assignment = own_assignment(request, pk)
    if assignment.state not in selectors.SITTING_STATES:
        return redirect("assignment-detail", pk=assignment.pk)
    application = visible_application(request, assignment.application_id)
    return _render_review(request, assignment, application)


def _render_review(request, assignment, application, data=None, only=None, status=200):
    context = application_context(request, application)
    existing = {j.standard_id: j for j in selectors.judgements_of(assignment)}
    context.update(
        {
            "assignment": assignment,
            "rows": _judgement_forms(context["standards"], existing, f.JudgementForm, data, only),
            "editable": False,
            "judging": assignment.state == S.ACCEPTED,
        }
    )
    return render(request, "reviews/assignment_review.html", context, status=status)


def _save_standard(request, form, save, *, back, saved, done, invalid):
    """Save one standard's form (a judgement or the panel's finding), posted plainly or by
    the autosave script. A plain post goes on to `done` with the message `saved`, or shows
    the form's errors again through `invalid()`; the autosave gets JSON, its refusals with
    their status and its errors as `{"errors": ...}` (400)."""
    as_json = wants_json(request)
    if form.is_valid():
        # The autosave answers a service's ValidationError in JSON; a plain post on the form.
        outcome = run_service(
            request,
            lambda: save(form.cleaned_data),
            form=None if as_json else form,
            back=back,
            json=as_json,
        )
        if outcome.refusal:
            return outcome.refusal
        if outcome.ok:
            if as_json:
                return JsonResponse({"saved": True, "at": timezone.now().isoformat()})
            messages.success(request, saved)
            return redirect(done)
    if as_json:
        return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
    return invalid()


@login_required
@require_POST
def judgement_save(request, pk, code):
    """Save one standard's judgement: a plain form post (redirect back) or the autosave
    fetch (JSON answer)."""
    assignment = own_assignment(request, pk)
    review = reverse("assignment-review", args=[assignment.pk])
    return _save_standard(
        request,
        f.JudgementForm(request.POST, prefix=f"s-{code}"),
        lambda data: services.judgement_put(
            assignment=assignment,
            standard_code=code,
            actor=request.user,
            judgement=data["judgement"],
            rationale=data["rationale"],
        ),
        back=review,
        saved=f"Your judgement on {code} was saved.",
        done=review + f"#std-{code}",
        invalid=lambda: _render_review(
            request,
            assignment,
            visible_application(request, assignment.application_id),
            request.POST,
            code,
            status=400,
        ),
    )


# --------------------------------------------------------------------------- chair


@login_required
def consolidation(request, pk):
    """The chair's view: every member's judgement per standard and the finding form."""
    application = visible_application(request, pk)
    if not selectors.may_read_summary(request.user, application):
        raise Http404
    return _render_consolidation(request, application)


def _render_consolidation(request, application, data=None, only=None, status=200):
    summary = services.panel_summary(application=application)
    standards = list(selectors.standards_of(application))
    findings = {x.standard_id: x for x in selectors.findings_of(application)}
    rows = _judgement_forms(standards, findings, f.FindingForm, data, only)
    by_code = {row["standard"]: row for row in summary["standards"]}
    for row in rows:
        row["summary"] = by_code.get(row["standard"].code)
    return render(
        request,
        "reviews/consolidation.html",
        {
            "application": application,
            "summary": summary,
            "rows": rows,
            "is_chair": selectors.is_panel_chair(request.user, application),
            "requestable": requestable_reports(application),
        },
        status=status,
    )


@login_required
@require_POST
def finding_save(request, pk, code):
    application = visible_application(request, pk)

    def invalid():
        if not selectors.may_read_summary(request.user, application):
            raise Http404
        return _render_consolidation(request, application, request.POST, code, status=400)

    return _save_standard(
        request,
        f.FindingForm(request.POST, prefix=f"s-{code}"),
        lambda data: services.finding_put(
            application=application,
            standard_code=code,
            actor=request.user,
            judgement=data["judgement"],
            rationale=data["rationale"],
            recommendations=data["recommendations"],
        ),
        back=application.get_absolute_url(),
        saved=f"The panel's finding on {code} was saved.",
        done=reverse("consolidation", args=[application.pk]) + f"#std-{code}",
        invalid=invalid,
    )


@login_required
@require_POST
def report_request(request, pk):
    """The chair or the coordinator asks for a draft or final report (rendered after commit)."""
    application = visible_application(request, pk)
    form = f.ReportRequestForm(request.POST)
    if not form.is_valid():
        return render_domain_error(
            request,
            DomainError("Choose the draft or the final report."),
            back=application.get_absolute_url(),
        )
    stage = form.cleaned_data["stage"]
    outcome = run_service(
        request,
        lambda: report_services.report_request(
            application=application, stage=stage, actor=request.user
        ),
        back=application.get_absolute_url(),
    )
    if outcome.refusal:
        return outcome.refusal
    report = outcome.result
    report.refresh_from_db()
    if report.status == Report.Status.READY:
        messages.success(request, f"The {stage} report (version {report.version}) is ready.")
    else:
        messages.info(request, f"The {stage} report (version {report.version}) is being rendered.")
    return redirect(reverse("application-detail", args=[application.pk]) + "#reports")
