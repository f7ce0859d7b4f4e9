"""The transition engine: rights (403), states (409), guards (400), logs, atomicity."""

import pytest

from accreditation.models import ApplicationTransition
from accreditation.services import application_transition, available_transitions, course_update
from core.errors import GuardFailed, InvalidTransition, NotAllowed, NotVisible
from tests.factories import UserFactory, complete_dossier

pytestmark = pytest.mark.django_db


def test_submit_incomplete_dossier_lists_every_missing_item(course_application, provider_user):
    course = course_application.course
    course.eqf_level = None
    course.qf_ehea_cycle = None
    course.assessment_type = ""
    course.save()
    with pytest.raises(GuardFailed) as caught:
        application_transition(application=course_application, name="submit", actor=provider_user)
    codes = {u.code for u in caught.value.unmet}
    assert {
        "missing_element:eqf_level",
        "missing_element:assessment_type",
        "missing_document:self_evaluation",
        "missing_document:credential_sample",
        "missing_self_assessment:quality",
        "missing_self_assessment:transparency",
    } <= codes
    course_application.refresh_from_db()
    assert course_application.state == "draft"
    assert not ApplicationTransition.objects.exists()


def test_complete_dossier_submits_and_logs(course_application, provider_user):
    complete_dossier(course_application, provider_user)
    app = application_transition(application=course_application, name="submit", actor=provider_user)
    assert app.state == "submitted"
    log = ApplicationTransition.objects.get()
    assert (log.transition, log.from_state, log.to_state, log.actor) == (
        "submit",
        "draft",
        "submitted",
        provider_user,
    )
    app.refresh_from_db()
    assert app.submitted_at is not None and app.due_at is not None


def test_submit_pins_the_course_version_and_a_resubmission_pins_the_one_in_force_then(
    course_application, provider_user, coordinator
):
    """The review assesses the course as submitted: later edits make new versions but
    leave the pinned one; a dossier returned and submitted again is pinned anew."""
    complete_dossier(course_application, provider_user)
    app = application_transition(application=course_application, name="submit", actor=provider_user)
    app.refresh_from_db()
    first = app.course_version
    assert (first.number, first.course_id, first.valid_until) == (1, app.course_id, None)
    assert first.title == app.course.title

    course_update(course=app.course, actor=provider_user, data={"title": "Edited while screened"})
    app.refresh_from_db()
    assert app.course_version_id == first.pk
    assert app.course_as_assessed.title == first.title != app.course.title

    application_transition(application=app, name="start_screening", actor=coordinator)
    application_transition(
        application=app,
        name="return_for_completion",
        actor=coordinator,
        data={"comment": "Add the grading scheme."},
    )
    application_transition(application=app, name="submit", actor=provider_user)
    app.refresh_from_db()
    assert app.course_version.number == 2
    assert app.course_version.title == "Edited while screened"


def test_submit_freezes_a_course_changed_outside_the_services(course_application, provider_user):
    """A course changed without a version (a data fix) is frozen as it stands at submit."""
    course = course_application.course
    course.title = "Fixed in the shell"
    course.save()
    complete_dossier(course_application, provider_user)
    app = application_transition(application=course_application, name="submit", actor=provider_user)
    app.refresh_from_db()
    assert (app.course_version.number, app.course_version.title) == (2, "Fixed in the shell")


def test_wrong_role_is_403_and_wrong_state_is_409(course_application, provider_user, coordinator):
    with pytest.raises(NotAllowed):
        application_transition(
            application=course_application, name="start_screening", actor=provider_user
        )
    with pytest.raises(InvalidTransition):
        application_transition(
            application=course_application, name="start_screening", actor=coordinator
        )
    assert available_transitions(application=course_application, actor=provider_user) == [
        "submit",
        "withdraw",
    ]
    assert available_transitions(application=course_application, actor=coordinator) == []


def test_outsider_cannot_see_application(course_application):
    stranger = UserFactory(roles=["provider"])
    with pytest.raises(NotVisible):
        application_transition(application=course_application, name="withdraw", actor=stranger)
