"""Words for the review's codes: judgements and panel seats by their model labels."""

from django import template

from ..models import Judgement, PanelAssignment

register = template.Library()

_JUDGEMENTS = dict(Judgement.choices)
_SEATS = dict(PanelAssignment.Role.choices)


@register.filter
def judgement_label(value):
    """A judgement's label ("Partially compliant")."""
    return _JUDGEMENTS.get(value, value)


@register.filter
def seat_label(value):
    """A panel seat's label ("Chair", "Student member")."""
    return _SEATS.get(value, value)
