"""The one transition engine for both state machines (applications and accreditations).

Every change of state goes through `fire`, called by the services, the API, the pages,
the admin, the scheduled jobs and the rules of other transitions (an upheld appeal
annuls the accreditation through the engine too). What a transition means is in
`workflow.CATALOGUE`; who may fire it and what must hold is in the rule book that
`accreditation.rules` and `reviews.rules` fill.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from django_fsm import ConcurrentTransition, can_proceed

from core.effects import after_commit
from core.errors import ConflictError, GuardFailed, InvalidTransition, NotAllowed, NotVisible

from . import workflow
from .models import (
    Accreditation,
    AccreditationTransition,
    Application,
    ApplicationStateCount,
    ApplicationTransition,
)
from .payloads import clean_transition_data
from .selectors import accreditations_visible_to, applications_visible_to
from .signals import accreditation_changed, application_transitioned, transition_recorded

logger = logging.getLogger(__name__)

# The refusals that name the machine's object, one sentence per object (German declines
# "Antrag" and "Akkreditierung" differently, so the noun is never a placeholder). They are
# read in the active language: German on a page, English in the API.
NO_RIGHT = {
    "application": gettext_lazy("You do not have the right to %(step)s this application."),
    "accreditation": gettext_lazy("You do not have the right to %(step)s this accreditation."),
}
SYSTEM_ONLY = {
    "application": gettext_lazy("Only the system may %(step)s an application."),
    "accreditation": gettext_lazy("Only the system may %(step)s an accreditation."),
}
WRONG_STATE = {
    "application": gettext_lazy("%(step)s: not possible while the application is %(state)s."),
    "accreditation": gettext_lazy("%(step)s: not possible while the accreditation is %(state)s."),
}
CHANGED_MEANWHILE = {
    "application": gettext_lazy("The application changed meanwhile; reload and try again."),
    "accreditation": gettext_lazy("The accreditation changed meanwhile; reload and try again."),
}

# The keys of a transition's data that carry its comment, in order of preference.
COMMENT_KEYS = ("comment", "answer", "rationale", "grounds")


@dataclass(frozen=True)
class Machine:
    """What the engine needs to know of one state machine."""

    name: str
    model: type
    state_field: str
    log_model: type
    log_fk: str
    visible_to: object
    signal: object
    noun: str

    def state_of(self, obj):
        return getattr(obj, self.state_field)

    def state_label(self, obj):
        """The state in words, from the model's choices ("Decision pending")."""
        return getattr(obj, f"get_{self.state_field}_display")()

    def transitions(self):
        return workflow.names(self.name)


APPLICATION = Machine(
    name=workflow.APPLICATION,
    model=Application,
    state_field="state",
    log_model=ApplicationTransition,
    log_fk="application",
    visible_to=applications_visible_to,
    signal=application_transitioned,
    noun="application",
)
ACCREDITATION = Machine(
    name=workflow.ACCREDITATION,
    model=Accreditation,
    state_field="status",
    log_model=AccreditationTransition,
    log_fk="accreditation",
    visible_to=accreditations_visible_to,
    signal=accreditation_changed,
    noun="accreditation",
)
MACHINES = {m.name: m for m in (APPLICATION, ACCREDITATION)}


def machine_of(obj):
    return APPLICATION if isinstance(obj, Application) else ACCREDITATION


def due_at_for(state, *, now=None):
    """When the step that `state` waits for is due, per the agency's configured days."""
    days = settings.MCQA_DEADLINE_DAYS.get(state)
    if days is None:
        return None
    return (now or timezone.now()) + timedelta(days=days)


def right(obj, name, actor):
    """None when `actor` may fire `name` on `obj`, else the reason they may not.

    Rights are independent of the current state: a provider never has the right to
    `accredit`, whatever the state. `actor=None` is the system, which fires only what the
    catalogue gives it (closing a lapsed factual-accuracy check, expiring at the end of
    the validity): every other step records a responsible person (who asked, who
    decided), so the system may not take it; and nobody but the system takes a step the
    catalogue gives to no person.
    """
    step = workflow.step(name)
    words = {"step": workflow.doing(step)}
    noun = machine_of(obj).noun
    if actor is None:
        if step.system:
            return None
        return gettext("The system does not %(step)s; a person with the right must.") % words
    if not step.actors:
        return SYSTEM_ONLY[noun] % words
    rules = workflow.rules_for(name)
    if not any(rule(obj, actor) for rule in rules.allow):
        return NO_RIGHT[noun] % words
    for rule in rules.deny:
        reason = rule(obj, actor)
        if reason:
            return reason
    return None


def available(obj, actor):
    """Names of the transitions `actor` may fire now, in catalogue order: the state allows
    them, the actor holds the right and they are offered (guards are not evaluated: a
    guard explains itself when fired)."""
    machine = machine_of(obj)
    method = getattr(obj, f"get_available_{machine.state_field}_transitions")
    possible = {t.name for t in method()}
    return [
        name
        for name in machine.transitions()
        if name in possible
        and all(rule(obj) for rule in workflow.rules_for(name).offered)
        and right(obj, name, actor) is None
    ]


def _possible(obj):
    """Names of the transitions the state of `obj` allows and the catalogue offers now,
    whoever takes them, in catalogue order."""
    machine = machine_of(obj)
    method = getattr(obj, f"get_available_{machine.state_field}_transitions")
    possible = {t.name for t in method()}
    return [
        name
        for name in machine.transitions()
        if name in possible and all(rule(obj) for rule in workflow.rules_for(name).offered)
    ]


