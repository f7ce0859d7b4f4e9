"""Follow-up per condition (DESIGN section 9): the provider answers each condition with text
and PDFs, the decision body assesses each one, and the last condition met makes the
decision positive through `confirm_conditions_met` (a new published report version)."""

import datetime

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from accreditation.models import (
    AccreditationTransition,
    Condition,
    ConditionAssessment,
    ConditionResponse,
    Document,
)
from core.models import AuditEvent
from demo.scenario import ready_report
from reviews.models import Report
from tests.factories import MembershipFactory, UserFactory, pdf_bytes

from .conftest import token_client
from .helpers import decided

pytestmark = pytest.mark.django_db

DUE = datetime.date.today() + datetime.timedelta(days=120)


@pytest.fixture
def accreditation(course_application, decider):
    accreditation = decided(
        course_application,
        decider,
        state="conditionally_accredited",
        conditions=[("Publish the grading grid", DUE), ("Add a student representative", DUE)],
    )
    ready_report(course_application, Report.Stage.FINAL)
    ready_report(course_application, Report.Stage.PUBLISHED)
    return accreditation


def first(accreditation):
    return accreditation.conditions.order_by("id")[0]


def second(accreditation):
    return accreditation.conditions.order_by("id")[1]


def respond(client, condition, **data):
    return client.post(f"/api/v1/conditions/{condition.pk}/responses/", data, format="multipart")


def assess(client, condition, **data):
    return client.post(f"/api/v1/conditions/{condition.pk}/assess/", data, format="json")


def world(accreditation):
    """Everything a refused call must leave as it was."""
    accreditation.refresh_from_db()
    return (
        accreditation.outcome,
        list(accreditation.conditions.order_by("id").values_list("status", flat=True)),
        ConditionResponse.objects.count(),
        ConditionAssessment.objects.count(),
        Document.objects.count(),
        AccreditationTransition.objects.count(),
    )


def test_provider_answers_with_text_and_a_pdf(accreditation, provider_user, decider):
    condition = first(accreditation)
    pdf = SimpleUploadedFile("grid.pdf", pdf_bytes(), content_type="application/pdf")
    response = respond(
        token_client(provider_user), condition, text="The grid is on our website.", files=pdf
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "open"
    assert body["available_actions"] == ["respond"]
    [answer] = body["responses"]
    assert answer["text"] == "The grid is on our website."
    assert answer["submitted_by"] == provider_user.username
    [document] = answer["documents"]
    stored = Document.objects.get(pk=document["id"])
    assert (stored.kind, stored.application_id) == ("response", accreditation.application_id)
    assert len(document["sha256"]) == 64 and document["name"] == "grid.pdf"
    assert AuditEvent.objects.filter(action="condition.respond").count() == 1
    seen = token_client(decider).get(f"/api/v1/conditions/{condition.pk}/").json()
    assert seen["available_actions"] == ["assess"]
    assert [r["id"] for r in seen["responses"]] == [answer["id"]]


def test_answer_needs_text_and_a_real_pdf(accreditation, provider_user):
    condition = first(accreditation)
    client = token_client(provider_user)
    before = world(accreditation)
    response = respond(client, condition, text="   ")
    assert response.status_code == 400
    assert "text" in response.json()
    fake = SimpleUploadedFile("x.pdf", b"not a pdf at all", content_type="application/pdf")
    assert respond(client, condition, text="Done.", files=fake).status_code == 415
    assert world(accreditation) == before


def test_only_the_provider_answers_and_strangers_see_nothing(
    accreditation, decider, coordinator, reviewer_on_panel
):
    condition = first(accreditation)
    before = world(accreditation)
    assert respond(token_client(decider), condition, text="x").status_code == 403
    assert respond(token_client(coordinator), condition, text="x").status_code == 403
    stranger = MembershipFactory().user
    for outsider in (stranger, reviewer_on_panel):
        client = token_client(outsider)
        assert client.get(f"/api/v1/conditions/{condition.pk}/").status_code == 404
        assert respond(client, condition, text="x").status_code == 404
        assert assess(client, condition, met=True).status_code == 404
    assert world(accreditation) == before


def test_assessing_needs_the_decision_body_and_valid_fields(
    accreditation, provider_user, coordinator, decider
):
    condition = first(accreditation)
    before = world(accreditation)
    assert assess(token_client(provider_user), condition, met=True).status_code == 403
    assert assess(token_client(coordinator), condition, met=True).status_code == 403
    client = token_client(decider)
    response = assess(client, condition, met="yes")
    assert response.status_code == 400 and "met" in response.json()
    response = assess(client, condition, met=False)
    assert response.status_code == 400 and "comment" in response.json()
    response = assess(client, condition, met=True, verdict="fine")
    assert response.status_code == 400 and "verdict" in response.json()
    response = assess(client, condition, met=True, comment=7)
    assert response.status_code == 400 and "comment" in response.json()
    assert world(accreditation) == before


def test_not_met_keeps_the_condition_open_and_asks_the_provider_again(
    accreditation, provider_user, decider, django_capture_on_commit_callbacks
):
    condition = first(accreditation)
    provider_user.email = "provider@example.org"
    provider_user.save()
    provider = token_client(provider_user)
    assert respond(provider, condition, text="A draft grid.").status_code == 201
    with django_capture_on_commit_callbacks(execute=True):
        response = assess(
            token_client(decider), condition, met=False, comment="The grid lacks weights."
        )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "open" and body["outcome"] == "positive_with_conditions"
    [assessment] = body["assessments"]
    assert assessment["met"] is False and assessment["comment"] == "The grid lacks weights."
    assert assessment["response"] == body["responses"][0]["id"]
    assert any("not met yet" in m.subject and "lacks weights" in m.body for m in mail.outbox)
    assert respond(provider, condition, text="The grid, with weights.").status_code == 201
    again = provider.get(f"/api/v1/conditions/{condition.pk}/").json()
    assert [r["text"] for r in again["responses"]] == ["A draft grid.", "The grid, with weights."]
    assert AuditEvent.objects.filter(action="condition.assess").count() == 1


def test_all_met_makes_the_decision_positive_and_publishes_a_new_report_version(
    accreditation, provider_user, decider, django_capture_on_commit_callbacks
):
    client = token_client(decider)
    with django_capture_on_commit_callbacks(execute=True):
        response = assess(client, first(accreditation), met=True, comment="Grid published.")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "met"
    assert response.json()["outcome"] == "positive_with_conditions"
    assert not AccreditationTransition.objects.filter(
        accreditation=accreditation, transition="confirm_conditions_met"
    ).exists()
    assert assess(client, first(accreditation), met=True).status_code == 409

    with django_capture_on_commit_callbacks(execute=True):
        response = assess(client, second(accreditation), met=True)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["outcome"]) == ("met", "positive")
    accreditation.refresh_from_db()
    assert accreditation.outcome == "positive" and accreditation.status == "active"
    log = AccreditationTransition.objects.get(
        accreditation=accreditation, transition="confirm_conditions_met"
    )
    assert log.actor == decider
    assert log.payload["conditions_met"] == [second(accreditation).pk]
    published = Report.objects.filter(
        application=accreditation.application, stage=Report.Stage.PUBLISHED
    )
    assert sorted(published.values_list("version", flat=True)) == [1, 2]
    assert set(accreditation.conditions.values_list("status", flat=True)) == {"met"}
    seen = token_client(provider_user).get(f"/api/v1/accreditations/{accreditation.pk}/").json()
    assert seen["outcome"] == "positive"
    assert [h["transition"] for h in seen["history"]] == ["create", "confirm_conditions_met"]


