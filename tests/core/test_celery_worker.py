"""A real Celery worker process executes tasks through Redis (the `redis` leg of .ci/run).

.ci/run starts the worker against the same Redis broker and the same test database
before these tests run, and stops it afterwards. Nothing here runs eagerly: if no worker
answers, the tests fail and say so rather than pass by running the task in-process.
"""

import time

import pytest
from django.conf import settings

from accreditation.models import Notification
from accreditation.services import application_transition
from config.celery import app, ping
from tests.factories import (
    ApplicationFactory,
    MembershipFactory,
    UserFactory,
    complete_dossier,
)

pytestmark = pytest.mark.redis

WAIT_SECONDS = 60


@pytest.fixture(scope="module")
def live_worker():
    assert not settings.CELERY_TASK_ALWAYS_EAGER, "the redis leg must run with a real broker"
    assert settings.CELERY_BROKER_URL.startswith("redis://"), settings.CELERY_BROKER_URL
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        replies = app.control.ping(timeout=2)
        if replies:
            return replies
    pytest.fail(f"no Celery worker answered on {settings.CELERY_BROKER_URL}")


def test_worker_process_executes_ping_through_redis(live_worker):
    result = ping.delay()
    assert result.get(timeout=WAIT_SECONDS) == "pong"
    assert result.successful()


# serialized_rollback like every transactional test of the suite: the flush at the end then
# leaves the reference data (frameworks, groups, content types) as the migrations made it.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_transition_notification_is_mailed_by_the_worker_after_commit(live_worker):
    coordinator = UserFactory(username="coord-redis", roles=["coordinator"])
    membership = MembershipFactory()
    provider = membership.provider
    application = ApplicationFactory(provider=provider, course__provider=provider)
    complete_dossier(application, membership.user)

    submitted = application_transition(
        application=application, name="submit", actor=membership.user
    )
    log = submitted.transitions.get(transition="submit")

    key = f"application-log:{log.pk}"
    deadline = time.monotonic() + WAIT_SECONDS
    note = None
    while time.monotonic() < deadline:
        note = Notification.objects.filter(key=key, recipient=coordinator).first()
        if note is not None and note.sent_at is not None:
            break
        time.sleep(0.5)
    assert note is not None, "the worker never ran the notification task"
    assert note.sent_at is not None
