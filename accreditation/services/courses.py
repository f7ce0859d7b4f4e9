"""Courses: a provider's description of a micro-credential (the elements of Annex I)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit
from core.errors import NotAllowed, NotVisible
from core.inputs import TEXT_MAX_LENGTH, check_text

from .. import versions
from ..models import Course
from ..selectors import courses_visible_to, is_provider_member
from ._common import _assign, _full_clean, _reject_unknown
from .providers import _resolve_provider

COURSE_FIELDS = (
    "title",
    "learning_outcomes",
    "workload_ects",
    "workload_hours",
    "level_not_applicable",
    "eqf_level",
    "qf_ehea_cycle",
    "isced_f",
    "assessment_type",
    "participation_form",
    "quality_assurance",
    "languages",
    "prerequisites",
    "supervision_identity_verification",
    "grading",
    "stackability",
    "further_information",
)
_NULLABLE_COURSE_FIELDS = (
    "workload_ects",
    "workload_hours",
    "eqf_level",
    "qf_ehea_cycle",
    "supervision_identity_verification",
)


# Annex I elements written as free text; each within the documented length.
_TEXT_COURSE_FIELDS = (
    "assessment_type",
    "quality_assurance",
    "prerequisites",
    "grading",
    "stackability",
    "further_information",
)


def _check_course_values(data):
    """Rules the model alone cannot say: outcomes are a non-empty list of texts when given,
    and every free text (each outcome included) is within `TEXT_MAX_LENGTH`."""
    for name in _TEXT_COURSE_FIELDS:
        check_text(data.get(name), name, TEXT_MAX_LENGTH)
    if "learning_outcomes" in data:
        value = data["learning_outcomes"]
        if not isinstance(value, list) or not value:
            raise ValidationError(
                {
                    "learning_outcomes": [
                        _("Give at least one learning outcome (a list of strings).")
                    ]
                }
            )
        for index, outcome in enumerate(value):
            if isinstance(outcome, str):
                check_text(outcome, f"learning_outcomes[{index}]", TEXT_MAX_LENGTH)
    if data.get("languages") is not None and not isinstance(data["languages"], list):
        raise ValidationError({"languages": [_("A list of ISO 639-1 codes is required.")]})
    if data.get("eqf_level") not in (None, ""):
        value = data["eqf_level"]
        if isinstance(value, bool) or not str(value).strip().isdigit():
            raise ValidationError(
                {"eqf_level": [_("The EQF level is a whole number from 1 to 8.")]}
            )
    if "level_not_applicable" in data and not isinstance(data["level_not_applicable"], bool):
        raise ValidationError({"level_not_applicable": [_("true or false is required.")]})


def course_create(*, actor, data):
    """Describe a micro-credential course of a provider the actor acts for. The Annex I
    elements may be completed later (submit lists what is missing), but every value given
    must be valid: ECTS > 0, EQF 1..8, QF-EHEA cycle, ISCED-F code, ISO 639-1 languages,
    and the values must agree as Annex I says (`annex.value_problems`: no level when
    none applies, ECTS or hours but not both, a supervision option). The description as
    created is the course's version 1."""
    data = dict(data)
    _reject_unknown(data, ("provider", *COURSE_FIELDS))
    if "provider" not in data:
        raise ValidationError({"provider": [_("The provider is required.")]})
    provider = _resolve_provider(data["provider"], actor)
    if not is_provider_member(actor, provider.pk):
        raise NotAllowed(_("Only people acting for this provider may describe its courses."))
    _check_course_values(data)
    course = Course(provider=provider)
    _assign(course, data, COURSE_FIELDS, nullable=_NULLABLE_COURSE_FIELDS)
    _full_clean(course)
    with transaction.atomic():
        course.save()
        versions.record(course_id=course.pk, actor=actor)
        audit("course.create", actor=actor, obj=course, title=course.title)
    return course


def course_update(*, course, actor, data):
    """Change a course's description (only the fields given). The provider never changes:
    a course belongs to the organisation that awards it. A change of its elements makes a
    new version and ends the one before (a save that changes nothing makes none); an
    approved version, and what was answered about the past, never change."""
    if not courses_visible_to(user=actor).filter(pk=course.pk).exists():
        raise NotVisible()
    if not is_provider_member(actor, course.provider_id):
        raise NotAllowed(_("Only people acting for this provider may change its courses."))
    data = dict(data)
    _reject_unknown(data, ("provider", *COURSE_FIELDS))
    if "provider" in data and str(data["provider"]) != str(course.provider_id):
        raise ValidationError({"provider": [_("A course cannot move to another provider.")]})
    _check_course_values(data)
    with transaction.atomic():
        course = Course.objects.select_for_update().get(pk=course.pk)
        _assign(course, data, COURSE_FIELDS, nullable=_NULLABLE_COURSE_FIELDS)
        _full_clean(course)
        course.save()
        version = versions.record(course_id=course.pk, actor=actor)
        audit("course.update", actor=actor, obj=course, fields=sorted(data), version=version.number)
    return course
