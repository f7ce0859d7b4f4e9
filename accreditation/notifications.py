"""Who must act next, and the e-mail that tells them.

Each application transition, accreditation change, complaint and deadline names the
people whose turn it is. The service schedules a Celery task after commit with ids
only; the task (`accreditation.tasks`) loads the rows and calls `deliver`, which records
every (event, recipient) pair in `Notification` first, so a task that runs twice never
mails anyone twice.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from core.roles import Role

from . import workflow
from .models import (
    AccreditationTransition,
    ApplicationObjectPermission,
    ApplicationState,
    ApplicationTransition,
    Complaint,
    ConditionAssessment,
    ConditionResponse,
    Notification,
    ProviderChangeRequest,
    ProviderMembership,
)

logger = logging.getLogger(__name__)
S = ApplicationState

# Who a waiting state waits for (reminders before and after its due date).
WAITING_FOR = {
    S.SUBMITTED: ("coordinators",),
    S.SCREENING: ("coordinators",),
    S.RETURNED: ("provider",),
    S.CLARIFICATION_REQUESTED: ("provider",),
    S.IN_REVIEW: ("panel", "coordinators"),
    S.FACTUAL_CHECK: ("provider",),
    S.DECISION_PENDING: ("decision_body",),
    S.APPEALED: ("appeals_committee",),
}

_GROUPS = {
    "coordinators": Role.COORDINATOR,
    "decision_body": Role.DECISION_BODY,
    "appeals_committee": Role.APPEALS_COMMITTEE,
}


def recipients(application, audiences):
    """The active users with an e-mail address in each audience, without duplicates."""
    User = get_user_model()
    users = {}
    for audience in audiences:
        if audience in _GROUPS:
            found = User.objects.filter(groups__name=_GROUPS[audience])
        elif audience == "provider":
            found = User.objects.filter(provider_memberships__provider_id=application.provider_id)
        elif audience == "panel":
            found = User.objects.filter(
                pk__in=ApplicationObjectPermission.objects.filter(
                    content_object_id=application.pk
                ).values("user_id")
            )
        else:
            raise ValueError(f"Unknown audience {audience!r}")
        for user in found.filter(is_active=True).exclude(email="").order_by("pk"):
            users.setdefault(user.pk, user)
    return list(users.values())


def _link(path):
    return settings.MCQA_SITE_URL.rstrip("/") + path


def _application_line(application):
    scope = f"course “{application.course}”" if application.course_id else "institutional review"
    return f"Application #{application.pk} of {application.provider} ({scope})"


def deliver(*, key, users, subject, body):
    """Send `subject`/`body` to each user once per `key`.

    The row is written first; the mail is sent while that row is locked and marked sent in
    the same transaction. A failed send leaves it unsent (a retry sends it), and of two
    workers delivering the same event the second waits for the lock and then skips.
    """
    sent = 0
    for user in users:
        try:
            with transaction.atomic():
                Notification.objects.get_or_create(
                    key=key, recipient=user, defaults={"subject": subject[:300]}
                )
        except IntegrityError:
            pass  # created meanwhile by another worker
        with transaction.atomic():
            note = Notification.objects.select_for_update().get(key=key, recipient=user)
            if note.sent_at is not None:
                continue
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
            note.sent_at = timezone.now()
            note.save(update_fields=["sent_at"])
        sent += 1
    return sent


# --------------------------------------------------------------------------- application events


def notify_application_transition(log_id):
    """Tell the people whose turn it is after the transition logged as `log_id`."""
    log = (
        ApplicationTransition.objects.select_related(
            "application__provider", "application__course", "actor"
        )
        .filter(pk=log_id)
        .first()
    )
    if log is None:
        return 0
    application = log.application
    users = recipients(application, workflow.step(log.transition).next)
    users = [u for u in users if u.pk != log.actor_id]
    subject = f"[{settings.MCQA_AGENCY_NAME}] #{application.pk}: {log.to_state.replace('_', ' ')}"
    lines = [
        f"{_application_line(application)} moved from {log.from_state} to {log.to_state} "
        f"({log.transition.replace('_', ' ')} by {log.actor_name}).",
    ]
    if log.comment:
        lines += ["", log.comment]
    if application.due_at and application.state == log.to_state:
        lines += ["", f"The next step is due by {application.due_at:%Y-%m-%d %H:%M} UTC."]
    lines += ["", _link(f"/applications/{application.pk}/")]
    return deliver(
        key=f"application-log:{log.pk}", users=users, subject=subject, body="\n".join(lines)
    )


# --------------------------------------------------------------------------- accreditations


def notify_accreditation_change(log_id):
    """Tell whoever the catalogue names for the transition (`next`: the provider and
    the coordinators) that the accreditation's status or outcome changed."""
    log = (
        AccreditationTransition.objects.select_related(
            "accreditation__provider", "accreditation__course", "accreditation__application"
        )
        .filter(pk=log_id)
        .first()
    )
    if log is None or log.transition == "create":
        return 0
    accreditation = log.accreditation
    users = recipients(accreditation.application, workflow.step(log.transition).next)
    users = [u for u in users if u.pk != log.actor_id]
    scope = f"course “{accreditation.course}”" if accreditation.course_id else "institutional"
    subject = (
        f"[{settings.MCQA_AGENCY_NAME}] Accreditation #{accreditation.pk}: "
        f"{log.transition.replace('_', ' ')}"
    )
    body = (
        f"The accreditation #{accreditation.pk} of {accreditation.provider} ({scope}) "
        f"changed: {log.transition.replace('_', ' ')} ({log.from_state} → {log.to_state}) "
        f"by {log.actor_name}.\n" + (f"\n{log.comment}\n" if log.comment else "")
    )
    return deliver(key=f"accreditation-log:{log.pk}", users=users, subject=subject, body=body)


