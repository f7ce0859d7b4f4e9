"""Dossier uploads: only real, plain PDFs, stored whole with their checksum or not at all."""

import hashlib
import io
import os

import pytest
from pypdf import PdfWriter

from accreditation.models import Document
from tests.factories import DocumentFactory, UserFactory, pdf_bytes

from .conftest import annotation_javascript_pdf, javascript_pdf, token_client
from .helpers import upload

pytestmark = pytest.mark.django_db


def stored_files(settings):
    root = settings.MEDIA_ROOT
    return [os.path.join(folder, name) for folder, _, names in os.walk(root) for name in names]


@pytest.fixture
def prov(provider_user):
    return token_client(provider_user)


def assert_refused(response, status, settings):
    assert response.status_code == status, response.content
    assert response.json()["detail"]
    assert not Document.objects.exists()
    assert stored_files(settings) == []


def test_pdf_is_stored_under_a_random_name_with_its_checksum(
    prov, course_application, settings, provider_user
):
    content = pdf_bytes(pages=2)
    response = upload(prov, course_application.pk, "evidence", content, name="C:\\x\\Plan.pdf")
    assert response.status_code == 201
    body = response.json()
    assert body["sha256"] == hashlib.sha256(content).hexdigest()
    assert body["size"] == len(content)
    document = Document.objects.get(pk=body["id"])
    assert document.original_name == "Plan.pdf"
    assert "Plan" not in document.file.name and document.file.name.endswith(".pdf")
    with document.file.open("rb") as handle:
        assert handle.read() == content
    assert document.uploaded_by == provider_user


def test_text_file_is_415(prov, course_application, settings):
    response = upload(prov, course_application.pk, "evidence", b"just some notes\n", name="a.pdf")
    assert_refused(response, 415, settings)


def test_renamed_executable_is_415(prov, course_application, settings):
    exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200
    response = upload(prov, course_application.pk, "evidence", exe, name="report.pdf")
    assert_refused(response, 415, settings)
    elf = b"\x7fELF\x02\x01\x01" + b"\x00" * 200
    response = upload(prov, course_application.pk, "evidence", elf, name="report.pdf")
    assert_refused(response, 415, settings)


def test_pdf_header_followed_by_garbage_is_415(prov, course_application, settings):
    fake = b"%PDF-1.7\n" + os.urandom(4000)
    response = upload(prov, course_application.pk, "evidence", fake, name="fake.pdf")
    assert_refused(response, 415, settings)


def test_truncated_pdf_is_415(prov, course_application, settings):
    content = pdf_bytes()
    response = upload(prov, course_application.pk, "evidence", content[: len(content) // 3])
    assert_refused(response, 415, settings)


@pytest.mark.parametrize("make", [javascript_pdf, annotation_javascript_pdf])
def test_pdf_with_javascript_is_415(prov, course_application, settings, make):
    response = upload(prov, course_application.pk, "evidence", make(), name="js.pdf")
    assert_refused(response, 415, settings)
    assert "JavaScript" in response.json()["detail"]


def test_encrypted_pdf_is_415(prov, course_application, settings):
    writer = PdfWriter()
    writer.add_blank_page(width=100, height=100)
    writer.encrypt(user_password="secret", owner_password="owner")
    buffer = io.BytesIO()
    writer.write(buffer)
    response = upload(prov, course_application.pk, "evidence", buffer.getvalue())
    assert_refused(response, 415, settings)


def test_oversize_is_413(prov, course_application, settings):
    content = pdf_bytes(pages=5)
    settings.MCQA_UPLOAD_MAX_BYTES = len(content) - 1
    response = upload(prov, course_application.pk, "evidence", content)
    assert_refused(response, 413, settings)


def test_oversize_body_is_refused_before_parsing(prov, course_application, settings):
    settings.MCQA_UPLOAD_MAX_BYTES = 1000
    big = b"%PDF-1.4\n" + b"0" * 200_000
    response = upload(prov, course_application.pk, "evidence", big)
    assert_refused(response, 413, settings)


def test_exactly_the_limit_is_accepted(prov, course_application, settings):
    content = pdf_bytes()
    settings.MCQA_UPLOAD_MAX_BYTES = len(content)
    assert upload(prov, course_application.pk, "evidence", content).status_code == 201


def test_unknown_kind_is_400_naming_the_field(prov, course_application, settings):
    response = upload(prov, course_application.pk, "holiday_photos", pdf_bytes())
    assert response.status_code == 400
    assert "kind" in response.json()
    assert stored_files(settings) == []


def test_missing_file_is_400(prov, course_application):
    response = prov.post(
        f"/api/v1/applications/{course_application.pk}/documents/",
        {"kind": "evidence"},
        format="multipart",
    )
    assert response.status_code == 400
    assert "file" in response.json()


def test_coordinator_cannot_upload_to_a_providers_dossier(
    coordinator, course_application, settings
):
    response = upload(token_client(coordinator), course_application.pk, "evidence", pdf_bytes())
    assert_refused(response, 403, settings)


def test_stranger_gets_404(stranger, course_application, settings):
    response = upload(token_client(stranger), course_application.pk, "evidence", pdf_bytes())
    assert_refused(response, 404, settings)


def test_response_documents_only_while_the_provider_is_asked(prov, course_application, settings):
    response = upload(prov, course_application.pk, "response", pdf_bytes())
    assert_refused(response, 409, settings)


def test_file_is_removed_when_the_row_cannot_be_written(
    prov, course_application, settings, monkeypatch
):
    import accreditation.services.documents as services

    def broken_audit(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "audit", broken_audit)
    prov.raise_request_exception = False
    response = upload(prov, course_application.pk, "evidence", pdf_bytes())
    assert response.status_code == 500
    assert not Document.objects.exists()
    assert stored_files(settings) == []


# --------------------------------------------------------------------------- download


def test_download_streams_the_file_to_those_who_see_the_application(
    course_application, provider_user, coordinator, stranger
):
    content = pdf_bytes(pages=3)
    prov = token_client(provider_user)
    doc_id = upload(prov, course_application.pk, "evidence", content, name="Plan.pdf").json()["id"]
    for user in (provider_user, coordinator):
        response = token_client(user).get(f"/api/v1/documents/{doc_id}/download/")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert 'filename="Plan.pdf"' in response["Content-Disposition"]
        assert b"".join(response.streaming_content) == content
    assert token_client(stranger).get(f"/api/v1/documents/{doc_id}/download/").status_code == 404
    reviewer = UserFactory(roles=["reviewer"])
    assert token_client(reviewer).get(f"/api/v1/documents/{doc_id}/download/").status_code == 404


def test_accepted_panel_member_may_download(course_application):
    from guardian.shortcuts import assign_perm

    document = DocumentFactory(application=course_application)
    reviewer = UserFactory(roles=["reviewer"])
    assign_perm("accreditation.review_application", reviewer, course_application)
    response = token_client(reviewer).get(f"/api/v1/documents/{document.pk}/download/")
    assert response.status_code == 200
