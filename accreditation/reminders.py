"""Follow-up reminders to the provider (DESIGN section 9): before a condition is due
(`MCQA_CONDITION_REMINDER_DAYS`, by default 30 and 7 days), and before an accreditation's
validity ends (`MCQA_EXPIRY_REMINDER_MONTHS`, by default 12 and 6 months), with the link
that opens its renewal.

Run by the periodic task `accreditation.send_follow_up_reminders` (Celery beat). Each
reminder is sent once: a `FollowUpReminder` row names it, and is written only after the
e-mails went out (so a mail server outage is retried on the next run, and `deliver`
skips whoever was already mailed). When a run was missed, only the nearest reminder
due is sent (a condition due in five days gets the 7-day reminder, not the 30-day one).
"""

import calendar
import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from . import notifications
from .models import (
    OPEN_STATES,
    RENEWABLE_STATES,
    Accreditation,
    AccreditationStatus,
    Application,
    Condition,
    Decision,
    FollowUpReminder,
)

logger = logging.getLogger(__name__)

FOLLOWED_UP = (AccreditationStatus.ACTIVE, AccreditationStatus.SUSPENDED)


def months_before(day, months):
    """The date `months` calendar months before `day` (the month's last day when `day`
    does not exist there: 6 months before 31 August is 28 or 29 February)."""
    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    month += 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def _nearest(leads, due, today, before):
    """The nearest reminder lead that is due by `today` for a date `due`, or None."""
    passed = [lead for lead in leads if before(due, lead) <= today]
    return min(passed) if passed else None


def _record(key, **fields):
    """Write the reminder's row; False when another run recorded it meanwhile."""
    try:
        with transaction.atomic():
            FollowUpReminder.objects.create(key=key, **fields)
    except IntegrityError:
        return False
    return True


def condition_reminders(now=None):
    """Remind the provider of each unmet condition coming due (once per lead)."""
    today = (now or timezone.now()).date()
    leads = sorted({int(d) for d in settings.MCQA_CONDITION_REMINDER_DAYS if int(d) > 0})
    if not leads:
        return 0
    count = 0
    coming = Condition.objects.filter(
        status=Condition.Status.OPEN,
        due_date__gt=today,
        due_date__lte=today + timedelta(days=max(leads)),
        accreditation__status__in=FOLLOWED_UP,
        accreditation__outcome=Decision.Outcome.POSITIVE_WITH_CONDITIONS,
    ).select_related("accreditation__provider", "accreditation__application")
    sent = set(
        FollowUpReminder.objects.filter(
            kind=FollowUpReminder.Kind.CONDITION_DUE, condition__in=coming
        ).values_list("key", flat=True)
    )
    for condition in coming:
        lead = _nearest(leads, condition.due_date, today, lambda d, n: d - timedelta(days=n))
        key = f"condition:{condition.pk}:{lead}d"
        if lead is None or key in sent:
            continue
        notifications.notify_condition_due(condition, lead=lead, today=today)
        if _record(
            key,
            kind=FollowUpReminder.Kind.CONDITION_DUE,
            accreditation=condition.accreditation,
            condition=condition,
        ):
            count += 1
    return count


def renewal_path(accreditation):
    """Where the provider opens the renewal of `accreditation`: the new-application form
    with the cycle to renew chosen (the renewal path of the pages), or the case's page
    when its application cannot be renewed now (under appeal)."""
    application = accreditation.application
    if application.state in RENEWABLE_STATES:
        return f"{reverse('application-create')}?kind=renewal&previous={application.pk}"
    return application.get_absolute_url()


def expiry_reminders(now=None):
    """Remind the provider, 12 and 6 months (by default) before an accreditation's
    `valid_until`, to renew it; skipped while a renewal of its cycle is already open."""
    today = (now or timezone.now()).date()
    leads = sorted({int(m) for m in settings.MCQA_EXPIRY_REMINDER_MONTHS if int(m) > 0})
    if not leads:
        return 0
    horizon = today + timedelta(days=31 * max(leads) + 1)
    renewing = Application.objects.filter(
        previous_id__isnull=False, state__in=[s.value for s in OPEN_STATES]
    ).values("previous_id")
    ending = (
        Accreditation.objects.filter(
            status__in=FOLLOWED_UP, valid_until__gte=today, valid_until__lte=horizon
        )
        .exclude(application_id__in=renewing)
        .select_related("provider", "course", "application")
    )
    sent = set(
        FollowUpReminder.objects.filter(
            kind=FollowUpReminder.Kind.EXPIRY, accreditation__in=ending
        ).values_list("key", flat=True)
    )
    count = 0
    for accreditation in ending:
        lead = _nearest(leads, accreditation.valid_until, today, months_before)
        key = f"expiry:{accreditation.pk}:{lead}m"
        if lead is None or key in sent:
            continue
        notifications.notify_expiry(
            accreditation, months=lead, renew_path=renewal_path(accreditation)
        )
        if _record(key, kind=FollowUpReminder.Kind.EXPIRY, accreditation=accreditation):
            count += 1
    return count


def send_follow_up_reminders(now=None):
    """One run: condition reminders, then expiry reminders; one failing does not stop
    the other. Returns what each did, or `"failed"`."""
    result = {}
    for name, step in (("conditions", condition_reminders), ("expiry", expiry_reminders)):
        try:
            result[name] = step(now)
        except Exception:
            logger.exception("follow-up reminders (%s) failed", name)
            result[name] = "failed"
    return result
