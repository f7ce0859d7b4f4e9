"""Verify reads the name, country and identifiers in force at a moment from the registry
row's copy of the provider's identity periods (`RegistryProvider.identities`): the copy
follows every change to the periods in the changing transaction, and migration 0010
builds it for the rows that exist."""

import importlib

import pytest
from django.apps import apps
from django.db import transaction

from accreditation.models import ProviderIdentity
from registry.models import EMPTY_IDENTITIES, RegistryProvider
from registry.services import verify

from .conftest import day

migration = importlib.import_module("registry.migrations.0010_provider_identities")

pytestmark = pytest.mark.django_db


def shown(at):
    provider = verify(scheme="schac", value="uni.example.org", at=day(at))["provider"]
    return provider["legal_name"], provider["country"]


@pytest.fixture
def renamed(history):
    """Accredited on 2025-01-10 as Example University (NL); known as Second Name (BE)
    from 2025-03-01 (periods written as the identity history keeps them)."""
    provider = history.provider()
    history.decide(provider, when=day("2025-01-10"))
    history.publish()
    ProviderIdentity.objects.create(
        provider=provider,
        legal_name="Example University",
        country="NL",
        identifiers=[{"scheme": "schac", "value": "uni.example.org"}],
        valid_from=day("2024-01-01"),
        valid_until=day("2025-03-01"),
    )
    ProviderIdentity.objects.create(
        provider=provider,
        legal_name="Second Name",
        country="BE",
        identifiers=[{"scheme": "schac", "value": "uni.example.org"}],
        valid_from=day("2025-03-01"),
    )
    return provider


def test_each_moment_is_answered_with_the_period_in_force_then(renamed):
    assert shown("2025-02-01") == ("Example University", "NL")
    assert shown("2025-03-02") == ("Second Name", "BE")
    # The period ends where the next begins: the instant of the change is the new one's.
    answer = verify(scheme="schac", value="uni.example.org", at=day("2025-03-01"))
    assert answer["provider"]["legal_name"] == "Second Name"


def test_a_corrected_period_reaches_verify_in_the_correcting_transaction(renamed):
    period = ProviderIdentity.objects.get(provider=renamed, legal_name="Second Name")
    with transaction.atomic():
        period.legal_name = "Second Name (corrected)"
        period.save()
        assert shown("2025-03-02") == ("Second Name (corrected)", "BE")
    assert shown("2025-02-01") == ("Example University", "NL")


def test_without_a_period_for_the_moment_the_projected_row_answers(renamed):
    RegistryProvider.objects.filter(pk=renamed.pk).update(legal_name="Projected Name")
    ProviderIdentity.objects.get(provider=renamed, legal_name="Example University").delete()
    assert shown("2025-02-01") == ("Projected Name", "NL")
    assert shown("2025-03-02") == ("Second Name", "BE")


def test_a_provider_outside_the_registry_has_no_row_to_refresh(history):
    provider = history.provider()
    ProviderIdentity.objects.create(
        provider=provider, legal_name="Unknown", country="NL", valid_from=day("2024-01-01")
    )
    assert not RegistryProvider.objects.filter(pk=provider.pk).exists()
    assert verify(scheme="schac", value="uni.example.org")["provider"] is None


def test_the_migration_builds_the_periods_of_existing_rows(renamed, history):
    other = history.provider(name="Other College", identifier="other.example.org")
    history.decide(other, when=day("2025-01-10"))
    history.publish()
    RegistryProvider.objects.update(identities=EMPTY_IDENTITIES)  # as the column's default
    assert shown("2025-02-01") == ("", "")

    migration.build_existing(apps, None)

    assert shown("2025-02-01") == ("Example University", "NL")
    assert shown("2025-03-02") == ("Second Name", "BE")
    answer = verify(scheme="schac", value="other.example.org", at=day("2025-02-01"))
    assert answer["provider"]["legal_name"] == "Other College"
