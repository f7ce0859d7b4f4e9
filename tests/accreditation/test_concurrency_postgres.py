"""Two people fire the same transition on one application at the same moment: the row
lock lets exactly one win; the other sees the new state and gets a 409 error."""

import threading

import pytest
from django.db import connection, connections

from accreditation.models import Application, ApplicationTransition
from accreditation.services import application_transition
from core.errors import ConflictError, InvalidTransition
from tests.factories import ApplicationFactory, MembershipFactory, UserFactory, complete_dossier


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("rounds", [5])
def test_concurrent_transitions_have_exactly_one_winner(rounds):
    assert connection.vendor == "postgresql", "this test needs DATABASE_URL pointing at PostgreSQL"
    coordinators = [UserFactory(roles=["coordinator"]) for _ in range(2)]
    for _ in range(rounds):
        member = MembershipFactory().user
        provider = member.providers.get()
        application = ApplicationFactory(provider=provider, course__provider=provider)
        complete_dossier(application, member)
        application_transition(application=application, name="submit", actor=member)

        barrier = threading.Barrier(2)
        outcomes = []

        def screen(actor, application_id=application.pk, barrier=barrier, outcomes=outcomes):
            try:
                app = Application.objects.get(pk=application_id)
                barrier.wait(timeout=10)
                application_transition(application=app, name="start_screening", actor=actor)
                outcomes.append("ok")
            except (InvalidTransition, ConflictError) as exc:
                outcomes.append(exc.status_code)
            except Exception as exc:  # noqa: BLE001  (reported by the assertion below)
                outcomes.append(repr(exc))
            finally:
                connections.close_all()

        threads = [threading.Thread(target=screen, args=(c,)) for c in coordinators]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(outcomes, key=str) == [409, "ok"], outcomes
        application.refresh_from_db()
        assert application.state == "screening"
        assert (
            ApplicationTransition.objects.filter(
                application=application, transition="start_screening"
            ).count()
            == 1
        )
