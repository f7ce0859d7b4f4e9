"""Words for codes: the template filters that turn the workflow's stored codes (transition
names, states, decisions, roles, identifiers, standard codes) into what people read.

Every label comes from where the code is defined: a transition's from the one
`workflow.CATALOGUE`, a state's or decision's from its model choices, a role's from
`core.roles.Role`. A page never shows `start_screening` or `positive_with_conditions`.
"""

from django import template

from core.roles import Role

from .. import workflow
from ..models import AccreditationStatus, ApplicationState, Decision

register = template.Library()

_STATES = {**dict(ApplicationState.choices), **dict(AccreditationStatus.choices)}
_DECISIONS = dict(Decision.Outcome.choices)
_ROLES = dict(Role.choices)


@register.filter
def transition_record(name):
    """What the procedure records for a transition ("Dossier submitted"), from the
    catalogue; an unknown name is shown as it is."""
    step = workflow.CATALOGUE.get(name)
    return step.record if step else name


@register.filter
def transition_label(name):
    """The button's words for a transition ("Start screening")."""
    step = workflow.CATALOGUE.get(name)
    return step.label if step else name


@register.filter
def state_label(value):
    """An application state's or accreditation status's label ("Decision pending")."""
    if value in (None, ""):
        return ""
    return _STATES.get(value, value)


@register.filter
def status_label(value):
    """A registry status: an accreditation status's label, or "Not accredited" for a
    provider or course with no accreditation in force (`none`)."""
    if value == "none":
        return "Not accredited"
    return AccreditationStatus(value).label if value in AccreditationStatus.values else value


@register.filter
def decision_label(value):
    """A decision's label ("Positive with conditions")."""
    return _DECISIONS.get(value, value)


@register.filter
def role_labels(roles):
    """A person's roles in words, in the order of `Role` ("Decision body, Appeals
    committee")."""
    held = set(roles or ())
    return ", ".join(str(label) for value, label in Role.choices if value in held)


@register.filter
def identifier(item):
    """An identifier as people write it: `scheme:value`, except a DID, whose value is
    already `did:<method>:...` (never `did:did:web:...`)."""
    scheme = item.get("scheme") if isinstance(item, dict) else item.scheme
    value = item.get("value") if isinstance(item, dict) else item.value
    if value.startswith(f"{scheme}:"):
        return value
    return f"{scheme}:{value}"


@register.filter
def standard_heading(standard):
    """A standard's heading (`Standard.heading`): "1.1 Policy for quality assurance",
    but "Quality", not "quality Quality"."""
    return standard.heading
