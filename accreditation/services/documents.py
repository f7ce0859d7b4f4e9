"""Documents: adding a PDF to the dossier or a response, and opening a stored one. What
makes an upload acceptable as a file (size, a plain PDF) is checked by `core.uploads`;
who may add which kind of document, and when, is decided here."""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils.translation import gettext as _

from core import uploads
from core.audit import audit
from core.effects import after_commit
from core.errors import ConflictError, NotAllowed, NotVisible

from ..models import Application, ApplicationState, Document
from ..selectors import is_provider_member
from ._common import DOSSIER_STATES, _visible_application, in_sentence

RESPONSE_STATES = (ApplicationState.CLARIFICATION_REQUESTED, ApplicationState.FACTUAL_CHECK)


@dataclass(frozen=True)
class Uploader:
    """Who adds a kind of document that is not the provider's, and when: `may(application,
    actor) -> bool`, `states` in which it is accepted, and `who` in words for the refusal."""

    may: Callable
    states: tuple
    who: str


# Kinds added by the agency's side rather than the provider, registered by the app that
# knows who may add them (`reviews` registers the site visit minutes: the panel chair or a
# coordinator), so that accreditation needs not import it.
UPLOADERS = {}


def register_uploader(kind, *, may, states, who):
    """Let `may(application, actor)` decide who uploads documents of `kind`, in `states`."""
    UPLOADERS[kind] = Uploader(may=may, states=tuple(states), who=who)


def document_upload(*, application, actor, kind, uploaded_file):
    """Add a PDF to the dossier, whole with its checksum or not at all.

    Only the provider's people upload, and only while the dossier is open: dossier
    documents in draft or returned, `response` documents while a clarification or the
    factual-accuracy check waits for the provider (409 otherwise). The file is checked
    before anything is stored: over the size limit 413 (decided before reading the whole
    body), not a plain PDF 415. It is stored under a random name (the uploaded name is
    kept only as metadata), and the stored file is removed if the row cannot be written.
    A kind another app registered (`register_uploader`: the site visit minutes) is added
    by whom and when that app's rule says, through the same checks.
    """
    _visible_application(application, actor)
    uploader = UPLOADERS.get(kind) if isinstance(kind, str) else None
    if uploader is not None:
        if not uploader.may(application, actor):
            raise NotAllowed(
                _("Only %(who)s may add %(kind)s.")
                % {"who": uploader.who, "kind": in_sentence(Document.Kind(kind).label)}
            )
    elif not is_provider_member(actor, application.provider_id):
        raise NotAllowed(_("Only people acting for the provider may add documents."))
    if kind not in Document.Kind.values:
        raise ValidationError({"kind": [f"kind must be one of {', '.join(Document.Kind)}."]})
    if uploaded_file is None:
        raise ValidationError({"file": [_("A file is required.")]})
    _check_upload_state(application.state, kind)
    stored = None
    with uploads.received_pdf(uploaded_file, limit=settings.MCQA_UPLOAD_MAX_BYTES) as pdf:
        try:
            with transaction.atomic():
                locked = Application.objects.select_for_update().get(pk=application.pk)
                _check_upload_state(locked.state, kind)
                document = document_from_pdf(pdf, application_id=locked.pk, kind=kind, actor=actor)
                stored = document.file.name
                document.save()
                audit(
                    "document.upload", actor=actor, obj=document, sha256=pdf.sha256, size=pdf.size
                )
        except BaseException:
            if stored:
                document.file.storage.delete(stored)
            raise
    return document


def document_from_pdf(pdf, *, application_id, kind, actor):
    """An unsaved Document of application `application_id` for a received PDF
    (`core.uploads.received_pdf`), its file already written to storage: the caller saves
    the row in its transaction and deletes `document.file` if that fails."""
    document = Document(
        application_id=application_id,
        kind=kind,
        original_name=pdf.name,
        sha256=pdf.sha256,
        size=pdf.size,
        content_type="application/pdf",
        uploaded_by=actor,
    )
    with open(pdf.path, "rb") as handle:
        document.file.save("upload.pdf", File(handle), save=False)
    return document


def _state_words(state):
    """An application state's code as a refusal says it ("in review")."""
    return in_sentence(ApplicationState(state).label) if state in ApplicationState.values else state


def _check_upload_state(state, kind):
    """When an upload is accepted (409 otherwise): dossier documents while the dossier is
    open (draft or returned), responses while a clarification or the factual-accuracy
    check waits for the provider; a registered kind in the states it was registered with."""
    uploader = UPLOADERS.get(kind)
    if uploader is not None:
        if state not in uploader.states:
            raise ConflictError(
                _("%(kind)s are added while the application is %(states)s; it is %(state)s.")
                % {
                    "kind": Document.Kind(kind).label,
                    "states": _(" or ").join(_state_words(s) for s in uploader.states),
                    "state": _state_words(state),
                }
            )
    elif kind == Document.Kind.RESPONSE:
        if state not in RESPONSE_STATES:
            raise ConflictError(
                _(
                    "Responses are uploaded while a clarification or the factual-accuracy "
                    "check waits for the provider; the application is %(state)s."
                )
                % {"state": _state_words(state)}
            )
    elif state not in DOSSIER_STATES:
        raise ConflictError(
            _(
                "The dossier is closed while the application is %(state)s; "
                "documents are added in draft or when it was returned."
            )
            % {"state": _state_words(state)}
        )


def document_delete(*, document, actor):
    """Remove a document from the dossier before it is submitted.

    The provider's people may take back what they uploaded while the dossier is open
    (draft, or returned for completion): a wrong file, an outdated version. Once the
    dossier is submitted it is the record the panel judged, so it stays (409). Someone
    who may not see the application gets 404, a reader who is not the provider's 403.
    The row is removed under the application's lock (a submit in between is refused or
    wins, never half of each); a self-assessment that cited it no longer does; the
    removal is audited with the file's checksum; the stored file goes after commit.
    """
    application = document.application
    _visible_application(application, actor)
    if not is_provider_member(actor, application.provider_id):
        raise NotAllowed(_("Only people acting for the provider may remove its documents."))
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=application.pk)
        if locked.state not in DOSSIER_STATES:
            raise ConflictError(
                _(
                    "The dossier is closed while the application is %(state)s; documents are "
                    "removed in draft or when it was returned for completion."
                )
                % {"state": in_sentence(locked.get_state_display())}
            )
        current = Document.objects.filter(pk=document.pk, application=locked).first()
        if current is None:
            raise NotVisible()
        stored, storage = current.file.name, current.file.storage
        audit(
            "document.delete",
            actor=actor,
            obj=current,
            application=locked.pk,
            kind=current.kind,
            name=current.display_name,
            sha256=current.sha256,
        )
        current.delete()
        after_commit(storage.delete, stored)


def document_open(*, document, actor):
    """The stored file, opened for reading, for someone who may see the application:
    the provider's people, agency staff and the accepted panel. Anyone else gets 404."""
    _visible_application(document.application, actor)
    document.file.open("rb")
    return document.file
