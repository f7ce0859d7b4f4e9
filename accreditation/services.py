"""Writes of the accreditation app. Every change of an application's state goes through
`application_transition`, the single path used by the API, the pages, the admin and the
scheduled jobs, so that all of them lock, check, log and notify the same way.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_fsm import ConcurrentTransition, can_proceed

from core.errors import ConflictError, GuardFailed, InvalidTransition, NotAllowed, NotVisible

from . import workflow
from .models import Application, ApplicationTransition
from .selectors import applications_visible_to
from .signals import application_transitioned


def due_at_for(state, *, now=None):
    """When the step that `state` waits for is due, per the agency's configured days."""
    days = settings.MCQA_DEADLINE_DAYS.get(state)
    if days is None:
        return None
    return (now or timezone.now()) + timedelta(days=days)


def transition_right(*, application, name, actor):
    """None when `actor` may fire `name` on `application`, else the reason they may not.

    Rights are independent of the current state: a provider never has the right to
    `accredit`, whatever the state. `actor=None` is the system, which has every right.
    """
    if actor is None:
        return None
    rules = workflow.rules_for(name)
    if not any(rule(application, actor) for rule in rules.allow):
        return f"You do not have the right to {name.replace('_', ' ')} this application."
    for rule in rules.deny:
        reason = rule(application, actor)
        if reason:
            return reason
    return None


def available_transitions(*, application, actor):
    """Names of the transitions `actor` may fire now: the state allows them and the actor
    holds the right (guards are not evaluated: a guard explains itself when fired)."""
    names = [t.name for t in application.get_available_state_transitions()]
    return [
        name
        for name in workflow.APPLICATION_TRANSITIONS
        if name in names
        and transition_right(application=application, name=name, actor=actor) is None
    ]


def application_transition(*, application, name, actor, data=None):
    """Fire transition `name` on `application` as `actor` (None: the system).

    Order of checks, each with its own error: unknown or invisible → 404; no right → 403;
    wrong state → 409; unmet guards → 400 listing every unmet item. The row is locked for
    the whole transaction, so of two concurrent transitions exactly one wins and the other
    sees the new state (409). A refused call writes nothing. Side effects run after commit.
    """
    data = dict(data or {})
    if name not in workflow.APPLICATION_TRANSITIONS:
        raise NotVisible(f"There is no transition named {name!r}.")
    if (
        actor is not None
        and not applications_visible_to(user=actor).filter(pk=application.pk).exists()
    ):
        raise NotVisible()
    rules = workflow.rules_for(name)
    try:
        with transaction.atomic():
            locked = Application.objects.select_for_update().get(pk=application.pk)
            reason = transition_right(application=locked, name=name, actor=actor)
            if reason:
                raise NotAllowed(reason)
            method = getattr(locked, name)
            if not can_proceed(method):
                raise InvalidTransition(
                    f"{name} is not possible while the application is {locked.state}."
                )
            unmet = [item for check in rules.guards for item in check(locked, actor, data)]
            if unmet:
                raise GuardFailed(unmet, detail=f"{name} is refused: requirements are unmet.")
            kwargs = {}
            for fn in rules.args:
                kwargs.update(fn(locked))
            from_state = locked.state
            method(**kwargs)
            now = timezone.now()
            locked.due_at = due_at_for(locked.state, now=now)
            locked.reminder_sent_at = None
            locked.overdue_notified_at = None
            locked.save()
            log = ApplicationTransition.objects.create(
                application=locked,
                transition=name,
                from_state=from_state,
                to_state=locked.state,
                actor=actor,
                comment=str(
                    data.get("comment")
                    or data.get("answer")
                    or data.get("rationale")
                    or data.get("grounds")
                    or ""
                ),
                payload=_jsonable(data),
            )
            for fn in rules.effects:
                fn(locked, actor, data, log)
            app_id, log_id = locked.pk, log.pk
            transaction.on_commit(lambda: _after_commit(name, app_id, log_id))
    except ConcurrentTransition as exc:
        raise ConflictError("The application changed meanwhile; reload and try again.") from exc
    return locked


def _after_commit(name, application_id, log_id):
    for fn in workflow.rules_for(name).after_commit:
        fn(application_id, log_id)
    application_transitioned.send(
        sender=Application, application_id=application_id, transition=name, log_id=log_id
    )


def _jsonable(value):
    """The request data as stored in the log payload (dates and decimals as strings)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
