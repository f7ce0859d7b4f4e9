"""The change feed and the projection: read from 0 on, idempotent, rebuildable."""

import pytest
from django.core.management import call_command

from accreditation.models import Decision
from accreditation.services import application_transition
from registry.models import RegistryEvent, RegistryProvider
from registry.services import registry_sync
from tests.registry.conftest import day

pytestmark = pytest.mark.django_db


def read_feed(api):
    events, after = [], 0
    for _ in range(100):
        response = api.get("/api/v1/registry/changes/", {"after": after})
        assert response.status_code == 200
        body = response.json()
        if not body["events"]:
            assert body["next"] == after
            return events
        events.extend(body["events"])
        after = body["next"]
    raise AssertionError("the feed never ended")


def build(history):
    a = history.provider(name="Alpha", identifier="alpha.example.org")
    b = history.provider(name="Beta", identifier="beta.example.org")
    course = history.course(b)
    _, _, acc = history.decide(a, when=day("2025-01-10"))
    history.decide(b, name="reject", when=day("2025-01-20"))
    history.change(acc, "suspend", when=day("2025-02-10"))
    history.change(acc, "reinstate", when=day("2025-03-10"))
    _, _, course_acc = history.decide(b, course=course, when=day("2025-04-01"))
    history.change(course_acc, "revoke", when=day("2025-05-01"))
    return a, b, acc, course_acc


def snapshot():
    events = list(
        RegistryEvent.objects.order_by("seq").values_list(
            "seq", "at", "type", "provider_id", "accreditation_id", "status", "source"
        )
    )
    providers = list(
        RegistryProvider.objects.order_by("pk").values_list(
            "pk", "status", "accreditations", "decisions", "courses", "facets"
        )
    )
    return events, providers


def test_feed_from_zero_lists_every_event_in_order(api, history):
    a, b, acc, course_acc = build(history)
    history.publish()
    events = read_feed(api)
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert [(e["type"], e["provider"], e["accreditation"], e["status"]) for e in events] == [
        ("decision", a.pk, acc.pk, None),
        ("create", a.pk, acc.pk, "active"),
        ("decision", b.pk, None, None),
        ("suspend", a.pk, acc.pk, "suspended"),
        ("reinstate", a.pk, acc.pk, "active"),
        ("decision", b.pk, course_acc.pk, None),
        ("create", b.pk, course_acc.pk, "active"),
        ("revoke", b.pk, course_acc.pk, "revoked"),
    ]
    assert set(events[0]) == {
        "seq",
        "at",
        "type",
        "provider",
        "accreditation",
        "status",
        "course",
        "decision",
        "valid_from",
        "valid_until",
        "reason",
        "course_version",
    }


def test_events_say_which_course_which_decision_how_long_and_why(api, history):
    """DESIGN section 4: course (its public uid), decision, valid_from, valid_until and
    reason; null where they do not apply."""
    provider = history.provider()
    course = history.course(provider)
    _, decision, acc = history.decide(
        provider, course=course, when=day("2025-01-10"), valid_until=day("2027-01-09").date()
    )
    history.change(acc, "suspend", when=day("2025-02-10"), reason="complaint")
    history.change(acc, "revoke", when=day("2025-03-10"), reason="fraud")
    _, refused, _ = history.decide(provider, name="reject", when=day("2025-04-10"))
    events = read_feed(api)
    by_type = {e["type"]: e for e in events if e["decision"] != refused.pk}
    for kind in ("decision", "create", "suspend", "revoke"):
        e = by_type[kind]
        assert e["course"] == str(course.uid)
        assert e["decision"] == decision.pk
        assert (e["valid_from"], e["valid_until"]) == ("2025-01-10", "2027-01-09")
    assert by_type["suspend"]["reason"] == "complaint"
    assert by_type["revoke"]["reason"] == "fraud"
    assert by_type["create"]["reason"] is None
    (negative,) = [e for e in events if e["decision"] == refused.pk]
    assert (negative["course"], negative["accreditation"], negative["reason"]) == (None, None, None)


def test_an_annulment_says_the_appeal_was_upheld(api, history):
    provider = history.provider()
    application, decision, acc = history.decide(provider, name="accredit_with_conditions")
    member = history.decider.__class__.objects.create(username="annul-member")
    from accreditation.models import ProviderMembership

    ProviderMembership.objects.create(user=member, provider=provider)
    application_transition(
        application=application, name="appeal", actor=member, data={"grounds": "Unfair."}
    )
    application_transition(application=application, name="uphold_appeal", actor=history.appeals)
    annulments = [e for e in read_feed(api) if e["type"] in ("annul", "annulled")]
    assert len(annulments) == 2
    assert {(e["reason"], e["decision"]) for e in annulments} == {("appeal_upheld", decision.pk)}


def test_a_page_of_the_feed_costs_the_same_queries_however_many_courses(
    api, history, django_assert_max_num_queries
):
    provider = history.provider()
    for _ in range(6):
        course = history.course(provider)
        history.decide(provider, course=course)
    with django_assert_max_num_queries(3):
        body = api.get("/api/v1/registry/changes/", {"after": 0}).json()
    assert len({e["course"] for e in body["events"]}) == 6


