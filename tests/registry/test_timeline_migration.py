"""Migration 0009 builds the answer timeline of every provider row that exists."""

import importlib

import pytest
from django.apps import apps

from registry.models import EMPTY_TIMELINE, RegistryEvent, RegistryProvider
from registry.services import timeline_json, verify

from .conftest import day

migration = importlib.import_module("registry.migrations.0009_provider_timeline")

pytestmark = pytest.mark.django_db


def test_existing_rows_get_the_timeline_of_their_events(history):
    accredited = history.provider()
    _, _, acc = history.decide(accredited, when=day("2025-01-10"))
    history.change(acc, "suspend", when=day("2025-03-01"))
    history.publish()
    RegistryProvider.objects.update(timeline=EMPTY_TIMELINE)  # as the column's default left them
    assert verify(scheme="schac", value="uni.example.org", at=day("2025-02-01"))["status"] == "none"

    migration.build_existing(apps, None)

    for row in RegistryProvider.objects.all():
        events = list(RegistryEvent.objects.filter(provider=row.provider_id).order_by("at", "seq"))
        assert row.timeline == timeline_json(events)
    assert RegistryProvider.objects.get(pk=accredited.pk).timeline != EMPTY_TIMELINE
    answers = [
        verify(scheme="schac", value="uni.example.org", at=day(d))["status"]
        for d in ("2025-01-09", "2025-02-01", "2025-04-01")
    ]
    assert answers == ["none", "active", "suspended"]
