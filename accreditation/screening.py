"""The screening checklist: what a coordinator checks when screening a dossier for
completeness, and the `return_for_completion` comment built from it.

One item per Annex I element (from `annex.ELEMENTS`, for a dossier that describes a
course) and one per document the dossier must hold (`rules.dossier_unmet` asks for the
same ones: a self-evaluation report, and for a course a sample credential). A
coordinator marks each item `ok`, `missing` or `insufficient`, with an optional note; the
items marked missing or insufficient make the comment, which the coordinator can edit
before the dossier is returned.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import annex
from .models import Document

OK = "ok"
MISSING = "missing"
INSUFFICIENT = "insufficient"
STATUSES = (
    ("", gettext_lazy("Not checked")),
    (OK, gettext_lazy("Complete")),
    (MISSING, gettext_lazy("Missing")),
    (INSUFFICIENT, gettext_lazy("Insufficient")),
)
STATUS_CODES = tuple(code for code, _ in STATUSES if code)
FLAGGED = (MISSING, INSUFFICIENT)
NOTE_MAX_LENGTH = 1000


@dataclass(frozen=True)
class Item:
    """One thing to check: `code` (`element:level`, `document:credential_sample`) is its
    key in `ScreeningChecklist.items`."""

    code: str
    label: str
    group: str
    element: annex.Element | None = None
    document_kind: str = ""


def required_document_kinds(application):
    """The documents a dossier must hold, as `rules.dossier_unmet` asks for them."""
    kinds = [Document.Kind.SELF_EVALUATION]
    if application.course_id is not None:
        kinds.append(Document.Kind.CREDENTIAL_SAMPLE)
    return kinds


def items(application):
    """The checklist of `application`, in Annex I order, then its required documents; the
    labels and groups in the active language (the API's are English)."""
    rows = []
    if application.course_id is not None:
        for element in annex.ELEMENTS:
            label = element.display_label
            if not element.mandatory:
                label = _("%(label)s (optional)") % {"label": label}
            if element.per_learner:
                label = _("%(label)s — shown by the sample credential") % {"label": label}
            rows.append(
                Item(f"element:{element.code}", label, _("Annex I elements"), element=element)
            )
    labels = dict(Document.Kind.choices)
    for kind in required_document_kinds(application):
        rows.append(Item(f"document:{kind}", str(labels[kind]), _("Documents"), document_kind=kind))
    return rows


def flagged(application, states):
    """The items marked missing or insufficient, with their status and note, in order."""
    states = states or {}
    out = []
    for item in items(application):
        state = states.get(item.code) or {}
        if state.get("status") in FLAGGED:
            out.append((item, state["status"], (state.get("note") or "").strip()))
    return out


def comment_for(application, states):
    """The `return_for_completion` comment the ticked items say, or "" when none is
    ticked: one line per missing or insufficient item, with the coordinator's note. It is
    written in the coordinator's page language; they may edit it before it is sent."""
    lines = []
    for item, status, note in flagged(application, states):
        if status == MISSING:
            line = _("- Missing: %(item)s.") % {"item": item.label}
        else:
            line = _("- Insufficient: %(item)s.") % {"item": item.label}
        lines.append(f"{line} {note}" if note else line)
    if not lines:
        return ""
    return "\n".join(
        [_("The dossier is incomplete. Please complete the following and submit it again:"), *lines]
    )
