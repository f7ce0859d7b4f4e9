"""Providers: registering an organisation, its profile and identifiers, and who may manage
it."""

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import reference
from core.audit import audit
from core.effects import after_commit
from core.errors import ConflictError, NotAllowed, NotVisible
from core.inputs import as_id
from core.roles import Role, has_role

from ..models import (
    Decision,
    Provider,
    ProviderChangeRequest,
    ProviderIdentifier,
    ProviderIdentity,
    ProviderMembership,
)
from ..selectors import (
    change_requests_visible_to,
    decides_change_requests,
    providers_visible_to,
)
from ..signals import identity_changed
from ..tasks import send_change_request_notification
from ._common import _assign, _full_clean, _reject_unknown, in_sentence

PROVIDER_FIELDS = ("legal_name", "country", "type", "website")
# What identifies a provider in the registry: after a decision, changed only by the agency.
IDENTITY_FIELDS = ("legal_name", "country", "identifiers")


def _clean_identifiers(value, provider=None):
    """`[{scheme, value}]`: known schemes, non-empty values, each pair used by one provider."""
    if not isinstance(value, list):
        raise ValidationError(
            {"identifiers": [_("A list of {scheme, value} objects is required.")]}
        )
    cleaned, errors, seen = [], [], set()
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            errors.append(
                _("Item %(number)s must be an object with scheme and value.")
                % {"number": index + 1}
            )
            continue
        scheme = str(item.get("scheme") or "").strip()
        val = str(item.get("value") or "").strip()
        if scheme not in reference.IDENTIFIER_SCHEMES:
            errors.append(
                _("Item %(number)s: scheme %(scheme)r is not one of %(schemes)s.")
                % {
                    "number": index + 1,
                    "scheme": scheme,
                    "schemes": ", ".join(reference.IDENTIFIER_SCHEMES),
                }
            )
            continue
        if not val:
            errors.append(_("Item %(number)s: a value is required.") % {"number": index + 1})
            continue
        if len(val) > 200:
            errors.append(
                _("Item %(number)s: the value is longer than 200 characters.")
                % {"number": index + 1}
            )
            continue
        problem = reference.identifier_problem(scheme, val)
        if problem:
            errors.append(
                _("Item %(number)s: %(identifier)s %(problem)s.")
                % {"number": index + 1, "identifier": f"{scheme}:{val}", "problem": problem}
            )
            continue
        if (scheme, val) in seen:
            errors.append(
                _("Item %(number)s: %(identifier)s is listed twice.")
                % {"number": index + 1, "identifier": f"{scheme}:{val}"}
            )
            continue
        taken = ProviderIdentifier.objects.filter(scheme=scheme, value=val)
        if provider is not None:
            taken = taken.exclude(provider=provider)
        if taken.exists():
            errors.append(
                _("Item %(number)s: %(identifier)s already identifies another provider.")
                % {"number": index + 1, "identifier": f"{scheme}:{val}"}
            )
            continue
        seen.add((scheme, val))
        cleaned.append((scheme, val))
    if errors:
        raise ValidationError({"identifiers": errors})
    return cleaned


def _replace_identifiers(provider, pairs, now=None):
    """Make `pairs` the provider's identifiers in force from now on. One it no longer
    lists is end-dated, never deleted (the registry answers about the past from it); a
    new one starts now. Two providers claiming one identifier at once: the database's
    one-in-force constraint lets one win, the other gets a 400."""
    now = now or timezone.now()
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
            {"identifiers": [_("An identifier was just claimed by another provider; reload.")]}
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
        _replace_identifiers(provider, pairs, now=provider.created_at)
        ProviderIdentity.objects.create(
            provider=provider, **_identity_of(provider), valid_from=provider.created_at
        )
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
    """Change the profile of a provider (see `provider_change`); returns the provider."""
    return provider_change(provider=provider, actor=actor, data=data)[0]


