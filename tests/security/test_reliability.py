"""Reliability: a render lost with its worker is rendered again within two minutes and
never twice; a render that always kills its worker ends `failed` after a bounded number
of attempts; restarting the demo changes nothing that exists.

A worker killed mid-render (SIGKILL, the kernel's out-of-memory killer, the hard time
limit) runs no `except` and no `finally` of the task: here the render raises
`WorkerKilled`, a BaseException that nothing in the task catches, so the report is left
exactly as a dead worker leaves it. The same situations with a real worker process
killed by SIGKILL are in `test_worker_processes.py` (redis leg).
"""

import hashlib
import io
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone

from accreditation.models import Course, ProviderMembership
from reviews.models import Report
from reviews.reports import services as reporting
from reviews.reports import tasks as report_tasks

pytestmark = pytest.mark.django_db

FAKE_PDF = b"%PDF-1.7\n% rendered in a test\n%%EOF\n"


class WorkerKilled(BaseException):
    """The worker process died mid-render: no handler of the task runs."""


@pytest.fixture
def renders(monkeypatch):
    """Count renders; `renders.die = True` makes every render kill its worker."""

    class Renders:
        started = 0
        finished = 0
        die = False

    def render(data):
        Renders.started += 1
        if Renders.die:
            raise WorkerKilled()
        Renders.finished += 1
        return FAKE_PDF

    monkeypatch.setattr(reporting, "render_report_pdf", render)
    return Renders


@pytest.fixture
def queued(monkeypatch):
    """What the sweep queues (ids), instead of sending it to a broker."""
    ids = []
    monkeypatch.setattr(report_tasks.render_report, "delay", ids.append)
    return ids


@pytest.fixture
def report(world):
    world.prepare("in_review")
    return Report.objects.create(
        application=world.application, stage="draft", version=1, data={"report": {}}
    )


def killed_mid_render(report_id):
    with pytest.raises(WorkerKilled):
        reporting.report_render(report_id=report_id)


def expire_the_lease(report):
    Report.objects.filter(pk=report.pk).exclude(lease_until=None).update(
        lease_until=timezone.now() - timedelta(seconds=1)
    )


def lease_expires_at(report):
    return Report.objects.get(pk=report.pk).lease_until


def test_a_render_lost_with_its_worker_is_queued_again_within_two_minutes(report, renders, queued):
    """Before: a pending report was re-queued 5 minutes after its last change, by a sweep
    running every 5 minutes (up to 10 minutes). Now: once its claim ran out, on the
    next sweep; claim plus one sweep period is under two minutes."""
    renders.die = True
    started = timezone.now()
    killed_mid_render(report.pk)

    sweep_period = django_settings.CELERY_BEAT_SCHEDULE["reviews.sweep-reports"]["schedule"]
    expires = lease_expires_at(report)
    worst_case = (expires - started).total_seconds() + float(sweep_period)
    assert worst_case < 120, f"a lost render waits up to {worst_case:.0f} s"

    assert report_tasks.sweep_reports(now=expires - timedelta(seconds=1)) == []
    assert report_tasks.sweep_reports(now=expires + timedelta(seconds=1)) == [report.pk]
    assert queued == [report.pk]


def test_the_claim_outlives_the_hard_time_limit_so_a_live_render_is_never_taken_over():
    """A claim that ran out must mean a dead worker: the pool kills a render at the
    task's hard time limit, so the lease is longer than that."""
    lease = reporting.render_lease().total_seconds()
    assert lease > report_tasks.render_report.time_limit
    assert lease > report_tasks.render_report.soft_time_limit


def test_a_second_delivery_during_the_render_does_not_render_twice(report, renders):
    """The broker redelivers the message (the worker was lost, `reject_on_worker_lost`)
    or the sweep queued the report while a live worker renders it: only the holder
    renders."""
    renders.die = True
    killed_mid_render(report.pk)
    renders.die = False

    again = reporting.report_render(report_id=report.pk)  # the lease still holds
    assert (again.status, renders.started, renders.finished) == ("pending", 1, 0)

    expire_the_lease(report)
    done = reporting.report_render(report_id=report.pk)
    twice = reporting.report_render(report_id=report.pk)
    assert (done.status, twice.status) == ("ready", "ready")
    assert (renders.started, renders.finished) == (2, 1)
    done.refresh_from_db()
    assert (done.attempts, done.lease_until, done.sha256) == (
        2,
        None,
        hashlib.sha256(FAKE_PDF).hexdigest(),
    )


