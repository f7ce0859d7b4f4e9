"""What the HTML pages of every app share: the sections other apps add to the accreditation
pages, `run_service` (one mapping of the services' errors to page answers), the refusal
page, the application page's context and the small reads the pages repeat.

Pages of one app never import another app's views; they import this module (reviews reads
accreditation, never the reverse). Other apps contribute parts of the accreditation pages
without this app importing them: `register_section(page, fn)` adds
`fn(request, obj) -> {"template", ...context} | None` to the "home" or "application" page.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.paginator import InvalidPage, Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from core.errors import DomainError, GuardFailed, NotVisible, Unmet
from core.roles import Role, has_role

from . import forms as f
from . import rules, selectors, services, workflow
from .models import RENEWABLE_STATES, ApplicationState, ApplicationTransition, SelfAssessment
from .notifications import WAITING_FOR

# Whose turn it is, in words, by the audiences of `notifications.WAITING_FOR`: the object
# of "It waits for ..." (German: "Er wartet auf den Anbieter").
AUDIENCE_WORDS = {
    "provider": gettext_lazy("the provider"),
    "coordinators": gettext_lazy("the coordinator"),
    "panel": gettext_lazy("the review panel"),
    "decision_body": gettext_lazy("the decision body"),
    "appeals_committee": gettext_lazy("the appeals committee"),
}


def either(words):
    """Alternatives in words: "the provider", "the provider or the coordinator"."""
    words = [str(w) for w in words]
    if len(words) < 2:
        return "".join(words)
    return gettext("%(some)s or %(last)s") % {"some": ", ".join(words[:-1]), "last": words[-1]}


# --------------------------------------------------------------------------- page sections

SECTIONS = {"home": [], "application": []}


def register_section(page, fn):
    """Let another app add a part to `page` ("home" or "application")."""
    if fn not in SECTIONS[page]:
        SECTIONS[page].append(fn)
    return fn


def sections_for(page, request, obj=None):
    parts = []
    for fn in SECTIONS[page]:
        part = fn(request, obj)
        if part:
            parts.append(part)
    return parts


# --------------------------------------------------------------------------- errors


ERROR_TITLES = {
    400: gettext_lazy("The request was refused"),
    403: gettext_lazy("You may not do this"),
    404: gettext_lazy("Not found"),
    409: gettext_lazy("Not possible in the current state"),
    413: gettext_lazy("The file is too large"),
    415: gettext_lazy("The file was refused"),
}


def render_domain_error(request, error, *, back=None, title=None):
    """A page explaining why a service refused: the unmet items of a failed guard (400),
    a missing right (403), a wrong state (409). `NotVisible` is a plain 404."""
    if isinstance(error, NotVisible):
        raise Http404(error.detail)
    status = getattr(error, "status_code", 400)
    return render(
        request,
        "web/refused.html",
        {
            "title": title or ERROR_TITLES.get(status, ERROR_TITLES[400]),
            "detail": error.detail,
            "unmet": getattr(error, "unmet", []),
            "status": status,
            "back": back,
        },
        status=status,
    )


@dataclass
class Outcome:
    """What became of a service called for a page (see `run_service`).

    `ok`: the service did it and returned `result`. `refusal`: the response saying why it
    refused, to return as it is. Neither: the refusal was put on the caller's form (and a
    failed guard's items in `unmet`), which the caller shows again with status 400.
    """

    ok: bool = False
    result: object = None
    refusal: HttpResponse | None = None
    unmet: list = field(default_factory=list)


def run_service(
    request,
    call,
    *,
    form=None,
    back=None,
    template=None,
    context=None,
    guard_on_form=False,
    json=False,
):
    """Call `call()`, a service, for a page, and answer its errors the same way on every page.

    - `GuardFailed` (400): with `template`, that page again (its `context` plus the `unmet`
      items and the `detail`), for the confirmation pages that list the unmet items
      themselves; with `guard_on_form`, the detail as a form-wide error on `form` and the
      items in `Outcome.unmet`; otherwise like any domain error below.
    - `ValidationError` (400): with `form`, on the form next to the field it names; without
      one, `{"errors": {field: [message, ...]}}` when `json`, else the refusal page with its
      messages.
    - Any other `DomainError`: `{"detail": ...}` with its status when `json`, else the
      refusal page with its status (403, 409, 413, 415; `NotVisible` is a plain 404) and a
      link `back`.

    The caller returns `outcome.refusal` when there is one, goes on when `outcome.ok`, and
    otherwise shows its form again.
    """
    try:
        result = call()
    except GuardFailed as error:
        if template is not None:
            page = {**(context or {}), "unmet": error.unmet, "detail": error.detail}
            return Outcome(refusal=render(request, template, page, status=400))
        if guard_on_form:
            form.add_error(None, error.detail)
            return Outcome(unmet=error.unmet)
        return Outcome(refusal=_refusal(request, error, back=back, json=json))
    except ValidationError as error:
        if form is not None:
            f.apply_validation_error(form, error)
            return Outcome()
        if json:
            return Outcome(refusal=JsonResponse({"errors": _json_errors(error)}, status=400))
        refused = DomainError("; ".join(error.messages))
        return Outcome(refusal=render_domain_error(request, refused, back=back))
    except DomainError as error:
        return Outcome(refusal=_refusal(request, error, back=back, json=json))
    return Outcome(ok=True, result=result)


def _refusal(request, error, *, back, json):
    if json:
        return JsonResponse({"detail": error.detail}, status=error.status_code)
    return render_domain_error(request, error, back=back)


def _json_errors(error):
    if hasattr(error, "error_dict"):
        return {k: [m for e in v for m in e.messages] for k, v in error.error_dict.items()}
    return {"__all__": list(error.messages)}


def wants_json(request):
    """The request comes from the page's own script (autosave, upload progress), which
    reads a JSON answer instead of a page."""
    return "application/json" in request.headers.get("Accept", "")


# --------------------------------------------------------------------------- reads


def mark_overdue(applications, now=None):
    """Annotate each application with `overdue` (its current step's due date has passed)."""
    now = now or timezone.now()
    for application in applications:
        application.overdue = bool(application.due_at and application.due_at < now)
    return applications


def visible_application(request, pk):
    """The application `pk` if the user may see it, else 404."""
    return get_object_or_404(
        selectors.applications_visible_to(user=request.user).select_related(
            "provider", "course", "framework"
        ),
        pk=pk,
    )


def application_context(request, application):
    """Everything the application page shows; every list is one query."""
    user = request.user
    standards = list(application.framework.standards.all())
    documents = list(application.documents.select_related("uploaded_by"))
    assessments = {
        sa.standard_id: sa
        for sa in SelfAssessment.objects.filter(application=application).prefetch_related(
            "evidence"
        )
    }
    for standard in standards:
        standard.self_assessment = assessments.get(standard.pk)
    is_member = selectors.is_provider_member(user, application.provider_id)
    editable = is_member and application.state in (
        ApplicationState.DRAFT,
        ApplicationState.RETURNED,
    )
    checklist = None
    if application.state in (ApplicationState.DRAFT, ApplicationState.RETURNED):
        checklist = rules.dossier_unmet(application)
    history = list(
        ApplicationTransition.objects.filter(application=application).select_related("actor")
    )
    decisions = list(application.decisions.select_related("decided_by"))
    accreditations = list(
        application.accreditations.prefetch_related(
            "conditions__responses", "conditions__assessments"
        ).order_by("-id")
    )
    for accreditation in accreditations:
        accreditation.actions = [
            workflow.step(name)
            for name in services.available_accreditation_transitions(
                accreditation=accreditation, actor=user
            )
        ]
    transitions = services.available_transitions(application=application, actor=user)
    accreditation_actions = [(acc, step) for acc in accreditations for step in acc.actions]
    application.overdue = bool(application.due_at and application.due_at < timezone.now())
    # The provider may add documents while drafting and when answering the panel.
    accepts_uploads = application.state in (*services.DOSSIER_STATES, *services.RESPONSE_STATES)
    return {
        "application": application,
        "standards": standards,
        "documents": documents,
        "is_member": is_member,
        "editable": editable,
        "checklist": checklist,
        "history": history,
        "clarifications": list(application.clarifications.select_related("asked_by")),
        "decisions": decisions,
        "current_decision": rules.current_decision(application) if decisions else None,
        "appeals": list(application.appeals.all()),
        "accreditations": accreditations,
        "transitions": [workflow.step(name) for name in transitions],
        # "What you can do now" lists these: the same buttons the page offers below.
        "accreditation_actions": accreditation_actions,
        "withheld": [
            (workflow.step(name), reason)
            for name, reason in services.withheld_transitions(application=application, actor=user)
        ],
        "waiting_on": services.waiting_on(application=application),
        "waiting_for": either(AUDIENCE_WORDS[a] for a in WAITING_FOR.get(application.state, ())),
        "upload_form": f.DocumentUploadForm() if is_member and accepts_uploads else None,
        "renewable": is_member and application.state in RENEWABLE_STATES,
        "complaint_form": f.ComplaintForm() if is_member else None,
        "complaints": list(application.complaints.filter(lodged_by=user)) if is_member else [],
        "sections": sections_for("application", request, application),
        "assessed_count": len(assessments),
        "screening_open": application.state == ApplicationState.SCREENING
        and has_role(user, Role.COORDINATOR),
    }


# --------------------------------------------------------------------------- lists


def paged(request, queryset, *, param="page", per_page=None):
    """One page of `queryset`, with the list's true length in `page.paginator.count`.

    Every staff list is paged so that a page costs the same at 1,000 and at 100,000 cases:
    one COUNT and one SELECT of at most `MCQA_LIST_PAGE_SIZE` rows, read in the order of
    an index (the caller orders the queryset). The page number comes from `param` (two
    lists on one page use two names); a number that is not a page of the list is refused
    with a 400 naming `param` (`GuardFailed`, code `invalid:<param>`), never silently
    replaced by another page. `page.query` is the request's other parameters, for the
    page links (`web/_pager.html`)."""
    paginator = Paginator(queryset, per_page or settings.MCQA_LIST_PAGE_SIZE)
    raw = request.GET.get(param, "1")
    try:
        page = paginator.page(raw)
    except InvalidPage:
        raise GuardFailed(
            [
                Unmet(
                    f"invalid:{param}",
                    gettext("%(param)s: %(raw)s is not a page of this list (pages 1 to %(last)s).")
                    % {"param": param, "raw": repr(raw), "last": paginator.num_pages},
                )
            ],
            detail=gettext("The list has no such page."),
        ) from None
    query = request.GET.copy()
    query.pop(param, None)
    page.param = param
    page.query = query.urlencode()
    return page


def queue(queryset, *, size=None):
    """The first `size` rows of a home queue (`MCQA_HOME_QUEUE_SIZE`) and the queue's true
    length: a home page shows the most urgent cases and links to the paged list for the
    rest, so it costs at most two queries however long the queue grows (the COUNT only
    when the queue fills its rows)."""
    size = size or settings.MCQA_HOME_QUEUE_SIZE
    rows = list(queryset[:size])
    count = queryset.count() if len(rows) == size else len(rows)
    return {"rows": mark_overdue(rows), "count": count}