def withheld(obj, actor):
    """`[(name, reason)]`: the transitions of the current state that `actor`'s seat would
    let them take but a deny rule refuses (the decider of the appealed decision, a
    panel member asked to decide), so a page can say why instead of offering nothing."""
    if actor is None:
        return []
    found = []
    for name in _possible(obj):
        rules = workflow.rules_for(name)
        if not workflow.step(name).actors or not any(rule(obj, actor) for rule in rules.allow):
            continue
        reason = right(obj, name, actor)
        if reason:
            found.append((name, reason))
    return found


def waiting_on(obj, names=None):
    """The unmet prerequisites of the steps the current state allows (or of `names`),
    once each: what must still be provided, and by whom, before the next step can be
    taken (e.g. the final report the system is rendering before the decision body
    decides)."""
    seen = {}
    for name in _possible(obj) if names is None else names:
        for check in workflow.rules_for(name).prerequisites:
            for item in check(obj):
                seen.setdefault(item.code, item)
    return list(seen.values())


def fire(obj, name, actor, data=None, *, at=None):
    """Fire transition `name` on `obj` (an application or an accreditation) as `actor`
    (None: the system), and return the locked, changed object. `at` is for a transition
    the system fires as the consequence of another: it carries the cause's instant.

    Order of checks, each with its own error: unknown or invisible → 404; no right → 403;
    wrong state → 409; a person's data that no transition accepts (unknown field, wrong
    type, text over its length, limits not in the reference data) → 400 naming the field
    (`payloads.clean_transition_data`); unmet guards → 400 listing every unmet item. The
    row is locked for the whole transaction, so of two concurrent transitions exactly one
    wins and the other sees the new state (409). A refused call writes nothing. In the
    transaction: the state change (for an application also on the counts per state,
    `ApplicationStateCount`), one append-only log row, the registered effects, and
    `transition_recorded` (the registry appends its events there); after commit: the
    registered after-commit rules and the machine's signal (the reports listen to it).
    """
    machine = machine_of(obj)
    data = dict(data or {})
    if workflow.CATALOGUE.get(name) is None or workflow.step(name).machine != machine.name:
        raise NotVisible(gettext("There is no transition named %(name)s.") % {"name": repr(name)})
    if actor is not None and not machine.visible_to(user=actor).filter(pk=obj.pk).exists():
        raise NotVisible()
    rules = workflow.rules_for(name)
    try:
        with transaction.atomic():
            locked = machine.model.objects.select_for_update().get(pk=obj.pk)
            reason = right(locked, name, actor)
            if reason:
                raise NotAllowed(reason)
            method = getattr(locked, name)
            if not can_proceed(method):
                raise InvalidTransition(
                    WRONG_STATE[machine.noun]
                    % {
                        "step": workflow.step(name).label,
                        "state": workflow.in_sentence(machine.state_label(locked)),
                    }
                )
            if actor is not None:
                data = clean_transition_data(data)
            unmet = [item for check in rules.prerequisites for item in check(locked)]
            unmet += [item for check in rules.guards for item in check(locked, actor, data)]
            if unmet:
                raise GuardFailed(
                    unmet,
                    detail=gettext("%(step)s: not yet, requirements are unmet.")
                    % {"step": workflow.step(name).label},
                )
            kwargs = {}
            for fn in rules.args:
                kwargs.update(fn(locked))
            payload = jsonable(data)
            for fn in rules.payload:
                payload.update(fn(locked, data))
            from_state = machine.state_of(locked)
            method(**kwargs)
            now = at or timezone.now()
            if machine is APPLICATION:
                locked.due_at = due_at_for(locked.state, now=now)
                locked.reminder_sent_at = None
                locked.overdue_notified_at = None
            locked.save()
            if machine is APPLICATION:
                ApplicationStateCount.objects.move(from_state, locked.state)
            log = machine.log_model.objects.create(
                **{machine.log_fk: locked},
                transition=name,
                from_state=from_state,
                to_state=machine.state_of(locked),
                actor=actor,
                at=now,
                comment=next((str(data[k]) for k in COMMENT_KEYS if data.get(k)), ""),
                payload=payload,
            )
            for fn in rules.effects:
                fn(locked, actor, data, log)
            transition_recorded.send(sender=machine.model, obj=locked, transition=name, log=log)
            announce(locked, name, log)
    except ConcurrentTransition as exc:
        raise ConflictError(str(CHANGED_MEANWHILE[machine.noun])) from exc
    return locked


def announce(obj, name, log):
    """After commit: the after-commit rules of `name`, then the machine's signal. Also
    used for a record the engine did not change but created (a new accreditation)."""
    machine = machine_of(obj)
    obj_id, log_id = obj.pk, log.pk
    after_commit(_after_commit, machine.name, name, obj_id, log_id)


def _after_commit(machine_name, name, obj_id, log_id):
    """Side effects of a committed transition. The transition stands whatever happens
    here: a side effect that cannot even be queued (broker down) is logged, the others
    still run, and the periodic sweeps catch up on what was lost."""
    machine = MACHINES[machine_name]
    for fn in workflow.rules_for(name).after_commit if name in workflow.CATALOGUE else ():
        try:
            fn(obj_id, log_id)
        except Exception:
            logger.exception(
                "after-commit %s of %s failed for %s %s", fn, name, machine.noun, obj_id
            )
    for receiver, result in machine.signal.send_robust(
        sender=machine.model,
        **{f"{machine.log_fk}_id": obj_id},
        transition=name,
        log_id=log_id,
    ):
        if isinstance(result, Exception):
            logger.error(
                "receiver %s of %s failed for %s %s: %r",
                receiver,
                name,
                machine.noun,
                obj_id,
                result,
            )


def jsonable(value):
    """The request data as stored in the log payload (dates and decimals as strings)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
