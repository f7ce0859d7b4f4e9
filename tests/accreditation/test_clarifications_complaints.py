"""Clarifications and factual-check responses with documents, complaints, and who is
told about accreditation changes."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from accreditation.models import Application, Complaint, Document
from tests.factories import ApplicationFactory, UserFactory, pdf_bytes

from .conftest import token_client
from .helpers import decided, fire, upload

pytestmark = pytest.mark.django_db


def in_state(application, state):
    Application.objects.filter(pk=application.pk).update(state=state)
    application.refresh_from_db()


def test_clarification_question_answer_and_response_document(
    course_application, provider_user, coordinator
):
    in_state(course_application, "in_review")
    coord, prov = token_client(coordinator), token_client(provider_user)
    response = fire(coord, course_application.pk, "request_clarification", comment="Who grades?")
    assert response.status_code == 200
    assert response.json()["clarifications"][0]["question"] == "Who grades?"
    # The provider answers with a response document, uploaded while asked.
    uploaded = upload(prov, course_application.pk, "response", pdf_bytes(), name="answer.pdf")
    assert uploaded.status_code == 201
    assert upload(prov, course_application.pk, "evidence", pdf_bytes()).status_code == 409
    response = fire(
        prov,
        course_application.pk,
        "answer_clarification",
        answer="Two assessors.",
        documents=[uploaded.json()["id"]],
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "in_review"
    assert body["clarifications"][0]["answer"] == "Two assessors."
    assert any(d["kind"] == "response" for d in body["documents"])
    # Once answered, responses are closed again.
    assert upload(prov, course_application.pk, "response", pdf_bytes()).status_code == 409


def test_factual_check_response_upload(course_application, provider_user):
    in_state(course_application, "factual_check")
    prov = token_client(provider_user)
    assert upload(prov, course_application.pk, "response", pdf_bytes()).status_code == 201
    assert Document.objects.filter(kind="response").count() == 1


def test_complaint_over_http(course_application, provider_user, stranger, coordinator):
    prov = token_client(provider_user)
    response = prov.post(
        "/api/v1/complaints/",
        {"application": course_application.pk, "text": "Nobody answered for weeks."},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["status"] == "open"
    assert Complaint.objects.get().lodged_by == provider_user
    general = prov.post("/api/v1/complaints/", {"text": "About the fees."}, format="json")
    assert general.status_code == 201 and general.json()["application"] is None
    empty = prov.post("/api/v1/complaints/", {"text": "  "}, format="json")
    assert empty.status_code == 400 and "text" in empty.json()
    hidden = token_client(stranger).post(
        "/api/v1/complaints/",
        {"application": course_application.pk, "text": "Snooping"},
        format="json",
    )
    assert hidden.status_code == 404
    assert Complaint.objects.count() == 2


def test_suspension_is_mailed_to_the_provider(
    course_application, provider_user, decider, coordinator, django_capture_on_commit_callbacks
):
    provider_user.email = "prov@example.org"
    provider_user.save()
    accreditation = decided(course_application, decider)
    with django_capture_on_commit_callbacks(execute=True):
        response = token_client(decider).post(
            f"/api/v1/accreditations/{accreditation.pk}/transitions/suspend/",
            {"comment": "Investigation", "reason": "complaint"},
            format="json",
        )
    assert response.status_code == 200
    addresses = sorted(a for m in mail.outbox for a in m.to)
    assert "prov@example.org" in addresses
    assert decider.email not in addresses
    assert any("Investigation" in m.body for m in mail.outbox)


def test_me_for_staff_has_no_provider(coordinator):
    assert token_client(coordinator).get("/api/v1/me/").json() == {
        "username": coordinator.username,
        "roles": ["coordinator"],
        "provider": None,
    }


def test_application_list_filters_by_state(coordinator):
    ApplicationFactory()
    submitted = ApplicationFactory()
    in_state(submitted, "submitted")
    client = token_client(coordinator)
    body = client.get("/api/v1/applications/", {"state": "submitted"}).json()
    assert [a["id"] for a in body["results"]] == [submitted.pk]
    assert client.get("/api/v1/applications/").json()["count"] == 2


def test_appeal_window_is_enforced_over_http(course_application, provider_user, decider):
    decided(course_application, decider, state="rejected")
    from accreditation.models import Decision

    Decision.objects.filter(application=course_application).update(
        decided_at=timezone.now() - datetime.timedelta(days=31)
    )
    response = fire(token_client(provider_user), course_application.pk, "appeal", grounds="Unfair")
    assert response.status_code == 400
    assert [u["code"] for u in response.json()["unmet"]] == ["appeal_window_closed"]
    course_application.refresh_from_db()
    assert course_application.state == "rejected"


def test_reviewer_cannot_fire_provider_transitions(course_application):
    from guardian.shortcuts import assign_perm

    reviewer = UserFactory(roles=["reviewer"])
    assign_perm("accreditation.review_application", reviewer, course_application)
    response = fire(token_client(reviewer), course_application.pk, "withdraw")
    assert response.status_code == 403
    course_application.refresh_from_db()
    assert course_application.state == "draft"
