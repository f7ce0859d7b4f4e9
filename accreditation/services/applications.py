"""Applications: opening one (renewals included), the provider's self-assessments, and the
thin wrappers over the one transition engine (`accreditation.engine`) through which
every change of an application's state goes."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from core.audit import audit
from core.errors import ConflictError, NotAllowed, NotVisible
from core.inputs import NARRATIVE_MAX_LENGTH, as_id, as_ids, check_text

from .. import engine, workflow
from ..models import (
    OPEN_STATES,
    RENEWABLE_STATES,
    Application,
    Course,
    Document,
    Framework,
    SelfAssessment,
    Standard,
)
from ..selectors import is_provider_member
from ._common import DOSSIER_STATES, _visible_application, in_sentence
from .providers import _resolve_provider


def application_transition(*, application, name, actor, data=None):
    """Fire transition `name` on `application` as `actor` (None: the system), through the
    one engine (`accreditation.engine.fire`: 404, 403, 409, 400 in that order; row-locked;
    logged; side effects after commit). Returns the changed application."""
    return engine.fire(application, name, actor, data)


def transition_right(*, application, name, actor):
    """None when `actor` may fire `name` on `application`, else the reason they may not."""
    return engine.right(application, name, actor)


def available_transitions(*, application, actor):
    """Names of the transitions `actor` may fire on `application` now."""
    return engine.available(application, actor)


def withheld_transitions(*, application, actor):
    """`[(name, reason)]`: steps of the current state `actor`'s seat would allow but a
    conflict rule refuses, with the reason (their own decision under appeal ...)."""
    return engine.withheld(application, actor)


def waiting_on(*, application, names=None):
    """What must still be provided, and by whom, before the next step (or one of `names`)
    can be taken: the unmet prerequisites, each naming who provides it."""
    return engine.waiting_on(application, names)


def _step_words(name):
    """A transition as a refusal quotes it: its name's words in English ("Start
    screening"), its translated label in another language, whose word order an English
    verb phrase would break."""
    if (get_language() or "en").startswith("en") or name not in workflow.CATALOGUE:
        return name.replace("_", " ").capitalize()
    return _(str(workflow.step(name).label))


def transition_refusal(*, application, name, actor):
    """Why `actor` cannot take `name` on `application` now, in words (None: they can, or
    only its guards can tell): a missing right or a conflict first, else the state."""
    reason = engine.right(application, name, actor)
    if reason:
        return reason
    if name not in engine.available(application, actor):
        state = in_sentence(application.get_state_display())
        words = _step_words(name)
        return _("“%(action)s” is not possible while the application is %(state)s.") % {
            "action": words,
            "state": state,
        }
    return None


NO_SUCH_COURSE = gettext_lazy("There is no such course for this provider.")
NO_SUCH_PREVIOUS = gettext_lazy("There is no such application for this provider.")

DEFAULT_FRAMEWORKS = {"course": "eu-mc-2022-principles", "provider": "esg-2015-part1"}


def newest_framework(code):
    """The newest version of framework `code` (by effective date), or None."""
    return Framework.objects.filter(code=code).order_by("-effective_from", "-id").first()


def _renewal_source(*, provider, course, previous):
    """The application whose cycle a renewal continues: the one given, else the newest
    positively decided one for the same provider and course."""
    if previous is None:
        previous = (
            Application.objects.filter(
                provider=provider, course=course, state__in=[s.value for s in RENEWABLE_STATES]
            )
            .order_by("-decided_at", "-id")
            .first()
        )
        if previous is None:
            raise ValidationError(
                {"previous": [_("A renewal continues an accredited application; there is none.")]}
            )
    else:
        # One answer for an id that does not exist and one of another provider: the
        # caller learns nothing of applications they may not see.
        pk = previous.pk if isinstance(previous, Application) else as_id(previous, "previous")
        previous = Application.objects.filter(pk=pk, provider=provider).first()
        if previous is None:
            raise ValidationError({"previous": [NO_SUCH_PREVIOUS]})
    if course is not None and previous.course_id != course.pk:
        raise ValidationError({"previous": [_("The previous application is for another course.")]})
    if previous.state not in RENEWABLE_STATES:
        raise ValidationError({"previous": [_("Only an accredited application can be renewed.")]})
    return previous


def application_create(*, actor, kind, provider, course=None, framework_code=None, previous=None):
    """Open a draft application for a provider the actor acts for.

    The framework is frozen now (the newest version of the requested or default code:
    Annex II principles for a course, ESG Part 1 for an institutional review), so a later
    edit of the standards never changes a review under way. A renewal continues the last
    accredited cycle: same provider and course, and the previous self-assessments copied
    as a starting point. A course has at most one open application at a time (409).
    """
    if kind not in Application.Kind.values:
        raise ValidationError({"kind": [f"kind must be one of {', '.join(Application.Kind)}."]})
    provider = _resolve_provider(provider, actor)
    if not is_provider_member(actor, provider.pk):
        raise NotAllowed(_("Only people acting for this provider may apply for it."))
    if course is not None:
        # Looked up among this provider's courses only: a course of another provider and
        # an id that does not exist get the same answer.
        pk = course.pk if isinstance(course, Course) else as_id(course, "course", "course id")
        course = Course.objects.filter(pk=pk, provider=provider).first()
        if course is None:
            raise ValidationError({"course": [NO_SUCH_COURSE]})
    if kind == Application.Kind.COURSE and course is None:
        raise ValidationError({"course": [_("A course application needs a course.")]})
    if kind == Application.Kind.PROVIDER and course is not None:
        raise ValidationError({"course": [_("An institutional review covers no single course.")]})
    source = None
    if kind == Application.Kind.RENEWAL:
        source = _renewal_source(provider=provider, course=course, previous=previous)
        course = source.course
    elif previous is not None:
        raise ValidationError({"previous": [_("Only a renewal continues a previous application.")]})
    code = framework_code or DEFAULT_FRAMEWORKS["course" if course is not None else "provider"]
    framework = newest_framework(code)
    if framework is None:
        raise ValidationError({"framework": [f"There is no framework {code!r}."]})
    if course is not None:
        open_one = Application.objects.filter(
            course=course, state__in=[s.value for s in OPEN_STATES]
        ).first()
        if open_one is not None:
            raise ConflictError(
                _(
                    "The course already has an open application (#%(number)s); "
                    "finish or withdraw it first."
                )
                % {"number": open_one.pk}
            )
    try:
        with transaction.atomic():
            application = Application.objects.create(
                kind=kind,
                provider=provider,
                course=course,
                framework=framework,
                previous=source,
                created_by=actor,
            )
            if source is not None:
                _copy_self_assessments(source, application)
            audit("application.create", actor=actor, obj=application, kind=kind)
    except IntegrityError as exc:
        raise ConflictError(_("The course already has an open application.")) from exc
    return application


def _copy_self_assessments(source, application):
    """Pre-fill a renewal: each narrative of the previous cycle whose standard (by code)
    exists in the new framework. Evidence stays with the old dossier."""
    by_code = {s.code: s for s in application.framework.standards.all()}
    for old in source.self_assessments.select_related("standard"):
        standard = by_code.get(old.standard.code)
        if standard is not None and old.narrative.strip():
            SelfAssessment.objects.create(
                application=application, standard=standard, narrative=old.narrative
            )


MAX_EVIDENCE = 100


def self_assessment_put(*, application, actor, standard_code, narrative, evidence_ids=()):
    """Write the provider's self-assessment against one standard of the frozen framework,
    with evidence from this application's own documents. Only while the dossier is open
    (draft or returned). Returns `(self_assessment, created)`."""
    _visible_application(application, actor)
    if not is_provider_member(actor, application.provider_id):
        raise NotAllowed(_("Only people acting for the provider write its self-assessment."))
    standard = Standard.objects.filter(
        framework_id=application.framework_id, code=standard_code
    ).first()
    if standard is None:
        raise NotVisible(
            f"There is no standard {standard_code!r} in the framework of this application."
        )
    if not isinstance(narrative, str) or not narrative.strip():
        raise ValidationError({"narrative": [_("A narrative is required.")]})
    check_text(narrative, "narrative", NARRATIVE_MAX_LENGTH)
    if evidence_ids is None:
        evidence_ids = []
    ids = set(as_ids(list(evidence_ids), "evidence", "document id", limit=MAX_EVIDENCE))
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=application.pk)
        if locked.state not in DOSSIER_STATES:
            raise ConflictError(
                _("The dossier is closed while the application is %(state)s.")
                % {"state": in_sentence(locked.get_state_display())}
            )
        documents = list(Document.objects.filter(application=locked, pk__in=ids))
        missing = ids - {d.pk for d in documents}
        if missing:
            raise ValidationError(
                {
                    "evidence": [
                        _("Not documents of this application: %(ids)s")
                        % {"ids": ", ".join(str(i) for i in sorted(missing))}
                    ]
                }
            )
        assessment, created = SelfAssessment.objects.update_or_create(
            application=locked, standard=standard, defaults={"narrative": narrative.strip()}
        )
        assessment.evidence.set(documents)
    return assessment, created
