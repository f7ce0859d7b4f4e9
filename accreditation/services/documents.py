"""Documents: adding a PDF to the dossier or a response, and opening a stored one."""

import hashlib
import os
import tempfile

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction

from core.audit import audit
from core.errors import ConflictError, FileRejected, NotAllowed

from ..models import Application, ApplicationState, Document
from ..selectors import is_provider_member
from ._common import DOSSIER_STATES, _visible_application

RESPONSE_STATES = (ApplicationState.CLARIFICATION_REQUESTED, ApplicationState.FACTUAL_CHECK)
PDF_MAGIC = b"%PDF-"
_JS_KEYS = ("/JS", "/JavaScript")
_MAX_PDF_OBJECTS = 200_000


def _clean_filename(name):
    """The uploaded name as metadata only: its last path part, without control characters."""
    name = str(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip().strip(".")
    return (name or "document.pdf")[:255]


def _pdf_has_javascript(reader):
    """True when the document can run JavaScript: a /JS or /JavaScript entry anywhere in
    the object graph reachable from the trailer (catalog, name tree, open action,
    additional actions, annotations and form fields). Content streams are not scanned."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

    seen = set()
    stack = [reader.trailer]
    count = 0
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            ref = (obj.idnum, obj.generation)
            if ref in seen:
                continue
            seen.add(ref)
            obj = obj.get_object()
        count += 1
        if count > _MAX_PDF_OBJECTS:
            raise FileRejected("The PDF has too many objects to be checked.")
        if isinstance(obj, DictionaryObject):
            for key, value in obj.items():
                if key in _JS_KEYS:
                    return True
                if key == "/S" and isinstance(value, NameObject) and value == "/JavaScript":
                    return True
                stack.append(value)
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)
    return False


def _check_pdf(path, head):
    """Refuse anything that is not a well-formed, plain PDF (415): the magic bytes, a
    parse by pypdf that finds pages, no encryption (the panel must be able to read it and
    we must be able to inspect it) and no JavaScript."""
    if not head.startswith(PDF_MAGIC):
        raise FileRejected("Only PDF files are accepted; this file is not a PDF.")
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        with open(path, "rb") as handle:
            reader = PdfReader(handle, strict=False)
            if reader.is_encrypted:
                raise FileRejected("Encrypted PDFs are not accepted; upload an unprotected copy.")
            if len(reader.pages) < 1:
                raise FileRejected("The PDF has no pages.")
            if _pdf_has_javascript(reader):
                raise FileRejected("PDFs containing JavaScript are not accepted.")
    except FileRejected:
        raise
    except (
        PyPdfError,
        ValueError,
        TypeError,
        KeyError,
        AttributeError,
        IndexError,
        RecursionError,
        OSError,
        AssertionError,
    ) as exc:
        raise FileRejected("The file is not a readable PDF.") from exc


def _spool(uploaded_file, limit):
    """Copy the upload to a private temporary file, hashing and counting as it streams, and
    stop as soon as it passes the limit (413) without reading the rest."""
    digest = hashlib.sha256()
    size = 0
    head = b""
    spool = tempfile.NamedTemporaryFile(prefix="mcqa-upload-", suffix=".pdf", delete=False)  # noqa: SIM115
    try:
        with spool:
            for chunk in uploaded_file.chunks():
                size += len(chunk)
                if size > limit:
                    raise FileRejected(
                        f"The file is larger than the limit of {limit} bytes.",
                        status_code=413,
                        code="too_large",
                    )
                if len(head) < 1024:
                    head += chunk[: 1024 - len(head)]
                digest.update(chunk)
                spool.write(chunk)
        if size == 0:
            raise FileRejected("The file is empty.")
    except BaseException:
        os.unlink(spool.name)
        raise
    return spool.name, digest.hexdigest(), size, head


def document_upload(*, application, actor, kind, uploaded_file):
    """Add a PDF to the dossier, whole with its checksum or not at all.

    Only the provider's people upload, and only while the dossier is open: dossier
    documents in draft or returned, `response` documents while a clarification or the
    factual-accuracy check waits for the provider (409 otherwise). The file is checked
    before anything is stored: over the size limit 413 (decided before reading the whole
    body), not a plain PDF 415. It is stored under a random name (the uploaded name is
    kept only as metadata), and the stored file is removed if the row cannot be written.
    """
    _visible_application(application, actor)
    if not is_provider_member(actor, application.provider_id):
        raise NotAllowed("Only people acting for the provider may add documents.")
    if kind not in Document.Kind.values:
        raise ValidationError({"kind": [f"kind must be one of {', '.join(Document.Kind)}."]})
    if uploaded_file is None:
        raise ValidationError({"file": ["A file is required."]})
    _check_upload_state(application.state, kind)
    limit = settings.MCQA_UPLOAD_MAX_BYTES
    declared = getattr(uploaded_file, "size", None)
    if declared is not None and declared > limit:
        raise FileRejected(
            f"The file is larger than the limit of {limit} bytes.",
            status_code=413,
            code="too_large",
        )
    path, sha256, size, head = _spool(uploaded_file, limit)
    stored = None
    try:
        _check_pdf(path, head)
        with transaction.atomic():
            locked = Application.objects.select_for_update().get(pk=application.pk)
            _check_upload_state(locked.state, kind)
            document = Document(
                application=locked,
                kind=kind,
                original_name=_clean_filename(getattr(uploaded_file, "name", "")),
                sha256=sha256,
                size=size,
                content_type="application/pdf",
                uploaded_by=actor,
            )
            with open(path, "rb") as handle:
                document.file.save("upload.pdf", File(handle), save=False)
            stored = document.file.name
            document.save()
            audit("document.upload", actor=actor, obj=document, sha256=sha256, size=size)
    except BaseException:
        if stored:
            document.file.storage.delete(stored)
        raise
    finally:
        os.unlink(path)
    return document


def _check_upload_state(state, kind):
    if kind == Document.Kind.RESPONSE:
        if state not in RESPONSE_STATES:
            raise ConflictError(
                "Responses are uploaded while a clarification or the factual-accuracy check "
                f"waits for the provider; the application is {state}."
            )
    elif state not in DOSSIER_STATES:
        raise ConflictError(
            f"The dossier is closed while the application is {state}; "
            "documents are added in draft or when it was returned."
        )


def document_open(*, document, actor):
    """The stored file, opened for reading, for someone who may see the application:
    the provider's people, agency staff and the accepted panel. Anyone else gets 404."""
    _visible_application(document.application, actor)
    document.file.open("rb")
    return document.file
