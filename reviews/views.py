"""HTML pages of the review stage: invitations, panel composition, judgements, the chair's
consolidation and report requests. They read through `reviews.selectors` and write through
`reviews.services` and `reviews.reports`, and add their parts (the panel, the reports,
the reviewer's queue) to the accreditation pages through `register_section`. What they
share with the accreditation pages (the refusal page, `run_service`) is `accreditation.web`.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accreditation.models import Document
from accreditation.services import document_upload
from accreditation.web import (
    application_context,
    register_section,
    render_domain_error,
    run_service,
    visible_application,
    wants_json,
)
from core.errors import DomainError, NotAllowed
from core.roles import Role, has_role

from . import candidates as c
from . import forms as f
from . import selectors, services
from .calendar import site_visit_ics
from .models import PanelAssignment, Report, ReviewerProfile
from .reports import selectors as report_selectors
from .reports import services as report_services

S = PanelAssignment.State
# One whole sentence per seat, so that each language words the role its own way.
INVITED_AS = {
    PanelAssignment.Role.CHAIR: gettext_lazy("%(name)s was invited as chair."),
    PanelAssignment.Role.MEMBER: gettext_lazy("%(name)s was invited as member."),
    PanelAssignment.Role.STUDENT: gettext_lazy("%(name)s was invited as student."),
}
REPORT_READY = {
    "draft": gettext_lazy("The draft report (version %(version)s) is ready."),
    "final": gettext_lazy("The final report (version %(version)s) is ready."),
}
REPORT_RENDERING = {
    "draft": gettext_lazy("The draft report (version %(version)s) is being rendered."),
    "final": gettext_lazy("The final report (version %(version)s) is being rendered."),
}


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


def application_site_visit_part(request, application):
    """The site visits of an application, for everyone on the case and the provider, with
    their calendar files; the chair and the coordinator get the link to plan one."""
    visits = list(selectors.site_visits_of(application))
    may_plan = application.state in selectors.SITE_VISIT_STATES and (
        selectors.may_plan_site_visit(request.user, application)
    )
    if not visits and not may_plan:
        return None
    return {
        "template": "reviews/_application_site_visits.html",
        "visits": visits,
        "may_plan": may_plan,
    }


register_section("home", reviewer_queue)
register_section("application", application_review_part)
register_section("application", application_site_visit_part)


# --------------------------------------------------------------------------- coordinator


@login_required
@require_http_methods(["GET", "POST"])
def panel_compose(request, pk):
    """The coordinator composes the panel; a conflict of interest is shown with its reason
    and can be overridden only with a written justification (the service records it)."""
    application = visible_application(request, pk)
    form = f.PanelAssignForm(request.POST or None, application=application)
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
                    INVITED_AS[data["role"]] % {"name": data["reviewer"].get_username()},
                )
                return redirect("panel-compose", pk=application.pk)
    panel = list(selectors.panel_of(application))
    is_coordinator = has_role(request.user, Role.COORDINATOR)
    return render(
        request,
        "reviews/panel_compose.html",
        {
            "application": application,
            "form": form,
            "panel": panel,
            "unmet": unmet,
            "conflict": any(u.code == "conflict_of_interest" for u in unmet),
            "is_coordinator": is_coordinator,
            "candidates": c.panel_candidates(application=application) if is_coordinator else [],
            "roles": PanelAssignment.Role.choices,
        },
        status=status,
    )


# --------------------------------------------------------------------------- reviewer


def _profile_initial(profile):
    if profile is None:
        return {}
    return {
        "expertise": profile.expertise,
        "country": profile.country,
        "languages": ", ".join(profile.languages),
        "is_student": profile.is_student,
        "student_until": profile.student_until,
        "last_training_on": profile.last_training_on,
    }


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request):
    """The reviewer keeps their own profile (expertise, country, languages, student status,
    training); panel composition ranks them by it. Only reviewers have one (403)."""
    if not has_role(request.user, Role.REVIEWER):
        raise PermissionDenied(_("Only reviewers keep a reviewer profile."))
    profile = ReviewerProfile.objects.filter(reviewer=request.user).first()
    form = f.ReviewerProfileForm(request.POST or None, initial=_profile_initial(profile))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            outcome = run_service(
                request,
                lambda: services.reviewer_profile_update(
                    reviewer=request.user, actor=request.user, changes=form.cleaned_data
                ),
                form=form,
                back=reverse("reviewer-profile"),
            )
            if outcome.refusal:
                return outcome.refusal
            if outcome.ok:
                messages.success(request, _("Your reviewer profile was saved."))
                return redirect("reviewer-profile")
    return render(
        request,
        "reviews/profile_edit.html",
        {
            "form": form,
            "profile": profile,
            "expertise": c.expertise_labels(profile.expertise if profile else []),
        },
        status=status,
    )


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
            messages.success(request, _("You accepted the seat on the panel."))
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
            messages.success(request, _("You declined the seat; the coordinator is told."))
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
        saved=_("Your judgement on %(standard)s was saved.") % {"standard": code},
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
        saved=_("The panel's finding on %(standard)s was saved.") % {"standard": code},
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
            DomainError(_("Choose the draft or the final report.")),
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
        messages.success(request, REPORT_READY[stage] % {"version": report.version})
    else:
        messages.info(request, REPORT_RENDERING[stage] % {"version": report.version})
    return redirect(reverse("application-detail", args=[application.pk]) + "#reports")


# --------------------------------------------------------------------------- site visits


def _site_visit_page(request, application, *, form=None, minutes_form=None, status=200):
    may_plan = selectors.may_plan_site_visit(request.user, application)
    open_for_visits = application.state in selectors.SITE_VISIT_STATES
    return render(
        request,
        "reviews/site_visits.html",
        {
            "application": application,
            "visits": list(selectors.site_visits_of(application)),
            "minutes": list(
                application.documents.filter(kind=Document.Kind.SITE_VISIT_MINUTES).order_by(
                    "uploaded_at", "id"
                )
            ),
            "may_plan": may_plan and open_for_visits,
            "form": form or f.SiteVisitForm(),
            "minutes_form": minutes_form or f.MinutesUploadForm(),
            "today": timezone.localdate(),
        },
        status=status,
    )


def _refuse_unless_plans(request, application):
    if not selectors.may_plan_site_visit(request.user, application):
        return render_domain_error(
            request,
            NotAllowed(_("Only the panel chair or a coordinator plans the site visit.")),
            back=application.get_absolute_url(),
        )
    return None


@login_required
@require_http_methods(["GET", "POST"])
def site_visits(request, pk):
    """The site visits of a case; the panel chair or a coordinator plans one here (the
    service checks the dates, the groups and that every session falls within the visit)."""
    application = visible_application(request, pk)
    if request.method == "GET":
        return _site_visit_page(request, application)
    refusal = _refuse_unless_plans(request, application)
    if refusal:
        return refusal
    form = f.SiteVisitForm(request.POST)
    if form.is_valid():
        body, rows = form.service_data()

        def plan():
            try:
                return services.site_visit_plan(
                    application=application, actor=request.user, data=body
                )
            except ValidationError as error:
                raise ValidationError(_on_form_rows(error, rows)) from error

        outcome = run_service(request, plan, form=form, back=application.get_absolute_url())
        if outcome.refusal:
            return outcome.refusal
        if outcome.ok:
            messages.success(request, _("The site visit is planned."))
            return redirect("site-visits", pk=application.pk)
    return _site_visit_page(request, application, form=form, status=400)


def _on_form_rows(error, rows):
    """The service's `sessions[k].group` / `sessions[k].at` as the form's `group_<row>` /
    `at_<row>`; other fields as they are."""
    mapped = {}
    for key, messages_ in error.message_dict.items():
        name = key
        if key.startswith("sessions[") and "]." in key:
            index, _, field = key[len("sessions[") :].partition("].")
            if index.isdigit() and int(index) < len(rows):
                name = f"{field}_{rows[int(index)]}"
        mapped.setdefault(name, []).extend(messages_)
    return mapped


@login_required
@require_POST
def site_visit_minutes(request, pk):
    """The chair or a coordinator uploads the visit's minutes: the provider's upload path
    (sniffed, parsed, stored with its checksum) with the kind `site_visit_minutes`."""
    application = visible_application(request, pk)
    form = f.MinutesUploadForm(request.POST, request.FILES)
    if form.is_valid():
        outcome = run_service(
            request,
            lambda: document_upload(
                application=application,
                actor=request.user,
                kind=Document.Kind.SITE_VISIT_MINUTES,
                uploaded_file=form.cleaned_data["file"],
            ),
            form=form,
            back=reverse("site-visits", args=[application.pk]),
        )
        if outcome.refusal:
            return outcome.refusal
        if outcome.ok:
            messages.success(
                request,
                _("%(name)s was uploaded as the minutes.") % {"name": outcome.result.display_name},
            )
            return redirect("site-visits", pk=application.pk)
    return _site_visit_page(request, application, minutes_form=form, status=400)


def _visit_or_404(application, visit_pk):
    visit = selectors.site_visit_of(application, visit_pk)
    if visit is None:
        raise Http404
    visit.application = application
    return visit


@login_required
@require_POST
def site_visit_cancel(request, pk, visit_pk):
    """Cancel a visit that has not begun (the chair or a coordinator)."""
    application = visible_application(request, pk)
    visit = _visit_or_404(application, visit_pk)
    outcome = run_service(
        request,
        lambda: services.site_visit_cancel(visit=visit, actor=request.user),
        back=reverse("site-visits", args=[application.pk]),
    )
    if outcome.refusal:
        return outcome.refusal
    messages.success(request, _("The site visit is cancelled."))
    return redirect("site-visits", pk=application.pk)


@login_required
def site_visit_calendar(request, pk, visit_pk):
    """The visit as an iCalendar file, for whoever sees the case (the panel, the provider,
    the agency's staff)."""
    application = visible_application(request, pk)
    visit = _visit_or_404(application, visit_pk)
    response = HttpResponse(site_visit_ics(visit), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="site-visit-{visit.pk}.ics"'
    return response
