"""The accreditation app's rules for both state machines: roles, dossier guards, the
records a decision or an appeal writes, and the accreditation lifecycle's guards and
effects. Reviews adds its own in `reviews.rules`. What each transition means is in
`workflow.CATALOGUE`; the engine that applies these rules is `accreditation.engine`.
"""

import datetime
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext, ngettext

from core.errors import Unmet
from core.roles import Role, has_role

from . import annex, engine, versions, workflow
from .models import (
    Accreditation,
    AccreditationStatus,
    AccreditationTransition,
    Appeal,
    Application,
    Clarification,
    Condition,
    Decision,
    Document,
    SelfAssessment,
    SuspensionReason,
)
from .selectors import is_provider_member

# --------------------------------------------------------------------------- rights


@workflow.allow(workflow.taken_by(workflow.PROVIDER))
def provider_acts_for_own_case(application, actor):
    return is_provider_member(actor, application.provider_id)


@workflow.allow(workflow.taken_by(workflow.COORDINATOR))
def coordinator_runs_procedure(application, actor):
    return has_role(actor, Role.COORDINATOR)


@workflow.allow(workflow.taken_by(workflow.DECISION_BODY))
def decision_body_decides(obj, actor):
    """The decision body decides cases and changes the accreditations they created (an
    administrator acting for it may change an accreditation)."""
    if isinstance(obj, Accreditation) and actor.is_superuser:
        return True
    return has_role(actor, Role.DECISION_BODY)


@workflow.allow(workflow.taken_by(workflow.APPEALS_COMMITTEE))
def appeals_committee_decides_appeals(application, actor):
    return has_role(actor, Role.APPEALS_COMMITTEE)


@workflow.deny(workflow.APPEAL_DECISIONS)
def not_the_person_who_decided(application, actor):
    """Nobody judges their own decision: the member who took the appealed decision may
    not decide the appeal against it, whatever other seats they hold."""
    appeal = pending_appeal(application)
    if appeal is not None and appeal.decision.decided_by_id == actor.pk:
        return gettext(
            "Conflict of interest: You took the decision under appeal, so you may not "
            "decide the appeal against it; another member of the appeals committee must."
        )
    return None


# --------------------------------------------------------------------------- guards


def _missing(field, message):
    """A required field left empty: `message` is the whole sentence (in the active
    language), naming the field as `%(field)s`."""
    return Unmet(f"missing_field:{field}", message % {"field": field})


def _text(data, field):
    value = data.get(field)
    return value.strip() if isinstance(value, str) else ""


def dossier_unmet(application):
    """Everything a dossier still lacks before it may be submitted, one item each.

    Course (and course renewal) dossiers need every mandatory Annex I element and a sample
    credential, which shows the per-learner elements (learner identification, date of
    issuing). Every dossier needs a self-assessment for every standard of its framework
    and at least one self-evaluation PDF.
    """
    unmet = []
    course = application.course
    if course is not None:
        for element in annex.missing(course):
            unmet.append(
                Unmet(
                    element.unmet_code,
                    gettext("The course lacks the Annex I element: %(element)s.")
                    % {"element": workflow.in_sentence(element.label)},
                )
            )
    kinds = set(application.documents.values_list("kind", flat=True))
    if course is not None and Document.Kind.CREDENTIAL_SAMPLE not in kinds:
        unmet.append(
            Unmet(
                "missing_document:credential_sample",
                gettext(
                    "A sample credential is required (it shows the learner "
                    "identification and the date of issuing)."
                ),
            )
        )
    if Document.Kind.SELF_EVALUATION not in kinds:
        unmet.append(
            Unmet(
                "missing_document:self_evaluation",
                gettext("At least one self-evaluation PDF is required."),
            )
        )
    assessed = set(
        SelfAssessment.objects.filter(application=application)
        .exclude(narrative="")
        .values_list("standard_id", flat=True)
    )
    for standard in application.framework.standards.all():
        if standard.pk not in assessed:
            unmet.append(
                Unmet(
                    f"missing_self_assessment:{standard.code}",
                    gettext("No self-assessment for standard %(standard)s.")
                    % {"standard": standard.heading},
                )
            )
    return unmet


