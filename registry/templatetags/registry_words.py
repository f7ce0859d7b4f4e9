"""Words for the registry's codes: event types and published reasons by their labels."""

from django import template

from accreditation.models import SuspensionReason

from ..models import EventType

register = template.Library()

_EVENTS = dict(EventType.choices)
_REASONS = dict(SuspensionReason.choices)


@register.filter
def event_label(value):
    """A registry event's label ("Accreditation created")."""
    return _EVENTS.get(value, value)


@register.filter
def reason_label(value):
    """A published reason's label ("Conditions overdue")."""
    return _REASONS.get(value, value)
