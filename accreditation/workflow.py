"""The workflow's catalogue and rule book: what every transition means, who may fire it,
what must hold for it, and what else it writes in the same transaction.

This is the one place a transition's meaning is stated. Pages, e-mails, the report, the
registry and the help page read `CATALOGUE`; nothing else spells a label, a procedure
step or who acts next. To add or change a transition: its edge on the model
(django-fsm-2), its entry here, and its guards and effects in a `rules` module.

Two state machines share the catalogue and the engine (`accreditation.engine`): the
application (`APPLICATION`) and the accreditation it may create (`ACCREDITATION`).

Rules are registered by the app that owns the knowledge: `accreditation.rules`
registers roles, dossier guards, decision records and the accreditation lifecycle;
`reviews.rules` registers the panel chair's rights and the panel and report guards.
`accreditation` therefore never imports `reviews`.

- allow rules: `fn(obj, actor) -> bool`; any one true grants the right.
- deny rules: `fn(obj, actor) -> str | None`; a reason refuses the right even when an
  allow rule granted it (e.g. an appeal decided by the person who decided).
- offered: `fn(obj) -> bool`; the transition is offered (listed as available) only when
  every such rule is true; firing it still reports its guards.
- guards: `fn(obj, actor, data) -> iterable[Unmet]`; every unmet item is reported.
- prerequisites: `fn(obj) -> iterable[Unmet]`; what must exist before the step and is
  provided by someone other than the person taking it (a report the system renders).
  The engine checks them with the guards, and pages show them before anyone presses
  the button, each item naming what is missing and who provides it.
- payload: `fn(obj, data) -> dict`; merged into the log row's payload (what the
  transition is about to touch, recorded before it does).
- args: `fn(obj) -> dict`: keyword arguments for the transition method.
- effects: `fn(obj, actor, data, log)`; run inside the transaction after the state
  change is saved and logged (decision records, accreditation records ...).
- after_commit: `fn(obj_id, log_id)`; run by the engine after commit.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.utils.translation import get_language, gettext, gettext_lazy, gettext_noop

APPLICATION = "application"
ACCREDITATION = "accreditation"

# Who takes a step, as the report names them.
PROVIDER = "provider"
COORDINATOR = "coordinator"
PANEL_CHAIR = "panel_chair"
DECISION_BODY = "decision_body"
APPEALS_COMMITTEE = "appeals_committee"
ACTOR_NAMES = {
    PROVIDER: gettext_lazy("Provider"),
    COORDINATOR: gettext_lazy("Agency"),
    PANEL_CHAIR: gettext_lazy("Panel chair"),
    DECISION_BODY: gettext_lazy("Decision body"),
    APPEALS_COMMITTEE: gettext_lazy("Appeals committee"),
}

# Whose turn it is after a step (the audiences of `accreditation.notifications`).
TO_PROVIDER = "provider"
TO_COORDINATORS = "coordinators"
TO_PANEL = "panel"
TO_DECISION_BODY = "decision_body"
TO_APPEALS_COMMITTEE = "appeals_committee"


@dataclass(frozen=True)
class Step:
    """One transition and what it means.

    - `label`: the button and the confirmation page ("Submit the dossier").
    - `record`: what the procedure records, in the report's history ("Dossier submitted").
      Both are stored in English (`label_en`, `record_en`) and read in the active
      language as plain strings: a page in German shows German, the API (which
      deactivates translation) and a report's JSON get English, and neither a template
      nor `json.dumps` meets a lazy object.
    - `actors`: who may take it (the allow rules of `accreditation.rules` and
      `reviews.rules` are registered from these); `system`: the system may take it with
      no person (a lapsed deadline, the end of a validity); a step with no `actors` is
      the system's alone.
    - `next`: whose turn it is afterwards (they are told by e-mail).
    - `decides`: it writes a decision; `decides_appeal`: it closes an appeal; `annuls`:
      it annuls the decision in force; `publishes`: a published report version with the
      decision follows.
    - `dangerous`: the page asks for it in red (it ends or undoes something).
    - `reasoned`: it is published with a reason code and a public comment.
    - `renders_report`: the system renders a report of this stage once the step
      commits (the final report when the factual-accuracy check closes).
    """

    name: str
    machine: str
    label_en: str
    record_en: str
    actors: tuple = ()
    system: bool = False
    next: tuple = ()
    decides: bool = False
    decides_appeal: bool = False
    annuls: bool = False
    publishes: bool = False
    dangerous: bool = False
    reasoned: bool = False
    renders_report: str = ""

    @property
    def label(self):
        return gettext(self.label_en)

    @property
    def record(self):
        return gettext(self.record_en)

    @property
    def taken_by(self):
        """Who takes the step, in words: "Provider", "Agency / Panel chair", "System"."""
        return " / ".join(str(ACTOR_NAMES[a]) for a in self.actors) or gettext("System")

    @property
    def changes_registry(self):
        """The registry's record changes: a decision is taken or annulled, or the
        accreditation's status or outcome changes."""
        return self.machine == ACCREDITATION or self.decides or self.decides_appeal


