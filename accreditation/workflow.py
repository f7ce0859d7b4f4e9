"""The rule book of the application state machine: who may fire a transition, what must
hold for it, and what else it writes in the same transaction.

The state edges themselves live on `Application` (django-fsm-2). Rules are registered
by the app that owns the knowledge: `accreditation.rules` registers roles, dossier
guards and decision records; `reviews` registers the panel chair's rights and the
panel and report guards. `accreditation` therefore never imports `reviews`.

- allow rules: `fn(application, actor) -> bool`; any one true grants the right.
- deny rules: `fn(application, actor) -> str | None`; a reason refuses the right
  even when an allow rule granted it (e.g. an appeal decided by the person who decided).
- guards: `fn(application, actor, data) -> iterable[Unmet]`; every unmet item is reported.
- effects: `fn(application, actor, data, log)`; run inside the transaction after the
  state change is saved and logged (decision records, accreditation records ...).
- args: `fn(application) -> dict`: keyword arguments for the transition method.
- after_commit: `fn(application_id, log_id)`; run by the service after commit.
"""

from collections import defaultdict
from dataclasses import dataclass, field

APPLICATION_TRANSITIONS = (
    "submit",
    "start_screening",
    "return_for_completion",
    "request_clarification",
    "answer_clarification",
    "start_review",
    "submit_draft_report",
    "confirm_factual_accuracy",
    "accredit",
    "accredit_with_conditions",
    "reject",
    "appeal",
    "uphold_appeal",
    "dismiss_appeal",
    "withdraw",
)

ACCREDITATION_TRANSITIONS = ("suspend", "reinstate", "revoke", "confirm_conditions_met")


@dataclass
class TransitionRules:
    allow: list = field(default_factory=list)
    deny: list = field(default_factory=list)
    guards: list = field(default_factory=list)
    effects: list = field(default_factory=list)
    args: list = field(default_factory=list)
    after_commit: list = field(default_factory=list)


RULES = defaultdict(TransitionRules)


def _register(kind, names):
    if isinstance(names, str):
        names = (names,)
    unknown = set(names) - set(APPLICATION_TRANSITIONS)
    if unknown:
        raise ValueError(f"Unknown transitions: {sorted(unknown)}")

    def decorator(fn):
        for name in names:
            bucket = getattr(RULES[name], kind)
            if fn not in bucket:
                bucket.append(fn)
        return fn

    return decorator


def allow(names):
    return _register("allow", names)


def deny(names):
    return _register("deny", names)


def guard(names):
    return _register("guards", names)


def effect(names):
    return _register("effects", names)


def args(names):
    return _register("args", names)


def after_commit(names):
    return _register("after_commit", names)


def rules_for(name):
    return RULES[name]