def notify_condition_overdue(condition):
    """An overdue condition raises the case for suspension: the decision body and the
    coordinators are told."""
    accreditation = condition.accreditation
    users = recipients(accreditation.application, ("decision_body", "coordinators"))
    subject = (
        f"[{settings.MCQA_AGENCY_NAME}] Condition overdue on accreditation #{accreditation.pk}"
    )
    body = (
        f"The condition “{condition.text}” of accreditation #{accreditation.pk} "
        f"({accreditation.provider}) was due on {condition.due_date:%Y-%m-%d} and is not met.\n"
        "The case for suspension is open: the decision body may suspend the accreditation.\n"
    )
    return deliver(key=f"condition-overdue:{condition.pk}", users=users, subject=subject, body=body)


def notify_condition_response(response_id):
    """The provider answered a condition: the decision body, who assesses it, is told."""
    response = (
        ConditionResponse.objects.select_related(
            "condition__accreditation__provider", "condition__accreditation__application"
        )
        .filter(pk=response_id)
        .first()
    )
    if response is None:
        return 0
    condition = response.condition
    accreditation = condition.accreditation
    users = recipients(accreditation.application, ("decision_body",))
    subject = (
        f"[{settings.MCQA_AGENCY_NAME}] Condition answered on accreditation #{accreditation.pk}"
    )
    body = (
        f"{accreditation.provider} answered the condition “{condition.text}” of accreditation "
        f"#{accreditation.pk} (due {condition.due_date:%Y-%m-%d}). Assess it:\n\n"
        f"{_link(condition.get_absolute_url())}\n"
    )
    return deliver(key=f"condition-response:{response.pk}", users=users, subject=subject, body=body)


