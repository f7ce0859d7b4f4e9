"""Faults: a transition is all or nothing, a lost side effect is recovered, a crashed task
leaves the case consistent and can run again.

The SQLite versions inject the fault in-process (an exception after the state was saved,
a broker that refuses every message, a renderer or mail server that crashes); the
PostgreSQL versions kill the database connection in the middle of a transition.
"""

import contextlib
import os
import smtplib
import threading

import pytest
from celery.app.task import Task
from django.conf import settings
from django.core import mail
from django.db import DatabaseError, connection, transaction
from kombu.exceptions import OperationalError as BrokerDown

from accreditation import workflow
from accreditation.models import (
    Accreditation,
    AccreditationTransition,
    Application,
    ApplicationTransition,
    Decision,
)
from accreditation.services import application_transition
from reviews.models import Report

pytestmark = pytest.mark.django_db


class Boom(RuntimeError):
    pass


@pytest.fixture
def broken_effect():
    """Register an effect on a transition that raises after the state change was saved
    and logged; unregistered afterwards."""
    added = []

    def install(name):
        def explode(application, actor, data, log):
            assert Application.objects.get(pk=application.pk).state == log.to_state
            raise Boom("crash after the state was saved")

        workflow.RULES[name].effects.append(explode)
        added.append((name, explode))

    yield install
    for name, fn in added:
        workflow.RULES[name].effects.remove(fn)


def _state(world):
    app = Application.objects.get(pk=world.application.pk)
    return (app.state, app.due_at, app.submitted_at, app.decided_at)


def test_crash_after_the_state_save_rolls_the_whole_transition_back(world, broken_effect):
    world.prepare("submitted")
    before = _state(world)
    broken_effect("start_screening")
    with pytest.raises(Boom):
        application_transition(
            application=world.application, name="start_screening", actor=world.user("coordinator")
        )
    assert _state(world) == before
    assert not ApplicationTransition.objects.exists()


