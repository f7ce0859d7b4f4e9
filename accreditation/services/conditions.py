"""Follow-up of the conditions of a conditional decision (ESG 2.3, "a consistent
follow-up"): the provider answers each condition with text and documents, the decision
body assesses each condition on its own, and the last condition found met upgrades the
decision to `positive` through the engine's `confirm_conditions_met` (so the new
published report version, the registry event and the e-mails follow from that one
transition, not from a copy of its effects here).

Order of checks, as the engine's: invisible 404, no right 403, condition settled or
accreditation not open to follow-up 409, bad input 400 naming the field. Each write locks
the accreditation's row, so two assessments of its last two conditions cannot both miss
that they were the last.
"""

from contextlib import ExitStack

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core import uploads
from core.audit import audit
from core.effects import after_commit
from core.errors import ConflictError, NotAllowed, NotVisible
from core.inputs import TEXT_MAX_LENGTH, check_text

from .. import engine
from ..models import (
    Accreditation,
    AccreditationStatus,
    Condition,
    ConditionAssessment,
    ConditionResponse,
    Decision,
    Document,
)
from ..selectors import conditions_visible_to, is_provider_member
from ..tasks import send_condition_assessment_notification, send_condition_response_notification
from ._common import in_sentence
from .documents import document_from_pdf

# The accreditation statuses in which conditions are still followed up: a revoked,
# expired or annulled accreditation has no conditions left to meet.
FOLLOW_UP_STATUSES = (AccreditationStatus.ACTIVE, AccreditationStatus.SUSPENDED)
# A condition still to be met (an overdue one may still be met late).
UNSETTLED = (Condition.Status.OPEN, Condition.Status.OVERDUE)
MAX_RESPONSE_FILES = 10
# The transition whose right is the right to assess a condition (one rule for both).
CONFIRM = "confirm_conditions_met"


def _visible(condition, actor):
    if not conditions_visible_to(user=actor).filter(pk=condition.pk).exists():
        raise NotVisible()


def follow_up_refusal(condition, accreditation):
    """Why `condition` cannot be answered or assessed now (409), or None: it is settled
    (met), or its accreditation is no longer followed up (revoked, expired, annulled, or
    its decision is already positive)."""
    if condition.status not in UNSETTLED:
        return _("The condition is already %(status)s.") % {
            "status": in_sentence(condition.get_status_display())
        }
    if accreditation.status not in FOLLOW_UP_STATUSES:
        return _("The accreditation is %(status)s; its conditions are closed.") % {
            "status": in_sentence(accreditation.get_status_display())
        }
    if accreditation.outcome != Decision.Outcome.POSITIVE_WITH_CONDITIONS:
        return _("The decision is no longer conditional.")
    return None


def may_respond(condition, actor):
    """The provider's people answer their conditions."""
    return is_provider_member(actor, condition.accreditation.provider_id)


def may_assess(condition, actor):
    """Who may confirm an accreditation's conditions met (the catalogue's actors of
    `confirm_conditions_met`: the decision body) assesses each condition."""
    return engine.right(condition.accreditation, CONFIRM, actor) is None


def condition_actions(condition, actor):
    """What `actor` may do on `condition` now: `respond` (the provider), `assess` (the
    decision body), while it is unsettled and its accreditation followed up."""
    if follow_up_refusal(condition, condition.accreditation):
        return []
    actions = []
    if may_respond(condition, actor):
        actions.append("respond")
    if may_assess(condition, actor):
        actions.append("assess")
    return actions


def _locked(condition):
    """The accreditation (row-locked) and the condition as they are now."""
    accreditation = Accreditation.objects.select_for_update().get(pk=condition.accreditation_id)
    return accreditation, Condition.objects.get(pk=condition.pk)


