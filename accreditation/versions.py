"""Course versions: a course's Annex I elements frozen as they stood over a period.

The course services record a version after every write (`record`), the submit rule pins
the application to the version it records (`record` again: the live course may have been
changed by a path that records nothing, such as a data fix), and readers that must not
move with later edits (the report, coverage, the registry) read `in_force` or the pinned
version (`CourseVersion.as_course` reads it back as the course it froze).
"""

from decimal import Decimal

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from . import annex
from .models import Course, CourseVersion

# Every course attribute an Annex I element reads, in Annex I order (with the flag that
# says the level does not apply), then the course attributes the registry and the report
# show beside them.
SNAPSHOT_FIELDS = (
    *dict.fromkeys(
        name
        for element in annex.ELEMENTS
        for name in (*element.fields, *filter(None, [element.not_applicable]))
    ),
    "isced_f",
    "languages",
)
_DECIMAL_FIELDS = ("workload_ects", "workload_hours")
_CENTS = Decimal("0.01")


def snapshot(course):
    """The course's elements as JSON values (the ECTS and hours as two-decimal strings), so
    that two reads of an unchanged course compare equal."""
    values = {}
    for name in SNAPSHOT_FIELDS:
        value = getattr(course, name)
        if isinstance(value, Decimal | int | float) and name in _DECIMAL_FIELDS:
            value = str(Decimal(value).quantize(_CENTS))
        elif isinstance(value, list | tuple):
            value = list(value)
        values[name] = value
    return values


def in_force(course_id, at=None):
    """The version of course `course_id` in force at `at` (default now), or None when
    the course had none then (before it was first described)."""
    at = at or timezone.now()
    return (
        CourseVersion.objects.filter(course_id=course_id, valid_from__lte=at)
        .exclude(valid_until__lte=at)
        .order_by("-valid_from", "-number")
        .first()
    )


def record(*, course_id, actor, at=None):
    """Freeze the course's current elements into a new version unless the version in
    force already holds exactly them; return the version in force afterwards.

    The new version starts at `at` (default now) and ends the one before at the same
    moment, so exactly one is in force at any moment after the first. Runs in the
    caller's transaction (or its own); the course row is locked so that two writers of
    one course number their versions one after the other.
    """
    with transaction.atomic():
        return _record(course_id, actor, at)


def _record(course_id, actor, at):
    course = Course.objects.select_for_update().select_related("provider").get(pk=course_id)
    at = at or timezone.now()
    elements = snapshot(course)
    current = (
        CourseVersion.objects.filter(course_id=course_id, valid_until__isnull=True)
        .order_by("-number")
        .first()
    )
    if current is not None and current.elements == elements:
        return current
    if current is not None:
        at = max(at, current.valid_from)
        CourseVersion.objects.filter(pk=current.pk).update(valid_until=at)
    number = (
        CourseVersion.objects.filter(course_id=course_id).aggregate(n=Max("number"))["n"] or 0
    ) + 1
    return CourseVersion.objects.create(
        course_id=course_id,
        number=number,
        elements=elements,
        title=course.title,
        eqf_level=course.eqf_level,
        isced_f=course.isced_f,
        valid_from=at,
        created_by=actor,
    )
