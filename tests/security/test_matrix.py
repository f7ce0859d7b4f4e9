"""The permission matrix, one test per endpoint × role, generated from tests/security/matrix.py.

Each test asserts the exact status code. A refusal (4xx) must also leave every row the
world holds exactly as it was; a successful transition must have written one log row.
"""

import json

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from guardian.shortcuts import assign_perm

from accreditation.models import (
    Application,
    ApplicationTransition,
    Clarification,
    Complaint,
    Course,
    ProviderIdentifier,
    ProviderMembership,
)
from reviews.models import Finding, ReviewerJudgement
from tests.factories import pdf_bytes
from tests.security import matrix

pytestmark = pytest.mark.django_db


def placeholders(world):
    app = world.application
    return {
        "app": app.pk,
        "other_app": world.other_application.pk,
        "doc": world.document.pk,
        "provider": app.provider_id,
        "other_provider": world.other_application.provider_id,
        "course": app.course_id,
        "course2": app.provider.courses.exclude(pk=app.course_id).get().pk,
        "other_course": world.other_application.course_id,
        "assignment": world.assignment.pk,
        "chair_assignment": world.chair_assignment.pk,
        "invited": world.invited_assignment.pk if world.invited_assignment else 0,
        "report": world.report.pk if world.report else 0,
        "accreditation": world.accreditation.pk if world.accreditation else 0,
        "std": app.framework.standards.order_by("order").first().code,
        "condition": _first_condition(world),
        "reviewer_on_user": world.user("reviewer_on").pk,
        "visit": world.site_visit.pk if world.site_visit else 0,
    }


def _first_condition(world):
    if world.accreditation is None:
        return 0
    return world.accreditation.conditions.order_by("id").values_list("pk", flat=True).first() or 0


def fill(value, values):
    """Replace "{name}" placeholders in a body; a whole-string placeholder becomes the id."""
    if isinstance(value, dict):
        return {k: fill(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, values) for v in value]
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return values[value[1:-1]]
    if value == "<pdf>":
        return SimpleUploadedFile("evidence.pdf", pdf_bytes(), content_type="application/pdf")
    return value


def send(client, row, values):
    path = row.path.format(**values)
    method = getattr(client, row.method.lower())
    if row.method == "GET":
        return method(path)
    body = fill(row.body or {}, values)
    if row.page:
        return method(path, body)
    if row.multipart:
        return method(path, body, format="multipart")
    return method(path, json.dumps(body), content_type="application/json")


@pytest.mark.parametrize(
    ("row", "role"),
    matrix.cases(),
    ids=[f"{row.key}-{role}" for row, role in matrix.cases()],
)
def test_matrix(world, row, role):
    world.prepare(row.setup)
    values = placeholders(world)
    before = world.snapshot()
    transitions_before = ApplicationTransition.objects.count()

    client = world.page_client(role) if row.page else world.client(role)
    response = send(client, row, values)

    expected = row.expect[role]
    assert response.status_code == expected, (
        f"{row.method} {row.path} as {role}: expected {expected}, "
        f"got {response.status_code}: {response.content[:300]!r}"
    )
    if expected == 302 and role == "anonymous":
        assert response["Location"].startswith("/accounts/login/")
    if expected == 401:
        assert response.headers.get("WWW-Authenticate", "").startswith("Token")
    if expected >= 400:
        assert world.snapshot() == before, f"a refused {row.key} changed something"
    elif row.key.startswith("transition-"):
        assert ApplicationTransition.objects.count() == transitions_before + 1


def test_permissions_document_is_generated_from_the_matrix():
    """docs/permissions.md is the matrix as tested; regenerate it when the matrix changes."""
    from pathlib import Path

    from django.conf import settings

    document = Path(settings.BASE_DIR) / "docs" / "permissions.md"
    assert document.read_text() == matrix.markdown(), (
        "docs/permissions.md is stale: .venv/bin/python -m tests.security.matrix "
        "> docs/permissions.md"
    )


def _standard(world):
    return world.application.framework.standards.order_by("order").first()


WRITES_BEFORE_A_REFUSAL = {
    "judgement": lambda w: ReviewerJudgement.objects.create(
        assignment=w.assignment, standard=_standard(w), judgement="compliant", rationale="x"
    ),
    "finding": lambda w: Finding.objects.create(
        application=w.application,
        standard=_standard(w),
        judgement="compliant",
        rationale="x",
        recorded_by=w.user("panel_chair"),
    ),
    "complaint": lambda w: Complaint.objects.create(
        application=w.application, lodged_by=w.user("provider_other"), text="x"
    ),
    "clarification": lambda w: Clarification.objects.create(
        application=w.application, question="x", asked_by=w.user("coordinator")
    ),
    "another course of the provider": lambda w: (
        Course.objects.filter(provider=w.application.provider)
        .exclude(pk=w.application.course_id)
        .update(title="Renamed behind the refusal")
    ),
    "a competitor's course": lambda w: Course.objects.filter(
        pk=w.other_application.course_id
    ).update(title="Renamed behind the refusal"),
    "a competitor's application": lambda w: Application.objects.filter(
        pk=w.other_application.pk
    ).update(state="withdrawn"),
    "membership": lambda w: ProviderMembership.objects.create(
        user=w.user("coordinator"), provider=w.application.provider, role="admin"
    ),
    "identifier": lambda w: ProviderIdentifier.objects.filter(
        provider=w.other_application.provider
    ).update(value="c.example.org"),
    "role": lambda w: w.user("reviewer_off").groups.add(Group.objects.get_or_create(name="x")[0]),
    "object permission": lambda w: assign_perm(
        "accreditation.review_application", w.user("reviewer_off"), w.application
    ),
}


@pytest.mark.parametrize("write", WRITES_BEFORE_A_REFUSAL, ids=list(WRITES_BEFORE_A_REFUSAL))
def test_the_nothing_changed_check_sees_every_write_a_refused_request_could_make(world, write):
    """A view that wrote one of these rows and then answered 403 passed the matrix when
    the snapshot held only the case's own application, course and counts of a few
    tables: the snapshot now holds every row of every model."""
    world.prepare("in_review")
    before = world.snapshot()
    WRITES_BEFORE_A_REFUSAL[write](world)
    assert world.snapshot() != before
