"""Reads: every list a user sees comes from here, with object permissions applied."""

from django.db.models import Count, Prefetch, Q

from core.roles import Role, has_role, is_staff_role

from .models import (
    RENEWABLE_STATES,
    Accreditation,
    Appeal,
    Application,
    ApplicationObjectPermission,
    ApplicationState,
    ApplicationStateCount,
    Condition,
    ConditionAssessment,
    ConditionResponse,
    Course,
    Provider,
    ProviderChangeRequest,
    ProviderMembership,
)

REVIEW_PERMISSION = "review_application"


def _member_provider_ids(user):
    return ProviderMembership.objects.filter(user=user).values("provider_id")


def _reviewed_application_ids(user):
    return ApplicationObjectPermission.objects.filter(
        user=user, permission__codename=REVIEW_PERMISSION
    ).values("content_object_id")


def sees_everything(user):
    """Agency staff (coordinators, decision body, appeals committee) see every case."""
    return bool(user.is_authenticated and (user.is_superuser or is_staff_role(user)))


def applications_visible_to(*, user):
    """Applications `user` may see: staff all; a provider's people their provider's;
    a reviewer those whose panel they accepted (granted by an object permission)."""
    if not user.is_authenticated:
        return Application.objects.none()
    if sees_everything(user):
        return Application.objects.all()
    return Application.objects.filter(
        Q(provider_id__in=_member_provider_ids(user)) | Q(pk__in=_reviewed_application_ids(user))
    )


def application_counts_per_state(*, user):
    """{state: number of the applications `user` may see in it}, every state (zeros too).

    Staff see every case, so theirs are the counts kept per state
    (`ApplicationStateCount`): one read of a row per state, whatever the size of the
    agency's history (issue 18.9). Anyone else sees few cases, counted here."""
    if sees_everything(user):
        counts = dict(ApplicationStateCount.objects.values_list("state", "n"))
    else:
        counts = dict(
            applications_visible_to(user=user)
            .order_by()
            .values_list("state")
            .annotate(n=Count("id"))
        )
    return {value: counts.get(value, 0) for value in ApplicationState.values}


def appeals_to_handle(*, user, visible=None):
    """The appealed cases `user` may decide the appeal of: those whose pending appeal is
    against a decision they took no part in. Whoever took the appealed decision, or
    reviewed the case on its panel, may not judge the appeal (ESG 2.7; the engine's deny
    rules refuse it), so the list does not offer it to them. One query."""
    visible = applications_visible_to(user=user) if visible is None else visible
    own_decisions = Appeal.objects.filter(
        outcome=Appeal.Outcome.PENDING, decision__decided_by=user
    ).values("application_id")
    return (
        visible.filter(state=ApplicationState.APPEALED)
        .exclude(pk__in=own_decisions)
        .exclude(pk__in=_reviewed_application_ids(user))
    )


def providers_visible_to(*, user):
    """Providers `user` may see in the workflow (the public registry has its own view)."""
    if not user.is_authenticated:
        return Provider.objects.none()
    if sees_everything(user):
        return Provider.objects.all()
    reviewed = Application.objects.filter(pk__in=_reviewed_application_ids(user))
    return Provider.objects.filter(
        Q(pk__in=_member_provider_ids(user)) | Q(pk__in=reviewed.values("provider_id"))
    )


def decides_change_requests(user):
    """Coordinators decide on identity change requests (and so see every one)."""
    return bool(user.is_authenticated and (user.is_superuser or has_role(user, Role.COORDINATOR)))


def change_requests_visible_to(*, user):
    """Identity change requests: coordinators (who decide them) see all; a provider's
    people see their provider's; nobody else sees any (404)."""
    if not user.is_authenticated:
        return ProviderChangeRequest.objects.none()
    if decides_change_requests(user):
        return ProviderChangeRequest.objects.all()
    return ProviderChangeRequest.objects.filter(provider_id__in=_member_provider_ids(user))


def courses_visible_to(*, user):
    if not user.is_authenticated:
        return Course.objects.none()
    if sees_everything(user):
        return Course.objects.all()
    reviewed = Application.objects.filter(pk__in=_reviewed_application_ids(user))
    return Course.objects.filter(
        Q(provider_id__in=_member_provider_ids(user)) | Q(pk__in=reviewed.values("course_id"))
    )


def accreditations_visible_to(*, user):
    if not user.is_authenticated:
        return Accreditation.objects.none()
    if sees_everything(user):
        return Accreditation.objects.all()
    return Accreditation.objects.filter(provider_id__in=_member_provider_ids(user))


def conditions_visible_to(*, user):
    """Conditions of the accreditations `user` may see: agency staff all, a provider's
    people their provider's. The panel's view ends with the case, so reviewers see none."""
    return Condition.objects.filter(accreditation__in=accreditations_visible_to(user=user))


def conditions_with_history(*, user):
    """The conditions `user` may see, each with its accreditation, the provider's answers
    (with their documents) and the decision body's assessments in order: a constant
    number of queries however long a history, for the page and the API alike."""
    return (
        conditions_visible_to(user=user)
        .select_related(
            "accreditation__provider", "accreditation__course", "accreditation__application"
        )
        .prefetch_related(
            Prefetch(
                "responses",
                queryset=ConditionResponse.objects.select_related("submitted_by")
                .prefetch_related("documents")
                .order_by("submitted_at", "id"),
            ),
            Prefetch(
                "assessments",
                queryset=ConditionAssessment.objects.select_related("assessed_by").order_by(
                    "assessed_at", "id"
                ),
            ),
        )
    )


def renewable_applications(*, user):
    """The decided cycles that `user` may renew: their providers' accredited and
    conditionally accredited applications, newest decision first."""
    if not user.is_authenticated:
        return Application.objects.none()
    return (
        Application.objects.filter(
            provider_id__in=_member_provider_ids(user),
            state__in=[s.value for s in RENEWABLE_STATES],
        )
        .select_related("provider", "course")
        .order_by("-decided_at", "-id")
    )


def is_provider_member(user, provider_id):
    """True when `user` acts for the provider (cached per user and provider)."""
    if not getattr(user, "is_authenticated", False):
        return False
    cache = user.__dict__.setdefault("_mcqa_member_of", {})
    if provider_id not in cache:
        cache[provider_id] = ProviderMembership.objects.filter(
            user=user, provider_id=provider_id
        ).exists()
    return cache[provider_id]
