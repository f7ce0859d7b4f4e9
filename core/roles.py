"""The agency's roles, held as Django groups.

A person may hold several roles (the demo's `decider` sits on the decision body
and the appeals committee); rules that forbid combining them for one case are
checked per case, in the services.
"""

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import TextChoices
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.audit import audit


class Role(TextChoices):
    COORDINATOR = "coordinator", gettext_lazy("Coordinator")
    REVIEWER = "reviewer", gettext_lazy("Reviewer")
    DECISION_BODY = "decision_body", gettext_lazy("Decision body")
    APPEALS_COMMITTEE = "appeals_committee", gettext_lazy("Appeals committee")
    PROVIDER = "provider", gettext_lazy("Provider")


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


def role_refusal(*, actor, user):
    """The reason `actor` may not change the agency roles of `user`, or None. Agency roles
    (coordinator, reviewer, decision body, appeals committee, provider) are granted by
    superusers only, and never by a person to themself."""
    if actor is None or not getattr(actor, "is_superuser", False):
        return _("Only a superuser may grant or withdraw agency roles.")
    if user.pk == actor.pk:
        return _("Nobody may change their own roles.")
    return None


def roles_set(*, actor, user, roles):
    """Make `roles` (role names) the agency roles `user` holds: each grant and each
    withdrawal is an audit event. Groups that are no agency role are left alone."""
    wanted = set(roles)
    unknown = sorted(wanted - set(Role.values))
    if unknown:
        raise ValidationError(
            {"groups": [_("Not an agency role: %(roles)s.") % {"roles": ", ".join(unknown)}]}
        )
    reason = role_refusal(actor=actor, user=user)
    if reason:
        raise PermissionDenied(reason)
    with transaction.atomic():
        held = set(user.groups.filter(name__in=Role.values).values_list("name", flat=True))
        for name in sorted(wanted - held):
            user.groups.add(Group.objects.get_or_create(name=name)[0])
            audit("role.grant", actor=actor, obj=user, role=name)
        for name in sorted(held - wanted):
            user.groups.remove(Group.objects.get(name=name))
            audit("role.withdraw", actor=actor, obj=user, role=name)
    user.__dict__.pop("_mcqa_roles", None)
    return user
