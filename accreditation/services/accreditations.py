"""Accreditations: the thin wrappers over the one transition engine
(`accreditation.engine`) for an accreditation's lifecycle."""

from .. import engine


def accreditation_transition(*, accreditation, name, actor, data=None):
    """Change an accreditation's status (or, for `confirm_conditions_met`, its outcome)
    through the same engine as applications: invisible 404, no right 403, wrong status
    409, unmet guard 400; row-locked, one log row, registry notified after commit. The
    rules (who, guards, what confirming conditions writes) are in `accreditation.rules`."""
    return engine.fire(accreditation, name, actor, data)


def available_accreditation_transitions(*, accreditation, actor):
    """What `actor` may fire on `accreditation` now."""
    return engine.available(accreditation, actor)
