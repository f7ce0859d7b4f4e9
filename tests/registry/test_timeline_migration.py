"""Migration 0009 builds the answer timeline of every provider row that exists; 0011
rewrites the timelines written before in their compact form."""

import importlib
import json

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


compaction = importlib.import_module("registry.migrations.0011_compact_timelines")


def _as_objects(text):
    """A timeline as it was written before migration 0011: each state an object."""
    timeline = json.loads(text)
    shapes = timeline.pop("shapes", [])
    timeline["accs"] = [dict(zip(shapes[a[0]], a[1:], strict=True)) for a in timeline["accs"]]
    return json.dumps(timeline, separators=(",", ":"))


def test_timelines_written_as_objects_are_compacted_as_the_projection_writes_them(history):
    accredited = history.provider()
    _, _, acc = history.decide(accredited, when=day("2025-01-10"))
    history.change(acc, "suspend", when=day("2025-03-01"))
    course = history.course(accredited)
    history.decide(accredited, course=course, when=day("2025-02-01"))
    history.publish()
    written = {row.pk: row.timeline for row in RegistryProvider.objects.all()}
    for pk, text in written.items():
        RegistryProvider.objects.filter(pk=pk).update(timeline=_as_objects(text))
    old = RegistryProvider.objects.get(pk=accredited.pk).timeline
    assert '"shapes"' not in old and '"id":' in old
    answers = [
        verify(scheme="schac", value="uni.example.org", at=day(d))["status"]
        for d in ("2025-01-09", "2025-02-01", "2025-04-01")
    ]
    assert answers == ["none", "active", "suspended"]  # the old form reads the same

    compaction.compact_existing(apps, None)

    assert {row.pk: row.timeline for row in RegistryProvider.objects.all()} == written
    for row in RegistryProvider.objects.all():
        events = list(RegistryEvent.objects.filter(provider=row.provider_id).order_by("at", "seq"))
        assert row.timeline == timeline_json(events)
    assert len(written[accredited.pk]) < len(old)
    again = [
        verify(scheme="schac", value="uni.example.org", at=day(d))["status"]
        for d in ("2025-01-09", "2025-02-01", "2025-04-01")
    ]
    assert again == answers
    compaction.compact_existing(apps, None)  # a second run changes nothing
    assert {row.pk: row.timeline for row in RegistryProvider.objects.all()} == written
