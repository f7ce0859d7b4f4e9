"""Concurrent panel changes on PostgreSQL: the application row is locked for every panel
change, so of two racing requests exactly one wins and the other gets a clear error."""

import threading

import pytest
from django.db import connection, connections

from accreditation.models import ApplicationObjectPermission
from accreditation.services import application_transition
from core.errors import DomainError
from core.models import AuditEvent
from reviews import services
from reviews.models import PanelAssignment
from tests.factories import ApplicationFactory, MembershipFactory, UserFactory, complete_dossier
from tests.reviews.helpers import make_reviewer

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _race(*calls):
    """Run `calls` at the same moment in threads; return each one's result or exception."""
    assert connection.vendor == "postgresql", "this test needs DATABASE_URL on PostgreSQL"
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:  # noqa: BLE001  (the outcome is what the test inspects)
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def _screening():
    coordinator = UserFactory(username="coord-race", roles=["coordinator"])
    provider_user = MembershipFactory().user
    provider = provider_user.providers.get()
    application = ApplicationFactory(provider=provider, course__provider=provider)
    complete_dossier(application, provider_user)
    application_transition(application=application, name="submit", actor=provider_user)
    application_transition(application=application, name="start_screening", actor=coordinator)
    return application, coordinator


def test_two_chairs_assigned_at_once_exactly_one_wins():
    application, coordinator = _screening()
    first, second = make_reviewer("race-a"), make_reviewer("race-b")
    results = _race(
        *(
            lambda reviewer=reviewer: services.panel_member_assign(
                application=application, reviewer=reviewer, role="chair", actor=coordinator
            )
            for reviewer in (first, second)
        )
    )
    winners = [r for r in results if isinstance(r, PanelAssignment)]
    losers = [r for r in results if not isinstance(r, PanelAssignment)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert PanelAssignment.objects.filter(application=application, role="chair").count() == 1
    from django.core.exceptions import ValidationError

    assert isinstance(losers[0], ValidationError | DomainError), losers[0]


def test_double_accept_grants_once():
    application, coordinator = _screening()
    reviewer = make_reviewer("race-c")
    seat = services.panel_member_assign(
        application=application, reviewer=reviewer, role="member", actor=coordinator
    )
    results = _race(
        *(
            lambda: services.assignment_accept(assignment=seat, actor=reviewer, no_conflict=True)
            for _ in range(2)
        )
    )
    assert sum(isinstance(r, PanelAssignment) for r in results) == 1, results
    assert sum(isinstance(r, DomainError) and r.status_code == 409 for r in results) == 1
    assert ApplicationObjectPermission.objects.filter(user=reviewer).count() == 1
    assert AuditEvent.objects.filter(action="review.permission_granted").count() == 1