def _steps(machine, *rows):
    return {row[0]: Step(row[0], machine, *row[1:3], **row[3]) for row in rows}


_PROVIDER_DECISION_NEWS = (TO_PROVIDER, TO_COORDINATORS)

CATALOGUE = {
    **_steps(
        APPLICATION,
        (
            "submit",
            gettext_noop("Submit the dossier"),
            gettext_noop("Dossier submitted"),
            {"actors": (PROVIDER,), "next": (TO_COORDINATORS,)},
        ),
        (
            "start_screening",
            gettext_noop("Start screening"),
            gettext_noop("Screening for completeness started"),
            {"actors": (COORDINATOR,), "next": (TO_PROVIDER,)},
        ),
        (
            "return_for_completion",
            gettext_noop("Return for completion"),
            gettext_noop("Dossier returned for completion"),
            {"actors": (COORDINATOR,), "next": (TO_PROVIDER,), "dangerous": True},
        ),
        (
            "request_clarification",
            gettext_noop("Request clarification"),
            gettext_noop("Clarification requested"),
            {"actors": (COORDINATOR, PANEL_CHAIR), "next": (TO_PROVIDER,)},
        ),
        (
            "answer_clarification",
            gettext_noop("Answer the clarification request"),
            gettext_noop("Clarification answered"),
            {"actors": (PROVIDER,), "next": (TO_COORDINATORS, TO_PANEL)},
        ),
        (
            "start_review",
            gettext_noop("Start the review"),
            gettext_noop("Panel appointed; external review started"),
            {"actors": (COORDINATOR,), "next": (TO_PANEL, TO_PROVIDER)},
        ),
        (
            "submit_draft_report",
            gettext_noop("Submit the draft report"),
            gettext_noop("Draft report sent for the factual-accuracy check"),
            {"actors": (PANEL_CHAIR,), "next": (TO_PROVIDER,)},
        ),
        (
            "confirm_factual_accuracy",
            gettext_noop("Confirm factual accuracy"),
            gettext_noop("Factual accuracy confirmed"),
            {
                "actors": (PROVIDER,),
                "system": True,
                "next": (TO_DECISION_BODY,),
                "renders_report": "final",
            },
        ),
        (
            "accredit",
            gettext_noop("Accredit"),
            gettext_noop("Decision: accredited"),
            {
                "actors": (DECISION_BODY,),
                "next": _PROVIDER_DECISION_NEWS,
                "decides": True,
                "publishes": True,
            },
        ),
        (
            "accredit_with_conditions",
            gettext_noop("Accredit with conditions"),
            gettext_noop("Decision: accredited with conditions"),
            {
                "actors": (DECISION_BODY,),
                "next": _PROVIDER_DECISION_NEWS,
                "decides": True,
                "publishes": True,
            },
        ),
        (
            "reject",
            gettext_noop("Reject"),
            gettext_noop("Decision: not accredited"),
            {
                "actors": (DECISION_BODY,),
                "next": _PROVIDER_DECISION_NEWS,
                "decides": True,
                "publishes": True,
                "dangerous": True,
            },
        ),
        (
            "appeal",
            gettext_noop("Appeal the decision"),
            gettext_noop("Appeal lodged"),
            {"actors": (PROVIDER,), "next": (TO_APPEALS_COMMITTEE, TO_COORDINATORS)},
        ),
        (
            "uphold_appeal",
            gettext_noop("Uphold the appeal"),
            gettext_noop("Appeal upheld; decision annulled"),
            {
                "actors": (APPEALS_COMMITTEE,),
                "next": (TO_DECISION_BODY, TO_PROVIDER),
                "decides_appeal": True,
                "annuls": True,
            },
        ),
        (
            "dismiss_appeal",
            gettext_noop("Dismiss the appeal"),
            gettext_noop("Appeal dismissed; decision stands"),
            {
                "actors": (APPEALS_COMMITTEE,),
                "next": _PROVIDER_DECISION_NEWS,
                "decides_appeal": True,
                "dangerous": True,
            },
        ),
        (
            "withdraw",
            gettext_noop("Withdraw the application"),
            gettext_noop("Application withdrawn"),
            {"actors": (PROVIDER,), "next": (TO_COORDINATORS,), "dangerous": True},
        ),
    ),
    **_steps(
        ACCREDITATION,
        (
            "suspend",
            gettext_noop("Suspend the accreditation"),
            gettext_noop("Accreditation suspended"),
            {
                "actors": (DECISION_BODY,),
                "next": _PROVIDER_DECISION_NEWS,
                "dangerous": True,
                "reasoned": True,
            },
        ),
        (
            "reinstate",
            gettext_noop("Reinstate the accreditation"),
            gettext_noop("Accreditation reinstated"),
            {"actors": (DECISION_BODY,), "next": _PROVIDER_DECISION_NEWS},
        ),
        (
            "revoke",
            gettext_noop("Revoke the accreditation"),
            gettext_noop("Accreditation revoked"),
            {
                "actors": (DECISION_BODY,),
                "next": _PROVIDER_DECISION_NEWS,
                "dangerous": True,
                "reasoned": True,
            },
        ),
        (
            "confirm_conditions_met",
            gettext_noop("Confirm that the conditions are met"),
            gettext_noop("Conditions confirmed met; decision upgraded to positive"),
            {"actors": (DECISION_BODY,), "next": _PROVIDER_DECISION_NEWS, "publishes": True},
        ),
        (
            "expire",
            gettext_noop("Expire the accreditation"),
            gettext_noop("Accreditation expired at the end of its validity"),
            {"system": True, "next": _PROVIDER_DECISION_NEWS},
        ),
        (
            "annul",
            gettext_noop("Annul the accreditation"),
            gettext_noop("Accreditation annulled: its decision was annulled on appeal"),
            {"system": True, "next": _PROVIDER_DECISION_NEWS},
        ),
    ),
}


