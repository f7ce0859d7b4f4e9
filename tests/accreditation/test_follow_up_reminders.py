"""Follow-up reminders (DESIGN section 9): to the provider before a condition is due, and
12 and 6 months before an accreditation's `valid_until`, with the link that opens the
renewal; each sent once however often the periodic task runs, time moved by `now`."""

import datetime

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from accreditation import reminders
from accreditation.models import Application, Condition, FollowUpReminder
from accreditation.tasks import send_follow_up_reminders_task

from .helpers import decided

pytestmark = pytest.mark.django_db

START = timezone.now().replace(hour=9, minute=0, second=0, microsecond=0)


def at(days):
    """The sweep's clock, moved `days` days from the start."""
    return START + datetime.timedelta(days=days)


@pytest.fixture
def provider_mail(provider_user):
    provider_user.email = "provider@example.org"
    provider_user.save()
    return provider_user.email


@pytest.fixture
def conditional(course_application, decider, provider_mail):
    return decided(
        course_application,
        decider,
        state="conditionally_accredited",
        conditions=[("Publish the grading grid", START.date() + datetime.timedelta(days=60))],
        valid_until=START.date() + datetime.timedelta(days=5 * 365),
    )


def subjects(word):
    return [m.subject for m in mail.outbox if word in m.subject]


def test_the_reminder_task_is_scheduled_by_beat():
    entries = [e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()]
    assert "accreditation.send_follow_up_reminders" in entries
    assert settings.MCQA_CONDITION_REMINDER_DAYS == [30, 7]
    assert settings.MCQA_EXPIRY_REMINDER_MONTHS == [12, 6]


def test_condition_reminders_30_and_7_days_before_each_sent_once(conditional, provider_mail):
    condition = conditional.conditions.get()
    assert reminders.send_follow_up_reminders(now=at(0)) == {"conditions": 0, "expiry": 0}
    assert reminders.send_follow_up_reminders(now=at(29))["conditions"] == 0
    assert reminders.send_follow_up_reminders(now=at(30))["conditions"] == 1
    [message] = mail.outbox
    assert message.to == [provider_mail]
    assert "Publish the grading grid" in message.body and "in 30 days" in message.body
    assert condition.get_absolute_url() in message.body
    for day in (30, 31, 45, 52):
        assert reminders.send_follow_up_reminders(now=at(day))["conditions"] == 0
    assert reminders.send_follow_up_reminders(now=at(53))["conditions"] == 1
    assert reminders.send_follow_up_reminders(now=at(53))["conditions"] == 0
    assert reminders.send_follow_up_reminders(now=at(59))["conditions"] == 0
    assert len(subjects("Condition due")) == 2
    assert sorted(FollowUpReminder.objects.values_list("key", flat=True)) == [
        f"condition:{condition.pk}:30d",
        f"condition:{condition.pk}:7d",
    ]


def test_a_missed_run_sends_only_the_nearest_condition_reminder(conditional):
    assert reminders.condition_reminders(now=at(55)) == 1
    assert reminders.condition_reminders(now=at(56)) == 0
    assert [r.key.rsplit(":", 1)[1] for r in FollowUpReminder.objects.all()] == ["7d"]


def test_met_conditions_get_no_reminder(conditional):
    Condition.objects.update(status="met")
    assert reminders.condition_reminders(now=at(53)) == 0
    assert mail.outbox == []


def test_expiry_reminders_12_and_6_months_before_valid_until_link_the_renewal(
    course_application, decider, provider_mail
):
    valid_until = datetime.date(2031, 8, 31)
    accreditation = decided(course_application, decider, valid_until=valid_until)

    def run(day):
        moment = datetime.datetime.combine(day, datetime.time(9), tzinfo=datetime.UTC)
        return reminders.expiry_reminders(now=moment)

    assert run(datetime.date(2030, 8, 30)) == 0
    assert run(datetime.date(2030, 8, 31)) == 1
    assert run(datetime.date(2030, 9, 1)) == 0
    [message] = mail.outbox
    renew = f"/applications/new/?kind=renewal&previous={course_application.pk}"
    assert renew in message.body and "2031-08-31" in message.body
    assert run(datetime.date(2031, 2, 27)) == 0
    assert run(datetime.date(2031, 2, 28)) == 1  # six months before 31 August
    assert run(datetime.date(2031, 3, 1)) == 0
    assert len(mail.outbox) == 2
    assert set(FollowUpReminder.objects.values_list("key", flat=True)) == {
        f"expiry:{accreditation.pk}:12m",
        f"expiry:{accreditation.pk}:6m",
    }


def test_no_expiry_reminder_while_the_renewal_is_open(
    as_provider, course_application, decider, provider_user
):
    valid_until = timezone.now().date() + datetime.timedelta(days=200)
    decided(course_application, decider, valid_until=valid_until)
    response = as_provider.post(
        "/applications/new/", {"kind": "renewal", "previous": course_application.pk}
    )
    assert response.status_code == 302
    assert Application.objects.filter(previous=course_application, state="draft").exists()
    assert reminders.expiry_reminders() == 0


def test_the_renewal_link_of_the_reminder_opens_the_prefilled_renewal(
    as_provider, course_application, decider, provider_mail
):
    valid_until = timezone.now().date() + datetime.timedelta(days=100)
    accreditation = decided(course_application, decider, valid_until=valid_until)
    assert send_follow_up_reminders_task.delay().get() == {"conditions": 0, "expiry": 1}
    path = reminders.renewal_path(accreditation)
    assert path in mail.outbox[0].body
    page = as_provider.get(path).content.decode()
    assert f'<option value="{course_application.pk}" selected>' in page
    assert '<option value="renewal" selected>' in page
    assert send_follow_up_reminders_task.delay().get() == {"conditions": 0, "expiry": 0}
    assert len(mail.outbox) == 1


def test_months_before_keeps_the_end_of_month():
    assert reminders.months_before(datetime.date(2031, 8, 31), 6) == datetime.date(2031, 2, 28)
    assert reminders.months_before(datetime.date(2032, 8, 31), 6) == datetime.date(2032, 2, 29)
    assert reminders.months_before(datetime.date(2031, 1, 15), 12) == datetime.date(2030, 1, 15)


@pytest.fixture
def as_provider(provider_user):
    from django.test import Client

    client = Client()
    client.force_login(provider_user)
    return client
