"""The issue's scenario over HTTP, continued from a submitted dossier as a new user would
run it: the coordinator composes the panel (a reviewer affiliated with the provider is
refused), reviewers judge every standard, an outsider gets 404, the chair consolidates and
sends the draft report, the provider confirms, the decider accredits with a condition;
another case is rejected, appealed, refused to the decider and decided by `appeals`.
Every step shows in the history."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accreditation.models import Accreditation, Application, Condition
from demo.scenario import ready_report
from reviews.models import Affiliation
from tests.conftest import client_for
from tests.factories import CourseFactory, MembershipFactory, UserFactory, complete_dossier
from tests.reviews.helpers import make_reviewer

pytestmark = pytest.mark.django_db

JUDGEMENTS = ["compliant", "substantially_compliant", "partially_compliant", "compliant"]


def fire(client, app_id, name, **data):
    return client.post(f"/api/v1/applications/{app_id}/transitions/{name}/", data, format="json")


def ok(response, status=200):
    assert response.status_code == status, response.content
    return response.json()


def history(client, app_id):
    return [
        (row["transition"], row["from_state"], row["to_state"], row["actor"])
        for row in ok(client.get(f"/api/v1/applications/{app_id}/history/"))
    ]


@pytest.fixture
def people(db):
    provider_a = MembershipFactory(
        user__username="provider-a", provider__legal_name="Provider A University"
    ).user
    provider_b = MembershipFactory(
        user__username="provider-b", provider__legal_name="Provider B Academy"
    ).user
    reviewer3 = make_reviewer("reviewer3")
    Affiliation.objects.create(
        reviewer=reviewer3,
        provider=provider_a.providers.get(),
        description="senior lecturer",
        end_date=timezone.now().date() - timedelta(days=400),
    )
    return {
        "coordinator": UserFactory(username="coordinator", roles=["coordinator"]),
        "reviewer1": make_reviewer("reviewer1"),
        "reviewer2": make_reviewer("reviewer2"),
        "reviewer3": reviewer3,
        "student1": make_reviewer("student1"),
        "decider": UserFactory(username="decider", roles=["decision_body", "appeals_committee"]),
        "appeals": UserFactory(username="appeals", roles=["appeals_committee"]),
        "provider-a": provider_a,
        "provider-b": provider_b,
    }


def submitted_case(provider_user):
    """A course application submitted by the provider over HTTP (the dossier itself is the
    workflow tests' subject; it is filled directly here)."""
    client = client_for(provider_user)
    provider = provider_user.providers.get()
    course = CourseFactory(provider=provider)
    app = ok(
        client.post(
            "/api/v1/applications/",
            {"kind": "course", "provider": provider.pk, "course": course.pk},
            format="json",
        ),
        201,
    )
    complete_dossier(Application.objects.get(pk=app["id"]), provider_user)
    ok(fire(client, app["id"], "submit"))
    return app["id"], [s["code"] for s in app["standards"]]


def compose_and_review(people, app_id, standards, seats):
    """From screening: a panel of `seats` [(username, role)], acceptance, review, judgements and
    findings, the draft report; returns the application in factual_check."""
    coord = client_for(people["coordinator"])
    # start_review is refused while the panel is incomplete, naming each unmet item.
    refused = fire(coord, app_id, "start_review")
    assert refused.status_code == 400
    assert {u["code"] for u in refused.json()["unmet"]} == {
        "panel_too_small",
        "panel_missing_chair",
        "panel_missing_student",
    }
    assignments = {}
    for username, role in seats:
        seat = ok(
            coord.post(
                f"/api/v1/applications/{app_id}/panel/",
                {"reviewer": username, "role": role},
                format="json",
            ),
            201,
        )
        assert (seat["reviewer"], seat["role"], seat["state"]) == (username, role, "invited")
        assignments[username] = seat["id"]
    for username, seat_id in assignments.items():
        client = client_for(people[username])
        mine = ok(client.get("/api/v1/assignments/"))["results"]
        assert any(a["id"] == seat_id and a["application"] == app_id for a in mine)
        assert client.get(f"/api/v1/applications/{app_id}/").status_code == 404
        accepted = ok(
            client.post(
                f"/api/v1/assignments/{seat_id}/accept/", {"no_conflict": True}, format="json"
            )
        )
        assert accepted["state"] == "accepted"
    ok(fire(coord, app_id, "start_review"))

    for index, (username, _) in enumerate(seats):
        client = client_for(people[username])
        for number, code in enumerate(standards):
            ok(
                client.put(
                    f"/api/v1/assignments/{assignments[username]}/judgements/{code}/",
                    {
                        "judgement": JUDGEMENTS[(index + number) % len(JUDGEMENTS)],
                        "rationale": f"{username}'s reading of {code}.",
                    },
                    format="json",
                ),
                201,
            )
    chair_name = next(name for name, role in seats if role == "chair")
    chair = client_for(people[chair_name])
    summary = ok(chair.get(f"/api/v1/applications/{app_id}/panel/summary/"))
    assert all(row["missing"] == [] for row in summary["standards"])
    assert {j["reviewer"] for j in summary["standards"][0]["judgements"]} == {
        name for name, _ in seats
    }
    refused = fire(chair, app_id, "submit_draft_report")
    assert refused.status_code == 400
    assert {u["code"] for u in refused.json()["unmet"]} == {
        *(f"missing_finding:{code}" for code in standards),
        "missing_report:draft",
    }
    for code in standards:
        ok(
            chair.put(
                f"/api/v1/applications/{app_id}/findings/{code}/",
                {
                    "judgement": "substantially_compliant",
                    "rationale": f"The panel's view of {code}.",
                    "recommendations": f"Strengthen {code}.",
                },
                format="json",
            ),
            201,
        )
    assert len(ok(chair.get(f"/api/v1/applications/{app_id}/findings/"))) == len(standards)
    ready_report(Application.objects.get(pk=app_id), "draft")
    detail = ok(fire(chair, app_id, "submit_draft_report"))
    assert detail["state"] == "factual_check"
    assert {s["state"] for s in detail["panel"]} == {"completed"}
    return detail


def test_review_decision_and_appeal_over_http(people):
    coord = client_for(people["coordinator"])
    decider = client_for(people["decider"])

    # ---- provider-a's case
    app_a, standards = submitted_case(people["provider-a"])
    assert len(standards) == 10

    # reviewer3 used to work for provider-a: refused with the reason, nothing created.
    ok(fire(coord, app_a, "start_screening"))
    refused = coord.post(
        f"/api/v1/applications/{app_a}/panel/",
        {"reviewer": "reviewer3", "role": "member"},
        format="json",
    )
    assert refused.status_code == 400
    [item] = refused.json()["unmet"]
    assert item["code"] == "conflict_of_interest"
    assert "Provider A University" in item["message"] and "senior lecturer" in item["message"]
    assert ok(coord.get(f"/api/v1/applications/{app_a}/panel/")) == []

    detail = compose_and_review(
        people,
        app_a,
        standards,
        [("reviewer1", "chair"), ("reviewer2", "member"), ("student1", "student")],
    )
    assert detail["state"] == "factual_check"

    # reviewer3 is not on the panel: the application and its documents do not exist for them.
    outsider = client_for(people["reviewer3"])
    assert outsider.get(f"/api/v1/applications/{app_a}/").status_code == 404
    document = detail["documents"][0]["id"]
    assert outsider.get(f"/api/v1/documents/{document}/download/").status_code == 404
    assert outsider.get(f"/api/v1/applications/{app_a}/findings/").status_code == 404
    # The panel sees the dossier's documents.
    panel_client = client_for(people["reviewer2"])
    assert panel_client.get(f"/api/v1/documents/{document}/download/").status_code == 200

    # The provider reads the findings with the draft report and confirms factual accuracy.
    prov_a = client_for(people["provider-a"])
    assert len(ok(prov_a.get(f"/api/v1/applications/{app_a}/findings/"))) == 10
    assert ok(fire(prov_a, app_a, "confirm_factual_accuracy"))["state"] == "decision_pending"

    # The decision needs a ready final report, then the decider accredits with a condition.
    due = (timezone.now().date() + timedelta(days=180)).isoformat()
    conditions = [{"text": "Publish the assessment rubric.", "due_date": due}]
    refused = fire(decider, app_a, "accredit_with_conditions", conditions=conditions)
    assert refused.status_code == 400
    assert [u["code"] for u in refused.json()["unmet"]] == ["missing_report:final"]
    ready_report(Application.objects.get(pk=app_a), "final")
    decided = ok(fire(decider, app_a, "accredit_with_conditions", conditions=conditions))
    assert decided["state"] == "conditionally_accredited"
    accreditation = Accreditation.objects.get(application_id=app_a)
    assert accreditation.outcome == "positive_with_conditions"
    assert Condition.objects.get(accreditation=accreditation).text == conditions[0]["text"]

    assert history(coord, app_a) == [
        ("submit", "draft", "submitted", "provider-a"),
        ("start_screening", "submitted", "screening", "coordinator"),
        ("start_review", "screening", "in_review", "coordinator"),
        ("submit_draft_report", "in_review", "factual_check", "reviewer1"),
        ("confirm_factual_accuracy", "factual_check", "decision_pending", "provider-a"),
        ("accredit_with_conditions", "decision_pending", "conditionally_accredited", "decider"),
    ]

    # ---- provider-b's case: reviewer3 has no tie with provider-b and may chair it.
    app_b, standards_b = submitted_case(people["provider-b"])
    ok(fire(coord, app_b, "start_screening"))
    compose_and_review(
        people,
        app_b,
        standards_b,
        [("reviewer3", "chair"), ("reviewer2", "member"), ("student1", "student")],
    )
    prov_b = client_for(people["provider-b"])
    ok(fire(prov_b, app_b, "confirm_factual_accuracy"))
    ready_report(Application.objects.get(pk=app_b), "final")
    refused = fire(decider, app_b, "reject")
    assert refused.status_code == 400
    assert [u["code"] for u in refused.json()["unmet"]] == ["missing_field:rationale"]
    rejected = ok(fire(decider, app_b, "reject", rationale="Assessment is not valid."))
    assert rejected["state"] == "rejected"
    appealed = ok(fire(prov_b, app_b, "appeal", grounds="The panel ignored our rubric."))
    assert appealed["state"] == "appealed"

    # The decider sits on the appeals committee too, but took the decision: refused.
    refused = fire(decider, app_b, "dismiss_appeal", comment="No merit.")
    assert refused.status_code == 403
    assert Application.objects.get(pk=app_b).state == "appealed"
    appeals = client_for(people["appeals"])
    dismissed = ok(fire(appeals, app_b, "dismiss_appeal", comment="The decision stands."))
    assert dismissed["state"] == "rejected"

    assert history(appeals, app_b) == [
        ("submit", "draft", "submitted", "provider-b"),
        ("start_screening", "submitted", "screening", "coordinator"),
        ("start_review", "screening", "in_review", "coordinator"),
        ("submit_draft_report", "in_review", "factual_check", "reviewer3"),
        ("confirm_factual_accuracy", "factual_check", "decision_pending", "provider-b"),
        ("reject", "decision_pending", "rejected", "decider"),
        ("appeal", "rejected", "appealed", "provider-b"),
        ("dismiss_appeal", "appealed", "rejected", "appeals"),
    ]
