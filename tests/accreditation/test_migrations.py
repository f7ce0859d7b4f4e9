"""The data migrations carry existing records over to the new lifecycle."""

import importlib

import pytest
from django.apps import apps

from accreditation.models import Accreditation, AccreditationTransition
from registry.models import RegistryEvent
from registry.services import registry_sync

from .helpers import decided

annulment = importlib.import_module("accreditation.migrations.0004_accreditation_annulled")
registry_annulment = importlib.import_module("registry.migrations.0005_annulled")


def _revoked(application, decider, *, appeal):
    """An accreditation revoked the way the code before `annul` wrote it."""
    accreditation = decided(application, decider)
    Accreditation.objects.filter(pk=accreditation.pk).update(status="revoked")
    payload = {"appeal": 7, "application_log": 1} if appeal else {"reason": "fraud"}
    AccreditationTransition.objects.create(
        accreditation=accreditation,
        transition="revoke",
        from_state="active",
        to_state="revoked",
        comment="The decision that created it was annulled on appeal." if appeal else "Fraud.",
        payload=payload,
    )
    return accreditation


def test_an_accreditation_revoked_by_an_upheld_appeal_becomes_annulled(course_application, decider):
    accreditation = _revoked(course_application, decider, appeal=True)
    registry_sync()
    annulment.revoked_by_appeal_becomes_annulled(apps, None)
    registry_annulment.published_revocations_on_appeal_become_annulments(apps, None)
    accreditation.refresh_from_db()
    assert accreditation.status == "annulled"
    log = accreditation.transitions.order_by("-id").first()
    assert (log.transition, log.to_state) == ("annul", "annulled")
    event = RegistryEvent.objects.get(source=f"acc-log:{log.pk}")
    assert (event.type, event.status) == ("annul", "annulled")


def test_a_revocation_for_cause_stays_a_revocation(course_application, decider):
    accreditation = _revoked(course_application, decider, appeal=False)
    annulment.revoked_by_appeal_becomes_annulled(apps, None)
    accreditation.refresh_from_db()
    assert accreditation.status == "revoked"
    assert accreditation.transitions.order_by("-id").first().transition == "revoke"


@pytest.mark.django_db
def test_existing_identifiers_start_when_their_provider_was_registered():
    from accreditation.models import Provider, ProviderIdentifier
    from tests.factories import IdentifierFactory
    from tests.registry.conftest import day

    identifier = IdentifierFactory()
    Provider.objects.filter(pk=identifier.provider_id).update(created_at=day("2019-05-01"))
    history = importlib.import_module("accreditation.migrations.0005_identifier_history")
    history.identifiers_start_with_their_provider(apps, None)
    assert ProviderIdentifier.objects.get(pk=identifier.pk).valid_from == day("2019-05-01")


@pytest.mark.django_db
def test_existing_providers_get_one_open_identity_period_from_their_registration():
    from accreditation.models import Provider, ProviderIdentity
    from tests.factories import IdentifierFactory, ProviderFactory
    from tests.registry.conftest import day

    identity = importlib.import_module("accreditation.migrations.0007_identity_change_requests")
    provider = ProviderFactory(legal_name="Old Provider", country="BE")
    Provider.objects.filter(pk=provider.pk).update(created_at=day("2024-05-01"))
    IdentifierFactory(provider=provider, scheme="schac", value="old.example.org")
    ended = IdentifierFactory(provider=provider, scheme="schac", value="gone.example.org")
    type(ended).history.filter(pk=ended.pk).update(valid_until=day("2030-01-01"))
    identity.identity_starts_with_the_provider(apps, None)
    period = ProviderIdentity.objects.get(provider=provider)
    assert (period.legal_name, period.country, period.valid_from, period.valid_until) == (
        "Old Provider",
        "BE",
        day("2024-05-01"),
        None,
    )
    assert period.identifiers == [{"scheme": "schac", "value": "old.example.org"}]
