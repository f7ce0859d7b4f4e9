"""Words for the review's codes: judgements and panel seats by their model labels, and the
forms seats and report stages take inside a sentence ("you are the chair"), which English
writes in lower case and German does not: one msgid each, so each language words it."""

from django import template
from django.utils.translation import pgettext_lazy

from ..models import Judgement, PanelAssignment, Report

register = template.Library()

_JUDGEMENTS = dict(Judgement.choices)
_SEATS = dict(PanelAssignment.Role.choices)
_SEATS_IN_TEXT = {
    PanelAssignment.Role.CHAIR: pgettext_lazy("seat, inside a sentence", "chair"),
    PanelAssignment.Role.MEMBER: pgettext_lazy("seat, inside a sentence", "member"),
    PanelAssignment.Role.STUDENT: pgettext_lazy("seat, inside a sentence", "student member"),
}
_STAGES_IN_TEXT = {
    Report.Stage.DRAFT: pgettext_lazy(
        "report stage, inside a sentence", "draft (factual-accuracy check)"
    ),
    Report.Stage.FINAL: pgettext_lazy("report stage, inside a sentence", "final panel report"),
    Report.Stage.PUBLISHED: pgettext_lazy(
        "report stage, inside a sentence", "published report with the decision"
    ),
}


@register.filter
def judgement_label(value):
    """A judgement's label ("Partially compliant")."""
    return _JUDGEMENTS.get(value, value)


@register.filter
def seat_label(value):
    """A panel seat's label ("Chair", "Student member")."""
    return _SEATS.get(value, value)


@register.filter
def seat_in_text(value):
    """A panel seat as a sentence names it ("student member"; German "studentisches
    Mitglied")."""
    return _SEATS_IN_TEXT.get(value, value)


@register.filter
def stage_in_text(value):
    """A report stage as a sentence names it ("final panel report"; German
    "Abschlussbericht der Gutachtergruppe")."""
    return _STAGES_IN_TEXT.get(value, value)
