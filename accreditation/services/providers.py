"""Providers: registering an organisation, its profile and identifiers, and who may manage
it."""

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core import reference
from core.audit import audit
from core.errors import NotAllowed, NotVisible
from core.inputs import as_id
from core.roles import Role, has_role

from ..models import Provider, ProviderIdentifier, ProviderMembership
from ..selectors import providers_visible_to
from ._common import _assign, _full_clean, _reject_unknown

PROVIDER_FIELDS = ("legal_name", "country", "type", "website")


def _clean_identifiers(value, provider=None):
    """`[{scheme, value}]`: known schemes, non-empty values, each pair used by one provider."""
    if not isinstance(value, list):
        raise ValidationError({"identifiers": ["A list of {scheme, value} objects is required."]})
    cleaned, errors, seen = [], [], set()
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            errors.append(f"Item {index + 1} must be an object with scheme and value.")
            continue
        scheme = str(item.get("scheme") or "").strip()
        val = str(item.get("value") or "").strip()
        if scheme not in reference.IDENTIFIER_SCHEMES:
            errors.append(
                f"Item {index + 1}: scheme {scheme!r} is not one of "
                f"{', '.join(reference.IDENTIFIER_SCHEMES)}."
            )
            continue
        if not val:
            errors.append(f"Item {index + 1}: a value is required.")
            continue
        if len(val) > 200:
            errors.append(f"Item {index + 1}: the value is longer than 200 characters.")
            continue
        problem = reference.identifier_problem(scheme, val)
        if problem:
            errors.append(f"Item {index + 1}: {scheme}:{val} {problem}.")
            continue
        if (scheme, val) in seen:
            errors.append(f"Item {index + 1}: {scheme}:{val} is listed twice.")
            continue
        taken = ProviderIdentifier.objects.filter(scheme=scheme, value=val)
        if provider is not None:
            taken = taken.exclude(provider=provider)
        if taken.exists():
            errors.append(f"Item {index + 1}: {scheme}:{val} already identifies another provider.")
            continue
        seen.add((scheme, val))
        cleaned.append((scheme, val))
    if errors:
        raise ValidationError({"identifiers": errors})
    return cleaned


def _replace_identifiers(provider, pairs):
    """Make `pairs` the provider's identifiers in force from now on. One it no longer
    lists is end-dated, never deleted (the registry answers about the past from it); a
    new one starts now. Two providers claiming one identifier at once: the database's
    one-in-force constraint lets one win, the other gets a 400."""
    now = timezone.now()
    current = {(i.scheme, i.value): i.pk for i in provider.identifiers.all()}
    ended = [pk for pair, pk in current.items() if pair not in set(pairs)]
    try:
        with transaction.atomic():
            ProviderIdentifier.objects.filter(pk__in=ended).update(valid_until=now)
            ProviderIdentifier.objects.bulk_create(
                ProviderIdentifier(provider=provider, scheme=scheme, value=value, valid_from=now)
                for scheme, value in pairs
                if (scheme, value) not in current
            )
    except IntegrityError as exc:
        raise ValidationError(
            {"identifiers": ["An identifier was just claimed by another provider; reload."]}
        ) from exc


def provider_create(*, actor, data):
    """Register an organisation. Whoever registers it becomes its first administrator
    (a ProviderMembership with role admin) and holds the `provider` role, so they can
    describe courses and apply straight away. Identifiers are checked for known schemes
    and for not already identifying another provider (the registry's answers depend on
    each identifier naming one provider)."""
    data = dict(data)
    _reject_unknown(data, (*PROVIDER_FIELDS, "identifiers"))
    provider = Provider()
    _assign(provider, data, PROVIDER_FIELDS)
    if isinstance(provider.country, str):
        provider.country = provider.country.upper()
    _full_clean(provider)
    pairs = _clean_identifiers(data.get("identifiers") or [])
    with transaction.atomic():
        provider.save()
        _replace_identifiers(provider, pairs)
        ProviderMembership.objects.create(
            user=actor, provider=provider, role=ProviderMembership.Role.ADMIN
        )
        actor.groups.add(Group.objects.get_or_create(name=Role.PROVIDER)[0])
        actor.__dict__.pop("_mcqa_roles", None)
        actor.__dict__.pop("_mcqa_member_of", None)
        audit("provider.create", actor=actor, obj=provider, legal_name=provider.legal_name)
    return provider


def may_manage_provider(actor, provider):
    """Provider administrators manage their organisation's profile; agency coordinators
    may correct it (they keep the register accurate)."""
    if actor.is_superuser or has_role(actor, Role.COORDINATOR):
        return True
    return ProviderMembership.objects.filter(
        user=actor, provider=provider, role=ProviderMembership.Role.ADMIN
    ).exists()


def provider_update(*, provider, actor, data):
    """Change the profile of a provider. Only the fields given change; `identifiers`, when
    given, replaces the whole list (a removed identifier is end-dated: it no longer
    identifies the provider from now on, and still did before)."""
    if not providers_visible_to(user=actor).filter(pk=provider.pk).exists():
        raise NotVisible()
    if not may_manage_provider(actor, provider):
        raise NotAllowed("Only an administrator of this provider may change its profile.")
    data = dict(data)
    _reject_unknown(data, (*PROVIDER_FIELDS, "identifiers"))
    with transaction.atomic():
        provider = Provider.objects.select_for_update().get(pk=provider.pk)
        _assign(provider, data, PROVIDER_FIELDS)
        if isinstance(provider.country, str):
            provider.country = provider.country.upper()
        _full_clean(provider)
        pairs = None
        if "identifiers" in data:
            pairs = _clean_identifiers(data["identifiers"] or [], provider=provider)
        provider.save()
        if pairs is not None:
            _replace_identifiers(provider, pairs)
        audit("provider.update", actor=actor, obj=provider, fields=sorted(data))
    return provider


def _resolve_provider(value, actor, field="provider"):
    """The provider named by `value` (instance or id) if `actor` may see it, else a 400 that
    does not tell an unknown id from one the caller may not see."""
    pk = value.pk if isinstance(value, Provider) else as_id(value, field, "provider")
    provider = providers_visible_to(user=actor).filter(pk=pk).first()
    if provider is None:
        raise ValidationError({field: [f"There is no provider {pk}."]})
    return provider
