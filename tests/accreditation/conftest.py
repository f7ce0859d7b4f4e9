"""Fixtures of the workflow tests: API clients logged in by token, PDFs good and bad."""

import io

import pytest
from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject
from rest_framework.test import APIClient

from tests.factories import UserFactory, pdf_bytes

PASSWORD = "correct horse battery"


def token_client(user):
    """A client that authenticates the way an integrator does: token from the API."""
    client = APIClient()
    response = client.post(
        "/api/v1/auth/token/", {"username": user.username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


def javascript_pdf():
    """A parseable PDF whose document-level name tree runs JavaScript when opened."""
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    action = writer._add_object(
        DictionaryObject(
            {
                NameObject("/S"): NameObject("/JavaScript"),
                NameObject("/JS"): TextStringObject("app.alert('hello');"),
            }
        )
    )
    tree = DictionaryObject({NameObject("/Names"): ArrayObject([TextStringObject("a"), action])})
    writer._root_object[NameObject("/Names")] = DictionaryObject(
        {NameObject("/JavaScript"): writer._add_object(tree)}
    )
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def annotation_javascript_pdf():
    """JavaScript hidden in a link annotation's action, not in the catalog."""
    writer = PdfWriter()
    page = writer.add_blank_page(width=200, height=200)
    action = DictionaryObject(
        {
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject("app.alert(1)"),
        }
    )
    annotation = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/A"): action,
        }
    )
    writer.add_annotation(page, annotation)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.fixture
def good_pdf():
    return pdf_bytes(pages=2)


@pytest.fixture
def stranger(db):
    return UserFactory(username="stranger", roles=["provider"])
