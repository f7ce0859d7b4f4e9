"""Who must act next, and the e-mail that tells them.

Each application transition, accreditation change, complaint and deadline names the
people whose turn it is. The service schedules a Celery task after commit with ids
only; the task (`accreditation.tasks`) loads the rows and calls `deliver`, which records
every (event, recipient) pair in `Notification` first, so a task that runs twice never
mails anyone twice.

Each e-mail is written in its recipient's language (`core.language.language_of`: their
choice made with the language switcher, else settings.LANGUAGE_CODE): the messages are
composed under `translation.override`, once per language, for every run of recipients.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from core.language import language_of
from core.roles import Role

from . import workflow
from .models import (
    AccreditationStatus,
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

# The identity fields a provider's change request may change, as the e-mails name them.
CHANGED_FIELDS = {
    "legal_name": gettext_lazy("legal name"),
    "country": gettext_lazy("country"),
    "identifiers": gettext_lazy("identifiers"),
}

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
        found = found.filter(is_active=True).exclude(email="").select_related("language_preference")
        for user in found.order_by("pk"):
            users.setdefault(user.pk, user)
    return list(users.values())


def _link(path):
    return settings.MCQA_SITE_URL.rstrip("/") + path


def _subject(text):
    """An e-mail's subject: the agency's name in brackets, then `text`."""
    return f"[{settings.MCQA_AGENCY_NAME}] {text}"


def _day(value):
    """A date (or the day of a datetime) as the e-mails write it: ISO 8601, which reads
    the same in every language and sorts."""
    return f"{value:%Y-%m-%d}"


def _label(choices, value):
    """The label of `value` among `choices` (a TextChoices), or the value itself."""
    try:
        return choices(value).label
    except ValueError:
        return value


def _application_line(application):
    if application.course_id:
        return _("Application #%(number)s of %(provider)s (course “%(course)s”)") % {
            "number": application.pk,
            "provider": application.provider,
            "course": application.course,
        }
    return _("Application #%(number)s of %(provider)s (institutional review)") % {
        "number": application.pk,
        "provider": application.provider,
    }


def _accreditation_line(accreditation):
    if accreditation.course_id:
        return _("Accreditation #%(number)s of %(provider)s (course “%(course)s”)") % {
            "number": accreditation.pk,
            "provider": accreditation.provider,
            "course": accreditation.course,
        }
    return _("Accreditation #%(number)s of %(provider)s (institutional)") % {
        "number": accreditation.pk,
        "provider": accreditation.provider,
    }


def deliver(*, key, users, subject=None, body=None, compose=None):
    """Send an e-mail to each user once per `key`, in the user's language.

    `compose()` returns (subject, body); it is called under `translation.override` of
    each recipient's language (once per language), so its gettext calls write each
    person's e-mail in their language. Without it, `subject` and `body` are sent to
    everyone (a lazy translation among them is resolved in the recipient's language).

    The row is written first; the mail is sent while that row is locked and marked sent in
    the same transaction. A failed send leaves it unsent (a retry sends it), and of two
    workers delivering the same event the second waits for the lock and then skips.
    """
    if compose is None:

        def compose():
            return subject, body

    written = {}
    sent = 0
    for user in users:
        language = language_of(user)
        if language not in written:
            with translation.override(language):
                written[language] = tuple(str(text) for text in compose())
        subject_text, body_text = written[language]
        try:
            with transaction.atomic():
                Notification.objects.get_or_create(
                    key=key, recipient=user, defaults={"subject": subject_text[:300]}
                )
        except IntegrityError:
            pass  # created meanwhile by another worker
        with transaction.atomic():
            note = Notification.objects.select_for_update().get(key=key, recipient=user)
            if note.sent_at is not None:
                continue
            send_mail(subject_text, body_text, settings.DEFAULT_FROM_EMAIL, [user.email])
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
    step = workflow.step(log.transition)

    def compose():
        subject = _subject(
            _("#%(number)s: %(step)s") % {"number": application.pk, "step": step.record}
        )
        lines = [
            _("%(application)s moved from “%(source)s” to “%(target)s”: %(step)s (by %(actor)s).")
            % {
                "application": _application_line(application),
                "source": _label(ApplicationState, log.from_state),
                "target": _label(ApplicationState, log.to_state),
                "step": step.record,
                "actor": log.actor_name,
            },
        ]
        if log.comment:
            lines += ["", log.comment]
        if application.due_at and application.state == log.to_state:
            lines += [
                "",
                _("The next step is due by %(due)s UTC.")
                % {"due": f"{application.due_at:%Y-%m-%d %H:%M}"},
            ]
        lines += ["", _link(f"/applications/{application.pk}/")]
        return subject, "\n".join(lines)

    return deliver(key=f"application-log:{log.pk}", users=users, compose=compose)


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
    step = workflow.step(log.transition)

    def compose():
        subject = _subject(
            _("Accreditation #%(number)s: %(step)s")
            % {"number": accreditation.pk, "step": step.record}
        )
        body = (
            _("%(accreditation)s changed: %(step)s (“%(source)s” → “%(target)s”, by %(actor)s).")
            % {
                "accreditation": _accreditation_line(accreditation),
                "step": step.record,
                "source": _label(AccreditationStatus, log.from_state),
                "target": _label(AccreditationStatus, log.to_state),
                "actor": log.actor_name,
            }
            + "\n"
            + (f"\n{log.comment}\n" if log.comment else "")
        )
        return subject, body

    return deliver(key=f"accreditation-log:{log.pk}", users=users, compose=compose)


def notify_condition_overdue(condition):
    """An overdue condition raises the case for suspension: the decision body and the
    coordinators are told."""
    accreditation = condition.accreditation
    users = recipients(accreditation.application, ("decision_body", "coordinators"))

    def compose():
        subject = _subject(
            _("Condition overdue on accreditation #%(number)s") % {"number": accreditation.pk}
        )
        body = (
            _(
                "The condition “%(condition)s” of accreditation #%(number)s (%(provider)s) "
                "was due on %(due)s and is not met."
            )
            % {
                "condition": condition.text,
                "number": accreditation.pk,
                "provider": accreditation.provider,
                "due": _day(condition.due_date),
            }
            + "\n"
            + _("The case for suspension is open: the decision body may suspend the accreditation.")
            + "\n"
        )
        return subject, body

    return deliver(key=f"condition-overdue:{condition.pk}", users=users, compose=compose)


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

    def compose():
        subject = _subject(
            _("Condition answered on accreditation #%(number)s") % {"number": accreditation.pk}
        )
        body = (
            _(
                "%(provider)s answered the condition “%(condition)s” of accreditation "
                "#%(number)s (due %(due)s). Assess it:"
            )
            % {
                "provider": accreditation.provider,
                "condition": condition.text,
                "number": accreditation.pk,
                "due": _day(condition.due_date),
            }
            + f"\n\n{_link(condition.get_absolute_url())}\n"
        )
        return subject, body

    return deliver(key=f"condition-response:{response.pk}", users=users, compose=compose)


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

    def compose():
        values = {"condition": condition.text, "number": accreditation.pk}
        if assessment.met:
            subject = _("Condition met (accreditation #%(number)s)") % values
            first = _(
                "The decision body found the condition “%(condition)s” of accreditation "
                "#%(number)s met."
            )
        else:
            subject = _("Condition not met yet (accreditation #%(number)s)") % values
            first = _(
                "The decision body found the condition “%(condition)s” of accreditation "
                "#%(number)s not met yet."
            )
        lines = [first % values]
        if assessment.comment:
            lines += ["", assessment.comment]
        if not assessment.met:
            lines += [
                "",
                _("Please answer again by %(due)s.") % {"due": _day(condition.due_date)},
            ]
        lines += ["", _link(condition.get_absolute_url())]
        return _subject(subject), "\n".join(lines)

    return deliver(key=f"condition-assessment:{assessment.pk}", users=users, compose=compose)


def notify_condition_due(condition, *, lead, today):
    """Remind the provider that a condition is coming due: the reminder `lead` days
    before (see `accreditation.reminders`)."""
    days = (condition.due_date - today).days
    accreditation = condition.accreditation
    users = recipients(accreditation.application, ("provider",))

    def compose():
        values = {
            "condition": condition.text,
            "number": accreditation.pk,
            "provider": accreditation.provider,
            "due": _day(condition.due_date),
            "days": days,
        }
        subject = _("Condition due on %(due)s (accreditation #%(number)s)") % values
        body = (
            ngettext(
                "The condition “%(condition)s” of accreditation #%(number)s (%(provider)s) is "
                "due on %(due)s, in %(days)s day, and is not met yet. Answer it, with "
                "documents, here:",
                "The condition “%(condition)s” of accreditation #%(number)s (%(provider)s) is "
                "due on %(due)s, in %(days)s days, and is not met yet. Answer it, with "
                "documents, here:",
                days,
            )
            % values
            + f"\n\n{_link(condition.get_absolute_url())}\n"
        )
        return _subject(subject), body

    return deliver(key=f"condition-due:{condition.pk}:{lead}d", users=users, compose=compose)


def notify_expiry(accreditation, *, months, renew_path):
    """Remind the provider that an accreditation's validity ends in about `months`
    months, with the link that opens its renewal."""
    users = recipients(accreditation.application, ("provider",))

    def compose():
        values = {
            "accreditation": _accreditation_line(accreditation),
            "number": accreditation.pk,
            "until": _day(accreditation.valid_until),
            "months": months,
        }
        subject = _("Accreditation #%(number)s valid until %(until)s: time to renew") % values
        body = (
            ngettext(
                "%(accreditation)s is valid until %(until)s, about %(months)s month from now. "
                "Open its renewal (the next cycle, with this cycle's self-assessments copied "
                "as a starting point) here:",
                "%(accreditation)s is valid until %(until)s, about %(months)s months from now. "
                "Open its renewal (the next cycle, with this cycle's self-assessments copied "
                "as a starting point) here:",
                months,
            )
            % values
            + f"\n\n{_link(renew_path)}\n"
        )
        return _subject(subject), body

    return deliver(key=f"expiry:{accreditation.pk}:{months}m", users=users, compose=compose)


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
        .select_related("language_preference")
        .order_by("pk")
    )

    def compose():
        if complaint.application_id:
            first = _("A complaint was lodged about %(application)s:") % {
                "application": _application_line(complaint.application)
            }
        else:
            first = _("A complaint was lodged about the procedure:")
        subject = _subject(_("Complaint #%(number)s") % {"number": complaint.pk})
        return subject, f"{first}\n\n{complaint.text}\n"

    return deliver(key=f"complaint:{complaint.pk}", users=users, compose=compose)


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
    Status = ProviderChangeRequest.Status
    if request.status == Status.PENDING:
        users = User.objects.filter(groups__name=Role.COORDINATOR)
    else:
        admins = ProviderMembership.objects.filter(
            provider=provider, role=ProviderMembership.Role.ADMIN
        ).values("user_id")
        users = User.objects.filter(pk__in=admins)
    users = list(
        users.filter(is_active=True)
        .exclude(email="")
        .distinct()
        .select_related("language_preference")
        .order_by("pk")
    )

    def compose():
        values = {
            "number": request.pk,
            "provider": provider,
            "fields": ", ".join(sorted(str(CHANGED_FIELDS.get(f, f)) for f in request.changes())),
        }
        if request.status == Status.PENDING:
            subject = _("Identity change request #%(number)s") % values
            body = _("%(provider)s asks to change: %(fields)s.") % values
            return _subject(subject), f"{body}\n\n{_link('/change-requests/')}\n"
        if request.status == Status.APPROVED:
            subject = _("Change request #%(number)s approved") % values
            body = _("Your request to change %(fields)s of %(provider)s was approved.") % values
        else:
            subject = _("Change request #%(number)s rejected") % values
            body = _("Your request to change %(fields)s of %(provider)s was rejected.") % values
        if request.comment:
            body += "\n\n" + _("The agency's comment: %(comment)s") % {"comment": request.comment}
        return _subject(subject), f"{body}\n\n{_link(provider.get_absolute_url())}\n"

    return deliver(
        key=f"change-request:{request.pk}:{request.status}", users=users, compose=compose
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

    def compose():
        values = {
            "number": application.pk,
            "application": _application_line(application),
            "state": _label(ApplicationState, application.state),
            "due": f"{due:%Y-%m-%d %H:%M}",
        }
        if overdue:
            subject = _("Overdue: #%(number)s (%(state)s)") % values
            first = (
                _("%(application)s has waited in “%(state)s” past its due date (%(due)s UTC).")
                % values
            )
        else:
            subject = _("Reminder: #%(number)s (%(state)s)") % values
            first = (
                _("%(application)s waits in “%(state)s”; the next step is due (%(due)s UTC).")
                % values
            )
        return _subject(subject), f"{first}\n\n{_link(f'/applications/{application.pk}/')}\n"

    return deliver(key=key, users=users, compose=compose)


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
