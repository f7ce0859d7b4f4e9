"""The registry's promise, as a property: an answer about a moment never changes.

A Hypothesis state machine builds a registry history through the real services, one
change at a time, each at a later moment of a clock that only moves forward: decisions
(institutional with EQF and ISCED-F limits, course approvals, rejections), suspension,
reinstatement, revocation, expiry, annulment by an upheld appeal, identity changes,
course edits, a full rebuild, and a projection task that runs late (or twice).

Before each change the machine asks verify about moments in the past (just before now,
and earlier moments drawn at random, for every identifier the providers ever had, with
and without a course) and keeps the answers. After every change, every question asked
so far is asked again: the answer must be the same, word for word (only the time of
checking differs).
"""

import contextlib
import datetime
import itertools
import json

import pytest
from django.db import transaction
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from accreditation.models import OPEN_STATES, Application, ProviderMembership
from accreditation.services import (
    application_transition,
    change_request_approve,
    course_update,
    provider_change,
)
from accreditation.tasks import expire_accreditations
from core.errors import DomainError
from registry import tasks as registry_tasks
from registry.models import RegistryEvent, RegistryProvider
from registry.services import (
    micros,
    registry_rebuild,
    registry_sync,
    start_of,
    state_at,
    timeline_json,
    timeline_state,
    verify,
)
from tests.factories import UserFactory

from .conftest import History, at_moment

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
START = datetime.datetime(2024, 1, 10, 9, tzinfo=UTC)
SERIAL = itertools.count(1)
MICROSECOND = datetime.timedelta(microseconds=1)
DAY_US = 86_400_000_000


def _kept(acc):
    """What verify decides and answers with, of an accreditation as `state_at` gives it
    or as a timeline keeps it."""
    return {k: v for k, v in acc.items() if not k.startswith("_")} | {
        "_decided_at": acc["_decided_at"],
        "_course_id": acc["_course_id"],
    }


def ask(identifier, course, at, now):
    """verify's answer read from the database, without the time it was checked."""
    scheme, value = identifier
    with at_moment(now):
        answer = verify(scheme=scheme, value=value, course_id=course, at=at, fresh=True)
    answer.pop("checked_at")
    return answer


