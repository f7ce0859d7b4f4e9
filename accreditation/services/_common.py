"""Private helpers that several subject modules of `accreditation.services` share: the
shape of the input they accept, and who may see an application."""

from django.core.exceptions import ValidationError

from core.errors import NotVisible

from ..models import ApplicationState
from ..selectors import applications_visible_to
from ..workflow import in_sentence  # noqa: F401  (the services quote labels in refusals)

# The dossier is open (documents added, self-assessments written) in draft or when it was
# returned for completion; closed otherwise.
DOSSIER_STATES = (ApplicationState.DRAFT, ApplicationState.RETURNED)
_IGNORED_INPUT = ("id",)


def _reject_unknown(data, allowed):
    unknown = sorted(set(data) - set(allowed) - set(_IGNORED_INPUT))
    if unknown:
        raise ValidationError({name: ["Unknown field."] for name in unknown})


def _assign(instance, data, fields, nullable=()):
    """Copy the given fields; an empty value means "not given yet" (None or "")."""
    for name in fields:
        if name not in data:
            continue
        value = data[name]
        if isinstance(value, str):
            value = value.strip()
        if name in nullable:
            value = None if value in ("", None) else value
        elif value is None:
            value = [] if name in ("learning_outcomes", "languages") else ""
        setattr(instance, name, value)


def _full_clean(instance, exclude=()):
    """Model validation (field validators and database constraints) as a 400 per field."""
    instance.full_clean(exclude=list(exclude))


def _visible_application(application, actor):
    if (
        actor is not None
        and not applications_visible_to(user=actor).filter(pk=application.pk).exists()
    ):
        raise NotVisible()
