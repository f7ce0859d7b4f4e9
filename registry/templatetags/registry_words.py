"""Words for the registry's codes: event types and published reasons by their labels, and
the registry's ISO dates in the reader's language."""

import datetime

from django import template
from django.utils import formats
from django.utils.html import format_html
from django.utils.translation import pgettext_lazy

from accreditation import annex
from accreditation.models import Course, SuspensionReason

from ..models import EventType

register = template.Library()

_EVENTS = dict(EventType.choices)
_REASONS = dict(SuspensionReason.choices)
_ANNEX = {element.code: element.label for element in annex.ELEMENTS}
_CYCLES = dict(Course.QfEhea.choices)
_CONDITIONS = {
    "open": pgettext_lazy("condition", "open"),
    "met": pgettext_lazy("condition", "met"),
}


@register.filter
def event_label(value):
    """A registry event's label ("Accreditation created")."""
    return _EVENTS.get(value, value)


@register.filter
def reason_label(value):
    """A published reason's label ("Conditions overdue")."""
    return _REASONS.get(value, value)


@register.filter
def annex_label(element):
    """An Annex I element's label in the reader's language, read by its code: the record
    a course page shows is the API's, whose labels are English."""
    return _ANNEX.get(element.get("code"), element.get("label"))


@register.filter
def cycle_label(value):
    """A QF-EHEA cycle's label ("First cycle")."""
    return _CYCLES.get(value, value)


@register.filter
def condition_label(value):
    """A published condition's state (`open`, `met`) in words."""
    return _CONDITIONS.get(value, value)


@register.filter
def day(stamp):
    """An ISO date or date-time of a registry record (`2025-01-10`,
    `2025-01-10T09:00:00Z`) as the reader's language writes a date ("10 January 2025",
    "10. Januar 2025"), inside `<time datetime="2025-01-10">` so machines still read
    ISO. The day is the stamp's own (UTC) day, as the API states it."""
    if not stamp:
        return ""
    try:
        date = datetime.date.fromisoformat(str(stamp)[:10])
    except ValueError:
        return stamp
    return format_html(
        '<time datetime="{}">{}</time>', date.isoformat(), formats.date_format(date, "DATE_FORMAT")
    )