def notify_condition_assessment(assessment_id):
    """The decision body assessed a condition: the provider is told, and asked to answer
    again when it is not met yet."""
    assessment = (
        ConditionAssessment.objects.select_related(
            "condition__accreditation__provider", "condition__accreditation__application"
        )
        .filter(pk=assessment_id)
        .first()
    )
    if assessment is None:
        return 0
    condition = assessment.condition
    accreditation = condition.accreditation
    users = recipients(accreditation.application, ("provider",))
    verdict = "met" if assessment.met else "not met yet"
    subject = (
        f"[{settings.MCQA_AGENCY_NAME}] Condition {verdict} (accreditation #{accreditation.pk})"
    )
    lines = [
        f"The decision body found the condition “{condition.text}” of accreditation "
        f"#{accreditation.pk} {verdict}."
    ]
    if assessment.comment:
        lines += ["", assessment.comment]
    if not assessment.met:
        lines += ["", f"Please answer again by {condition.due_date:%Y-%m-%d}."]
    lines += ["", _link(condition.get_absolute_url())]
    return deliver(
        key=f"condition-assessment:{assessment.pk}",
        users=users,
        subject=subject,
        body="\n".join(lines),
    )


def notify_condition_due(condition, *, lead, today):
    """Remind the provider that a condition is coming due: the reminder `lead` days
    before (see `accreditation.reminders`)."""
    days = (condition.due_date - today).days
    accreditation = condition.accreditation
    users = recipients(accreditation.application, ("provider",))
    subject = (
        f"[{settings.MCQA_AGENCY_NAME}] Condition due on {condition.due_date:%Y-%m-%d} "
        f"(accreditation #{accreditation.pk})"
    )
    body = (
        f"The condition “{condition.text}” of accreditation #{accreditation.pk} "
        f"({accreditation.provider}) is due on {condition.due_date:%Y-%m-%d}, in {days} days, "
        "and is not met yet. Answer it, with documents, here:\n\n"
        f"{_link(condition.get_absolute_url())}\n"
    )
    return deliver(
        key=f"condition-due:{condition.pk}:{lead}d", users=users, subject=subject, body=body
    )


def notify_expiry(accreditation, *, months, renew_path):
    """Remind the provider that an accreditation's validity ends in about `months`
    months, with the link that opens its renewal."""
    users = recipients(accreditation.application, ("provider",))
    scope = f"course “{accreditation.course}”" if accreditation.course_id else "institutional"
    subject = (
        f"[{settings.MCQA_AGENCY_NAME}] Accreditation #{accreditation.pk} valid until "
        f"{accreditation.valid_until:%Y-%m-%d}: time to renew"
    )
    body = (
        f"The accreditation #{accreditation.pk} of {accreditation.provider} ({scope}) is "
        f"valid until {accreditation.valid_until:%Y-%m-%d}, about {months} months from now. "
        "Open its renewal (the next cycle, with this cycle's self-assessments copied as a "
        "starting point) here:\n\n"
        f"{_link(renew_path)}\n"
    )
    return deliver(
        key=f"expiry:{accreditation.pk}:{months}m", users=users, subject=subject, body=body
    )


# --------------------------------------------------------------------------- complaints


def notify_complaint(complaint_id):
    complaint = (
        Complaint.objects.select_related("application__provider").filter(pk=complaint_id).first()
    )
    if complaint is None:
        return 0
    User = get_user_model()
    users = list(
        User.objects.filter(groups__name=Role.COORDINATOR, is_active=True)
        .exclude(email="")
        .order_by("pk")
    )
    about = (
        _application_line(complaint.application) if complaint.application_id else "the procedure"
    )
    return deliver(
        key=f"complaint:{complaint.pk}",
        users=users,
        subject=f"[{settings.MCQA_AGENCY_NAME}] Complaint #{complaint.pk}",
        body=f"A complaint was lodged about {about}:\n\n{complaint.text}\n",
    )


# --------------------------------------------------------------------------- identity changes