def provider_change(*, provider, actor, data):
    """Change the profile of a provider. Only the fields given change; `identifiers`, when
    given, replaces the whole list (a removed identifier is end-dated: it no longer
    identifies the provider from now on, and still did before).

    Once the agency has taken any decision on the provider, a change of legal name,
    country or identifiers does not change the provider: it is filed as a pending change
    request for a coordinator to approve (the registry's answers change only through the
    agency); the other fields still change at once. Returns (provider, change request or
    None). Before any decision every field changes at once. Either way a change of
    identity is kept as history (`ProviderIdentity`)."""
    if not providers_visible_to(user=actor).filter(pk=provider.pk).exists():
        raise NotVisible()
    if not may_manage_provider(actor, provider):
        raise NotAllowed(_("Only an administrator of this provider may change its profile."))
    data = dict(data)
    _reject_unknown(data, (*PROVIDER_FIELDS, "identifiers"))
    with transaction.atomic():
        provider = Provider.objects.select_for_update().get(pk=provider.pk)
        before = _identity_of(provider)
        _assign(provider, data, PROVIDER_FIELDS)
        if isinstance(provider.country, str):
            provider.country = provider.country.upper()
        _full_clean(provider)
        pairs = None
        if "identifiers" in data:
            pairs = _clean_identifiers(data["identifiers"] or [], provider=provider)
        changes = _identity_changes(provider, before, pairs)
        request = None
        if changes and has_decision(provider):
            provider.legal_name, provider.country = before["legal_name"], before["country"]
            request = _file(provider, actor, before, changes)
            pairs = None
        now = timezone.now()
        provider.save()
        if pairs is not None:
            _replace_identifiers(provider, pairs, now=now)
        if changes and request is None:
            _record_identity(provider, before=before, now=now)
        audit("provider.update", actor=actor, obj=provider, fields=sorted(data))
    return provider, request


def has_decision(provider):
    """Whether the agency has taken any decision on one of the provider's applications
    (from then on its identity changes only through a change request)."""
    return Decision.objects.filter(application__provider_id=provider.pk).exists()


def _identity_of(provider):
    """The provider's identity as kept in its history and published by the registry."""
    return {
        "legal_name": provider.legal_name,
        "country": provider.country,
        "identifiers": [
            {"scheme": i.scheme, "value": i.value}
            for i in ProviderIdentifier.objects.filter(provider_id=provider.pk).order_by(
                "scheme", "value"
            )
        ],
    }


def _identity_changes(provider, before, pairs):
    """{field: new value} for the identity fields that really change."""
    changes = {}
    for field in ("legal_name", "country"):
        if getattr(provider, field) != before[field]:
            changes[field] = getattr(provider, field)
    if pairs is not None:
        wanted = sorted(({"scheme": s, "value": v} for s, v in pairs), key=_pair_key)
        if wanted != sorted(before["identifiers"], key=_pair_key):
            changes["identifiers"] = wanted
    return changes


def _pair_key(item):
    return (item["scheme"], item["value"])


def _record_identity(provider, *, before, now, change_request=None):
    """End the provider's open identity period at `now` and start one with its current
    name, country and identifiers. A provider made before identity was kept (e.g. by a
    fixture) first gets the period it had, from when it or one of its identifiers was
    first known. Two changes within one instant: the later replaces the earlier, which
    nobody could have observed."""
    current = ProviderIdentity.objects.select_for_update().filter(
        provider=provider, valid_until__isnull=True
    )
    open_row = current.first()
    if open_row is None:
        starts = ProviderIdentifier.history.filter(provider_id=provider.pk).values_list(
            "valid_from", flat=True
        )
        start = min([provider.created_at, *starts])
        if start < now:
            open_row = ProviderIdentity.objects.create(
                provider=provider, **before, valid_from=start
            )
    if open_row is not None and open_row.valid_from >= now:
        open_row.delete()
    elif open_row is not None:
        open_row.valid_until = now
        open_row.save(update_fields=["valid_until"])
    return ProviderIdentity.objects.create(
        provider=provider,
        **_identity_of(provider),
        valid_from=now,
        change_request=change_request,
    )


def _file(provider, actor, before, changes):
    """A pending change request for `changes`; one pending request per provider at a
    time (409: the first must be decided before another is filed)."""
    if ProviderChangeRequest.objects.filter(
        provider=provider, status=ProviderChangeRequest.Status.PENDING
    ).exists():
        raise ConflictError(
            _("A change request for this provider is already pending; wait for its decision.")
        )
    try:
        with transaction.atomic():
            request = ProviderChangeRequest.objects.create(
                provider=provider, requested_by=actor, previous=before, **changes
            )
    except IntegrityError as exc:
        raise ConflictError(
            _("A change request for this provider is already pending; wait for its decision.")
        ) from exc
    audit(
        "provider.change_request.file",
        actor=actor,
        obj=request,
        provider=provider.pk,
        changes=changes,
    )
    after_commit(send_change_request_notification.delay, change_request_id=request.pk)
    return request


