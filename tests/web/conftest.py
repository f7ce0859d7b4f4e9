"""Fixtures of the web tests: logged-in browsers per role and cases moved along the
procedure through the same services the pages call."""

import pytest
from django.test import Client

from accreditation.services import application_transition
from reviews import services as review_services
from reviews.models import Judgement
from tests.factories import ProviderFactory, UserFactory, complete_dossier

HOSTILE = "<script>alert(1)</script>"


def browser_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def as_user():
    return browser_for


@pytest.fixture
def reviewers(db):
    return {
        "chair": UserFactory(username="chair-w", roles=["reviewer"]),
        "member": UserFactory(username="member-w", roles=["reviewer"]),
        "student": UserFactory(username="student-w", roles=["reviewer"]),
    }


@pytest.fixture
def outsider(db):
    """A person of another provider: may see nothing of the case."""
    from tests.factories import MembershipFactory

    return MembershipFactory(provider=ProviderFactory(legal_name="Other Org")).user


def fire(application, name, actor, **data):
    return application_transition(application=application, name=name, actor=actor, data=data)


def to_screening(application, provider_user, coordinator):
    complete_dossier(application, provider_user)
    fire(application, "submit", provider_user)
    return fire(application, "start_screening", coordinator)


def seat_panel(application, coordinator, reviewers, accept=True):
    seats = {}
    for role, user in reviewers.items():
        seat = review_services.panel_member_assign(
            application=application, reviewer=user, role=role, actor=coordinator
        )
        if accept:
            seat = review_services.assignment_accept(assignment=seat, actor=user, no_conflict=True)
        seats[role] = seat
    return seats


def to_review(application, provider_user, coordinator, reviewers):
    to_screening(application, provider_user, coordinator)
    seats = seat_panel(application, coordinator, reviewers)
    fire(application, "start_review", coordinator)
    return seats


def judge_all(application, seats, chair):
    for seat in seats.values():
        for standard in application.framework.standards.all():
            review_services.judgement_put(
                assignment=seat,
                standard_code=standard.code,
                actor=seat.reviewer,
                judgement=Judgement.COMPLIANT,
                rationale=f"{seat.reviewer.username} finds {standard.code} met.",
            )
    for standard in application.framework.standards.all():
        review_services.finding_put(
            application=application,
            standard_code=standard.code,
            actor=chair,
            judgement=Judgement.COMPLIANT,
            rationale=f"The panel finds {standard.code} met.",
        )
