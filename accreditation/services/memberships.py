"""Who acts for a provider: adding people to a provider, changing their role, removing them.

A membership is a right: a provider's member applies for it, withdraws its applications
and edits its courses. So memberships change only here (the API, the pages and the
admin call these functions), only by someone entitled to, and each change is an audit
event. Entitled: the provider's own administrators, agency coordinators (they keep the
register) and superusers. Nobody makes themself a member of a provider or raises their
own role: an agency coordinator who could would act for a provider whose case they run.
"""

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.audit import audit
from core.errors import NotAllowed
from core.roles import Role, has_role

from ..models import Provider, ProviderMembership

SELF_GRANT = gettext_lazy(
    "Nobody may make themself a member of a provider or raise their own role there; "
    "an administrator of the provider or the agency must."
)


def may_manage_memberships(actor, provider):
    """True when `actor` may add, change or remove people of `provider`: its own
    administrators, agency coordinators and superusers."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    if actor.is_superuser or has_role(actor, Role.COORDINATOR):
        return True
    return ProviderMembership.objects.filter(
        user=actor, provider=provider, role=ProviderMembership.Role.ADMIN
    ).exists()


def membership_refusal(*, actor, provider, user, role=None, current=None):
    """The reason `actor` may not give `user` the `role` at `provider` (add when `current`
    is None, else change `current`), or None. Lowering or ending one's own membership is
    allowed; gaining one is not."""
    if not may_manage_memberships(actor, provider):
        return _("Only an administrator of this provider or an agency coordinator may do this.")
    if user is not None and user.pk == actor.pk and not actor.is_superuser:
        gains = current is None or (
            current.role != ProviderMembership.Role.ADMIN and role == ProviderMembership.Role.ADMIN
        )
        if gains:
            return str(SELF_GRANT)
    return None


def _check_role(role):
    if role not in ProviderMembership.Role.values:
        codes = ", ".join(ProviderMembership.Role.values)
        raise ValidationError({"role": [f"role must be one of {codes}."]})


def _forget_cached_rights(user):
    user.__dict__.pop("_mcqa_roles", None)
    user.__dict__.pop("_mcqa_member_of", None)


def membership_add(*, actor, provider, user, role=ProviderMembership.Role.MEMBER):
    """Make `user` a member of `provider` with `role` (`admin` or `member`). The person
    gets the `provider` role (they act for an organisation from now on). 403 for whoever
    may not; 400 when they already are a member."""
    _check_role(role)
    reason = membership_refusal(actor=actor, provider=provider, user=user, role=role)
    if reason:
        raise NotAllowed(reason)
    try:
        with transaction.atomic():
            Provider.objects.select_for_update().get(pk=provider.pk)
            membership = ProviderMembership.objects.create(user=user, provider=provider, role=role)
            user.groups.add(Group.objects.get_or_create(name=Role.PROVIDER)[0])
            audit(
                "membership.add",
                actor=actor,
                obj=membership,
                provider=provider.pk,
                user=user.get_username(),
                role=role,
            )
    except IntegrityError as exc:
        raise ValidationError({"user": [_("This person already acts for this provider.")]}) from exc
    _forget_cached_rights(user)
    return membership


def membership_change_role(*, actor, membership, role):
    """Change the role of one member (`admin` or `member`); see `membership_refusal`."""
    _check_role(role)
    with transaction.atomic():
        locked = ProviderMembership.objects.select_for_update().get(pk=membership.pk)
        reason = membership_refusal(
            actor=actor, provider=locked.provider, user=locked.user, role=role, current=locked
        )
        if reason:
            raise NotAllowed(reason)
        before = locked.role
        if before == role:
            return locked
        locked.role = role
        locked.save(update_fields=["role", "updated_at"])
        audit(
            "membership.role",
            actor=actor,
            obj=locked,
            provider=locked.provider_id,
            user=locked.user.get_username(),
            before=before,
            role=role,
        )
    _forget_cached_rights(locked.user)
    return locked


def membership_remove(*, actor, membership):
    """End one membership: the person no longer acts for the provider. When it was their
    last membership they lose the `provider` role too."""
    with transaction.atomic():
        locked = ProviderMembership.objects.select_for_update().filter(pk=membership.pk).first()
        if locked is None:
            return
        reason = membership_refusal(
            actor=actor, provider=locked.provider, user=None, current=locked
        )
        if reason:
            raise NotAllowed(reason)
        user = locked.user
        audit(
            "membership.remove",
            actor=actor,
            obj=locked,
            provider=locked.provider_id,
            user=user.get_username(),
            role=locked.role,
        )
        locked.delete()
        if not ProviderMembership.objects.filter(user=user).exists():
            user.groups.remove(*Group.objects.filter(name=Role.PROVIDER))
    _forget_cached_rights(user)
