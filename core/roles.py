"""The agency's roles, held as Django groups.

A person may hold several roles (the demo's `decider` sits on the decision body
and the appeals committee); rules that forbid combining them for one case are
checked per case, in the services.
"""

from django.db.models import TextChoices


class Role(TextChoices):
    COORDINATOR = "coordinator", "Coordinator"
    REVIEWER = "reviewer", "Reviewer"
    DECISION_BODY = "decision_body", "Decision body"
    APPEALS_COMMITTEE = "appeals_committee", "Appeals committee"
    PROVIDER = "provider", "Provider"


def user_roles(user):
    """The role names of `user`, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_mcqa_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        cached = frozenset(names & set(Role.values))
        user._mcqa_roles = cached
    return cached


def has_role(user, role):
    return role in user_roles(user)


def is_staff_role(user):
    """Agency staff who see every application: coordinators, decision body, appeals."""
    return bool(user_roles(user) & {Role.COORDINATOR, Role.DECISION_BODY, Role.APPEALS_COMMITTEE})
