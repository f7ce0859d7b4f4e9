"""Receiving an uploaded PDF safely, for any app that accepts one.

An upload is streamed to a private temporary file, hashed (SHA-256) and counted as it
arrives, and refused as soon as it passes the size limit (413) without reading the rest.
Only then is it parsed: anything that is not a well-formed, plain PDF is refused (415)
before the caller stores a byte. The uploaded file name is metadata only, cleaned of
path parts and control characters; callers store the file under a name of their own.

This module knows nothing of the domain: the caller decides who may upload, when, and
where the file goes; here only `core.errors.FileRejected` is raised.
"""

import hashlib
import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import FileRejected

PDF_MAGIC = b"%PDF-"
_JS_KEYS = ("/JS", "/JavaScript")
# Actions a reader performs outside the page: start a program or open a file (/Launch),
# send the form's fields to a URL (/SubmitForm), read field values from a file
# (/ImportData). Like JavaScript they act on the reader's machine, so they are refused.
_ACTIVE_ACTIONS = {
    "/JavaScript": "JavaScript",
    "/Launch": gettext_lazy("Launch actions (starting a program or opening a file)"),
    "/SubmitForm": gettext_lazy("SubmitForm actions (sending form data to a URL)"),
    "/ImportData": gettext_lazy("ImportData actions (reading data from a file)"),
}
_MAX_PDF_OBJECTS = 200_000
_HEAD_BYTES = 1024


@dataclass(frozen=True)
class ReceivedPdf:
    """A checked upload in its temporary file: `path` (removed when the `received_pdf`
    block ends), `sha256` (hex), `size` (bytes) and the cleaned original `name`."""

    path: str
    sha256: str
    size: int
    name: str


@contextmanager
def received_pdf(uploaded_file, *, limit):
    """Spool `uploaded_file` (a Django `UploadedFile`) and check that it is a plain PDF of
    at most `limit` bytes; yield a `ReceivedPdf` and remove the temporary file afterwards,
    whatever happens in the block. A declared size over the limit is refused before
    anything is read (413)."""
    declared = getattr(uploaded_file, "size", None)
    if declared is not None and declared > limit:
        raise too_large(limit)
    path, sha256, size, head = spool(uploaded_file, limit)
    try:
        check_pdf(path, head)
        yield ReceivedPdf(
            path=path,
            sha256=sha256,
            size=size,
            name=clean_filename(getattr(uploaded_file, "name", "")),
        )
    finally:
        os.unlink(path)


def too_large(limit):
    """The 413 refusal of a file over `limit` bytes."""
    return FileRejected(
        _("The file is larger than the limit of %(limit)s bytes.") % {"limit": limit},
        status_code=413,
        code="too_large",
    )


def clean_filename(name):
    """The uploaded name as metadata only: its last path part, without control characters."""
    name = str(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip().strip(".")
    return (name or "document.pdf")[:255]


def pdf_active_content(reader):
    """What the document could make its reader do beyond showing pages, or None: the
    description of the first JavaScript (a /JS or /JavaScript entry, or an action of type
    /JavaScript) or /Launch, /SubmitForm or /ImportData action found anywhere in the object
    graph reachable from the trailer (catalog, name tree, open action, additional actions,
    annotations, outlines and form fields). Content streams are not scanned."""
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
            raise FileRejected(_("The PDF has too many objects to be checked."))
        if isinstance(obj, DictionaryObject):
            for key, value in obj.items():
                if key in _JS_KEYS:
                    return _ACTIVE_ACTIONS["/JavaScript"]
                if key == "/S" and isinstance(value, NameObject) and value in _ACTIVE_ACTIONS:
                    return _ACTIVE_ACTIONS[value]
                stack.append(value)
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)
    return None


def check_pdf(path, head):
    """Refuse anything that is not a well-formed, plain PDF (415): the magic bytes, a
    parse by pypdf that finds pages, no encryption (its readers must be able to open it
    and we must be able to inspect it), no JavaScript and no action that launches a
    program, submits form data or imports data (the 415 names which)."""
    if not head.startswith(PDF_MAGIC):
        raise FileRejected(_("Only PDF files are accepted; this file is not a PDF."))
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        with open(path, "rb") as handle:
            reader = PdfReader(handle, strict=False)
            if reader.is_encrypted:
                raise FileRejected(
                    _("Encrypted PDFs are not accepted; upload an unprotected copy.")
                )
            if len(reader.pages) < 1:
                raise FileRejected(_("The PDF has no pages."))
            active = pdf_active_content(reader)
            if active is not None:
                raise FileRejected(
                    _("PDFs containing %(active)s are not accepted.") % {"active": active}
                )
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
        raise FileRejected(_("The file is not a readable PDF.")) from exc


def spool(uploaded_file, limit):
    """Copy the upload to a private temporary file, hashing and counting as it streams, and
    stop as soon as it passes the limit (413) without reading the rest. Returns the
    temporary file's path (the caller removes it), the SHA-256, the size and the first
    bytes (for the magic check)."""
    digest = hashlib.sha256()
    size = 0
    head = b""
    spooled = tempfile.NamedTemporaryFile(prefix="mcqa-upload-", suffix=".pdf", delete=False)  # noqa: SIM115
    try:
        with spooled:
            for chunk in uploaded_file.chunks():
                size += len(chunk)
                if size > limit:
                    raise too_large(limit)
                if len(head) < _HEAD_BYTES:
                    head += chunk[: _HEAD_BYTES - len(head)]
                digest.update(chunk)
                spooled.write(chunk)
        if size == 0:
            raise FileRejected(_("The file is empty."))
    except BaseException:
        os.unlink(spooled.name)
        raise
    return spooled.name, digest.hexdigest(), size, head