@workflow.guard("submit")
def dossier_complete(application, actor, data):
    return dossier_unmet(application)


@workflow.guard(("return_for_completion", "request_clarification"))
def comment_given(application, actor, data):
    if not _text(data, "comment"):
        return [
            _missing(
                "comment",
                gettext("A comment saying what is needed is required (field '%(field)s')."),
            )
        ]
    return []


@workflow.guard("answer_clarification")
def answer_given(application, actor, data):
    if not _text(data, "answer"):
        return [
            _missing(
                "answer", gettext("An answer to the question is required (field '%(field)s').")
            )
        ]
    return []


@workflow.guard("reject")
def rationale_given(application, actor, data):
    if not _text(data, "rationale"):
        return [
            _missing(
                "rationale",
                gettext("A rationale for the negative decision is required (field '%(field)s')."),
            )
        ]
    return []


def _as_date(value):
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return parse_date(value.strip())
        except ValueError:
            return None
    return None


@workflow.guard(("accredit", "accredit_with_conditions"))
def validity_in_future(application, actor, data):
    value = data.get("valid_until")
    if value in (None, ""):
        return []
    date = _as_date(value)
    if date is None:
        return [
            Unmet("invalid_field:valid_until", gettext("valid_until must be a date (YYYY-MM-DD).")),
        ]
    if date <= timezone.now().date():
        return [Unmet("invalid_field:valid_until", gettext("valid_until must be after today."))]
    return []


@workflow.guard("accredit_with_conditions")
def conditions_given(application, actor, data):
    conditions = data.get("conditions")
    if not isinstance(conditions, list) or not conditions:
        return [
            Unmet(
                "missing_field:conditions",
                gettext("At least one condition with a text and a due date is required."),
            )
        ]
    unmet = []
    today = timezone.now().date()
    for index, condition in enumerate(conditions):
        if not isinstance(condition, dict):
            unmet.append(
                Unmet(
                    f"invalid_field:conditions[{index}]",
                    gettext("Each condition is an object with text and due_date."),
                )
            )
            continue
        if not _text(condition, "text"):
            unmet.append(
                Unmet(
                    f"missing_field:conditions[{index}].text",
                    gettext("Condition %(number)s needs a text.") % {"number": index + 1},
                )
            )
        due = _as_date(condition.get("due_date"))
        if due is None:
            unmet.append(
                Unmet(
                    f"missing_field:conditions[{index}].due_date",
                    gettext("Condition %(number)s needs a due date (YYYY-MM-DD).")
                    % {"number": index + 1},
                )
            )
        elif due <= today:
            unmet.append(
                Unmet(
                    f"invalid_field:conditions[{index}].due_date",
                    gettext("Condition %(number)s's due date must be after today.")
                    % {"number": index + 1},
                )
            )
    return unmet


@workflow.guard("appeal")
def appeal_in_time_with_grounds(application, actor, data):
    unmet = []
    if not _text(data, "grounds"):
        unmet.append(
            _missing(
                "grounds",
                gettext("A statement of the grounds of appeal is required (field '%(field)s')."),
            )
        )
    decision = current_decision(application)
    window = timedelta(days=settings.MCQA_APPEAL_WINDOW_DAYS)
    if decision is None or timezone.now() > decision.decided_at + window:
        unmet.append(
            Unmet(
                "appeal_window_closed",
                ngettext(
                    "Appeals must be lodged within %(days)s day of the decision.",
                    "Appeals must be lodged within %(days)s days of the decision.",
                    window.days,
                )
                % {"days": window.days},
            )
        )
    return unmet


# --------------------------------------------------------------------------- records


def current_decision(application):
    """The decision in force: the newest one not annulled by an upheld appeal."""
    return (
        Decision.objects.filter(application=application, annulled_at__isnull=True)
        .order_by("-decided_at", "-id")
        .first()
    )