def notify_change_request(change_request_id):
    """A filed identity change request waits for the coordinators; a decided one is
    announced to the provider's administrators. The key names the request and its
    status, so each step is announced once."""
    request = (
        ProviderChangeRequest.objects.select_related("provider")
        .filter(pk=change_request_id)
        .first()
    )
    if request is None:
        return 0
    User = get_user_model()
    provider = request.provider
    if request.status == ProviderChangeRequest.Status.PENDING:
        users = User.objects.filter(groups__name=Role.COORDINATOR)
        subject = f"[{settings.MCQA_AGENCY_NAME}] Identity change request #{request.pk}"
        body = (
            f"{provider} asks to change its {', '.join(sorted(request.changes()))}.\n\n"
            f"{_link('/change-requests/')}\n"
        )
    else:
        admins = ProviderMembership.objects.filter(
            provider=provider, role=ProviderMembership.Role.ADMIN
        ).values("user_id")
        users = User.objects.filter(pk__in=admins)
        subject = f"[{settings.MCQA_AGENCY_NAME}] Change request #{request.pk} {request.status}"
        comment = f"\n\nThe agency's comment: {request.comment}" if request.comment else ""
        body = (
            f"Your request to change the {', '.join(sorted(request.changes()))} of {provider} "
            f"was {request.status}.{comment}\n\n{_link(provider.get_absolute_url())}\n"
        )
    users = list(users.filter(is_active=True).exclude(email="").distinct().order_by("pk"))
    return deliver(
        key=f"change-request:{request.pk}:{request.status}",
        users=users,
        subject=subject,
        body=body,
    )


# --------------------------------------------------------------------------- deadlines


def notify_deadline(application, *, overdue):
    """Remind whoever the application waits for, before its due date or once it passed.
    The key includes the state and due date, so each deadline is announced once."""
    due = application.due_at
    audiences = WAITING_FOR.get(application.state, ())
    users = recipients(application, audiences)
    which = "overdue" if overdue else "reminder"
    key = f"{which}:application:{application.pk}:{application.state}:{due:%Y%m%dT%H%M%S}"
    state = application.state.replace("_", " ")
    if overdue:
        subject = f"[{settings.MCQA_AGENCY_NAME}] Overdue: #{application.pk} ({state})"
        first = f"{_application_line(application)} has waited in {state} past its due date"
    else:
        subject = f"[{settings.MCQA_AGENCY_NAME}] Reminder: #{application.pk} ({state})"
        first = f"{_application_line(application)} waits in {state}; the next step is due"
    body = f"{first} ({due:%Y-%m-%d %H:%M} UTC).\n\n{_link(f'/applications/{application.pk}/')}\n"
    return deliver(key=key, users=users, subject=subject, body=body)


# --------------------------------------------------------------------------- recovery


def resend_missed(*, now=None):
    """Deliver what the after-commit path lost (the broker was down, a worker died): every
    transition of the last MCQA_NOTIFICATION_RECOVERY_HOURS whose e-mails are not all
    recorded as sent is delivered again; `deliver` skips whoever already has it."""
    now = now or timezone.now()
    hours = getattr(settings, "MCQA_NOTIFICATION_RECOVERY_HOURS", 24)
    since = now - timedelta(hours=hours)
    done = _fully_sent_keys(since)
    count = 0
    for log_id in ApplicationTransition.objects.filter(at__gte=since).values_list("pk", flat=True):
        if f"application-log:{log_id}" not in done:
            count += notify_application_transition(log_id)
    for log_id in (
        AccreditationTransition.objects.filter(at__gte=since)
        .exclude(transition="create")
        .values_list("pk", flat=True)
    ):
        if f"accreditation-log:{log_id}" not in done:
            count += notify_accreditation_change(log_id)
    for complaint_id in Complaint.objects.filter(lodged_at__gte=since).values_list("pk", flat=True):
        if f"complaint:{complaint_id}" not in done:
            count += notify_complaint(complaint_id)
    return count


def _fully_sent_keys(since):
    """Event keys (recorded since `since`) with every recipient mailed."""
    from django.db.models import Count, Q

    rows = (
        Notification.objects.filter(created_at__gte=since)
        .values("key")
        .annotate(total=Count("id"), sent=Count("id", filter=Q(sent_at__isnull=False)))
        .filter(total=models.F("sent"))
    )
    return {row["key"] for row in rows}
