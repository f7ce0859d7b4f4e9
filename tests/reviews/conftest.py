"""Fixtures of the review stage: reviewers, a case in screening, an accepted panel."""

import pytest

from accreditation.services import application_transition
from reviews import services
from tests.factories import complete_dossier
from tests.reviews.helpers import make_reviewer


@pytest.fixture
def screening_application(course_application, provider_user, coordinator):
    complete_dossier(course_application, provider_user)
    application_transition(application=course_application, name="submit", actor=provider_user)
    return application_transition(
        application=course_application, name="start_screening", actor=coordinator
    )


@pytest.fixture
def chair(db):
    return make_reviewer("chair-r")


@pytest.fixture
def member(db):
    return make_reviewer("member-r")


@pytest.fixture
def student(db):
    return make_reviewer("student-r")


@pytest.fixture
def panel(screening_application, coordinator, chair, member, student):
    """A full panel (chair, member, student), every seat accepted."""
    seats = {}
    for user, role in ((chair, "chair"), (member, "member"), (student, "student")):
        seat = services.panel_member_assign(
            application=screening_application, reviewer=user, role=role, actor=coordinator
        )
        seats[role] = services.assignment_accept(assignment=seat, actor=user, no_conflict=True)
    return seats


@pytest.fixture
def in_review_application(panel, screening_application, coordinator):
    return application_transition(
        application=screening_application, name="start_review", actor=coordinator
    )
