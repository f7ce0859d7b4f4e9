"""The provider's dossier page: checklist, uploads, self-assessments, submission."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accreditation.models import Application, Document, SelfAssessment
from tests.factories import DocumentFactory, complete_dossier, pdf_bytes
from tests.web.conftest import HOSTILE, fire

pytestmark = pytest.mark.django_db


def test_checklist_lists_exactly_what_is_missing(as_user, provider_user, course_application):
    course = course_application.course
    course.assessment_type = ""
    course.save()
    html = as_user(provider_user).get(course_application.get_absolute_url()).content.decode()
    assert 'data-code="missing_element:assessment_type"' in html
    assert 'data-code="missing_document:credential_sample"' in html
    assert 'data-code="missing_document:self_evaluation"' in html
    assert 'data-code="missing_self_assessment:quality"' in html
    assert 'data-code="missing_element:title"' not in html


def test_complete_dossier_checklist_says_ready(as_user, provider_user, course_application):
    complete_dossier(course_application, provider_user)
    html = as_user(provider_user).get(course_application.get_absolute_url()).content.decode()
    assert "The dossier is complete and may be submitted." in html
    assert 'data-transition="submit"' in html


def test_upload_a_real_pdf_stores_it_with_its_checksum(as_user, provider_user, course_application):
    upload = SimpleUploadedFile("self-eval.pdf", pdf_bytes(), content_type="application/pdf")
    response = as_user(provider_user).post(
        reverse("document-upload", args=[course_application.pk]),
        {"kind": "self_evaluation", "file": upload},
    )
    assert response.status_code == 302
    document = Document.objects.get(application=course_application)
    assert document.kind == "self_evaluation" and len(document.sha256) == 64
    page = as_user(provider_user).get(course_application.get_absolute_url()).content.decode()
    assert "self-eval.pdf" in page


def test_upload_of_a_non_pdf_is_refused_and_stores_nothing(
    as_user, provider_user, course_application
):
    upload = SimpleUploadedFile(
        "evil.pdf", b"<html>not a pdf</html>", content_type="application/pdf"
    )
    response = as_user(provider_user).post(
        reverse("document-upload", args=[course_application.pk]),
        {"kind": "evidence", "file": upload},
    )
    assert response.status_code == 415
    assert "alert" in response.content.decode()
    assert not Document.objects.exists()


def test_upload_json_answer_for_the_progress_bar(as_user, provider_user, course_application):
    upload = SimpleUploadedFile("e.pdf", pdf_bytes(), content_type="application/pdf")
    response = as_user(provider_user).post(
        reverse("document-upload", args=[course_application.pk]),
        {"kind": "evidence", "file": upload},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 201
    assert response.json()["redirect"] == course_application.get_absolute_url()


def test_upload_without_file_names_the_field(as_user, provider_user, course_application):
    response = as_user(provider_user).post(
        reverse("document-upload", args=[course_application.pk]), {"kind": "evidence"}
    )
    assert response.status_code == 400
    assert 'id="id_file_errors"' in response.content.decode()


def test_document_download_and_404_for_outsiders(
    as_user, provider_user, outsider, course_application
):
    document = DocumentFactory(application=course_application, uploaded_by=provider_user)
    response = as_user(provider_user).get(reverse("document-download", args=[document.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert (
        as_user(outsider).get(reverse("document-download", args=[document.pk])).status_code == 404
    )


def test_self_assessment_is_written_with_evidence(as_user, provider_user, course_application):
    document = DocumentFactory(application=course_application, uploaded_by=provider_user)
    url = reverse("self-assessment-edit", args=[course_application.pk, "quality"])
    client = as_user(provider_user)
    assert "Self-assessment: Quality" in client.get(url).content.decode()
    response = client.post(url, {"narrative": f"We do {HOSTILE}", "evidence": [str(document.pk)]})
    assert response.status_code == 302
    sa = SelfAssessment.objects.get(application=course_application, standard__code="quality")
    assert list(sa.evidence.all()) == [document]
    html = client.get(course_application.get_absolute_url()).content.decode()
    assert HOSTILE not in html and "We do &lt;script&gt;" in html


def test_empty_self_assessment_is_refused_at_the_field(as_user, provider_user, course_application):
    url = reverse("self-assessment-edit", args=[course_application.pk, "quality"])
    response = as_user(provider_user).post(url, {"narrative": "  "})
    assert response.status_code == 400
    assert 'id="id_narrative_errors"' in response.content.decode()
    assert not SelfAssessment.objects.exists()


def test_unknown_standard_is_404(as_user, provider_user, course_application):
    url = reverse("self-assessment-edit", args=[course_application.pk, "no-such"])
    assert as_user(provider_user).get(url).status_code == 404


def test_provider_opens_an_application_for_a_course(as_user, provider_user):
    course = provider_user.providers.get().courses.create(title="New one")
    response = as_user(provider_user).post(
        reverse("application-create"), {"kind": "course", "course": course.pk}
    )
    assert response.status_code == 302
    application = Application.objects.get(course=course)
    assert application.state == "draft"
    assert response["Location"] == application.get_absolute_url()


def test_application_of_another_provider_is_404(as_user, outsider, course_application):
    client = as_user(outsider)
    assert client.get(course_application.get_absolute_url()).status_code == 404
    url = reverse("application-transition", args=[course_application.pk, "withdraw"])
    assert client.post(url).status_code == 404
    course_application.refresh_from_db()
    assert course_application.state == "draft"
    assert f"#{course_application.pk} " not in client.get("/").content.decode()


def test_submit_through_the_confirmation_page(as_user, provider_user, course_application):
    complete_dossier(course_application, provider_user)
    client = as_user(provider_user)
    url = reverse("application-transition", args=[course_application.pk, "submit"])
    confirm = client.get(url).content.decode()
    assert "Do you want to <strong>submit the dossier</strong> now?" in confirm
    assert "csrfmiddlewaretoken" in confirm
    response = client.post(url, {"comment": ""})
    assert response.status_code == 302
    course_application.refresh_from_db()
    assert course_application.state == "submitted"
    html = client.get(course_application.get_absolute_url()).content.decode()
    assert "Draft → Submitted" in html
    assert provider_user.username in html


def test_provider_lodges_a_complaint(as_user, provider_user, outsider, course_application):
    from accreditation.models import Complaint

    client = as_user(provider_user)
    target = reverse("complaint-lodge", args=[course_application.pk])
    response = client.post(target, {"text": ""})
    assert response.status_code == 400
    assert 'id="id_text_errors"' in response.content.decode()
    response = client.post(target, {"text": f"The panel was late {HOSTILE}"})
    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert (complaint.application, complaint.lodged_by) == (course_application, provider_user)
    html = client.get(course_application.get_absolute_url()).content.decode()
    assert "The panel was late &lt;script&gt;" in html and HOSTILE not in html
    assert as_user(outsider).post(target, {"text": "x"}).status_code == 404


def test_upload_form_is_offered_only_while_the_provider_may_add_documents(
    as_user, provider_user, course_application, coordinator
):
    client = as_user(provider_user)
    assert "data-upload" in client.get(course_application.get_absolute_url()).content.decode()
    complete_dossier(course_application, provider_user)
    fire(course_application, "submit", provider_user)
    html = client.get(course_application.get_absolute_url()).content.decode()
    assert "data-upload" not in html
    assert "Upload a document" not in html
