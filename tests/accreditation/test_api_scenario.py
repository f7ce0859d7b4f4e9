"""The issue's scenario over HTTP, as a new provider runs it: describe a course, apply,
be told what is missing, complete the dossier, submit; screening, return, resubmission;
wrong role 403 and wrong state 409 leave everything as it was; history lists each step."""

import hashlib

import pytest
from django.core import mail

from accreditation.models import Application, ApplicationTransition
from tests.factories import UserFactory, pdf_bytes

from .conftest import token_client
from .helpers import fire, history, upload

pytestmark = pytest.mark.django_db


def snapshot(application_id):
    app = Application.objects.get(pk=application_id)
    return app.state, ApplicationTransition.objects.filter(application=app).count()


def test_provider_to_resubmission_over_http(
    provider_user, coordinator, stranger, django_capture_on_commit_callbacks
):
    coordinator.email = "coord@example.org"
    coordinator.save()
    provider_id = provider_user.providers.get().pk
    prov = token_client(provider_user)
    coord = token_client(coordinator)

    me = prov.get("/api/v1/me/").json()
    assert me == {
        "username": provider_user.username,
        "roles": ["provider"],
        "provider": provider_id,
    }

    # A course with only some Annex I elements, and a course application for it.
    response = prov.post(
        "/api/v1/courses/",
        {
            "provider": provider_id,
            "title": "Green Logistics Basics",
            "learning_outcomes": ["Plan a low-emission delivery route"],
            "workload_ects": "3.5",
            "isced_f": "0413",
            "languages": ["en", "de"],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    course_id = response.json()["id"]
    response = prov.post(
        "/api/v1/applications/",
        {"kind": "course", "provider": provider_id, "course": course_id},
        format="json",
    )
    assert response.status_code == 201, response.content
    app = response.json()
    app_id = app["id"]
    assert app["state"] == "draft"
    assert app["framework"]["code"] == "eu-mc-2022-principles"
    assert app["available_transitions"] == ["submit", "withdraw"]
    assert app["panel"] == [] and app["reports"] == [] and app["accreditation"] is None
    standards = [s["code"] for s in app["standards"]]
    assert len(standards) == 10

    # Submit is refused with every missing item, and nothing changes.
    response = fire(prov, app_id, "submit")
    assert response.status_code == 400
    codes = {item["code"] for item in response.json()["unmet"]}
    assert {
        "missing_element:eqf_level",
        "missing_element:assessment_type",
        "missing_element:participation_form",
        "missing_element:quality_assurance",
        "missing_document:self_evaluation",
        "missing_document:credential_sample",
    } <= codes
    assert {f"missing_self_assessment:{code}" for code in standards} <= codes
    assert "missing_element:title" not in codes
    assert snapshot(app_id) == ("draft", 0)

    # Complete the dossier through the API.
    response = prov.patch(
        f"/api/v1/courses/{course_id}/",
        {
            "eqf_level": 5,
            "assessment_type": "Case study, graded by two assessors",
            "participation_form": "blended",
            "quality_assurance": "Internal review board",
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    evaluation = pdf_bytes(pages=3)
    response = upload(prov, app_id, "self_evaluation", evaluation, name="../../etc/SER.pdf")
    assert response.status_code == 201, response.content
    doc = response.json()
    assert doc["sha256"] == hashlib.sha256(evaluation).hexdigest()
    assert doc["size"] == len(evaluation) and doc["content_type"] == "application/pdf"
    assert doc["original_name"] == "SER.pdf"
    assert upload(prov, app_id, "credential_sample", pdf_bytes()).status_code == 201
    for index, code in enumerate(standards):
        response = prov.put(
            f"/api/v1/applications/{app_id}/self-assessments/{code}/",
            {"narrative": f"How we meet {code}.", "evidence": [doc["id"]] if index == 0 else []},
            format="json",
        )
        assert response.status_code == 201, response.content
    response = prov.put(
        f"/api/v1/applications/{app_id}/self-assessments/{standards[0]}/",
        {"narrative": "Rewritten.", "evidence": [doc["id"]]},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["evidence"] == [doc["id"]]

    with django_capture_on_commit_callbacks(execute=True):
        response = fire(prov, app_id, "submit")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "submitted"
    assert [m.to for m in mail.outbox] == [["coord@example.org"]]

    # Wrong role (403) and wrong state (409) change nothing.
    before = snapshot(app_id)
    assert fire(prov, app_id, "start_screening").status_code == 403
    assert fire(coord, app_id, "return_for_completion", comment="x").status_code == 409
    assert fire(coord, app_id, "accredit").status_code == 403
    assert fire(coord, app_id, "no_such_transition").status_code == 404
    assert snapshot(app_id) == before

    # Someone who may not see the application gets 404, for reading and for acting.
    outsider = token_client(stranger)
    assert outsider.get(f"/api/v1/applications/{app_id}/").status_code == 404
    assert fire(outsider, app_id, "withdraw").status_code == 404
    assert outsider.get(f"/api/v1/applications/{app_id}/history/").status_code == 404
    assert snapshot(app_id) == before

    # Screening, a return with a comment (required), resubmission.
    assert fire(coord, app_id, "start_screening").json()["state"] == "screening"
    response = fire(coord, app_id, "return_for_completion")
    assert response.status_code == 400
    assert response.json()["unmet"][0]["code"] == "missing_field:comment"
    response = fire(coord, app_id, "return_for_completion", comment="Add the assessment grid.")
    assert response.status_code == 200 and response.json()["state"] == "returned"
    assert upload(prov, app_id, "evidence", pdf_bytes()).status_code == 201
    response = fire(prov, app_id, "submit")
    assert response.status_code == 200 and response.json()["state"] == "submitted"

    steps = history(prov, app_id)
    assert [(h["transition"], h["from_state"], h["to_state"], h["actor"]) for h in steps] == [
        ("submit", "draft", "submitted", provider_user.username),
        ("start_screening", "submitted", "screening", coordinator.username),
        ("return_for_completion", "screening", "returned", coordinator.username),
        ("submit", "returned", "submitted", provider_user.username),
    ]
    assert steps[2]["comment"] == "Add the assessment grid."
    assert history(coord, app_id) == steps


def test_dossier_is_closed_after_submission(course_application, provider_user):
    from tests.factories import complete_dossier

    complete_dossier(course_application, provider_user)
    prov = token_client(provider_user)
    assert fire(prov, course_application.pk, "submit").status_code == 200
    assert upload(prov, course_application.pk, "evidence", pdf_bytes()).status_code == 409
    code = course_application.framework.standards.first().code
    response = prov.put(
        f"/api/v1/applications/{course_application.pk}/self-assessments/{code}/",
        {"narrative": "late"},
        format="json",
    )
    assert response.status_code == 409


def test_self_assessment_for_unknown_standard_names_it(course_application, provider_user):
    prov = token_client(provider_user)
    response = prov.put(
        f"/api/v1/applications/{course_application.pk}/self-assessments/1.1/",
        {"narrative": "ESG is not this application's framework"},
        format="json",
    )
    assert response.status_code == 404
    assert "1.1" in response.json()["detail"]


def test_evidence_must_belong_to_the_same_application(course_application, provider_user):
    from tests.factories import ApplicationFactory, DocumentFactory

    other = DocumentFactory(application=ApplicationFactory(), uploaded_by=provider_user)
    prov = token_client(provider_user)
    code = course_application.framework.standards.first().code
    response = prov.put(
        f"/api/v1/applications/{course_application.pk}/self-assessments/{code}/",
        {"narrative": "text", "evidence": [other.pk]},
        format="json",
    )
    assert response.status_code == 400
    assert "evidence" in response.json()
    assert not course_application.self_assessments.exists()


def test_token_endpoint_refuses_wrong_password(provider_user, api):
    response = api.post(
        "/api/v1/auth/token/",
        {"username": provider_user.username, "password": "wrong"},
        format="json",
    )
    assert response.status_code == 400
    assert "token" not in response.json()


def test_token_endpoint_is_throttled_with_the_auth_scope(api, monkeypatch):
    from django.core.cache import cache
    from rest_framework.throttling import ScopedRateThrottle

    cache.clear()
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth": "2/minute"})
    codes = [
        api.post("/api/v1/auth/token/", {"username": "x", "password": "y"}, format="json")
        for _ in range(3)
    ]
    cache.clear()
    assert [r.status_code for r in codes] == [400, 400, 429]
    assert codes[2].has_header("Retry-After")


def test_unauthenticated_calls_are_refused(api, course_application):
    assert api.get("/api/v1/applications/").status_code in (401, 403)
    assert api.get(f"/api/v1/applications/{course_application.pk}/").status_code in (401, 403)


def test_reviewer_without_seat_sees_nothing(course_application):
    reviewer = UserFactory(roles=["reviewer"])
    client = token_client(reviewer)
    assert client.get(f"/api/v1/applications/{course_application.pk}/").status_code == 404
    assert client.get("/api/v1/applications/").json()["count"] == 0
