"""Real processes, real faults (the redis leg): a worker process killed mid-render with
SIGKILL, a render that kills its worker every time, a Redis server stopped and started.

Each test starts its own `redis-server` on a free port and its own worker process (with
its beat) on it (`tests/security/worker_harness.py`), so it shares no broker with the
worker `.ci/run` starts or with anyone else's tests. The worker reads and writes the
test database (PostgreSQL: the redis leg's), so the tests are transactional. Leases and
the sweep period are shortened through the worker's environment, as a deployment would
set them; nothing runs eagerly.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

import kombu.pools
import pytest
from celery import Celery
from django.conf import settings
from django.db import connection

from config.celery import app as project_app
from reviews.models import Report
from reviews.reports.services import MAX_RENDER_ATTEMPTS

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

SWEEP_SECONDS = 2
UNCLAIMED_SECONDS = 3


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    pytest.fail(f"waited {timeout} s for {what}")


class RedisServer:
    """A redis-server of the test's own, on its own port, started and stopped at will."""

    def __init__(self, folder):
        self.port = _free_port()
        self.folder = folder
        self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def answers(self):
        done = subprocess.run(
            ["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True
        )
        return done.stdout.strip() == "PONG"

    def start(self):
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for(self.answers, 15, "redis-server to answer")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=15)
        self.process = None


class Worker:
    """`python -m tests.security.worker_harness`: a worker process and its beat."""

    def __init__(self, folder, broker_url, render="", lease=8):
        self.log = folder / "renders.log"
        self.log.touch()
        self.output = folder / "worker.log"
        database = connection.settings_dict
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": (
                f"postgres://{database['USER']}:{database['PASSWORD']}@{database['HOST']}:"
                f"{database['PORT'] or 5432}/{database['NAME']}"
            ),
            "DATABASE_CONN_MAX_AGE": "0",
            "CELERY_BROKER_URL": broker_url,
            "CELERY_RESULT_BACKEND": "",
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "MCQA_VAR_DIR": str(folder / "var"),
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "REPORT_RENDER_LEASE_SECONDS": str(lease),
            "REPORT_SWEEP_SECONDS": str(SWEEP_SECONDS),
            "REPORT_UNCLAIMED_SECONDS": str(UNCLAIMED_SECONDS),
            "HARNESS_RENDER": render,
            "HARNESS_SLOW_SECONDS": "3",
            "HARNESS_LOG": str(self.log),
            "HARNESS_BEAT_SCHEDULE": str(folder / "beat-schedule"),
        }
        env.pop("CACHE_URL", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.security.worker_harness"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=self.output.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def lines(self, kind):
        return [
            line.split()[1] for line in self.log.read_text().splitlines() if line.split()[0] == kind
        ]

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)

    def tail(self):
        return self.output.read_text()[-3000:]


@pytest.fixture
def require_postgres():
    assert connection.vendor == "postgresql", (
        "a worker process shares the test database: run in the redis leg (PostgreSQL)"
    )


@pytest.fixture
def redis_server(tmp_path, require_postgres):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def start_worker(tmp_path, redis_server):
    started = []

    def start(**options):
        worker = Worker(tmp_path, redis_server.url, **options)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def report(world):
    world.prepare("in_review")
    return Report.objects.create(application=world.application, stage="draft", version=1)


def queue_render(broker_url, report_id):
    """Queue the render as the after-commit effect does, on the test's own broker.

    Celery lets the environment's CELERY_BROKER_URL win over an app's `broker` argument:
    in the CI's redis leg that names the CI's own worker, which would render the report
    with the real renderer, so the environment names this test's broker while sending."""
    with (
        mock.patch.dict(os.environ, {"CELERY_BROKER_URL": broker_url}),
        Celery(broker=broker_url, set_as_current=False) as sender,
    ):
        sender.send_task("reviews.render_report", args=[report_id])


def status(report):
    return Report.objects.get(pk=report.pk).status


def report_files(application_id):
    folder = Path(settings.MEDIA_ROOT) / "reports" / str(application_id)
    return sorted(folder.iterdir()) if folder.exists() else []