def condition_respond(*, condition, actor, text, files=()):
    """Record the provider's answer to `condition`: a text and any PDFs, stored whole
    with their checksums (as documents of the case, kind `response`) or not at all.

    Only the provider's people answer (403), while the condition is unsettled and its
    accreditation followed up (409). The text is required (400 on `text`); each file is
    checked before anything is stored (413 over the size limit, 415 not a plain PDF).
    Answering again after a "not met" adds to the history; nothing is overwritten. The
    decision body is told after commit.
    """
    _visible(condition, actor)
    if not may_respond(condition, actor):
        raise NotAllowed(_("Only people acting for the provider answer its conditions."))
    reason = follow_up_refusal(condition, condition.accreditation)
    if reason:
        raise ConflictError(reason)
    check_text(text, "text", TEXT_MAX_LENGTH)
    if not (text or "").strip():
        raise ValidationError({"text": [_("An answer saying what was done is required.")]})
    files = [f for f in files if f is not None]
    if len(files) > MAX_RESPONSE_FILES:
        raise ValidationError(
            {"files": [_("At most %(count)s files are accepted.") % {"count": MAX_RESPONSE_FILES}]}
        )
    stored = []
    with ExitStack() as stack:
        pdfs = [
            stack.enter_context(uploads.received_pdf(upload, limit=settings.MCQA_UPLOAD_MAX_BYTES))
            for upload in files
        ]
        try:
            with transaction.atomic():
                accreditation, current = _locked(condition)
                reason = follow_up_refusal(current, accreditation)
                if reason:
                    raise ConflictError(reason)
                response = ConditionResponse.objects.create(
                    condition=current, text=text.strip(), submitted_by=actor
                )
                documents = []
                for pdf in pdfs:
                    document = document_from_pdf(
                        pdf,
                        application_id=accreditation.application_id,
                        kind=Document.Kind.RESPONSE,
                        actor=actor,
                    )
                    stored.append(document.file)
                    document.save()
                    documents.append(document)
                response.documents.set(documents)
                audit(
                    "condition.respond",
                    actor=actor,
                    obj=current,
                    response=response.pk,
                    documents=[{"id": d.pk, "sha256": d.sha256} for d in documents],
                )
        except BaseException:
            for file in stored:
                file.storage.delete(file.name)
            raise
    after_commit(send_condition_response_notification.delay, response_id=response.pk)
    return response


def _check_assessment(met, comment, given):
    unknown = sorted(set(given) - {"met", "comment"})
    if unknown:
        raise ValidationError({str(name)[:100]: ["Unknown field."] for name in unknown})
    if not isinstance(met, bool):
        raise ValidationError({"met": [_("met must be true or false.")]})
    check_text(comment, "comment", TEXT_MAX_LENGTH)
    if not met and not (comment or "").strip():
        raise ValidationError(
            {"comment": [_("Say what is still missing when a condition is not met.")]}
        )


def condition_assess(*, condition, actor, met, comment="", given=()):
    """The decision body's judgement of one condition: met, or not met yet.

    Not met: the condition stays open (or overdue) and the provider is asked, by e-mail
    with the comment, to answer again. Met: the condition is settled; when it was the
    last unsettled condition of its accreditation, the decision becomes `positive` by
    firing `confirm_conditions_met` through the engine as the assessing member (who holds
    that right): it marks the condition met, upgrades the outcome, logs the change and
    publishes a new report version and the registry event after commit.

    404 invisible, 403 without the decision body's right, 409 when the condition is
    settled or the accreditation is not followed up, 400 naming `met` or `comment` (or a
    field of `given`, the names the caller sent, that is not one of them).
    One append-only assessment row and an audit event per call; refusals write nothing.
    """
    _visible(condition, actor)
    if not may_assess(condition, actor):
        raise NotAllowed(_("Only the decision body assesses conditions."))
    reason = follow_up_refusal(condition, condition.accreditation)
    if reason:
        raise ConflictError(reason)
    _check_assessment(met, comment, given)
    comment = (comment or "").strip()
    with transaction.atomic():
        accreditation, current = _locked(condition)
        reason = follow_up_refusal(current, accreditation)
        if reason:
            raise ConflictError(reason)
        assessment = ConditionAssessment.objects.create(
            condition=current,
            response=current.responses.order_by("-submitted_at", "-id").first(),
            met=met,
            comment=comment,
            assessed_by=actor,
        )
        audit(
            "condition.assess",
            actor=actor,
            obj=current,
            assessment=assessment.pk,
            met=met,
            comment=comment,
        )
        if met:
            others = accreditation.conditions.filter(status__in=UNSETTLED).exclude(pk=current.pk)
            if others.exists():
                Condition.objects.filter(pk=current.pk).update(
                    status=Condition.Status.MET, met_at=assessment.assessed_at
                )
            else:
                engine.fire(
                    accreditation,
                    CONFIRM,
                    actor,
                    {"comment": _last_met_comment(current, comment)},
                )
    after_commit(send_condition_assessment_notification.delay, assessment_id=assessment.pk)
    return assessment


def _last_met_comment(condition, comment):
    said = f" {comment}" if comment else ""
    text = f"Every condition is met; the last, “{condition.text[:200]}”, was assessed met.{said}"
    return text[:TEXT_MAX_LENGTH]


def condition_now(condition):
    """The condition re-read after a write (its status may have changed)."""
    return Condition.objects.select_related("accreditation").get(pk=condition.pk)


__all__ = [
    "FOLLOW_UP_STATUSES",
    "condition_actions",
    "condition_assess",
    "condition_now",
    "condition_respond",
    "follow_up_refusal",
    "may_assess",
    "may_respond",
]
