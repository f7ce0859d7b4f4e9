"""HTML pages of the workflow: home queues, provider profile, courses, dossiers, transitions.

Views only read through the selectors and write through the services, exactly as the API
does; objects outside `*_visible_to(user=...)` are 404. The domain errors of the services
are shown as pages with their own status: 400 with the unmet items, 403, 404, 409.

What the pages share with each other and with other apps' pages (the sections other apps
add, the refusal page, the application page's context) is in `accreditation.web`; the
drawing of the state machine on the help page is in `accreditation.diagram`.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import GuardFailed, NotAllowed
from core.roles import Role, has_role, user_roles

from . import annex, diagram, rules, screening, selectors, services, workflow
from . import forms as f
from .models import (
    ApplicationState,
    Document,
    ProviderMembership,
    ScreeningChecklist,
    SelfAssessment,
)
from .web import (
    application_context,
    mark_overdue,
    paged,
    queue,
    render_domain_error,
    run_service,
    sections_for,
    visible_application,
    wants_json,
)

# --------------------------------------------------------------------------- helpers


def member_provider_ids(user):
    return list(ProviderMembership.objects.filter(user=user).values_list("provider_id", flat=True))


# The home queues, by whom a case waits for: the states each shows. The application list
# filters on the same names (`?waiting_for=`), so a queue's "show all" link leads to the
# whole queue, paged.
QUEUES = {
    "coordinator": (
        ApplicationState.SUBMITTED,
        ApplicationState.SCREENING,
        ApplicationState.IN_REVIEW,
    ),
    "decision_body": (ApplicationState.DECISION_PENDING,),
    "appeals_committee": (ApplicationState.APPEALED,),
}
# The order of every staff list of cases: the most urgent first. It is the order of the
# `application_due` and `application_state_due` indexes, so a page reads the index. The
# lists fetch their provider and course by id (`prefetch_related`, two small queries)
# rather than by a join, so the plan of the page's query is the index's alone (SQLite
# otherwise starts some of them from the provider table and sorts every case).
BY_DUE = ("due_at", "id")


# --------------------------------------------------------------------------- home


@login_required
def home(request):
    """What waits for this person, one section per role they hold."""
    user = request.user
    roles = user_roles(user)
    visible = selectors.applications_visible_to(user=user).prefetch_related("provider", "course")
    now = timezone.now()
    context = {"roles": roles, "now": now}

    provider_ids = member_provider_ids(user)
    if provider_ids:
        own = queue(visible.filter(provider_id__in=provider_ids).order_by("-updated_at", "-id"))
        for application in own["rows"]:
            application.next_steps = [
                workflow.step(name)
                for name in services.available_transitions(application=application, actor=user)
            ]
        context["provider_applications"] = own["rows"]
        context["provider_count"] = own["count"]
        context["providers"] = selectors.providers_visible_to(user=user).filter(pk__in=provider_ids)
    if Role.COORDINATOR in roles:
        counts = selectors.application_counts_per_state(user=user)
        context["state_counts"] = [
            (value, label, counts.get(value, 0)) for value, label in ApplicationState.choices
        ]
        context["pending_change_requests"] = (
            selectors.change_requests_visible_to(user=user).filter(status="pending").count()
        )
        context["coordinator_queue"] = queue(_waiting_for(visible, "coordinator"))
    if Role.DECISION_BODY in roles:
        context["decision_queue"] = queue(_waiting_for(visible, "decision_body"))
    if Role.APPEALS_COMMITTEE in roles:
        context["appeal_queue"] = queue(
            selectors.appeals_to_handle(user=user, visible=visible)
            .filter(due_at__isnull=False)
            .order_by(*BY_DUE)
        )
    context["may_register"] = not provider_ids and not roles - {Role.PROVIDER}
    context["sections"] = sections_for("home", request)
    return render(request, "web/home.html", context)


def _waiting_for(visible, name):
    """The cases of queue `name` (see `QUEUES`), most urgent first.

    Every state of a queue has a deadline (`MCQA_DEADLINE_DAYS`; the engine sets `due_at`
    on entering it), so `due_at` present drops no case; it lets the database start at the
    first dated case of the due-date index instead of stepping over every undated (draft or
    decided) one, which keeps a queue of several states constant at any size."""
    return visible.filter(state__in=QUEUES[name], due_at__isnull=False).order_by(*BY_DUE)


@login_required
def application_list(request):
    """Every application the user may see, by state, with filters and counts (the
    coordinator's dashboard; others see their own cases), most urgent first and paged
    with the true count. A filter or page that is not valid is a 400 naming it."""
    visible = selectors.applications_visible_to(user=request.user)
    form = f.ApplicationFilterForm(request.GET or None, states=ApplicationState.choices)
    queryset = visible.prefetch_related("provider", "course").order_by(*BY_DUE)
    counts = selectors.application_counts_per_state(user=request.user)
    context = {
        "form": form,
        "state_counts": [
            (value, label, counts.get(value, 0)) for value, label in ApplicationState.choices
        ],
        "total": sum(counts.values()),
    }
    if form.is_bound and not form.is_valid():
        return render(request, "web/application_list.html", context, status=400)
    if form.is_bound:
        data = form.cleaned_data
        if data["state"]:
            queryset = queryset.filter(state=data["state"])
        if data["waiting_for"]:
            queryset = _waiting_for(queryset, data["waiting_for"])
        if data["kind"]:
            queryset = queryset.filter(kind=data["kind"])
        if data["q"]:
            queryset = queryset.filter(
                Q(provider__legal_name__icontains=data["q"]) | Q(course__title__icontains=data["q"])
            )
        if data["overdue"]:
            queryset = queryset.filter(due_at__lt=timezone.now())
    try:
        page = paged(request, queryset)
    except GuardFailed as error:
        return render_domain_error(request, error, back=reverse("application-list"))
    context["page"] = page
    context["applications"] = mark_overdue(list(page.object_list))
    return render(request, "web/application_list.html", context)


@login_required
def deadlines(request):
    """Open cases by due date, overdue first: the coordinator's deadline overview. Each
    part is paged on its own (`overdue_page`, `upcoming_page`) and headed by its true
    count, however many cases are late."""
    now = timezone.now()
    open_cases = (
        selectors.applications_visible_to(user=request.user)
        .filter(due_at__isnull=False)
        .exclude(state__in=["accredited", "conditionally_accredited", "rejected", "withdrawn"])
        .prefetch_related("provider", "course")
        .order_by(*BY_DUE)
    )
    try:
        overdue = paged(request, open_cases.filter(due_at__lt=now), param="overdue_page")
        upcoming = paged(request, open_cases.filter(due_at__gte=now), param="upcoming_page")
    except GuardFailed as error:
        return render_domain_error(request, error, back=reverse("deadlines"))
    return render(
        request,
        "web/deadlines.html",
        {
            "overdue": mark_overdue(list(overdue.object_list), now),
            "overdue_page": overdue,
            "upcoming": mark_overdue(list(upcoming.object_list), now),
            "upcoming_page": upcoming,
            "sections": [],
        },
    )


# --------------------------------------------------------------------------- provider


@login_required
def provider_detail(request, pk):
    provider = get_object_or_404(
        selectors.providers_visible_to(user=request.user).prefetch_related("identifiers"), pk=pk
    )
    return _provider_page(request, provider)


def _provider_page(request, provider, *, request_form=None, formset=None, status=200):
    """The provider's page; its people and coordinators also see its identity change
    requests, and its administrators (once the agency has decided on it) the form to file
    one."""
    is_member = selectors.is_provider_member(request.user, provider.pk)
    courses = selectors.courses_visible_to(user=request.user).filter(provider=provider)
    applications = mark_overdue(
        list(
            selectors.applications_visible_to(user=request.user)
            .filter(provider=provider)
            .select_related("course")
        )
    )
    may_edit = services.may_manage_provider(request.user, provider)
    sees_requests = is_member or selectors.decides_change_requests(request.user)
    identity_locked = services.has_decision(provider)
    if may_edit and identity_locked and request_form is None:
        request_form = f.ChangeRequestForm(
            initial={"legal_name": provider.legal_name, "country": provider.country}
        )
        formset = f.IdentifierFormSet(
            prefix="identifiers",
            initial=[{"scheme": i.scheme, "value": i.value} for i in provider.identifiers.all()],
        )
    return render(
        request,
        "web/provider_detail.html",
        {
            "provider": provider,
            "is_member": is_member,
            "may_edit": may_edit,
            "identity_locked": identity_locked,
            "change_requests": (
                selectors.change_requests_visible_to(user=request.user).filter(provider=provider)
                if sees_requests
                else None
            ),
            "request_form": request_form if may_edit and identity_locked else None,
            "formset": formset,
            "courses": courses,
            "applications": applications,
        },
        status=status,
    )


@login_required
@require_POST
def change_request_create(request, pk):
    """File an identity change request from the provider's page."""
    provider = get_object_or_404(
        selectors.providers_visible_to(user=request.user).prefetch_related("identifiers"), pk=pk
    )
    form = f.ChangeRequestForm(request.POST)
    formset = f.IdentifierFormSet(request.POST, prefix="identifiers")
    if form.is_valid() and formset.is_valid():
        data = {**form.cleaned_data, "identifiers": f.identifiers_from(formset)}
        outcome = run_service(
            request,
            lambda: services.change_request_file(provider=provider, actor=request.user, data=data),
            form=form,
            back=provider.get_absolute_url(),
        )
        if outcome.refusal:
            return outcome.refusal
        if outcome.ok:
            messages.success(
                request,
                gettext(
                    "Change request #%(number)s was filed; it takes effect when the "
                    "agency approves it."
                )
                % {"number": outcome.result.pk},
            )
            return redirect(provider)
    return _provider_page(request, provider, request_form=form, formset=formset, status=400)


@login_required
def change_request_queue(request):
    """The coordinators' queue of identity change requests: pending first, then the most
    recently decided. Anyone else: 404."""
    if not selectors.decides_change_requests(request.user):
        raise Http404
    visible = selectors.change_requests_visible_to(user=request.user).select_related("provider")
    try:
        pending = paged(request, visible.filter(status="pending").order_by("requested_at", "id"))
    except GuardFailed as error:
        return render_domain_error(request, error, back=reverse("change-request-queue"))
    return render(
        request,
        "web/change_request_queue.html",
        {
            "pending": list(pending.object_list),
            "page": pending,
            "decided": visible.exclude(status="pending").order_by("-decided_at", "-id")[:20],
        },
    )


CHANGE_REQUEST_DECISIONS = {
    "approve": (gettext_lazy("Approve the change"), services.change_request_approve),
    "reject": (gettext_lazy("Reject the change"), services.change_request_reject),
}
# What the coordinator is told once a change request is decided, by its new status.
CHANGE_REQUEST_DECIDED = {
    "approved": gettext_lazy("Change request #%(number)s was approved."),
    "rejected": gettext_lazy("Change request #%(number)s was rejected."),
}


@login_required
@require_http_methods(["GET", "POST"])
def change_request_decide(request, pk, action):
    """Confirm, then approve or reject a change request (coordinators; 404 for whoever
    may not see it, 403 for a provider's own people)."""
    if action not in CHANGE_REQUEST_DECISIONS:
        raise Http404
    change_request = get_object_or_404(
        selectors.change_requests_visible_to(user=request.user).select_related("provider"),
        pk=pk,
    )
    label, decide = CHANGE_REQUEST_DECISIONS[action]
    back = reverse("change-request-queue")
    status = 200
    if request.method == "POST":
        form = f.ChangeRequestDecisionForm(request.POST)
        if form.is_valid():
            comment = form.cleaned_data["comment"]
            outcome = run_service(
                request,
                lambda: decide(change_request=change_request, actor=request.user, comment=comment),
                form=form,
                back=back,
            )
            if outcome.refusal:
                return outcome.refusal
            if outcome.ok:
                messages.success(
                    request, CHANGE_REQUEST_DECIDED[outcome.result.status] % {"number": pk}
                )
                return redirect(back)
        status = 400
    else:
        form = f.ChangeRequestDecisionForm()
    return render(
        request,
        "web/change_request_confirm.html",
        {"change_request": change_request, "label": label, "action": action, "form": form},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def provider_edit(request, pk):
    provider = get_object_or_404(selectors.providers_visible_to(user=request.user), pk=pk)
    if not services.may_manage_provider(request.user, provider):
        return render_domain_error(
            request,
            NotAllowed(gettext("Only the provider's own people may edit its profile.")),
            back=provider.get_absolute_url(),
        )
    if request.method == "POST":
        form = f.ProviderForm(request.POST)
        formset = f.IdentifierFormSet(request.POST, prefix="identifiers")
        if form.is_valid() and formset.is_valid():
            data = {**form.cleaned_data, "identifiers": f.identifiers_from(formset)}
            outcome = run_service(
                request,
                lambda: services.provider_change(provider=provider, actor=request.user, data=data),
                form=form,
                back=provider.get_absolute_url(),
            )
            if outcome.refusal:
                return outcome.refusal
            if outcome.ok:
                _, change_request = outcome.result
                if change_request is None:
                    messages.success(request, gettext("The organisation profile was saved."))
                else:
                    messages.success(
                        request,
                        gettext(
                            "The change of name, country or identifiers was filed as change "
                            "request #%(number)s; it takes effect when the agency approves it. "
                            "Other changes were saved."
                        )
                        % {"number": change_request.pk},
                    )
                return redirect(provider)
        status = 400
    else:
        form = f.ProviderForm(initial=f.ProviderForm.initial_for(provider))
        formset = f.IdentifierFormSet(
            prefix="identifiers",
            initial=[{"scheme": i.scheme, "value": i.value} for i in provider.identifiers.all()],
        )
        status = 200
    return render(
        request,
        "web/provider_form.html",
        {"provider": provider, "form": form, "formset": formset},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def provider_create(request):
    """Register an organisation; the service makes the registering person its first
    administrator, so they can describe courses and apply straight away."""
    if request.method == "POST":
        form = f.ProviderForm(request.POST)
        formset = f.IdentifierFormSet(request.POST, prefix="identifiers")
        if form.is_valid() and formset.is_valid():
            data = {**form.cleaned_data, "identifiers": f.identifiers_from(formset)}
            outcome = run_service(
                request, lambda: services.provider_create(actor=request.user, data=data), form=form
            )
            if outcome.refusal:
                return outcome.refusal
            if outcome.ok:
                provider = outcome.result
                messages.success(
                    request, gettext("%(name)s was registered.") % {"name": provider.legal_name}
                )
                return redirect(provider)
        status = 400
    else:
        form = f.ProviderForm()
        formset = f.IdentifierFormSet(prefix="identifiers")
        status = 200
    return render(
        request,
        "web/provider_form.html",
        {"provider": None, "form": form, "formset": formset},
        status=status,
    )


# --------------------------------------------------------------------------- courses


@login_required
def course_list(request):
    """The courses the user may see, by title (the `course_title` index), paged with the
    true count: staff see every provider's courses."""
    courses = (
        selectors.courses_visible_to(user=request.user)
        .prefetch_related("provider")
        .order_by("title", "id")
    )
    try:
        page = paged(request, courses)
    except GuardFailed as error:
        return render_domain_error(request, error, back=reverse("course-list"))
    return render(
        request,
        "web/course_list.html",
        {
            "courses": list(page.object_list),
            "page": page,
            "can_create": bool(member_provider_ids(request.user)),
        },
    )


@login_required
def course_detail(request, pk):
    course = get_object_or_404(
        selectors.courses_visible_to(user=request.user).select_related("provider"), pk=pk
    )
    missing = [element.label for element in annex.missing(course)]
    applications = selectors.applications_visible_to(user=request.user).filter(course=course)
    return render(
        request,
        "web/course_detail.html",
        {
            "course": course,
            "missing": missing,
            "applications": applications,
            "is_member": selectors.is_provider_member(request.user, course.provider_id),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def course_edit(request, pk=None):
    """Create (no pk) or edit a course; the service validates, errors appear at the field."""
    course = None
    if pk is not None:
        course = get_object_or_404(selectors.courses_visible_to(user=request.user), pk=pk)
        if not selectors.is_provider_member(request.user, course.provider_id):
            return render_domain_error(
                request,
                NotAllowed(gettext("Only the provider's own people may edit its courses.")),
                back=course.get_absolute_url(),
            )
        provider_id = course.provider_id
    else:
        ids = member_provider_ids(request.user)
        if not ids:
            return render_domain_error(
                request, NotAllowed(gettext("Only a provider's people may add courses."))
            )
        provider_id = int(request.GET.get("provider") or request.POST.get("provider") or ids[0])
        if provider_id not in ids:
            raise Http404
    status = 200
    if request.method == "POST":
        form = f.CourseForm(request.POST)
        if form.is_valid():
            data = form.service_data()

            def save():
                if course is None:
                    provider_data = {**data, "provider": provider_id}
                    return services.course_create(actor=request.user, data=provider_data)
                return services.course_update(course=course, actor=request.user, data=data)

            outcome = run_service(request, save, form=form)
            if outcome.refusal:
                return outcome.refusal
            if outcome.ok:
                messages.success(request, gettext("The course was saved."))
                return redirect(outcome.result)
        status = 400
    else:
        form = f.CourseForm(initial=f.CourseForm.initial_for(course) if course else None)
    return render(
        request,
        "web/course_form.html",
        {"course": course, "form": form, "provider_id": provider_id},
        status=status,
    )


# --------------------------------------------------------------------------- applications


@login_required
@require_http_methods(["GET", "POST"])
def application_create(request):
    ids = member_provider_ids(request.user)
    if not ids:
        return render_domain_error(
            request, NotAllowed(gettext("Only a provider's people may open an application."))
        )
    courses = selectors.courses_visible_to(user=request.user).filter(provider_id__in=ids)
    form = f.ApplicationCreateForm(
        request.POST or None,
        courses=courses,
        renewable=selectors.renewable_applications(user=request.user),
        initial={k: request.GET[k] for k in ("kind", "course", "previous") if k in request.GET},
    )
    if request.method == "POST" and form.is_valid():
        kind = form.cleaned_data["kind"]
        course = form.cleaned_data.get("course") if kind == "course" else None
        previous = form.cleaned_data.get("previous") if kind == "renewal" else None
        if previous is not None:
            provider, course = previous.provider, previous.course
        elif course is not None:
            provider = course.provider
        else:
            provider = selectors.providers_visible_to(user=request.user).get(pk=ids[0])
        outcome = run_service(
            request,
            lambda: services.application_create(
                actor=request.user, kind=kind, provider=provider, course=course, previous=previous
            ),
            form=form,
        )
        if outcome.refusal:
            return outcome.refusal
        if outcome.ok:
            messages.success(
                request,
                gettext(
                    "The renewal was opened as a draft, its self-assessments copied from the "
                    "last cycle."
                )
                if kind == "renewal"
                else gettext("The application was opened as a draft."),
            )
            return redirect(outcome.result)
    return render(
        request,
        "web/application_create.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def application_detail(request, pk):
    application = visible_application(request, pk)
    return render(request, "web/application_detail.html", application_context(request, application))


@login_required
@require_POST
def document_upload(request, pk):
    """A plain multipart upload; the service sniffs and parses the PDF and stores it whole
    with its checksum, or refuses (415/413) and stores nothing."""
    application = visible_application(request, pk)
    form = f.DocumentUploadForm(request.POST, request.FILES)
    as_json = wants_json(request)
    if form.is_valid():
        outcome = run_service(
            request,
            lambda: services.document_upload(
                application=application,
                actor=request.user,
                kind=form.cleaned_data["kind"],
                uploaded_file=form.cleaned_data["file"],
            ),
            form=form,
            back=application.get_absolute_url(),
            json=as_json,
        )
        if outcome.refusal:
            return outcome.refusal
        if outcome.ok:
            document = outcome.result
            messages.success(
                request, gettext("%(name)s was uploaded.") % {"name": document.display_name}
            )
            if as_json:
                return JsonResponse(
                    {"id": document.pk, "redirect": application.get_absolute_url()}, status=201
                )
            return redirect(reverse("application-detail", args=[application.pk]) + "#documents")
    context = application_context(request, application)
    context["upload_form"] = form
    return render(request, "web/application_detail.html", context, status=400)


@login_required
@require_POST
def document_delete(request, pk, document_id):
    """Remove a document from a dossier that is still a draft or returned (the provider's
    people); the service refuses once it is submitted (409) and for anyone else."""
    application = visible_application(request, pk)
    document = get_object_or_404(application.documents.all(), pk=document_id)
    name = document.display_name
    outcome = run_service(
        request,
        lambda: services.document_delete(document=document, actor=request.user),
        back=application.get_absolute_url(),
    )
    if outcome.refusal:
        return outcome.refusal
    messages.success(request, gettext("%(name)s was removed from the dossier.") % {"name": name})
    return redirect(reverse("application-detail", args=[application.pk]) + "#documents")


@login_required
@require_POST
def complaint_lodge(request, pk):
    """A complaint about the procedure of a case the person may see (ESG 2.7)."""
    application = visible_application(request, pk)
    form = f.ComplaintForm(request.POST)
    if form.is_valid():
        outcome = run_service(
            request,
            lambda: services.complaint_lodge(
                actor=request.user, application=application, text=form.cleaned_data["text"]
            ),
            form=form,
            back=application.get_absolute_url(),
        )
        if outcome.refusal:
            return outcome.refusal
        if outcome.ok:
            messages.success(
                request, gettext("Your complaint was recorded; the agency will answer it.")
            )
            return redirect(reverse("application-detail", args=[application.pk]) + "#complaint")
    context = application_context(request, application)
    context["complaint_form"] = form
    return render(request, "web/application_detail.html", context, status=400)


@login_required
def document_download(request, pk):
    document = get_object_or_404(
        Document.objects.filter(
            application__in=selectors.applications_visible_to(user=request.user)
        ),
        pk=pk,
    )
    outcome = run_service(
        request, lambda: services.document_open(document=document, actor=request.user)
    )
    if outcome.refusal:
        return outcome.refusal
    return FileResponse(
        outcome.result,
        as_attachment=True,
        filename=document.display_name,
        content_type="application/pdf",
    )


@login_required
@require_http_methods(["GET", "POST"])
def self_assessment_edit(request, pk, code):
    application = visible_application(request, pk)
    standard = get_object_or_404(application.framework.standards.all(), code=code)
    existing = (
        SelfAssessment.objects.filter(application=application, standard=standard)
        .prefetch_related("evidence")
        .first()
    )
    documents = list(application.documents.all())
    if request.method == "POST":
        form = f.SelfAssessmentForm(request.POST, documents=documents)
        if form.is_valid():
            outcome = run_service(
                request,
                lambda: services.self_assessment_put(
                    application=application,
                    actor=request.user,
                    standard_code=standard.code,
                    narrative=form.cleaned_data["narrative"],
                    evidence_ids=form.evidence_ids(),
                ),
                form=form,
                back=application.get_absolute_url(),
            )
            if outcome.refusal:
                return outcome.refusal
            if outcome.ok:
                messages.success(
                    request,
                    gettext("The self-assessment for %(standard)s was saved.")
                    % {"standard": standard.code},
                )
                return redirect(
                    reverse("application-detail", args=[application.pk]) + "#self-assessment"
                )
        status = 400
    else:
        initial = {}
        if existing:
            initial = {
                "narrative": existing.narrative,
                "evidence": [str(d.pk) for d in existing.evidence.all()],
            }
        form = f.SelfAssessmentForm(initial=initial, documents=documents)
        status = 200
    return render(
        request,
        "web/self_assessment_form.html",
        {"application": application, "standard": standard, "form": form},
        status=status,
    )


# --------------------------------------------------------------------------- screening


def _saved_screening(application):
    checklist = ScreeningChecklist.objects.filter(application=application).first()
    return checklist.items if checklist else {}


@login_required
@require_http_methods(["GET", "POST"])
def screening_checklist(request, pk):
    """The coordinator's screening checklist: each Annex I element and required document
    marked complete, missing or insufficient, kept per application. "Write the return
    comment" saves it and opens `return_for_completion` with the comment built from the
    items marked missing or insufficient, for the coordinator to edit and send."""
    application = visible_application(request, pk)
    if not has_role(request.user, Role.COORDINATOR):
        return render_domain_error(
            request,
            NotAllowed(gettext("Only a coordinator screens a dossier.")),
            back=application.get_absolute_url(),
        )
    items = screening.items(application)
    course = application.course_as_assessed if application.course_id else None
    kinds = {}
    for kind in application.documents.values_list("kind", flat=True):
        kinds[kind] = kinds.get(kind, 0) + 1
    states = _saved_screening(application)
    data = request.POST if request.method == "POST" else None
    form = f.ScreeningChecklistForm(data, items=items, states=states)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            outcome = run_service(
                request,
                lambda: services.screening_checklist_save(
                    application=application, actor=request.user, items=form.service_items()
                ),
                form=form,
                back=application.get_absolute_url(),
            )
            if outcome.refusal:
                return outcome.refusal
            if outcome.ok:
                if request.POST.get("action") == "return":
                    url = reverse(
                        "application-transition", args=[application.pk, "return_for_completion"]
                    )
                    return redirect(f"{url}?from=screening")
                messages.success(request, gettext("The screening checklist was saved."))
                return redirect("application-screening", pk=application.pk)
        status = 400
    rows = []
    for item, status_field, note_field in form.rows():
        if item.element is not None and course is not None:
            found = (
                ""
                if item.element.per_learner
                else (gettext("stated") if item.element.present(course) else gettext("not stated"))
            )
        else:
            count = kinds.get(item.document_kind, 0)
            found = (
                ngettext("%(count)s uploaded", "%(count)s uploaded", count) % {"count": count}
                if count
                else gettext("none uploaded")
            )
        rows.append({"item": item, "status": status_field, "note": note_field, "found": found})
    return render(
        request,
        "web/screening_checklist.html",
        {
            "application": application,
            "form": form,
            "rows": rows,
            "editable": application.state == ApplicationState.SCREENING,
            "comment": screening.comment_for(application, states),
        },
        status=status,
    )


# --------------------------------------------------------------------------- transitions

TRANSITION_FORMS = {
    "return_for_completion": f.RequiredCommentForm,
    "request_clarification": f.RequiredCommentForm,
    "answer_clarification": f.AnswerForm,
    "accredit": f.AccreditForm,
    "accredit_with_conditions": f.AccreditForm,
    "reject": f.RejectForm,
    "appeal": f.AppealForm,
    "uphold_appeal": f.AppealDecisionForm,
    "dismiss_appeal": f.AppealDecisionForm,
}


def _transition_form(name, application, data=None):
    cls = TRANSITION_FORMS.get(name, f.CommentForm)
    if cls is f.AnswerForm:
        return cls(data, application=application)
    return cls(data)


@login_required
@require_http_methods(["GET", "POST"])
def transition(request, pk, name):
    """Confirm and fire a transition. GET is the confirmation step (with the fields the
    transition needs); POST fires it through the engine. A button for it is only shown when
    `available_transitions` allows it, but the engine is the one that decides."""
    application = visible_application(request, pk)
    if name not in workflow.APPLICATION_TRANSITIONS:
        raise Http404
    step = workflow.step(name)
    form = _transition_form(name, application, request.POST if request.method == "POST" else None)
    conditions = None
    if name == "accredit_with_conditions":
        conditions = f.ConditionFormSet(
            request.POST if request.method == "POST" else None, prefix="conditions"
        )
    context = {
        "application": application,
        "name": name,
        "label": step.label,
        "form": form,
        "conditions": conditions,
        "dangerous": step.dangerous,
        "unmet": [],
        "checklist": rules.dossier_unmet(application) if name == "submit" else None,
        "available": name
        in services.available_transitions(application=application, actor=request.user),
        "waiting_on": services.waiting_on(application=application, names=[name]),
    }
    if not context["available"]:
        context["refusal"] = services.transition_refusal(
            application=application, name=name, actor=request.user
        )
    if request.method == "GET":
        if name == "return_for_completion":
            # The comment the screening checklist's ticked items say, to edit before sending.
            comment = screening.comment_for(application, _saved_screening(application))
            if comment:
                context["form"] = f.RequiredCommentForm(initial={"comment": comment})
                context["from_checklist"] = True
        return render(request, "web/transition_confirm.html", context)
    if conditions is not None and "add_condition" in request.POST:
        # Another condition row, without JavaScript: the same form again, one row longer.
        data = request.POST.copy()
        data["conditions-TOTAL_FORMS"] = str(conditions.total_form_count() + 1)
        context["form"] = _transition_form(name, application, data)
        context["conditions"] = f.ConditionFormSet(data, prefix="conditions")
        return render(request, "web/transition_confirm.html", context)
    valid = form.is_valid() and (conditions is None or conditions.is_valid())
    if not valid:
        return render(request, "web/transition_confirm.html", context, status=400)
    data = form.transition_data() if hasattr(form, "transition_data") else dict(form.cleaned_data)
    if conditions is not None:
        data["conditions"] = f.conditions_from(conditions)
    outcome = run_service(
        request,
        lambda: services.application_transition(
            application=application, name=name, actor=request.user, data=data
        ),
        back=application.get_absolute_url(),
        template="web/transition_confirm.html",
        context=context,
    )
    if outcome.refusal:
        return outcome.refusal
    messages.success(
        request, gettext("Done: %(step)s.") % {"step": workflow.in_sentence(step.label)}
    )
    return redirect(application)


# --------------------------------------------------------------------------- accreditations


@login_required
@require_http_methods(["GET", "POST"])
def accreditation_transition(request, pk, name):
    """Confirm and fire a change of an accreditation's status (decision body), through the
    same service as the API; refusals are shown with their status and unmet items."""
    accreditation = get_object_or_404(
        selectors.accreditations_visible_to(user=request.user).select_related(
            "provider", "course", "application"
        ),
        pk=pk,
    )
    if name not in workflow.ACCREDITATION_TRANSITIONS or not workflow.step(name).actors:
        raise Http404
    step = workflow.step(name)
    application = accreditation.application
    form_class = f.ReasonForm if step.reasoned else f.CommentForm
    form = form_class(request.POST if request.method == "POST" else None)
    context = {
        "accreditation": accreditation,
        "application": application,
        "name": name,
        "label": step.label,
        "form": form,
        "unmet": [],
        "dangerous": step.dangerous,
    }
    if request.method == "GET":
        return render(request, "web/accreditation_confirm.html", context)
    if not form.is_valid():
        return render(request, "web/accreditation_confirm.html", context, status=400)
    outcome = run_service(
        request,
        lambda: services.accreditation_transition(
            accreditation=accreditation, name=name, actor=request.user, data=form.cleaned_data
        ),
        back=application.get_absolute_url(),
        template="web/accreditation_confirm.html",
        context=context,
    )
    if outcome.refusal:
        return outcome.refusal
    messages.success(
        request, gettext("Done: %(step)s.") % {"step": workflow.in_sentence(step.label)}
    )
    return redirect(reverse("application-detail", args=[application.pk]) + "#decision")


# --------------------------------------------------------------------------- help


def help_page(request):
    """How the procedure works, with the state machine drawn from the code."""
    return render(
        request,
        "web/help.html",
        {
            "svg": diagram.state_machine_svg(),
            "table": diagram.transition_table(diagram.state_machine_edges()),
        },
    )
