"""Panel seats: who composes the panel, accepting and declining, replacing a seat, and the
object permission that lets a reviewer see the case only after accepting."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from accreditation.selectors import applications_visible_to
from accreditation.services import application_transition
from core.errors import ConflictError, NotAllowed, NotVisible
from core.models import AuditEvent
from reviews import services
from reviews.models import PanelAssignment
from tests.factories import UserFactory
from tests.reviews.helpers import make_reviewer

pytestmark = pytest.mark.django_db


def _assign(application, reviewer, coordinator, role="member"):
    return services.panel_member_assign(
        application=application, reviewer=reviewer, role=role, actor=coordinator
    )


def _sees(user, application):
    return applications_visible_to(user=user).filter(pk=application.pk).exists()


def test_assignment_is_due_and_mailed_after_commit(
    screening_application, coordinator, settings, django_capture_on_commit_callbacks
):
    settings.MCQA_DEADLINE_DAYS = {**settings.MCQA_DEADLINE_DAYS, "assignment": 9}
    reviewer = make_reviewer(email="rev@example.org")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        seat = _assign(screening_application, reviewer, coordinator, role="chair")
    assert mail.outbox == []
    assert seat.state == "invited" and seat.role == "chair" and seat.assigned_by == coordinator
    assert seat.due_date == timezone.now().date() + timedelta(days=9)
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["rev@example.org"] and "Invitation" in mail.outbox[0].subject
    for callback in callbacks:  # a redelivered task does not mail twice
        callback()
    assert len(mail.outbox) == 1


def test_only_a_coordinator_assigns(screening_application, provider_user, decider):
    reviewer = make_reviewer()
    with pytest.raises(NotAllowed):
        _assign(screening_application, reviewer, decider)
    with pytest.raises(NotVisible):
        _assign(screening_application, reviewer, make_reviewer())
    with pytest.raises(NotAllowed):
        _assign(screening_application, reviewer, provider_user)
    assert not PanelAssignment.objects.exists()


def test_assign_needs_screening_or_review(course_application, coordinator):
    with pytest.raises(ConflictError):
        _assign(course_application, make_reviewer(), coordinator)


def test_reviewer_must_hold_the_reviewer_role(screening_application, coordinator):
    with pytest.raises(ValidationError) as caught:
        _assign(screening_application, UserFactory(), coordinator)
    assert "reviewer" in caught.value.message_dict


def test_role_must_be_on_the_list(screening_application, coordinator):
    with pytest.raises(ValidationError) as caught:
        _assign(screening_application, make_reviewer(), coordinator, role="observer")
    assert "role" in caught.value.message_dict


def test_one_seat_per_reviewer_and_one_chair(screening_application, coordinator):
    reviewer = make_reviewer()
    _assign(screening_application, reviewer, coordinator, role="chair")
    with pytest.raises(ValidationError) as caught:
        _assign(screening_application, reviewer, coordinator)
    assert "reviewer" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        _assign(screening_application, make_reviewer(), coordinator, role="chair")
    assert "role" in caught.value.message_dict


def test_invited_reviewer_does_not_see_the_application(screening_application, coordinator):
    reviewer = make_reviewer()
    _assign(screening_application, reviewer, coordinator)
    assert not _sees(reviewer, screening_application)


def test_accept_grants_the_review_permission_and_audits_it(
    screening_application, coordinator, settings
):
    reviewer = make_reviewer()
    seat = _assign(screening_application, reviewer, coordinator)
    accepted = services.assignment_accept(assignment=seat, actor=reviewer, no_conflict=True)
    assert accepted.state == "accepted" and accepted.no_conflict_declared
    assert accepted.responded_at is not None
    assert accepted.due_date == timezone.now().date() + timedelta(
        days=settings.MCQA_DEADLINE_DAYS["in_review"]
    )
    assert _sees(reviewer, screening_application)
    reviewer = type(reviewer).objects.get(pk=reviewer.pk)
    assert reviewer.has_perm("accreditation.review_application", screening_application)
    event = AuditEvent.objects.get(action="review.permission_granted")
    assert event.object_id == str(screening_application.pk)
    assert event.data["reviewer"] == reviewer.username


@pytest.mark.parametrize("value", [False, None, "yes", 1])
def test_accept_requires_no_conflict_true(screening_application, coordinator, value):
    reviewer = make_reviewer()
    seat = _assign(screening_application, reviewer, coordinator)
    with pytest.raises(ValidationError) as caught:
        services.assignment_accept(assignment=seat, actor=reviewer, no_conflict=value)
    assert "no_conflict" in caught.value.message_dict
    seat.refresh_from_db()
    assert seat.state == "invited"


def test_only_the_invitee_answers(screening_application, coordinator):
    reviewer = make_reviewer()
    seat = _assign(screening_application, reviewer, coordinator)
    for other in (make_reviewer(), coordinator):
        with pytest.raises(NotVisible):
            services.assignment_accept(assignment=seat, actor=other, no_conflict=True)
        with pytest.raises(NotVisible):
            services.assignment_decline(assignment=seat, actor=other, reason="busy")
    seat.refresh_from_db()
    assert seat.state == "invited"


def test_accept_twice_is_409(screening_application, coordinator):
    reviewer = make_reviewer()
    seat = _assign(screening_application, reviewer, coordinator)
    services.assignment_accept(assignment=seat, actor=reviewer, no_conflict=True)
    with pytest.raises(ConflictError):
        services.assignment_accept(assignment=seat, actor=reviewer, no_conflict=True)


def test_accept_after_withdrawal_is_409(screening_application, coordinator, provider_user):
    reviewer = make_reviewer()
    seat = _assign(screening_application, reviewer, coordinator)
    application_transition(application=screening_application, name="withdraw", actor=provider_user)
    with pytest.raises(ConflictError):
        services.assignment_accept(assignment=seat, actor=reviewer, no_conflict=True)


def test_decline_needs_a_reason_and_frees_the_seat(
    screening_application, coordinator, django_capture_on_commit_callbacks
):
    coordinator.email = "coord@example.org"
    coordinator.save()
    reviewer = make_reviewer()
    seat = _assign(screening_application, reviewer, coordinator, role="chair")
    with pytest.raises(ValidationError) as caught:
        services.assignment_decline(assignment=seat, actor=reviewer, reason="  ")
    assert "reason" in caught.value.message_dict
    with django_capture_on_commit_callbacks(execute=True):
        declined = services.assignment_decline(
            assignment=seat, actor=reviewer, reason="On leave until spring."
        )
    assert declined.state == "declined" and declined.decline_reason == "On leave until spring."
    assert any(m.to == ["coord@example.org"] and "declined" in m.subject for m in mail.outbox)
    # The chair's seat is free again, and the same reviewer could even be invited again.
    other = _assign(screening_application, make_reviewer(), coordinator, role="chair")
    assert other.role == "chair"
    assert _assign(screening_application, reviewer, coordinator).state == "invited"


def test_declining_an_accepted_seat_revokes_the_permission(screening_application, coordinator):
    reviewer = make_reviewer()
    seat = _assign(screening_application, reviewer, coordinator)
    services.assignment_accept(assignment=seat, actor=reviewer, no_conflict=True)
    services.assignment_decline(assignment=seat, actor=reviewer, reason="Fell ill")
    assert not _sees(reviewer, screening_application)
    assert AuditEvent.objects.filter(action="review.permission_revoked").count() == 1


def test_coordinator_replaces_a_silent_reviewer(screening_application, coordinator):
    silent = make_reviewer()
    seat = _assign(screening_application, silent, coordinator, role="student")
    newcomer = make_reviewer()
    replaced, replacement = services.assignment_replace(
        assignment=seat, actor=coordinator, reason="No answer in two weeks", reviewer=newcomer
    )
    assert replaced.state == "replaced"
    assert replacement.reviewer == newcomer and replacement.role == "student"
    assert replacement.state == "invited"
    event = AuditEvent.objects.get(action="review.assignment_replaced")
    assert event.data["reason"] == "No answer in two weeks"
    with pytest.raises(NotVisible):  # the old invitation can no longer be taken up
        services.assignment_accept(assignment=seat, actor=newcomer, no_conflict=True)
    with pytest.raises(ConflictError):
        services.assignment_accept(assignment=seat, actor=silent, no_conflict=True)


def test_replacing_an_accepted_reviewer_revokes_their_view(screening_application, coordinator):
    reviewer = make_reviewer()
    seat = _assign(screening_application, reviewer, coordinator)
    services.assignment_accept(assignment=seat, actor=reviewer, no_conflict=True)
    services.assignment_replace(assignment=seat, actor=coordinator)
    assert not _sees(reviewer, screening_application)


def test_refused_replacement_changes_nothing(screening_application, coordinator):
    from accreditation.models import ProviderMembership
    from core.errors import GuardFailed

    seat = _assign(screening_application, make_reviewer(), coordinator)
    conflicted = make_reviewer()
    ProviderMembership.objects.create(user=conflicted, provider=screening_application.provider)
    with pytest.raises(GuardFailed):
        services.assignment_replace(assignment=seat, actor=coordinator, reviewer=conflicted)
    seat.refresh_from_db()
    assert seat.state == "invited"
    assert not AuditEvent.objects.filter(action="review.assignment_replaced").exists()


def test_only_a_coordinator_replaces(screening_application, coordinator, decider):
    reviewer = make_reviewer()
    seat = _assign(screening_application, reviewer, coordinator)
    with pytest.raises(NotAllowed):
        services.assignment_replace(assignment=seat, actor=decider)
    with pytest.raises(NotVisible):
        services.assignment_replace(assignment=seat, actor=reviewer)


def test_declined_seat_cannot_be_replaced(screening_application, coordinator):
    reviewer = make_reviewer()
    seat = _assign(screening_application, reviewer, coordinator)
    services.assignment_decline(assignment=seat, actor=reviewer, reason="busy")
    with pytest.raises(ConflictError):
        services.assignment_replace(assignment=seat, actor=coordinator)
