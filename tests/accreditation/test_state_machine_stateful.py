"""Random transitions by random roles against the real services (Hypothesis stateful).

Every guard is satisfiable: the dossier is complete, the panel is composed and has
judged, the reports are ready, so the machine can reach every state of DESIGN section 3.
The invariants: a state only moves along the contract's edges; every success adds exactly
one history row naming the transition, the states and the actor; a refused call changes
nothing (state, history, decisions, accreditations, appeals, clarifications), and the
kind of refusal is the right one (404 invisible, 403 no right, 409 wrong state); the
numbers kept per state are the numbers of applications in each state.
"""

import datetime
import hashlib

import pytest
from django.db.models import Count
from django.utils import timezone
from guardian.shortcuts import assign_perm
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from accreditation.models import (
    Accreditation,
    Appeal,
    Application,
    ApplicationStateCount,
    ApplicationTransition,
    Clarification,
    Decision,
)
from accreditation.services import application_transition, available_transitions, transition_right
from accreditation.workflow import APPLICATION_TRANSITIONS
from core.errors import DomainError, GuardFailed, InvalidTransition, NotAllowed, NotVisible
from reviews.models import Finding, PanelAssignment, Report, ReviewerJudgement
from tests.factories import ApplicationFactory, MembershipFactory, UserFactory, complete_dossier

pytestmark = pytest.mark.django_db

PRE_DECISION = (
    "draft",
    "submitted",
    "screening",
    "returned",
    "in_review",
    "clarification_requested",
    "factual_check",
    "decision_pending",
)
# DESIGN section 3, written out independently of the model.
EDGES = {
    "submit": {("draft", "submitted"), ("returned", "submitted")},
    "start_screening": {("submitted", "screening")},
    "return_for_completion": {("screening", "returned")},
    "request_clarification": {("in_review", "clarification_requested")},
    "answer_clarification": {("clarification_requested", "in_review")},
    "start_review": {("screening", "in_review")},
    "submit_draft_report": {("in_review", "factual_check")},
    "confirm_factual_accuracy": {("factual_check", "decision_pending")},
    "accredit": {("decision_pending", "accredited")},
    "accredit_with_conditions": {("decision_pending", "conditionally_accredited")},
    "reject": {("decision_pending", "rejected")},
    "appeal": {("conditionally_accredited", "appealed"), ("rejected", "appealed")},
    "uphold_appeal": {("appealed", "decision_pending")},
    "dismiss_appeal": {("appealed", "conditionally_accredited"), ("appealed", "rejected")},
    "withdraw": {(state, "withdrawn") for state in PRE_DECISION},
}
REACHED = set()
ACTORS = ("provider", "coordinator", "chair", "member", "decider", "appeals", "stranger", "system")


def full_data():
    future = (timezone.now() + datetime.timedelta(days=200)).date().isoformat()
    return {
        "comment": "Please see the attached notes.",
        "answer": "Here is the missing information.",
        "rationale": "The panel's findings support it.",
        "grounds": "The panel misread standard 3.",
        "valid_until": future,
        "conditions": [{"text": "Publish the assessment grid", "due_date": future}],
    }


def prepared_application():
    """A course application whose every guard can pass, with its cast of people."""
    provider_user = MembershipFactory().user
    provider = provider_user.providers.get()
    application = ApplicationFactory(
        provider=provider, course__provider=provider, created_by=provider_user
    )
    complete_dossier(application, provider_user)
    coordinator = UserFactory(roles=["coordinator"])
    people = {
        "provider": provider_user,
        "coordinator": coordinator,
        "decider": UserFactory(roles=["decision_body", "appeals_committee"]),
        "appeals": UserFactory(roles=["appeals_committee"]),
        "stranger": UserFactory(roles=["provider"]),
        "system": None,
    }
    standards = list(application.framework.standards.all())
    for role in ("chair", "member", "student"):
        reviewer = UserFactory(roles=["reviewer"])
        seat = PanelAssignment.objects.create(
            application=application,
            reviewer=reviewer,
            role=role,
            state="accepted",
            assigned_by=coordinator,
            no_conflict_declared=True,
        )
        assign_perm("accreditation.review_application", reviewer, application)
        ReviewerJudgement.objects.bulk_create(
            ReviewerJudgement(assignment=seat, standard=s, judgement="compliant", rationale="ok")
            for s in standards
        )
        if role in ("chair", "member"):
            people[role] = reviewer
    Finding.objects.bulk_create(
        Finding(
            application=application,
            standard=s,
            judgement="compliant",
            rationale="consolidated",
            recorded_by=people["chair"],
        )
        for s in standards
    )
    for stage in ("draft", "final"):
        Report.objects.create(
            application=application,
            stage=stage,
            version=1,
            status="ready",
            sha256=hashlib.sha256(stage.encode()).hexdigest(),
        )
    return application, people