def pending_appeal(application):
    return (
        Appeal.objects.select_related("decision")
        .filter(application=application, outcome=Appeal.Outcome.PENDING)
        .order_by("-lodged_at", "-id")
        .first()
    )


@workflow.effect("submit")
def stamp_submission(application, actor, data, log):
    """A submitted dossier is dated, and a course dossier is pinned to the course's
    version in force at the submission (recorded now if the live course differs from
    it): the review, the report and the accreditation assess that version, whatever the
    provider edits later. A resubmission after a return pins the version in force then."""
    pinned = None
    if application.course_id is not None:
        pinned = versions.record(course_id=application.course_id, actor=actor, at=log.at)
    Application.objects.filter(pk=application.pk).update(submitted_at=log.at, course_version=pinned)
    application.course_version = pinned


@workflow.effect("request_clarification")
def open_clarification(application, actor, data, log):
    Clarification.objects.create(
        application=application, question=_text(data, "comment"), asked_by=actor
    )


@workflow.effect("answer_clarification")
def record_answer(application, actor, data, log):
    clarification = (
        Clarification.objects.filter(application=application, answered_at__isnull=True)
        .order_by("-asked_at", "-id")
        .first()
    )
    if clarification is None:
        return
    clarification.answer = _text(data, "answer")
    clarification.answered_by = actor
    clarification.answered_at = log.at
    clarification.save()
    ids = [i for i in data.get("documents") or [] if isinstance(i, int)]
    if ids:
        clarification.documents.set(application.documents.filter(pk__in=ids))


def _decide(application, actor, data, log, outcome):
    today = log.at.date()
    valid_until = None
    if outcome != Decision.Outcome.NEGATIVE:
        valid_until = _as_date(data.get("valid_until")) or _add_years(
            today, settings.MCQA_VALIDITY_YEARS
        )
    decision = Decision.objects.create(
        application=application,
        outcome=outcome,
        rationale=_text(data, "rationale"),
        valid_from=today if valid_until else None,
        valid_until=valid_until,
        decided_by=actor,
        decided_at=log.at,
    )
    Application.objects.filter(pk=application.pk).update(decided_at=log.at)
    if outcome == Decision.Outcome.NEGATIVE:
        return decision
    accreditation = Accreditation.objects.create(
        provider_id=application.provider_id,
        course_id=application.course_id,
        course_version_id=application.course_version_id,
        application=application,
        decision=decision,
        outcome=outcome,
        valid_from=today,
        valid_until=valid_until,
        eqf_levels=[int(v) for v in data.get("eqf_levels") or [] if str(v).isdigit()],
        isced_fields=[str(v) for v in data.get("isced_fields") or []],
    )
    for condition in data.get("conditions") or []:
        Condition.objects.create(
            accreditation=accreditation,
            text=_text(condition, "text"),
            due_date=_as_date(condition.get("due_date")),
        )
    created = AccreditationTransition.objects.create(
        accreditation=accreditation,
        transition="create",
        from_state="",
        to_state=AccreditationStatus.ACTIVE,
        actor=actor,
        at=log.at,
        payload={"decision": outcome, "application_log": log.pk},
    )
    engine.announce(accreditation, "create", created)
    return decision


def _add_years(day, years):
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@workflow.effect("accredit")
def record_positive_decision(application, actor, data, log):
    _decide(application, actor, data, log, Decision.Outcome.POSITIVE)


@workflow.effect("accredit_with_conditions")
def record_conditional_decision(application, actor, data, log):
    _decide(application, actor, data, log, Decision.Outcome.POSITIVE_WITH_CONDITIONS)


@workflow.effect("reject")
def record_negative_decision(application, actor, data, log):
    _decide(application, actor, data, log, Decision.Outcome.NEGATIVE)


