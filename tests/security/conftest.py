"""A small world to attack: two providers, one case with a panel, staff in every seat.

`World` builds, for each test, provider A's course application with an accepted panel
(chair, member, student), provider B with its own course, a reviewer on nobody's panel,
a coordinator, a decision body member and an appeals committee member who never
decided. `world.prepare(name)` puts the case into the state a matrix row needs
(e.g. `decision_pending` with a ready final report) with the shortcuts of
`demo.scenario`, which write rows directly, so a row tests one endpoint and not the
whole procedure before it.
"""

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.apps import apps
from django.test import Client
from django.utils import timezone
from guardian.shortcuts import assign_perm
from rest_framework.test import APIClient

from accreditation.models import (
    Accreditation,
    Appeal,
    Application,
    Clarification,
    Decision,
    Document,
)
from core.tokens import token_issue
from demo.scenario import accreditation_record, decision_record, ready_report, skip_to_state
from reviews.models import Finding, PanelAssignment, Report, SiteVisit, SiteVisitSession
from tests.factories import (
    ApplicationFactory,
    CourseFactory,
    DocumentFactory,
    IdentifierFactory,
    MembershipFactory,
    UserFactory,
    complete_dossier,
)


def api_client(key=None):
    """A client that authenticates the way integrators do: `Authorization: Token ...`."""
    client = APIClient()
    if key is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@dataclass
class World:
    users: dict = field(default_factory=dict)
    application: Application = None
    other_application: Application = None
    document: Document = None
    assignment: PanelAssignment = None
    chair_assignment: PanelAssignment = None
    invited_assignment: PanelAssignment = None
    report: Report = None
    accreditation: Accreditation = None
    decision: Decision = None
    site_visit: SiteVisit = None
    keys: dict = field(default_factory=dict)  # user id -> API token key, issued once

    def user(self, role):
        return self.users.get(role)

    def client(self, role):
        user = self.user(role)
        return api_client(None if user is None else self.keys[user.pk])

    def page_client(self, role):
        """A browser: session login (CSRF checks are tested on their own)."""
        client = Client()
        if self.user(role) is not None:
            client.force_login(self.user(role))
        return client

    # ----------------------------------------------------------------- states

    def set_state(self, state, **fields):
        skip_to_state(self.application, state, **fields)

    def prepare(self, name):
        """Bring the case into a named situation (see matrix.SETUPS for the list)."""
        getattr(self, f"_prepare_{name}")()
        self.application.refresh_from_db()

    def _prepare_draft(self):
        pass

    def _prepare_complete_draft(self):
        complete_dossier(self.application, self.user("provider_own"))

    def _prepare_submitted(self):
        complete_dossier(self.application, self.user("provider_own"))
        self.set_state("submitted")

    def _prepare_screening(self):
        complete_dossier(self.application, self.user("provider_own"))
        self.set_state("screening")

    def _prepare_in_review(self):
        complete_dossier(self.application, self.user("provider_own"))
        self.set_state("in_review")

    def _prepare_findings_recorded(self):
        """In review, the chair's finding recorded on every standard: a report may render."""
        self._prepare_in_review()
        chair = self.user("panel_chair")
        for standard in self.application.framework.standards.all():
            Finding.objects.create(
                application=self.application,
                standard=standard,
                judgement="compliant",
                rationale=f"The panel finds {standard.code} met.",
                recorded_by=chair,
            )

    def _prepare_clarification_requested(self):
        self._prepare_in_review()
        Clarification.objects.create(
            application=self.application,
            question="Which exam rules apply?",
            asked_by=self.user("coordinator"),
        )
        self.set_state("clarification_requested")

    def _prepare_factual_check(self):
        self._prepare_in_review()
        self.report = ready_report(self.application, Report.Stage.DRAFT)
        self.set_state("factual_check")

    def _prepare_decision_pending(self):
        self._prepare_in_review()
        ready_report(self.application, Report.Stage.DRAFT)
        self.report = ready_report(self.application, Report.Stage.FINAL)
        self.set_state("decision_pending")

    def _decide(self, outcome, state):
        self._prepare_decision_pending()
        now = timezone.now()
        self.decision = decision_record(
            self.application,
            outcome=outcome,
            rationale="Panel findings.",
            decided_by=self.user("decision_body"),
            decided_at=now,
        )
        self.set_state(state, decided_at=now)
        if outcome != "negative":
            conditions = ()
            if outcome == "positive_with_conditions":
                conditions = [("Publish the assessment rules.", now.date() + timedelta(days=180))]
            self.accreditation = accreditation_record(
                self.decision, conditions=conditions, actor=self.user("decision_body")
            )
        self.report = ready_report(self.application, Report.Stage.PUBLISHED)
        from registry.services import registry_sync

        registry_sync()  # the projection the after-commit task and the sweep keep current

    def _prepare_accredited(self):
        self._decide("positive", "accredited")

    def _prepare_conditionally_accredited(self):
        self._decide("positive_with_conditions", "conditionally_accredited")

    def _prepare_conditions_met(self):
        self._decide("positive_with_conditions", "conditionally_accredited")
        self.accreditation.conditions.update(status="met", met_at=timezone.now())

    def _prepare_rejected(self):
        self._decide("negative", "rejected")

    def _prepare_appealed(self):
        self._decide("negative", "rejected")
        Appeal.objects.create(
            application=self.application,
            decision=self.decision,
            appealed_state="rejected",
            grounds="The panel ignored our evidence.",
            lodged_by=self.user("provider_own"),
        )
        self.set_state("appealed")

    def _prepare_suspended(self):
        self._decide("positive", "accredited")
        Accreditation.objects.filter(pk=self.accreditation.pk).update(status="suspended")
        self.accreditation.refresh_from_db()

    def _prepare_draft_report(self):
        self._prepare_in_review()
        self.report = ready_report(self.application, Report.Stage.DRAFT)

    def _prepare_failed_report(self):
        self._prepare_in_review()
        self.report = Report.objects.create(
            application=self.application,
            stage=Report.Stage.DRAFT,
            version=1,
            status=Report.Status.FAILED,
            error="RuntimeError: renderer crashed",
            attempts=1,
        )

    def _prepare_site_visit(self):
        """Provider A's case in review with a two-day site visit planned a month ahead."""
        self._prepare_in_review()
        start = timezone.localdate() + timedelta(days=30)
        self.site_visit = SiteVisit.objects.create(
            application=self.application,
            mode=SiteVisit.Mode.ONSITE,
            starts_on=start,
            ends_on=start + timedelta(days=1),
            planned_by=self.user("coordinator"),
        )
        SiteVisitSession.objects.create(
            visit=self.site_visit,
            group=SiteVisitSession.Group.MANAGEMENT,
            at=timezone.make_aware(timezone.datetime(start.year, start.month, start.day, 9)),
        )

    def _prepare_invited(self):
        """`reviewer_off` is invited (not yet accepted) to the panel of provider A's case."""
        self._prepare_screening()
        self.invited_assignment = PanelAssignment.objects.create(
            application=self.application,
            reviewer=self.user("reviewer_off"),
            role=PanelAssignment.Role.MEMBER,
            assigned_by=self.user("coordinator"),
        )

    # ----------------------------------------------------------------- snapshot

    def snapshot(self):
        """Everything a refused request must leave exactly as it was: every row of every
        model of the project's apps and of the apps holding who may do what (users,
        groups, permissions, object permissions, tokens), in primary-key order.

        Left out: `auth.User.last_login`, which signing the test's clients in moves.
        """
        return {
            model._meta.label: list(
                model._base_manager.order_by("pk").values_list(*snapshot_fields(model))
            )
            for model in apps.get_models(include_auto_created=True)
            if model._meta.app_label in SNAPSHOT_APPS and not model._meta.proxy
        }


