"""Strict types, validated limits, documented lengths, and ids that reveal nothing.

- `true` is not the id 1: a boolean where an id is expected is 400 naming the field.
- Accreditation limits come from the reference data: EQF levels 1..8, ISCED-F 2013 codes
  that exist.
- Texts have documented maximum lengths (narratives 20,000 characters, comments and the
  other transition texts 5,000): 2 MB of text is 400 naming the field, as is a field no
  transition reads; nothing is stored.
- A course or previous application of another provider gets exactly the answer of an id
  that does not exist.
"""

import json

import pytest

from accreditation.models import Accreditation, Application, Complaint, SelfAssessment
from core.inputs import NARRATIVE_MAX_LENGTH, TEXT_MAX_LENGTH
from demo.scenario import skip_to_state
from tests.factories import CourseFactory

pytestmark = pytest.mark.django_db

JUNK = "x" * 2_000_000  # 2 MB: under the request body limit, far over any text's length


def _post(client, url, body, method="post"):
    client.raise_request_exception = False
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


def _standard(world):
    return world.application.framework.standards.order_by("order").first().code


def _assessment_url(world):
    return f"/api/v1/applications/{world.application.pk}/self-assessments/{_standard(world)}/"


def _transition_url(world, name):
    return f"/api/v1/applications/{world.application.pk}/transitions/{name}/"


# --------------------------------------------------------------------------- booleans


def test_course_true_is_not_course_one(world):
    provider = world.application.provider
    world.application.delete()  # the first course (id 1 or not) has no open application now
    first_course = provider.courses.order_by("pk").first()
    applications = Application.objects.count()
    response = _post(
        world.client("provider_own"),
        "/api/v1/applications/",
        {"kind": "course", "provider": provider.pk, "course": True},
    )
    assert response.status_code == 400, response.content
    assert "course" in response.json()
    assert Application.objects.count() == applications
    # the same body with the course's real id is accepted: the refusal is the type
    ok = _post(
        world.client("provider_own"),
        "/api/v1/applications/",
        {"kind": "course", "provider": provider.pk, "course": first_course.pk},
    )
    assert ok.status_code == 201, ok.content


@pytest.mark.parametrize(
    "case",
    ["provider-true", "previous-true", "complaint-application-true", "evidence-true"],
)
def test_boolean_where_an_id_is_expected_is_400_naming_the_field(world, case):
    provider = world.application.provider
    url, body, field, method = {
        "provider-true": (
            "/api/v1/courses/",
            {"provider": True, "title": "Boolean course"},
            "provider",
            "post",
        ),
        "previous-true": (
            "/api/v1/applications/",
            {
                "kind": "renewal",
                "provider": provider.pk,
                "course": world.application.course_id,
                "previous": True,
            },
            "previous",
            "post",
        ),
        "complaint-application-true": (
            "/api/v1/complaints/",
            {"application": True, "text": "Unfair."},
            "application",
            "post",
        ),
        "evidence-true": (
            _assessment_url(world),
            {"narrative": "We do it.", "evidence": [True]},
            "evidence[0]",
            "put",
        ),
    }[case]
    before = world.snapshot()
    complaints = Complaint.objects.count()
    response = _post(world.client("provider_own"), url, body, method)
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert world.snapshot() == before
    assert Complaint.objects.count() == complaints


def test_document_ids_in_an_answer_must_be_ids(world):
    world.prepare("clarification_requested")
    before = world.snapshot()
    response = _post(
        world.client("provider_own"),
        _transition_url(world, "answer_clarification"),
        {"answer": "Here it is.", "documents": [True]},
    )
    assert response.status_code == 400, response.content
    assert "documents[0]" in response.json()
    assert world.snapshot() == before


# --------------------------------------------------------------------------- limits


@pytest.mark.parametrize(
    ("limits", "field"),
    [
        ({"eqf_levels": [99]}, "eqf_levels[0]"),
        ({"eqf_levels": [0]}, "eqf_levels[0]"),
        ({"eqf_levels": [True]}, "eqf_levels[0]"),
        ({"eqf_levels": ["6"]}, "eqf_levels[0]"),
        ({"eqf_levels": 6}, "eqf_levels"),
        ({"isced_fields": ["1234"]}, "isced_fields[0]"),
        ({"isced_fields": ["06", "0619x"]}, "isced_fields[1]"),
        ({"isced_fields": [613]}, "isced_fields[0]"),
    ],
)
def test_accreditation_limits_outside_the_reference_data_are_refused(world, limits, field):
    world.prepare("decision_pending")
    before = world.snapshot()
    response = _post(world.client("decision_body"), _transition_url(world, "accredit"), limits)
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert world.snapshot() == before