@workflow.effect("appeal")
def lodge_appeal(application, actor, data, log):
    Appeal.objects.create(
        application=application,
        decision=current_decision(application),
        appealed_state=log.from_state,
        grounds=_text(data, "grounds"),
        lodged_by=actor,
    )


@workflow.args("dismiss_appeal")
def appealed_state(application):
    appeal = pending_appeal(application)
    return {"appealed_state": appeal.appealed_state if appeal else application.state}


@workflow.effect("dismiss_appeal")
def close_appeal_dismissed(application, actor, data, log):
    appeal = pending_appeal(application)
    if appeal is not None:
        Appeal.objects.filter(pk=appeal.pk).update(
            outcome=Appeal.Outcome.DISMISSED,
            decided_by=actor,
            decided_at=log.at,
            reasons=_text(data, "comment"),
        )


@workflow.effect("uphold_appeal")
def close_appeal_upheld(application, actor, data, log):
    """The appealed decision is annulled and the case goes back to the decision body;
    an accreditation the annulled decision created is annulled (not revoked: the
    provider won its appeal), through the engine, as the system."""
    appeal = pending_appeal(application)
    if appeal is None:
        return
    Appeal.objects.filter(pk=appeal.pk).update(
        outcome=Appeal.Outcome.UPHELD,
        decided_by=actor,
        decided_at=log.at,
        reasons=_text(data, "comment"),
    )
    Decision.objects.filter(pk=appeal.decision_id).update(annulled_at=log.at)
    for accreditation in Accreditation.objects.filter(
        decision_id=appeal.decision_id,
        status__in=[AccreditationStatus.ACTIVE, AccreditationStatus.SUSPENDED],
    ):
        engine.fire(
            accreditation,
            "annul",
            None,
            {
                "comment": "The decision that created it was annulled on appeal.",
                "appeal": appeal.pk,
                "application_log": log.pk,
            },
            at=log.at,
        )


# --------------------------------------------------------------------------- accreditations


@workflow.guard(workflow.names(workflow.ACCREDITATION, reasoned=True))
def reason_given(accreditation, actor, data):
    """A suspension or revocation is published with a public comment saying what
    happened and its reason (one of the reason codes)."""
    unmet = []
    if not _text(data, "comment"):
        unmet.append(
            Unmet(
                "missing_field:comment",
                gettext("A public comment giving the reason is required (field 'comment')."),
            )
        )
    reason = data.get("reason")
    codes = ", ".join(SuspensionReason.values)
    if reason in (None, ""):
        unmet.append(
            Unmet(
                "missing_field:reason",
                gettext("A reason is required (field 'reason'): one of %(codes)s.")
                % {"codes": codes},
            )
        )
    elif reason not in SuspensionReason.values:
        unmet.append(
            Unmet(
                "invalid_field:reason",
                gettext("reason must be one of %(codes)s.") % {"codes": codes},
            )
        )
    return unmet


def _open_conditions(accreditation):
    return accreditation.conditions.filter(
        status__in=[Condition.Status.OPEN, Condition.Status.OVERDUE]
    )


@workflow.offered("confirm_conditions_met")
def granted_with_conditions(accreditation):
    """Confirming conditions is offered only on an accreditation granted with them."""
    return accreditation.outcome == Decision.Outcome.POSITIVE_WITH_CONDITIONS


@workflow.guard("confirm_conditions_met")
def conditions_open(accreditation, actor, data):
    if not _open_conditions(accreditation).exists():
        return [Unmet("no_open_conditions", gettext("There are no open conditions to confirm."))]
    return []


@workflow.payload("confirm_conditions_met")
def conditions_to_confirm(accreditation, data):
    return {"conditions_met": list(_open_conditions(accreditation).values_list("pk", flat=True))}


@workflow.effect("confirm_conditions_met")
def mark_conditions_met(accreditation, actor, data, log):
    """Every open or overdue condition is met; the model upgraded the outcome."""
    Condition.objects.filter(pk__in=log.payload["conditions_met"]).update(
        status=Condition.Status.MET, met_at=log.at
    )
