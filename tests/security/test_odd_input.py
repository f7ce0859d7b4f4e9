"""Odd input is the client's error, never the server's: a lone surrogate (`"\\ud800"`,
valid JSON but not storable text) in any text field and an integer far out of range
(`10**30`) in any id or number answer 400 naming the field, and change nothing.

These run on SQLite here and on PostgreSQL in the PostgreSQL leg of `.ci/run` (the whole
suite runs there); `test_odd_input_on_postgresql` is the `postgres`-marked run of the
same cases, which fails anywhere but PostgreSQL.
"""

import json

import pytest
from django.db import connection

from accreditation.models import Course, Provider
from demo.scenario import skip_to_state

pytestmark = pytest.mark.django_db

LONE = "\ud800"
HUGE = 10**30


def _world_case(world, case):
    """(client role, method, url, body, field the answer must name)."""
    app = world.application
    provider = app.provider
    course = app.course
    code = app.framework.standards.order_by("order").first().code
    assignment = world.assignment
    cases = {
        "course-title": (
            "provider_own",
            "post",
            "/api/v1/courses/",
            {"provider": provider.pk, "title": f"Data {LONE} science"},
            "title",
        ),
        "course-outcome": (
            "provider_own",
            "patch",
            f"/api/v1/courses/{course.pk}/",
            {"learning_outcomes": ["Read data", LONE]},
            "learning_outcomes[1]",
        ),
        "provider-name": (
            "provider_own",
            "patch",
            f"/api/v1/providers/{provider.pk}/",
            {"legal_name": LONE},
            "legal_name",
        ),
        "provider-create-name": (
            "provider_own",
            "post",
            "/api/v1/providers/",
            {"legal_name": LONE, "country": "DE", "type": "university"},
            "legal_name",
        ),
        "complaint-text": (
            "provider_own",
            "post",
            "/api/v1/complaints/",
            {"text": f"Unfair {LONE}"},
            "text",
        ),
        "transition-comment": (
            "provider_own",
            "post",
            f"/api/v1/applications/{app.pk}/transitions/withdraw/",
            {"comment": LONE},
            "comment",
        ),
        "narrative": (
            "provider_own",
            "put",
            f"/api/v1/applications/{app.pk}/self-assessments/{code}/",
            {"narrative": f"We do {LONE}"},
            "narrative",
        ),
        "judgement-rationale": (
            "reviewer_on",
            "put",
            f"/api/v1/assignments/{assignment.pk}/judgements/{code}/",
            {"judgement": "compliant", "rationale": LONE},
            "rationale",
        ),
        "surrogate-in-key": (
            "provider_own",
            "post",
            "/api/v1/complaints/",
            {"text": "fine", LONE: "x"},
            "non_field_errors",
        ),
        "evidence-huge": (
            "provider_own",
            "put",
            f"/api/v1/applications/{app.pk}/self-assessments/{code}/",
            {"narrative": "We do it.", "evidence": [HUGE]},
            "evidence[0]",
        ),
        "course-huge": (
            "provider_own",
            "post",
            "/api/v1/applications/",
            {"kind": "course", "provider": provider.pk, "course": HUGE},
            "course",
        ),
        "provider-huge": (
            "provider_own",
            "post",
            "/api/v1/courses/",
            {"provider": HUGE, "title": "A course"},
            "provider",
        ),
        "previous-huge": (
            "provider_own",
            "post",
            "/api/v1/applications/",
            {"kind": "renewal", "provider": provider.pk, "course": course.pk, "previous": HUGE},
            "previous",
        ),
        "complaint-application-huge": (
            "provider_own",
            "post",
            "/api/v1/complaints/",
            {"application": HUGE, "text": "Unfair"},
            "application",
        ),
        "eqf-level-huge": (
            "provider_own",
            "patch",
            f"/api/v1/courses/{course.pk}/",
            {"eqf_level": HUGE},
            "eqf_level",
        ),
        "workload-huge": (
            "provider_own",
            "patch",
            f"/api/v1/courses/{course.pk}/",
            {"workload_ects": HUGE},
            "workload_ects",
        ),
        "conflict-provider-huge": (
            "reviewer_off",
            "post",
            "/api/v1/conflicts/",
            {"provider": HUGE, "reason": "I worked there."},
            "provider",
        ),
        "negative-huge": (
            "provider_own",
            "put",
            f"/api/v1/applications/{app.pk}/self-assessments/{code}/",
            {"narrative": "We do it.", "evidence": [-HUGE]},
            "evidence[0]",
        ),
    }
    return cases[case]


CASES = [
    "course-title",
    "course-outcome",
    "provider-name",
    "provider-create-name",
    "complaint-text",
    "transition-comment",
    "narrative",
    "judgement-rationale",
    "surrogate-in-key",
    "evidence-huge",
    "course-huge",
    "provider-huge",
    "previous-huge",
    "complaint-application-huge",
    "eqf-level-huge",
    "workload-huge",
    "conflict-provider-huge",
    "negative-huge",
]


def _send(world, case):
    role, method, url, body, field = _world_case(world, case)
    client = world.client(role)
    client.raise_request_exception = False
    payload = json.dumps(body)  # ensure_ascii: the lone surrogate travels as "\ud800"
    response = getattr(client, method)(url, payload, content_type="application/json")
    return response, field


def _check(world, case):
    if case == "transition-comment":
        skip_to_state(world.application, "submitted")
    before = world.snapshot()
    courses, providers = Course.objects.count(), Provider.objects.count()
    response, field = _send(world, case)
    assert response.status_code == 400, (case, response.status_code, response.content[:300])
    assert field in response.json(), (case, response.json())
    assert world.snapshot() == before
    assert (Course.objects.count(), Provider.objects.count()) == (courses, providers)


@pytest.mark.parametrize("case", CASES)
def test_odd_input_is_400_naming_the_field_and_changes_nothing(world, case):
    _check(world, case)


@pytest.mark.postgres
def test_odd_input_on_postgresql(world):
    """The same cases where a lone surrogate and an out-of-range integer reach a real
    PostgreSQL (its text type refuses surrogates; its integers are 4 or 8 bytes)."""
    assert connection.vendor == "postgresql"
    for case in CASES:
        _check(world, case)
