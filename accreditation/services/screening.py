"""The coordinator's screening checklist: saved per application while it is in screening
(`accreditation.screening` says what it holds and the comment it builds)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit
from core.errors import ConflictError, NotAllowed
from core.inputs import check_text
from core.roles import Role, has_role

from .. import screening
from ..models import Application, ApplicationState, ScreeningChecklist
from ._common import _visible_application, in_sentence


def screening_checklist_read(*, application, actor):
    """The screening checklist of `application` as kept: every item (in order) with its
    status and note ("" when not checked yet), and the return comment it builds. Only a
    coordinator (403; 404 for whoever may not see the case)."""
    _visible_application(application, actor)
    if not has_role(actor, Role.COORDINATOR):
        raise NotAllowed(_("Only a coordinator screens a dossier."))
    checklist = ScreeningChecklist.objects.filter(application=application).first()
    states = checklist.items if checklist else {}
    return {
        "items": [
            {
                "code": item.code,
                "label": item.label,
                "status": (states.get(item.code) or {}).get("status", ""),
                "note": (states.get(item.code) or {}).get("note", ""),
            }
            for item in screening.items(application)
        ],
        "comment": screening.comment_for(application, states),
    }


def screening_checklist_save(*, application, actor, items):
    """Keep the coordinator's screening checklist of `application`: `items` maps item
    codes (`accreditation.screening.items`) to `{"status", "note"}`; a status is `ok`,
    `missing`, `insufficient` or "" (not checked yet), a note at most 1,000 characters.

    Only a coordinator (403; 404 for whoever may not see the case), only while the
    application is in screening (409: the checklist describes the dossier as screened).
    An unknown item or status is a 400 naming it, and nothing is saved. The row is
    locked so two coordinators saving at once are kept one after the other; the last
    save wins, item by item as sent. Returns the checklist.
    """
    _visible_application(application, actor)
    if not has_role(actor, Role.COORDINATOR):
        raise NotAllowed(_("Only a coordinator screens a dossier."))
    if not isinstance(items, dict):
        raise ValidationError({"items": [_("An object of item codes is required.")]})
    known = {item.code for item in screening.items(application)}
    cleaned = {}
    for code, state in items.items():
        if code not in known:
            raise ValidationError({f"items.{str(code)[:60]}": ["Not an item of this checklist."]})
        if not isinstance(state, dict) or set(state) - {"status", "note"}:
            raise ValidationError({f"items.{code}": ["An object {status, note} is required."]})
        status = state.get("status") or ""
        if status not in ("", *screening.STATUS_CODES):
            raise ValidationError(
                {f"items.{code}.status": ["One of: " + ", ".join(screening.STATUS_CODES) + "."]}
            )
        note = state.get("note") or ""
        if not isinstance(note, str):
            raise ValidationError({f"items.{code}.note": ["A text is required."]})
        check_text(note, f"items.{code}.note", screening.NOTE_MAX_LENGTH)
        cleaned[code] = {"status": status, "note": note.strip()}
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=application.pk)
        if locked.state != ApplicationState.SCREENING:
            raise ConflictError(
                _("The checklist is kept while the dossier is screened, not while it is %(state)s.")
                % {"state": in_sentence(locked.get_state_display())}
            )
        checklist, _created = ScreeningChecklist.objects.get_or_create(application=locked)
        checklist.items = {**checklist.items, **cleaned}
        checklist.updated_by = actor
        checklist.save()
        flagged = sorted(c for c, s in checklist.items.items() if s["status"] in screening.FLAGGED)
        audit("application.screening_checklist", actor=actor, obj=locked, flagged=flagged)
    return checklist