def test_negative_decision_is_a_decision_event_without_accreditation(api, history):
    provider = history.provider()
    history.decide(provider, name="reject")
    history.publish()
    (event,) = read_feed(api)
    assert (event["type"], event["accreditation"], event["status"]) == ("decision", None, None)


def test_reading_on_from_next_sees_only_new_events(api, history):
    a, *_ = build(history)
    history.publish()
    seen = read_feed(api)
    last = seen[-1]["seq"]
    _, _, acc2 = history.decide(a)
    history.publish()
    body = api.get("/api/v1/registry/changes/", {"after": last}).json()
    assert [e["seq"] for e in body["events"]] == [last + 1, last + 2]
    assert body["next"] == last + 2


def test_transitions_are_projected_in_their_own_transaction(history):
    """Each decision and change is in the registry as soon as it is: no sync is needed."""
    build(history)
    assert RegistryEvent.objects.count() == 8


def test_sync_twice_is_a_no_op(history):
    build(history)
    before = snapshot()
    assert registry_sync() == 0
    assert registry_sync() == 0
    assert snapshot() == before


def test_rebuild_command_gives_the_same_state(api, history):
    build(history)
    history.publish()
    before = snapshot()
    feed_before = read_feed(api)
    call_command("registry_rebuild", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert snapshot() == before
    assert read_feed(api) == feed_before


def test_incremental_publication_equals_rebuild(api, history):
    """Publishing after each step gives the same events as replaying at the end."""
    a = history.provider(name="Alpha", identifier="alpha.example.org")
    _, _, acc = history.decide(a, when=day("2025-01-10"))
    history.publish()
    history.change(acc, "suspend", when=day("2025-02-10"))
    history.publish()
    history.change(acc, "revoke", when=day("2025-03-10"))
    history.publish()
    incremental = snapshot()
    call_command("registry_rebuild", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert snapshot() == incremental


def test_feed_rejects_a_malformed_after(api, history):
    for bad in ("-1", "abc", "1.5"):
        response = api.get("/api/v1/registry/changes/", {"after": bad})
        assert response.status_code == 400
        assert "after" in response.json()


def test_upheld_appeal_keeps_the_annulled_decision_in_history(api, history):
    provider = history.provider()
    application, decision, acc = history.decide(provider, name="accredit_with_conditions")
    provider_user = history.decider.__class__.objects.create(username="prov-admin")
    from accreditation.models import ProviderMembership

    ProviderMembership.objects.create(user=provider_user, provider=provider)
    application_transition(
        application=application, name="appeal", actor=provider_user, data={"grounds": "Unfair."}
    )
    application_transition(application=application, name="uphold_appeal", actor=history.appeals)
    history.publish()
    types = [e["type"] for e in read_feed(api)]
    assert types == ["decision", "create", "annul", "annulled"]
    detail = api.get(f"/api/v1/registry/providers/{provider.pk}/").json()
    assert detail["decisions"][0]["annulled"] is True
    # The provider won its appeal: its accreditation is annulled, never shown as revoked.
    assert detail["accreditations"][0]["status"] == "annulled"
    answer = api.get("/api/v1/registry/verify/", {"identifier": "schac:uni.example.org"}).json()
    assert (answer["trusted"], answer["status"]) == (False, "annulled")
    assert Decision.objects.get(pk=decision.pk).annulled_at is not None


def test_publication_follows_a_decision_after_commit(history, django_capture_on_commit_callbacks):
    """The receivers schedule the sync task after commit (eager in tests)."""
    provider = history.provider()
    with django_capture_on_commit_callbacks(execute=True):
        history.decide(provider, name="reject")
    assert RegistryEvent.objects.filter(provider=provider, type="decision").count() == 1
    _, _, acc = history.decide(provider)
    with django_capture_on_commit_callbacks(execute=True):
        history.change(acc, "suspend")
    assert RegistryEvent.objects.filter(accreditation_id=acc.pk, type="suspend").exists()
    assert RegistryProvider.objects.get(pk=provider.pk).status == "suspended"


def test_beat_sweep_is_scheduled_every_minute():
    from config.celery import app
    from registry import tasks

    entry = app.conf.beat_schedule[tasks.SWEEP]
    assert entry["task"] == "registry.sync" and entry["schedule"] == 60.0


def test_small_batches_project_the_same_history(history, monkeypatch):
    """A long history is replayed in bounded batches with the same order as one pass."""
    from registry import services

    build(history)
    history.publish()
    one_pass = snapshot()
    monkeypatch.setattr(services, "SYNC_BATCH", 2)
    assert services.registry_rebuild() == 8
    assert snapshot() == one_pass


def test_profile_edits_reach_the_registry_on_the_next_sweep(api, history):
    from accreditation.models import Provider

    provider = history.provider(name="Old Name")
    history.decide(provider, name="reject")
    history.publish()
    p = Provider.objects.get(pk=provider.pk)
    p.legal_name = "New Name"
    p.save()
    assert registry_sync() == 0
    detail = api.get(f"/api/v1/registry/providers/{provider.pk}/").json()
    assert detail["legal_name"] == "New Name"