def test_accreditation_limits_from_the_reference_data_are_recorded(world):
    world.prepare("decision_pending")
    response = _post(
        world.client("decision_body"),
        _transition_url(world, "accredit"),
        {"eqf_levels": [5, 6], "isced_fields": ["06", "0613"]},
    )
    assert response.status_code == 200, response.content
    accreditation = Accreditation.objects.get(application=world.application)
    assert accreditation.eqf_levels == [5, 6]
    assert accreditation.isced_fields == ["06", "0613"]


# --------------------------------------------------------------------------- lengths


def test_narrative_has_a_maximum_length(world):
    client = world.client("provider_own")
    for text in ("n" * (NARRATIVE_MAX_LENGTH + 1), JUNK):
        response = _post(client, _assessment_url(world), {"narrative": text}, "put")
        assert response.status_code == 400, response.status_code
        assert "narrative" in response.json()
        assert not SelfAssessment.objects.filter(application=world.application).exists()
    longest = _post(
        client, _assessment_url(world), {"narrative": "n" * NARRATIVE_MAX_LENGTH}, "put"
    )
    assert longest.status_code == 201, longest.content


@pytest.mark.parametrize(
    ("setup", "role", "name", "body", "field"),
    [
        ("submitted", "provider_own", "withdraw", {"comment": JUNK}, "comment"),
        ("submitted", "provider_own", "withdraw", {"comment": "Bye.", "junk": JUNK}, "junk"),
        ("screening", "coordinator", "return_for_completion", {"comment": JUNK}, "comment"),
        (
            "clarification_requested",
            "provider_own",
            "answer_clarification",
            {"answer": "y" * (TEXT_MAX_LENGTH + 1)},
            "answer",
        ),
        ("decision_pending", "decision_body", "reject", {"rationale": JUNK}, "rationale"),
        (
            "decision_pending",
            "decision_body",
            "accredit_with_conditions",
            {"conditions": [{"text": JUNK, "due_date": "2099-01-01"}]},
            "conditions[0].text",
        ),
        (
            "decision_pending",
            "decision_body",
            "accredit_with_conditions",
            {"conditions": [{"text": "Fix it.", "due_date": "2099-01-01", "junk": JUNK}]},
            "conditions[0].junk",
        ),
        ("rejected", "provider_own", "appeal", {"grounds": JUNK}, "grounds"),
    ],
)
def test_transition_texts_have_maximum_lengths_and_junk_is_refused(
    world, setup, role, name, body, field
):
    world.prepare(setup)
    before = world.snapshot()
    response = _post(world.client(role), _transition_url(world, name), body)
    assert response.status_code == 400, response.content[:300]
    assert field in response.json(), response.json()
    assert world.snapshot() == before


def test_a_comment_of_the_maximum_length_is_accepted(world):
    world.prepare("submitted")
    response = _post(
        world.client("provider_own"),
        _transition_url(world, "withdraw"),
        {"comment": "c" * TEXT_MAX_LENGTH},
    )
    assert response.status_code == 200, response.content[:300]


def test_complaint_text_has_a_maximum_length(world):
    complaints = Complaint.objects.count()
    response = _post(world.client("provider_own"), "/api/v1/complaints/", {"text": JUNK})
    assert response.status_code == 400
    assert "text" in response.json()
    assert Complaint.objects.count() == complaints


def test_judgement_rationale_has_a_maximum_length(world):
    world.prepare("in_review")
    url = f"/api/v1/assignments/{world.assignment.pk}/judgements/{_standard(world)}/"
    response = _post(
        world.client("reviewer_on"), url, {"judgement": "compliant", "rationale": JUNK}, "put"
    )
    assert response.status_code == 400, response.content[:300]
    assert "rationale" in response.json()


# --------------------------------------------------------------------------- existence


def _same_answer(first, second):
    assert first.status_code == second.status_code == 400
    assert first.json() == second.json()


def test_another_providers_course_is_answered_as_a_course_that_does_not_exist(world):
    provider = world.application.provider
    theirs = world.other_application.course
    mine = CourseFactory(provider=provider, title="Third course of A")
    client = world.client("provider_own")
    applications = Application.objects.count()
    answers = [
        _post(
            client,
            "/api/v1/applications/",
            {"kind": "course", "provider": provider.pk, "course": course},
        )
        for course in (theirs.pk, 10**9)
    ]
    _same_answer(*answers)
    assert Application.objects.count() == applications
    ok = _post(
        client,
        "/api/v1/applications/",
        {"kind": "course", "provider": provider.pk, "course": mine.pk},
    )
    assert ok.status_code == 201, ok.content


def test_another_providers_application_as_previous_is_answered_as_one_that_does_not_exist(world):
    skip_to_state(world.other_application, "accredited")
    provider = world.application.provider
    client = world.client("provider_own")
    applications = Application.objects.count()
    answers = [
        _post(
            client,
            "/api/v1/applications/",
            {
                "kind": "renewal",
                "provider": provider.pk,
                "course": world.application.course_id,
                "previous": previous,
            },
        )
        for previous in (world.other_application.pk, 10**9)
    ]
    _same_answer(*answers)
    assert Application.objects.count() == applications