def change_request_file(*, provider, actor, data):
    """File a request to change the provider's legal name, country or identifiers (only
    these; `identifiers` replaces the whole list). Checked as a direct edit would be
    (400 per field); 409 before any decision (the provider edits directly then) or while
    another request is pending; 400 when nothing would change."""
    if not providers_visible_to(user=actor).filter(pk=provider.pk).exists():
        raise NotVisible()
    if not may_manage_provider(actor, provider):
        raise NotAllowed(_("Only an administrator of this provider may ask to change it."))
    data = dict(data)
    _reject_unknown(data, IDENTITY_FIELDS)
    with transaction.atomic():
        provider = Provider.objects.select_for_update().get(pk=provider.pk)
        if not has_decision(provider):
            raise ConflictError(
                _("No decision has been taken on this provider yet: change its profile directly.")
            )
        before = _identity_of(provider)
        _assign(provider, data, ("legal_name", "country"))
        if isinstance(provider.country, str):
            provider.country = provider.country.upper()
        _full_clean(provider)
        pairs = None
        if "identifiers" in data:
            pairs = _clean_identifiers(data["identifiers"] or [], provider=provider)
        changes = _identity_changes(provider, before, pairs)
        if not changes:
            raise ValidationError(
                {"legal_name": [_("Nothing to change: give a new name, country or identifiers.")]}
            )
        return _file(provider, actor, before, changes)


def _decidable(change_request, actor):
    """The request locked for a decision: 404 if `actor` may not see it, 403 unless a
    coordinator, 409 unless pending."""
    if not change_requests_visible_to(user=actor).filter(pk=change_request.pk).exists():
        raise NotVisible()
    if not decides_change_requests(actor):
        raise NotAllowed(_("Only a coordinator decides on identity change requests."))
    request = ProviderChangeRequest.objects.select_for_update().get(pk=change_request.pk)
    if request.status != ProviderChangeRequest.Status.PENDING:
        raise ConflictError(
            _("This change request was already %(status)s.")
            % {"status": in_sentence(request.get_status_display())}
        )
    return request


def change_request_approve(*, change_request, actor, comment=""):
    """A coordinator approves: in one transaction the provider takes the new name,
    country and identifiers (periods end and start at the approval moment, so answers
    about earlier moments do not change), its identity history gains a period, and the
    registry records an `identity` event. The identifier checks apply again now: an
    identifier another provider holds by now is a 400 and nothing changes."""
    with transaction.atomic():
        request = _decidable(change_request, actor)
        provider = Provider.objects.select_for_update().get(pk=request.provider_id)
        before = _identity_of(provider)
        changes = request.changes()
        for field in ("legal_name", "country"):
            if field in changes:
                setattr(provider, field, changes[field])
        _full_clean(provider)
        now = timezone.now()
        if "identifiers" in changes:
            pairs = _clean_identifiers(changes["identifiers"], provider=provider)
            _replace_identifiers(provider, pairs, now=now)
        provider.save()
        request.status = ProviderChangeRequest.Status.APPROVED
        request.decided_by, request.decided_at = actor, now
        request.comment = (comment or "").strip()
        request.save()
        _record_identity(provider, before=before, now=now, change_request=request)
        audit(
            "provider.change_request.approve",
            actor=actor,
            obj=request,
            provider=provider.pk,
            changes=changes,
        )
        identity_changed.send(sender=Provider, provider=provider, change_request=request)
        after_commit(send_change_request_notification.delay, change_request_id=request.pk)
    return request


def change_request_reject(*, change_request, actor, comment):
    """A coordinator rejects, saying why (400 without a comment): only the request
    changes."""
    comment = (comment or "").strip()
    with transaction.atomic():
        request = _decidable(change_request, actor)
        if not comment:
            raise ValidationError({"comment": [_("Say why the change is rejected.")]})
        request.status = ProviderChangeRequest.Status.REJECTED
        request.decided_by, request.decided_at = actor, timezone.now()
        request.comment = comment
        request.save()
        audit(
            "provider.change_request.reject",
            actor=actor,
            obj=request,
            provider=request.provider_id,
            comment=comment,
        )
        after_commit(send_change_request_notification.delay, change_request_id=request.pk)
    return request


def _resolve_provider(value, actor, field="provider"):
    """The provider named by `value` (instance or id) if `actor` may see it, else a 400 that
    does not tell an unknown id from one the caller may not see."""
    pk = value.pk if isinstance(value, Provider) else as_id(value, field, "provider")
    provider = providers_visible_to(user=actor).filter(pk=pk).first()
    if provider is None:
        raise ValidationError({field: [_("There is no provider %(number)s.") % {"number": pk}]})
    return provider