SNAPSHOT_APPS = ("core", "accreditation", "reviews", "registry", "auth", "guardian", "knox")
NOT_SNAPSHOTTED = {"auth.User": {"last_login"}}


def snapshot_fields(model):
    left_out = NOT_SNAPSHOTTED.get(model._meta.label, set())
    return [f.attname for f in model._meta.concrete_fields if f.name not in left_out]


def build_world():
    """Create the cast and provider A's case (draft) with an accepted three-seat panel."""
    own = MembershipFactory(user__username="provider-a").user
    other = MembershipFactory(user__username="provider-b").user
    provider_a = own.providers.get()
    provider_b = other.providers.get()
    IdentifierFactory(provider=provider_a, scheme="schac", value="a.example.org")
    IdentifierFactory(provider=provider_b, scheme="schac", value="b.example.org")
    coordinator = UserFactory(username="coordinator", roles=["coordinator"])
    decider = UserFactory(username="decider", roles=["decision_body"])
    appeals = UserFactory(username="appeals", roles=["appeals_committee"])
    member = UserFactory(username="reviewer-on", roles=["reviewer"])
    chair = UserFactory(username="reviewer-chair", roles=["reviewer"])
    student = UserFactory(username="student-on", roles=["reviewer"])
    off = UserFactory(username="reviewer-off", roles=["reviewer"])

    application = ApplicationFactory(
        provider=provider_a, course__provider=provider_a, created_by=own
    )
    other_application = ApplicationFactory(
        provider=provider_b, course__provider=provider_b, created_by=other
    )
    CourseFactory(provider=provider_a, title="A second course of A")
    document = DocumentFactory(application=application, uploaded_by=own, kind="evidence")
    assignments = {}
    for user, role in ((chair, "chair"), (member, "member"), (student, "student")):
        assignments[role] = PanelAssignment.objects.create(
            application=application,
            reviewer=user,
            role=role,
            state=PanelAssignment.State.ACCEPTED,
            assigned_by=coordinator,
            no_conflict_declared=True,
            responded_at=timezone.now(),
        )
        assign_perm("accreditation.review_application", user, application)
    world = World(
        users={
            "anonymous": None,
            "provider_own": own,
            "provider_other": other,
            "reviewer_on": member,
            "reviewer_off": off,
            "panel_chair": chair,
            "coordinator": coordinator,
            "decision_body": decider,
            "appeals": appeals,
        },
        application=application,
        other_application=other_application,
        document=document,
        assignment=assignments["member"],
        chair_assignment=assignments["chair"],
    )
    world.users["student"] = student
    for user in world.users.values():
        if user is not None:  # each API client's token exists before any snapshot
            world.keys[user.pk] = token_issue(user=user)[0]
    return world


@pytest.fixture
def world(db):
    return build_world()