def world(application):
    """Everything a refused transition must leave as it was."""
    app = Application.objects.get(pk=application.pk)
    return (
        app.state,
        app.due_at,
        ApplicationTransition.objects.filter(application=app).count(),
        Decision.objects.filter(application=app).count(),
        Decision.objects.filter(application=app, annulled_at__isnull=False).count(),
        list(Accreditation.objects.filter(application=app).values_list("status", flat=True)),
        list(Appeal.objects.filter(application=app).values_list("outcome", flat=True)),
        list(Clarification.objects.filter(application=app).values_list("answer", flat=True)),
    )


class ApplicationMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.application, self.people = prepared_application()
        self.state = "draft"
        self.appealed_from = None
        self.history = 0

    @rule(
        name=st.sampled_from(APPLICATION_TRANSITIONS),
        who=st.sampled_from(ACTORS),
        complete=st.booleans(),
    )
    def fire(self, name, who, complete):
        self._fire(name, who, complete)

    @rule(pick=st.integers(0, 50))
    def fire_an_offered_transition(self, pick):
        """Walk deeper: one of the (actor, transition) pairs offered now, with the fields
        filled in (withdrawing, which ends the walk, is left to the fully random rule)."""
        application = Application.objects.get(pk=self.application.pk)
        offered = [
            (name, who)
            for who in ACTORS[:-2]
            for name in available_transitions(application=application, actor=self.people[who])
            if name != "withdraw"
        ]
        if offered:
            name, who = offered[pick % len(offered)]
            self._fire(name, who, True)

    def _fire(self, name, who, complete):
        actor = self.people[who]
        application = Application.objects.get(pk=self.application.pk)
        before = world(application)
        offered = (
            available_transitions(application=application, actor=actor)
            if actor is not None
            else None
        )
        right = transition_right(application=application, name=name, actor=actor)
        try:
            result = application_transition(
                application=application,
                name=name,
                actor=actor,
                data=full_data() if complete else {},
            )
        except DomainError as exc:
            assert world(application) == before, f"{name} by {who} changed something"
            if who == "stranger":
                assert isinstance(exc, NotVisible)
            elif right is not None:
                assert isinstance(exc, NotAllowed), (name, who, exc)
            elif (self.state,) and not any(src == self.state for src, _ in EDGES[name]):
                assert isinstance(exc, InvalidTransition), (name, who, self.state, exc)
            else:
                assert isinstance(exc, GuardFailed), (name, who, self.state, exc)
                assert exc.unmet and not complete, (name, who, self.state, exc.unmet)
            if offered is not None and name in offered:
                assert isinstance(exc, GuardFailed)
            return
        to_state = result.state
        assert (self.state, to_state) in EDGES[name], (name, self.state, to_state)
        if name == "dismiss_appeal":
            assert to_state == self.appealed_from
        if name == "appeal":
            self.appealed_from = self.state
        if offered is not None:
            assert name in offered
        self.history += 1
        log = ApplicationTransition.objects.filter(application=application).order_by("-id")[0]
        assert (log.transition, log.from_state, log.to_state, log.actor) == (
            name,
            self.state,
            to_state,
            actor,
        )
        self.state = to_state
        REACHED.add(to_state)

    @invariant()
    def database_agrees(self):
        app = Application.objects.get(pk=self.application.pk)
        assert app.state == self.state
        logs = list(ApplicationTransition.objects.filter(application=app).order_by("at", "id"))
        assert len(logs) == self.history
        for earlier, later in zip(logs, logs[1:], strict=False):
            assert earlier.to_state == later.from_state
        if logs:
            assert logs[0].from_state == "draft"

    @invariant()
    def counts_per_state_agree(self):
        kept = {s: n for s, n in ApplicationStateCount.objects.values_list("state", "n") if n}
        actual = Application.objects.order_by().values_list("state").annotate(n=Count("pk"))
        assert kept == dict(actual)

    @invariant()
    def decisions_follow_states(self):
        app = Application.objects.get(pk=self.application.pk)
        live = Decision.objects.filter(application=app, annulled_at__isnull=True)
        if self.state in ("accredited", "conditionally_accredited", "rejected", "appealed"):
            assert live.exists()
        active = Accreditation.objects.filter(application=app, status="active").count()
        assert active <= 1


def test_random_transitions_by_random_roles_keep_the_invariants(db):
    run_state_machine_as_test(
        ApplicationMachine,
        settings=settings(
            max_examples=20,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    # The walk went deep enough to exercise decisions and appeals, not just the start.
    assert {"screening", "in_review", "decision_pending"} <= REACHED, REACHED
    assert REACHED & {"accredited", "conditionally_accredited", "rejected"}, REACHED