def in_sentence(label):
    """A label ("Submit the dossier", "Decision pending") as it reads inside a sentence:
    lower case in English ("Do you want to submit the dossier now?"), unchanged in German,
    whose nouns keep their capital ("Dossier einreichen")."""
    label = str(label)
    return label.lower() if (get_language() or "en").startswith("en") else label


def doing(step):
    """A step as the verb of a sentence about it: in English its name's words ("You do not
    have the right to start screening this application"); in another language its label,
    which the translated sentence quotes, since German word order cannot take an English
    verb phrase ("... den Schritt „Vorprüfung beginnen“ auszuführen")."""
    if (get_language() or "en").startswith("en"):
        return step.name.replace("_", " ")
    return step.label


def step(name):
    """The catalogue entry of `name` (KeyError for a name that is not a transition)."""
    return CATALOGUE[name]


def names(machine, **flags):
    """The transitions of `machine` in catalogue order, optionally only those whose flags
    (`decides=True`, `publishes=True` ...) match."""
    return tuple(
        s.name
        for s in CATALOGUE.values()
        if s.machine == machine and all(getattr(s, k) == v for k, v in flags.items())
    )


def taken_by(actor):
    """The transitions (of both machines) that `actor` takes: their allow rules."""
    return tuple(s.name for s in CATALOGUE.values() if actor in s.actors)


APPLICATION_TRANSITIONS = names(APPLICATION)
ACCREDITATION_TRANSITIONS = names(ACCREDITATION)
DECISION_TRANSITIONS = names(APPLICATION, decides=True)
APPEAL_DECISIONS = names(APPLICATION, decides_appeal=True)


# --------------------------------------------------------------------------- rule book


@dataclass
class TransitionRules:
    allow: list = field(default_factory=list)
    deny: list = field(default_factory=list)
    offered: list = field(default_factory=list)
    guards: list = field(default_factory=list)
    prerequisites: list = field(default_factory=list)
    payload: list = field(default_factory=list)
    args: list = field(default_factory=list)
    effects: list = field(default_factory=list)
    after_commit: list = field(default_factory=list)


RULES = defaultdict(TransitionRules)


def _register(kind, names):
    if isinstance(names, str):
        names = (names,)
    unknown = set(names) - set(CATALOGUE)
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


def offered(names):
    return _register("offered", names)


def guard(names):
    return _register("guards", names)


def prerequisite(names):
    return _register("prerequisites", names)


def payload(names):
    return _register("payload", names)


def args(names):
    return _register("args", names)


def effect(names):
    return _register("effects", names)


def after_commit(names):
    return _register("after_commit", names)


def rules_for(name):
    return RULES[name]