def test_settled_or_closed_conditions_are_409(accreditation, provider_user, decider):
    condition = first(accreditation)
    Condition.objects.filter(pk=condition.pk).update(status="met")
    before = world(accreditation)
    assert respond(token_client(provider_user), condition, text="x").status_code == 409
    assert assess(token_client(decider), condition, met=True).status_code == 409
    other = second(accreditation)
    accreditation.__class__.objects.filter(pk=accreditation.pk).update(status="revoked")
    before = world(accreditation)
    assert respond(token_client(provider_user), other, text="x").status_code == 409
    assert assess(token_client(decider), other, met=True).status_code == 409
    assert world(accreditation) == before


def test_an_overdue_condition_may_still_be_met(accreditation, decider):
    condition = first(accreditation)
    Condition.objects.filter(pk=condition.pk).update(status="overdue")
    response = assess(token_client(decider), condition, met=True)
    assert response.status_code == 200
    assert response.json()["status"] == "met"


def test_condition_detail_is_a_constant_number_of_queries(
    accreditation, provider_user, decider, django_assert_max_num_queries
):
    condition = first(accreditation)
    client = token_client(provider_user)
    for n in range(4):
        pdf = SimpleUploadedFile(f"{n}.pdf", pdf_bytes(), content_type="application/pdf")
        assert respond(client, condition, text=f"Answer {n}", files=pdf).status_code == 201
        ConditionAssessment.objects.create(
            condition=condition, met=False, comment=f"Not yet {n}", assessed_by=decider
        )
    with django_assert_max_num_queries(14):
        response = client.get(f"/api/v1/conditions/{condition.pk}/")
    assert len(response.json()["responses"]) == 4


@pytest.fixture
def reviewer_on_panel(course_application):
    from guardian.shortcuts import assign_perm

    reviewer = UserFactory(username="panel-x", roles=["reviewer"])
    assign_perm("accreditation.review_application", reviewer, course_application)
    return reviewer


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_last_conditions_assessed_at_once_upgrade_the_decision_exactly_once():
    """Two members assess the last two open conditions at the same moment: the
    accreditation's row lock makes the second see the first one met, so exactly one of
    them fires `confirm_conditions_met` and neither leaves the decision conditional."""
    import threading

    from django.db import connection, connections

    from accreditation.services import condition_assess
    from tests.factories import ApplicationFactory

    assert connection.vendor == "postgresql", "this test needs DATABASE_URL pointing at PostgreSQL"
    members = [UserFactory(roles=["decision_body"]) for _ in range(2)]
    owner = MembershipFactory().user
    provider = owner.providers.get()
    application = ApplicationFactory(provider=provider, course__provider=provider)
    accreditation = decided(
        application,
        members[0],
        state="conditionally_accredited",
        conditions=[("First", DUE), ("Second", DUE)],
    )
    conditions = list(accreditation.conditions.order_by("id"))
    barrier = threading.Barrier(2)
    outcomes = []

    def run(actor, condition):
        try:
            barrier.wait(timeout=10)
            condition_assess(condition=condition, actor=actor, met=True)
            outcomes.append("ok")
        except Exception as exc:  # noqa: BLE001  (reported by the assertion below)
            outcomes.append(repr(exc))
        finally:
            connections.close_all()

    pairs = zip(members, conditions, strict=True)
    threads = [threading.Thread(target=run, args=pair) for pair in pairs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert outcomes == ["ok", "ok"], outcomes
    accreditation.refresh_from_db()
    assert accreditation.outcome == "positive"
    assert set(accreditation.conditions.values_list("status", flat=True)) == {"met"}
    assert (
        AccreditationTransition.objects.filter(
            accreditation=accreditation, transition="confirm_conditions_met"
        ).count()
        == 1
    )