def test_worker_killed_mid_render_the_render_finishes_exactly_once(
    report, redis_server, start_worker
):
    worker = start_worker(render="slow", lease=30)
    queue_render(redis_server.url, report.pk)
    _wait_for(lambda: worker.lines("start"), 60, "the worker to start rendering")
    victim = int(worker.lines("start")[0])
    os.kill(victim, signal.SIGKILL)  # the pool process rendering the report

    _wait_for(lambda: status(report) == "ready", 90, f"the render to finish:\n{worker.tail()}")
    time.sleep(3 * SWEEP_SECONDS)  # three sweeps more: nothing else renders
    done = Report.objects.get(pk=report.pk)
    assert (done.status, done.attempts, done.lease_until) == ("ready", 2, None)
    assert len(worker.lines("start")) == 2, worker.lines("start")
    assert len(worker.lines("done")) == 1, worker.lines("done")
    assert victim not in map(int, worker.lines("done"))
    assert report_files(report.application_id) == [Path(settings.MEDIA_ROOT) / done.file.name]


def test_a_render_that_kills_its_worker_every_time_ends_failed(report, redis_server, start_worker):
    worker = start_worker(render="die", lease=3)
    queue_render(redis_server.url, report.pk)
    _wait_for(
        lambda: status(report) == "failed", 120, f"the render to be given up:\n{worker.tail()}"
    )
    time.sleep(3 + 2 * SWEEP_SECONDS)  # redelivered no more
    done = Report.objects.get(pk=report.pk)
    assert done.status == "failed" and done.error.startswith("WorkerLost")
    assert done.attempts == MAX_RENDER_ATTEMPTS
    assert len(worker.lines("start")) == MAX_RENDER_ATTEMPTS
    assert len(set(worker.lines("start"))) == MAX_RENDER_ATTEMPTS, "each attempt its own process"
    assert worker.process.poll() is None, "the worker itself stays up"


@contextlib.contextmanager
def project_broker(url):
    """Point the project's Celery app (what the services queue through) at `url`."""

    def reset():
        # The app's connection pool lives in kombu's registry of pools by broker URL:
        # closing it there would leave a closed pool that the next user of the same URL
        # (the worker leg's other tests) gets back. Reset the registry instead.
        kombu.pools.reset()
        project_app._pool = None
        with contextlib.suppress(AttributeError, KeyError):
            project_app.__dict__["amqp"]._producer_pool = None
        # The control mailbox (app.control.ping, used by the worker leg's other tests)
        # keeps the producer pool it first saw: drop it too, or it stays the closed one.
        with contextlib.suppress(AttributeError):
            del project_app.control.mailbox.producer_pool

    old_url, old_eager = project_app.conf.broker_url, project_app.conf.task_always_eager
    reset()
    project_app.conf.broker_url, project_app.conf.task_always_eager = url, False
    try:
        # Celery reads CELERY_BROKER_URL from the environment before its own setting (the
        # CI's redis leg sets it to the CI worker's broker).
        with mock.patch.dict(os.environ, {"CELERY_BROKER_URL": url}):
            yield
    finally:
        reset()
        project_app.conf.broker_url, project_app.conf.task_always_eager = old_url, old_eager


def test_redis_stopped_and_started_again_loses_no_render(world, redis_server, start_worker):
    """The broker goes down: a report requested meanwhile is accepted (202; the request
    committed, its render could not be queued). Redis comes back: the worker reconnects
    and the sweep queues the render nobody could, which then finishes."""
    world.prepare("findings_recorded")
    worker = start_worker(lease=30)
    with project_broker(redis_server.url):
        redis_server.stop()
        assert not redis_server.answers()
        response = world.client("coordinator").post(
            f"/api/v1/applications/{world.application.pk}/reports/",
            {"stage": "draft"},
            format="json",
        )
        assert response.status_code == 202, response.content
        report = Report.objects.get(pk=response.json()["id"])
        assert report.status == "pending" and report.lease_until is None
        time.sleep(UNCLAIMED_SECONDS + SWEEP_SECONDS)  # the sweep cannot reach Redis either
        assert status(report) == "pending" and not worker.lines("start")

        redis_server.start()
        _wait_for(
            lambda: status(report) == "ready",
            120,
            f"the render after Redis came back:\n{worker.tail()}",
        )
    done = Report.objects.get(pk=report.pk)
    assert done.attempts == 1 and len(worker.lines("done")) == 1
