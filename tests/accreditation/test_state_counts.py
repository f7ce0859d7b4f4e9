"""The number of applications kept per state (`ApplicationStateCount`) stays the number
of applications in each state through every write: creation, transitions, refused
transitions, deletion, bulk writes and concurrent transitions (PostgreSQL); the
recount command finds and mends a count that a bypassing write left wrong."""

import importlib
import threading
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from accreditation import selectors
from accreditation.models import Application, ApplicationState, ApplicationStateCount
from accreditation.services import application_create, application_transition
from core.errors import ConflictError, InvalidTransition
from tests.factories import ApplicationFactory, MembershipFactory, UserFactory, complete_dossier

pytestmark = pytest.mark.django_db

migration = importlib.import_module("accreditation.migrations.0015_application_state_counts")


def kept():
    return {s: n for s, n in ApplicationStateCount.objects.values_list("state", "n") if n}


def actual():
    return dict(Application.objects.order_by().values_list("state").annotate(n=Count("pk")))


def assert_exact():
    assert kept() == actual()


def fire(application, name, actor, **data):
    return application_transition(application=application, name=name, actor=actor, data=data)


def submitted(member):
    provider = member.providers.get()
    application = ApplicationFactory(provider=provider, course__provider=provider)
    complete_dossier(application, member)
    return fire(application, "submit", member)


def test_a_new_application_counts_as_a_draft(provider_user):
    application_create(actor=provider_user, kind="provider", provider=provider_user.providers.get())
    ApplicationFactory()
    assert kept() == {"draft": 2}
    assert_exact()


def test_every_transition_moves_one_case_between_two_counts(provider_user, coordinator):
    application = submitted(provider_user)
    assert kept() == {"submitted": 1}
    fire(application, "start_screening", coordinator)
    assert kept() == {"screening": 1}
    fire(application, "return_for_completion", coordinator, comment="The sample is missing.")
    assert kept() == {"returned": 1}
    fire(application, "withdraw", provider_user)
    assert kept() == {"withdrawn": 1}
    assert_exact()


def test_a_refused_transition_moves_no_count(provider_user, coordinator):
    application = submitted(provider_user)
    with pytest.raises(InvalidTransition):
        fire(application, "submit", provider_user)
    assert kept() == {"submitted": 1}


def test_a_deleted_case_leaves_the_count_of_its_state(provider_user, coordinator):
    application = submitted(provider_user)
    ApplicationFactory.create_batch(3)
    application.delete()
    assert kept() == {"draft": 3}
    Application.objects.filter(pk__in=Application.objects.values("pk")[:2]).delete()
    assert kept() == {"draft": 1}
    assert_exact()


def test_bulk_writes_count_their_cases():
    """The bench seeds with `bulk_create`; the demo and tests set states with
    `update(state=...)` (`demo.scenario.skip_to_state`)."""
    template = ApplicationFactory()
    Application.objects.bulk_create(
        [
            Application(
                kind="provider",
                provider=template.provider,
                framework=template.framework,
                state=state,
            )
            for state in ("accredited", "accredited", "rejected")
        ]
    )
    assert_exact()
    Application.objects.filter(state="accredited").update(state="appealed")
    Application.objects.filter(pk=template.pk).update(state="withdrawn", due_at=None)
    assert kept() == {"appealed": 2, "rejected": 1, "withdrawn": 1}
    assert_exact()
    with pytest.raises(ValueError):
        Application.objects.bulk_create([], ignore_conflicts=True)


def test_the_pages_count_from_the_kept_numbers(coordinator, provider_user):
    """Staff get the kept counts; a provider's people count their own few cases."""
    ApplicationFactory.create_batch(2)
    submitted(provider_user)
    for_staff = selectors.application_counts_per_state(user=coordinator)
    assert for_staff["draft"] == 2 and for_staff["submitted"] == 1
    assert set(for_staff) == set(ApplicationState.values)
    own = selectors.application_counts_per_state(user=provider_user)
    assert own["draft"] == 0 and own["submitted"] == 1