def test_failing_log_write_leaves_the_state_unchanged(world, monkeypatch):
    world.prepare("submitted")
    before = _state(world)

    def refuse(**kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(ApplicationTransition.objects, "create", refuse)
    with pytest.raises(DatabaseError):
        application_transition(
            application=world.application, name="start_screening", actor=world.user("coordinator")
        )
    monkeypatch.undo()
    assert _state(world) == before
    assert not ApplicationTransition.objects.exists()


def test_crash_while_writing_the_decision_records_leaves_no_half_decision(world, monkeypatch):
    """The accreditation record fails after the Decision row was written: the decision,
    the state change and the log row all disappear together."""
    world.prepare("decision_pending")
    before = _state(world)

    def refuse(**kwargs):
        raise DatabaseError("constraint trouble")

    monkeypatch.setattr(Accreditation.objects, "create", refuse)
    with pytest.raises(DatabaseError):
        application_transition(
            application=world.application, name="accredit", actor=world.user("decision_body")
        )
    monkeypatch.undo()
    assert _state(world) == before
    assert not Decision.objects.exists()
    assert not Accreditation.objects.exists()
    assert not AccreditationTransition.objects.exists()
    assert not ApplicationTransition.objects.exists()


# --------------------------------------------------------------------------- broker down


@pytest.fixture
def broker_down(monkeypatch):
    """Every `.delay()`/`.apply_async()` fails as it does when Redis is unreachable."""
    calls = []

    def refuse(self, *args, **kwargs):
        calls.append(self.name)
        raise BrokerDown("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(Task, "apply_async", refuse)
    yield calls
    monkeypatch.undo()


def run_periodic_tasks():
    """Run every task the beat schedule names once, in-process (what beat would do next)."""
    import accreditation.tasks  # noqa: F401
    import registry.tasks  # noqa: F401
    import reviews.reports.tasks  # noqa: F401
    import reviews.tasks  # noqa: F401
    from config.celery import app

    schedule = {**settings.CELERY_BEAT_SCHEDULE, **app.conf.beat_schedule}
    names = sorted({entry["task"] for entry in schedule.values()})
    for name in names:
        app.tasks[name].apply(throw=True)
    return names


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_broker_down_at_submit_commits_the_transition_and_tells_the_caller(world, broker_down):
    """The dossier is submitted even when no task can be queued: the caller is not told
    it failed (which would make them retry into a 409), and the log row is there."""
    world.prepare("complete_draft")
    application_transition(
        application=world.application, name="submit", actor=world.user("provider_own")
    )
    assert broker_down, "a side effect should have been attempted"
    assert Application.objects.get(pk=world.application.pk).state == "submitted"
    assert ApplicationTransition.objects.filter(transition="submit").count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_broker_down_at_submit_through_the_api_answers_200(world, broker_down):
    world.prepare("complete_draft")
    response = world.client("provider_own").post(
        f"/api/v1/applications/{world.application.pk}/transitions/submit/", {}, format="json"
    )
    assert response.status_code == 200, response.content
    assert Application.objects.get(pk=world.application.pk).state == "submitted"


BROKER_DOWN_CALLS = [
    (
        "screening",
        "coordinator",
        "/api/v1/applications/{app}/panel/",
        {"reviewer": "reviewer-off", "role": "member"},
        201,
    ),
    (
        "findings_recorded",
        "coordinator",
        "/api/v1/applications/{app}/reports/",
        {"stage": "draft"},
        202,
    ),
    (
        "in_review",
        "reviewer_on",
        "/api/v1/assignments/{assignment}/decline/",
        {"reason": "Ill."},
        200,
    ),
    (
        "accredited",
        "decision_body",
        "/api/v1/accreditations/{accreditation}/transitions/suspend/",
        {"comment": "Investigation.", "reason": "complaint"},
        200,
    ),
    (
        "draft",
        "provider_own",
        "/api/v1/complaints/",
        {"application": "{app}", "text": "Slow."},
        201,
    ),
    (
        "decision_pending",
        "decision_body",
        "/api/v1/applications/{app}/transitions/reject/",
        {"rationale": "Standards not met."},
        200,
    ),
]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize(
    ("setup", "role", "path", "body", "expected"),
    BROKER_DOWN_CALLS,
    ids=["panel-invite", "report-request", "seat-decline", "suspend", "complaint", "reject"],
)
def test_broker_down_never_turns_a_committed_write_into_an_error(
    world, broker_down, setup, role, path, body, expected
):
    """Whatever queues a task after commit (invitation mail, report render, registry
    publication, notifications), a broker outage is not the caller's error."""
    world.prepare(setup)
    values = {
        "app": world.application.pk,
        "assignment": world.assignment.pk,
        "accreditation": world.accreditation.pk if world.accreditation else 0,
    }
    body = {
        k: (values[v[1:-1]] if isinstance(v, str) and v.startswith("{") else v)
        for k, v in body.items()
    }
    client = world.client(role)
    client.raise_request_exception = False
    before = world.snapshot()
    response = client.post(path.format(**values), body, format="json")
    assert response.status_code == expected, response.content[:300]
    assert broker_down, "a task should have been queued"
    assert world.snapshot() != before, "the write itself must have committed"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_every_side_effect_lost_with_the_broker_is_recovered_by_the_sweeps(world, monkeypatch):
    """A decision taken while the broker was down: its registry event was written in the
    decision's own transaction (no broker involved); once the broker is back, the
    periodic tasks render the published report and send the e-mail."""
    from registry.models import RegistryEvent

    world.prepare("decision_pending")
    world.user("provider_own").email = "provider-a@example.org"
    world.user("provider_own").save()

    def refuse(self, *args, **kwargs):
        raise BrokerDown("Connection refused.")

    monkeypatch.setattr(Task, "apply_async", refuse)
    # Whether the caller sees the outage is checked above; recovery is checked here.
    with contextlib.suppress(BrokerDown):
        application_transition(
            application=world.application, name="accredit", actor=world.user("decision_body")
        )
    monkeypatch.undo()
    assert Application.objects.get(pk=world.application.pk).state == "accredited"
    assert RegistryEvent.objects.filter(type="decision").exists()
    mail.outbox.clear()

    ran = run_periodic_tasks()

    missing = []
    if not RegistryEvent.objects.filter(type="decision").exists():
        missing.append("the registry's decision event")
    published = Report.objects.filter(application=world.application, stage="published")
    if not published.filter(status="ready").exists():
        missing.append("the published report")
    if not any("provider-a@example.org" in m.to for m in mail.outbox):
        missing.append("the e-mail telling the provider")
    assert not missing, f"not recovered by the periodic tasks {ran}: {missing}"


# --------------------------------------------------------------------------- crashing tasks


def test_crashing_report_render_leaves_the_report_failed_and_retryable(world, monkeypatch):
    from reviews.reports import services as reporting

    world.prepare("in_review")
    report = Report.objects.create(
        application=world.application, stage="draft", version=1, requested_by=None
    )
    before = _state(world)

    def crash(data):
        raise Boom("WeasyPrint died")

    monkeypatch.setattr(reporting, "render_report_pdf", crash)
    reporting.report_render(report_id=report.pk)
    report.refresh_from_db()
    assert (report.status, report.attempts, report.file.name, report.sha256) == (
        "failed",
        1,
        "",
        "",
    )
    assert "WeasyPrint died" in report.error
    assert _state(world) == before
    monkeypatch.undo()

    reporting.report_render(report_id=report.pk)
    report.refresh_from_db()
    assert report.status == "ready" and report.sha256 and report.file.name
    assert _state(world) == before


def test_crashing_mail_server_loses_no_notification(world, settings, monkeypatch):
    """The e-mail task fails while the mail server is down and sends each mail exactly
    once when it runs again."""
    from django.core.mail.backends.locmem import EmailBackend

    from accreditation.tasks import send_application_notifications

    settings.CELERY_TASK_ALWAYS_EAGER = True
    world.prepare("complete_draft")
    coordinator = world.user("coordinator")
    coordinator.email = "coordinator@example.org"
    coordinator.save()

    def down(self, messages):
        raise smtplib.SMTPServerDisconnected("mail server went away")

    monkeypatch.setattr(EmailBackend, "send_messages", down)
    with transaction.atomic():
        application_transition(
            application=world.application, name="submit", actor=world.user("provider_own")
        )
    log = ApplicationTransition.objects.get(transition="submit")
    mail.outbox.clear()
    with pytest.raises(smtplib.SMTPException):
        send_application_notifications.apply(kwargs={"log_id": log.pk}, throw=True)
    assert Application.objects.get(pk=world.application.pk).state == "submitted"
    monkeypatch.undo()

    send_application_notifications.apply(kwargs={"log_id": log.pk}, throw=True)
    send_application_notifications.apply(kwargs={"log_id": log.pk}, throw=True)
    to_coordinator = [m for m in mail.outbox if "coordinator@example.org" in m.to]
    assert len(to_coordinator) == 1


# --------------------------------------------------------------------------- PostgreSQL


def _require_postgres():
    assert connection.vendor == "postgresql", (
        "this test needs DATABASE_URL pointing at PostgreSQL "
        f"(got {connection.vendor}; run it in the PostgreSQL leg)"
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_connection_killed_mid_transition_leaves_no_half_transition(world):
    """The server ends our connection after the state was saved and before the log row:
    PostgreSQL rolls the transaction back, so the application is exactly as before."""
    _require_postgres()
    import psycopg

    world.prepare("submitted")
    before = _state(world)
    params = connection.get_connection_params()
    dsn = {k: v for k, v in params.items() if k in ("host", "port", "user", "dbname", "password")}

    def kill_my_backend(application, actor, data, log):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        with psycopg.connect(autocommit=True, **dsn) as other:
            other.execute("SELECT pg_terminate_backend(%s)", [pid])
        Application.objects.get(pk=application.pk)  # the next statement hits a dead socket

    workflow.RULES["start_screening"].effects.append(kill_my_backend)
    try:
        with pytest.raises(DatabaseError):
            application_transition(
                application=world.application,
                name="start_screening",
                actor=world.user("coordinator"),
            )
    finally:
        workflow.RULES["start_screening"].effects.remove(kill_my_backend)
    connection.close()  # reconnect, as the next request would
    assert _state(world) == before
    assert not ApplicationTransition.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_transitions_one_wins_the_other_is_409(world):
    """Row locks serialise transitions: of two coordinators pressing at once, exactly one
    moves the case; the other sees the new state."""
    _require_postgres()
    from django.db import connections

    from core.errors import ConflictError, InvalidTransition

    world.prepare("screening")
    barrier = threading.Barrier(2)
    results = []

    def fire(name, data):
        try:
            barrier.wait()
            application_transition(
                application=Application.objects.get(pk=world.application.pk),
                name=name,
                actor=world.user("coordinator"),
                data=data,
            )
            results.append("ok")
        except (InvalidTransition, ConflictError) as exc:
            results.append(type(exc).__name__)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=fire, args=("return_for_completion", {"comment": "x"})),
        threading.Thread(target=fire, args=("start_review", {})),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results)[0] in ("ConflictError", "InvalidTransition")
    assert results.count("ok") == 1
    assert ApplicationTransition.objects.count() == 1


def _wait_for(predicate, timeout=60.0):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return False


@pytest.mark.redis
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_real_worker_render_crash_leaves_report_failed_and_a_retry_renders_it(world):
    """Through Redis and a real worker process: a render that crashes in the worker leaves
    the report `failed` (error kept, attempt counted) and the application untouched; once
    the cause is gone, the retry the sweep or a coordinator queues renders it."""
    from django.conf import settings as django_settings

    from reviews.reports.tasks import render_report

    assert not django_settings.CELERY_TASK_ALWAYS_EAGER, "run with CELERY_TASK_ALWAYS_EAGER=0"
    world.prepare("in_review")
    before = _state(world)
    # Data a renderer cannot use (as after a template/data mismatch): the render crashes.
    report = Report.objects.create(
        application=world.application, stage="draft", version=1, data={"broken": True}
    )
    render_report.delay(report.pk)
    assert _wait_for(lambda: Report.objects.get(pk=report.pk).status == "failed"), (
        f"the worker never recorded the failure: {Report.objects.get(pk=report.pk).status}"
    )
    report.refresh_from_db()
    assert report.attempts == 1 and report.error and not report.file.name
    assert _state(world) == before

    Report.objects.filter(pk=report.pk).update(data={}, status="pending")
    render_report.delay(report.pk)
    assert _wait_for(lambda: Report.objects.get(pk=report.pk).status == "ready", timeout=120)
    report.refresh_from_db()
    assert report.sha256 and report.file.name and report.attempts == 2
    assert _state(world) == before


@pytest.mark.redis
def test_redis_broker_is_the_configured_one():
    """The Redis leg really uses Redis (not the in-memory transport of unit tests)."""
    assert os.environ.get("CELERY_BROKER_URL", "").startswith("redis://"), (
        "run with CELERY_BROKER_URL=redis://127.0.0.1:6379/..."
    )
    from config.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1)