def test_a_render_that_always_kills_its_worker_ends_failed_after_bounded_attempts(
    report, renders, queued, world
):
    """Each claim is an attempt, counted before the render starts, so a render that never
    reports back is counted too; after `MAX_RENDER_ATTEMPTS` lost attempts the sweep
    records it as failed instead of queuing it for ever. A coordinator may retry it."""
    renders.die = True
    now = timezone.now()
    for _ in range(reporting.MAX_RENDER_ATTEMPTS * 3):
        queued.clear()
        now += timedelta(minutes=5)  # long enough for any lease to run out
        report_tasks.sweep_reports(now=now)
        if report.pk not in queued:
            break
        expire_the_lease(report)  # the sweep's clock ran ahead; the render's catches up
        killed_mid_render(report.pk)
    report.refresh_from_db()
    assert renders.started == reporting.MAX_RENDER_ATTEMPTS
    assert (report.status, report.attempts) == ("failed", reporting.MAX_RENDER_ATTEMPTS)
    assert report.error.startswith("WorkerLost")

    # Given up: neither the sweep nor a stray redelivery renders it again...
    queued.clear()
    report_tasks.sweep_reports(now=now + timedelta(days=1))
    assert report.pk not in queued
    reporting.report_render(report_id=report.pk)
    assert renders.started == reporting.MAX_RENDER_ATTEMPTS

    # ...a coordinator's retry does (one more attempt), once the cause is gone.
    renders.die = False
    retried = reporting.report_retry(report=report, actor=world.user("coordinator"))
    assert retried.status == "pending"
    done = reporting.report_render(report_id=report.pk)
    assert (done.status, done.attempts) == ("ready", reporting.MAX_RENDER_ATTEMPTS + 1)


def test_a_render_whose_task_was_lost_before_any_worker_took_it_is_queued_again(report, queued):
    """Nobody claimed it (the broker lost the message): queued again after
    `REPORT_UNCLAIMED_SECONDS`, and once per period while it waits."""
    created = Report.objects.get(pk=report.pk).updated_at
    wait = timedelta(seconds=django_settings.REPORT_UNCLAIMED_SECONDS)
    assert report_tasks.sweep_reports(now=created + wait - timedelta(seconds=1)) == []
    later = created + wait + timedelta(seconds=1)
    assert report_tasks.sweep_reports(now=later) == [report.pk]
    assert report_tasks.sweep_reports(now=later + timedelta(seconds=1)) == []


# --------------------------------------------------------------------------- demo restart


def seed(*args):
    call_command("seed_demo", *args, stdout=io.StringIO(), stderr=io.StringIO())


@pytest.fixture
def demo_mode(settings):
    settings.MCQA_DEMO_MODE = True


def test_restarting_the_demo_keeps_a_changed_password(demo_mode):
    seed("--accounts-only")
    user = User.objects.get(username="provider-a")
    user.set_password("a much better secret")
    user.save()
    coordinator = User.objects.get(username="coordinator")
    coordinator.groups.clear()

    seed("--accounts-only")
    user.refresh_from_db()
    assert user.check_password("a much better secret")
    assert not user.check_password("demo")
    assert not coordinator.groups.exists(), "a removed role came back"


def test_restarting_the_demo_does_not_recreate_a_renamed_course(demo_mode):
    seed("--accounts-only")
    provider = ProviderMembership.objects.get(user__username="provider-a").provider
    course = provider.courses.order_by("pk").first()
    original = course.title
    Course.objects.filter(pk=course.pk).update(title="Supply Chains, renamed by its provider")
    courses_before = Course.objects.count()

    seed("--accounts-only")
    assert Course.objects.count() == courses_before
    assert not provider.courses.filter(title=original).exists()
    assert provider.courses.get(pk=course.pk).title == "Supply Chains, renamed by its provider"


def test_restarting_the_demo_keeps_a_removed_membership_removed(demo_mode):
    seed("--accounts-only")
    membership = ProviderMembership.objects.get(user__username="provider-b")
    membership.delete()
    seed("--accounts-only")
    assert not ProviderMembership.objects.filter(user__username="provider-b").exists()
