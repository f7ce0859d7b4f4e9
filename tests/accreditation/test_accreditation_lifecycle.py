"""The accreditation record's own lifecycle: decision body suspends, reinstates, revokes,
confirms conditions; the system expires; each change logged, refusals change nothing."""

import datetime

import pytest

from accreditation.models import AccreditationTransition, Condition
from accreditation.services import accreditation_transition
from accreditation.signals import accreditation_changed
from core.errors import InvalidTransition, NotAllowed
from tests.factories import UserFactory

from .conftest import token_client
from .helpers import decided

pytestmark = pytest.mark.django_db


def act(client, accreditation, name, **data):
    return client.post(
        f"/api/v1/accreditations/{accreditation.pk}/transitions/{name}/", data, format="json"
    )


def snapshot(accreditation):
    accreditation.refresh_from_db()
    return (
        accreditation.status,
        accreditation.outcome,
        AccreditationTransition.objects.filter(accreditation=accreditation).count(),
        list(accreditation.conditions.values_list("status", flat=True)),
    )


@pytest.fixture
def accreditation(course_application, decider):
    return decided(course_application, decider)


def test_suspend_needs_a_comment_then_reinstate(accreditation, decider):
    client = token_client(decider)
    before = snapshot(accreditation)
    response = act(client, accreditation, "suspend")
    assert response.status_code == 400
    assert response.json()["unmet"][0]["code"] == "missing_field:comment"
    assert snapshot(accreditation) == before
    response = act(client, accreditation, "suspend", comment="Complaint under investigation")
    assert response.status_code == 400
    assert [u["code"] for u in response.json()["unmet"]] == ["missing_field:reason"]
    response = act(
        client, accreditation, "suspend", comment="Complaint under investigation", reason="fraudy"
    )
    assert [u["code"] for u in response.json()["unmet"]] == ["invalid_field:reason"]
    assert snapshot(accreditation) == before
    response = act(
        client,
        accreditation,
        "suspend",
        comment="Complaint under investigation",
        reason="complaint",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "suspended"
    assert body["available_transitions"] == ["reinstate", "revoke"]
    assert [h["transition"] for h in body["history"]] == ["create", "suspend"]
    assert body["history"][1]["actor"] == decider.username
    assert act(client, accreditation, "reinstate").json()["status"] == "active"


def test_wrong_role_403_wrong_state_409_change_nothing(accreditation, decider, coordinator):
    before = snapshot(accreditation)
    assert act(token_client(coordinator), accreditation, "suspend", comment="x").status_code == 403
    assert act(token_client(decider), accreditation, "reinstate").status_code == 409
    assert act(token_client(decider), accreditation, "expire").status_code == 403
    assert act(token_client(decider), accreditation, "explode").status_code == 404
    assert snapshot(accreditation) == before


def test_provider_sees_own_accreditation_but_cannot_act(accreditation, provider_user, stranger):
    client = token_client(provider_user)
    assert client.get(f"/api/v1/accreditations/{accreditation.pk}/").status_code == 200
    assert act(client, accreditation, "revoke", comment="x").status_code == 403
    other = token_client(stranger)
    assert other.get(f"/api/v1/accreditations/{accreditation.pk}/").status_code == 404
    assert act(other, accreditation, "revoke", comment="x").status_code == 404
    assert other.get("/api/v1/accreditations/").json()["count"] == 0


def test_revoked_is_final(accreditation, decider):
    client = token_client(decider)
    revoked = act(client, accreditation, "revoke", comment="Diplomas sold", reason="fraud")
    assert revoked.json()["status"] == "revoked"
    assert act(client, accreditation, "reinstate").status_code == 409
    assert act(client, accreditation, "suspend", comment="x").status_code == 409


def test_confirm_conditions_met_marks_open_and_overdue_conditions(
    course_application, decider, django_capture_on_commit_callbacks
):
    future = datetime.date.today() + datetime.timedelta(days=90)
    accreditation = decided(
        course_application,
        decider,
        state="conditionally_accredited",
        conditions=[("Publish the grading grid", future), ("Add a student rep", future)],
    )
    Condition.objects.filter(text="Add a student rep").update(status="overdue")
    seen = []

    def receiver(sender, **kwargs):
        seen.append((kwargs["accreditation_id"], kwargs["transition"]))

    accreditation_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = act(token_client(decider), accreditation, "confirm_conditions_met")
    finally:
        accreditation_changed.disconnect(receiver)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["outcome"] == "positive" and body["status"] == "active"
    assert {c["status"] for c in body["conditions"]} == {"met"}
    assert all(c["met_at"] for c in body["conditions"])
    assert seen == [(accreditation.pk, "confirm_conditions_met")]
    again = act(token_client(decider), accreditation, "confirm_conditions_met")
    assert again.status_code == 400
    assert again.json()["unmet"][0]["code"] == "no_open_conditions"


def test_only_the_system_expires(accreditation, decider):
    with pytest.raises(NotAllowed):
        accreditation_transition(accreditation=accreditation, name="expire", actor=decider)
    accreditation_transition(accreditation=accreditation, name="expire", actor=None)
    accreditation.refresh_from_db()
    assert accreditation.status == "expired"
    log = accreditation.transitions.order_by("-id").first()
    assert (log.transition, log.actor_name) == ("expire", "system")
    with pytest.raises(InvalidTransition):
        accreditation_transition(accreditation=accreditation, name="expire", actor=None)


def test_superuser_is_not_needed_for_reading_history(accreditation):
    auditor = UserFactory(roles=["coordinator"])
    body = token_client(auditor).get(f"/api/v1/accreditations/{accreditation.pk}/").json()
    assert body["history"][0]["transition"] == "create"
    assert body["available_transitions"] == []