class PastNeverMoves(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        # Each example runs in a savepoint rolled back at its end: no example sees
        # another's rows (a rebuild or an expiry run would otherwise touch them all).
        self._example = transaction.atomic()
        self._example.__enter__()
        self.history = History()
        self.coordinator = UserFactory(roles=["coordinator"])
        self.now = START
        self.asked = {}  # (identifier, course id, moment) -> the first answer
        self.identifiers = []  # every (scheme, value) any provider ever had
        self.courses = [None]
        self.providers = []
        self.accreditations = []
        self.members = {}
        self.course_objects = {}  # provider id -> its two courses

    def teardown(self):
        transaction.set_rollback(True)
        self._example.__exit__(None, None, None)

    # ----------------------------------------------------------------- the world

    @initialize()
    def world(self):
        n = next(SERIAL)
        for letter in "ab":
            identifier = f"p{n}{letter}.example.org"
            with at_moment(self.now):  # its identity history starts on the test's clock
                provider = self.history.provider(
                    name=f"Provider {n}{letter.upper()}", identifier=identifier
                )
            self.identifiers.append(("schac", identifier))
            self.providers.append(provider)
            self.members[provider.pk] = UserFactory(roles=["provider"])
            ProviderMembership.objects.create(
                user=self.members[provider.pk],
                provider=provider,
                role=ProviderMembership.Role.ADMIN,
            )
            for eqf, isced in ((6, "0613"), (5, "0611")):
                with at_moment(self.now):
                    course = self.history.course(provider, eqf_level=eqf, isced_f=isced)
                self.courses.append(course.pk)
                self.course_objects.setdefault(provider.pk, []).append(course)
        self.tick(1)

    def tick(self, days, hours=0):
        """Ask about the past, then move the clock on for the next change."""
        self.record()
        self.now += datetime.timedelta(days=days, hours=hours)

    def record(self):
        """Ask every identifier, with and without each course, about the moment just
        before now and about one earlier moment; keep the first answers."""
        moments = {self.now - datetime.timedelta(seconds=1)}
        span = (self.now - START).total_seconds()
        if span > 2:
            moments.add(START + datetime.timedelta(seconds=int(span * 0.37)))
            moments.add(START + datetime.timedelta(seconds=int(span * 0.81)))
        for identifier in self.identifiers:
            for course in self.courses:
                for moment in moments:
                    key = (identifier, course, moment)
                    if key not in self.asked:
                        self.asked[key] = ask(identifier, course, moment, self.now)

    @invariant()
    def every_past_answer_stands(self):
        for (identifier, course, moment), first in self.asked.items():
            again = ask(identifier, course, moment, self.now)
            assert again == first, (identifier, course, moment)

    @invariant()
    def every_timeline_is_its_events_replayed(self):
        """verify reads each provider's stored answer timeline: it must be the one its
        events give now (kept in their transaction, never stale), and read at any
        moment (each event's instant and either side of it, either side of each expiry)
        say what replaying the events up to that moment says."""
        for row in RegistryProvider.objects.filter(provider__in=self.providers):
            events = list(
                RegistryEvent.objects.filter(provider=row.provider_id).order_by("at", "seq")
            )
            assert row.timeline == timeline_json(events), row.provider_id
            timeline = json.loads(row.timeline)
            moments = {self.now}
            for event in events:
                moments.update(
                    event.at + delta for delta in (-MICROSECOND, 0 * MICROSECOND, MICROSECOND)
                )
                if event.valid_until:
                    last = datetime.datetime.combine(event.valid_until, datetime.time.max, UTC)
                    moments.update((last, last + MICROSECOND))
            for moment in sorted(moments):
                replayed, _ = state_at(events, moment)
                read, changes_at = timeline_state(timeline, moment)
                if not any(e.at <= moment for e in events):
                    assert read is None, (row.provider_id, moment)
                    continue
                assert {k: _kept(a) for k, a in read.items()} == {
                    k: _kept(a) for k, a in replayed.items()
                }, (row.provider_id, moment)
                expiries = [
                    micros(start_of(datetime.date.fromisoformat(a["valid_until"]))) + DAY_US
                    for a in replayed.values()
                    if a["status"] in ("active", "suspended") and a["valid_until"]
                ]
                assert changes_at == min(expiries, default=None), (row.provider_id, moment)

    # ----------------------------------------------------------------- the changes

    @rule(
        which=st.integers(0, 1),
        course=st.sampled_from([None, 0, 1]),
        name=st.sampled_from(["accredit", "accredit_with_conditions", "reject"]),
        eqf=st.sampled_from([(), (6,), (5, 6)]),
        isced=st.sampled_from([(), ("06",), ("0613",)]),
        appeal=st.booleans(),
        days=st.integers(1, 90),
    )
    def decide(self, which, course, name, eqf, isced, appeal, days):
        """A decision; one that is not a plain accreditation may be appealed within
        days, and the appeal upheld (the decision and its accreditation annulled)."""
        provider = self.providers[which]
        course_obj = None
        if course is not None:
            course_obj = self.course_objects[provider.pk][course]
            if Application.objects.filter(course=course_obj, state__in=OPEN_STATES).exists():
                return  # an upheld appeal left its case open: one open case per course
        application, _, acc = self.history.decide(
            provider,
            course=course_obj,
            name=name,
            when=self.now,
            valid_until=(self.now + datetime.timedelta(days=200)).date(),
            eqf_levels=eqf if course is None else (),
            isced_fields=isced if course is None else (),
        )
        if acc is not None:
            self.accreditations.append(acc)
        if appeal and name != "accredit":
            self.tick(2)
            member = self.members[provider.pk]
            with at_moment(self.now):
                application_transition(
                    application=application,
                    name="appeal",
                    actor=member,
                    data={"grounds": "Unfair."},
                )
                application_transition(
                    application=application, name="uphold_appeal", actor=self.history.appeals
                )
        self.tick(days)

    @rule(
        index=st.integers(0, 20),
        name=st.sampled_from(["suspend", "reinstate", "revoke"]),
        days=st.integers(1, 60),
    )
    def change_accreditation(self, index, name, days):
        if not self.accreditations:
            return
        acc = self.accreditations[index % len(self.accreditations)]
        with contextlib.suppress(DomainError):  # not possible in its state: no change
            self.history.change(acc, name, when=self.now)
        self.tick(days)

    @rule(days=st.integers(150, 260))
    def time_passes_and_accreditations_expire(self, days):
        self.now += datetime.timedelta(days=days)
        with at_moment(self.now):
            expire_accreditations(now=self.now)
        self.tick(1)

    @rule(which=st.integers(0, 1), rename=st.booleans(), days=st.integers(1, 60))
    def identity_changes(self, which, rename, days):
        """The provider's identifiers change (one is dropped, a new one added) and
        perhaps its name: directly before any decision, else by a request that a
        coordinator approves."""
        provider = self.providers[which]
        provider.refresh_from_db()
        new = f"p{next(SERIAL)}-new.example.org"
        data = {"identifiers": [{"scheme": "schac", "value": new}]}
        if rename:
            data["legal_name"] = f"{provider.legal_name} (renamed)"
        with at_moment(self.now):
            _, request = provider_change(
                provider=provider, actor=self.members[provider.pk], data=data
            )
        if request is not None:  # after a decision: a request, approved some days later
            self.tick(days)
            with at_moment(self.now):
                change_request_approve(change_request=request, actor=self.coordinator)
        self.identifiers.append(("schac", new))
        self.tick(days)

    @rule(
        index=st.integers(0, 3),
        eqf=st.sampled_from([4, 5, 6, 7]),
        isced=st.sampled_from(["0613", "0611", "0312"]),
        days=st.integers(1, 60),
    )
    def course_is_edited(self, index, eqf, isced, days):
        course = self.course_objects[self.providers[index // 2].pk][index % 2]
        course.refresh_from_db()
        member = self.members[course.provider_id]
        with at_moment(self.now):
            course_update(
                course=course,
                actor=member,
                data={"eqf_level": eqf, "isced_f": isced, "title": f"{course.title}."},
            )
        self.tick(days)

    @rule(hours=st.integers(1, 48))
    def projection_runs_late(self, hours):
        """The minute sweep and a delayed after-commit task run (perhaps twice)."""
        with at_moment(self.now):
            registry_tasks.sync_registry()
            registry_sync()
        self.tick(0, hours)

    @rule(hours=st.integers(1, 48))
    def registry_is_rebuilt(self, hours):
        with at_moment(self.now):
            registry_rebuild()
        self.tick(0, hours)


def test_no_later_change_moves_an_answer_about_the_past(db):
    run_state_machine_as_test(
        PastNeverMoves,
        settings=settings(
            max_examples=25,
            stateful_step_count=8,
            deadline=None,
            # Each step is real database work: shrinking a failure would take many
            # minutes; the failing steps are printed as generated.
            phases=[Phase.explicit, Phase.reuse, Phase.generate],
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