def test_recount_reports_and_mends_a_count_left_wrong(capsys):
    ApplicationFactory.create_batch(2)
    ApplicationStateCount.objects.filter(state="draft").update(n=7)
    ApplicationStateCount.objects.filter(state="rejected").delete()
    with pytest.raises(CommandError):
        call_command("recount_application_states", "--check")
    assert "draft: kept 7, counted 2" in capsys.readouterr().out
    call_command("recount_application_states")
    call_command("recount_application_states", "--check")
    assert "counts exact" in capsys.readouterr().out
    assert ApplicationStateCount.objects.count() == len(ApplicationState.values)
    assert_exact()


def test_the_migration_counts_the_applications_there_are():
    ApplicationFactory.create_batch(2)
    Application.objects.filter(pk=Application.objects.first().pk).update(state="rejected")
    ApplicationStateCount.objects.all().delete()
    migration.count_states(apps, SimpleNamespace(connection=connection))
    assert ApplicationStateCount.objects.count() == len(ApplicationState.values)
    assert_exact()


def test_opposite_moves_take_the_counts_in_one_order():
    """Two transitions moving cases between the same two states in opposite directions
    update the two rows in the same order, so on PostgreSQL one waits for the other
    instead of each holding the row the other needs (a deadlock)."""
    ApplicationFactory.create_batch(2)
    Application.objects.update(state="screening")
    orders = []
    for from_state, to_state in (("submitted", "screening"), ("screening", "submitted")):
        with CaptureQueriesContext(connection) as captured:
            ApplicationStateCount.objects.move(from_state, to_state)
        orders.append(
            [
                state
                for query in captured.captured_queries
                if query["sql"].startswith("UPDATE")
                for state in ("screening", "submitted")
                if f"'{state}'" in query["sql"]
            ]
        )
    assert orders == [["screening", "submitted"]] * 2
    assert kept() == {"screening": 2}


def test_a_count_row_that_is_missing_is_made_again():
    ApplicationStateCount.objects.all().delete()
    ApplicationFactory()
    assert kept() == {"draft": 1}


# --------------------------------------------------------------------------- PostgreSQL


def _together(calls):
    """Run `calls` (each `() -> outcome`) in threads released at once; their outcomes."""
    barrier = threading.Barrier(len(calls))
    outcomes = []

    def run(call):
        try:
            barrier.wait(timeout=10)
            outcomes.append(call())
        except (InvalidTransition, ConflictError) as exc:
            outcomes.append(exc.status_code)
        except Exception as exc:  # noqa: BLE001  (reported by the assertions)
            outcomes.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_transitions_keep_the_counts_exact():
    """Two coordinators screen two cases at once (the same two counts, no update lost);
    two screen one case (one wins, one 409, the case counted once); and three cases
    move round submitted → screening → returned → submitted at once (each transition
    takes the rows of its two states in one order, so none deadlocks)."""
    assert connection.vendor == "postgresql", "this test needs DATABASE_URL pointing at PostgreSQL"
    coordinators = [UserFactory(roles=["coordinator"]) for _ in range(2)]
    members = [MembershipFactory().user for _ in range(3)]

    def screen(application, actor):
        return lambda: fire(Application.objects.get(pk=application.pk), "start_screening", actor)

    for _ in range(3):
        pair = [submitted(m) for m in members[:2]]
        outcomes = _together([screen(a, c) for a, c in zip(pair, coordinators, strict=True)])
        assert [type(o) for o in outcomes] == [Application, Application], outcomes
        assert_exact()

        one = submitted(members[2])
        outcomes = _together([screen(one, c) for c in coordinators])
        assert sorted(map(type, outcomes), key=str) == [Application, int], outcomes
        assert_exact()

        to_screen, to_return, to_submit = (submitted(m) for m in members)
        fire(to_return, "start_screening", coordinators[0])
        fire(to_submit, "start_screening", coordinators[0])
        fire(to_submit, "return_for_completion", coordinators[0], comment="Once more.")
        outcomes = _together(
            [
                screen(to_screen, coordinators[0]),
                lambda a=to_return: fire(
                    Application.objects.get(pk=a.pk),
                    "return_for_completion",
                    coordinators[1],
                    comment="Missing.",
                ),
                lambda a=to_submit, m=members[2]: fire(
                    Application.objects.get(pk=a.pk), "submit", m
                ),
            ]
        )
        assert [type(o) for o in outcomes] == [Application] * 3, outcomes
        assert_exact()
        Application.objects.all().delete()
        assert_exact()
