"""Audit: who did what and when, for every state change and every permission grant;
staff can query it in the admin; nobody can change or delete it from the application.
"""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.urls import reverse

from accreditation.models import (
    AccreditationTransition,
    ApplicationObjectPermission,
    ApplicationTransition,
)
from accreditation.services import application_transition
from core.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOG_MODELS = (
    ("accreditation", "applicationtransition"),
    ("accreditation", "accreditationtransition"),
    ("core", "auditevent"),
)


def test_each_transition_writes_one_row_with_actor_states_and_comment(world):
    world.prepare("submitted")
    coordinator = world.user("coordinator")
    application_transition(application=world.application, name="start_screening", actor=coordinator)
    application_transition(
        application=world.application,
        name="return_for_completion",
        actor=coordinator,
        data={"comment": "Add the sample credential."},
    )
    rows = list(
        ApplicationTransition.objects.values_list(
            "transition", "from_state", "to_state", "actor__username", "comment"
        )
    )
    assert rows == [
        ("start_screening", "submitted", "screening", "coordinator", ""),
        (
            "return_for_completion",
            "screening",
            "returned",
            "coordinator",
            "Add the sample credential.",
        ),
    ]
    assert all(r.at is not None for r in ApplicationTransition.objects.all())


def test_system_transitions_are_logged_as_the_system(world):
    world.prepare("factual_check")
    application_transition(
        application=world.application, name="confirm_factual_accuracy", actor=None
    )
    row = ApplicationTransition.objects.get()
    assert row.actor is None and row.actor_name == "system"


def test_accreditation_changes_are_logged(world):
    from accreditation.services import accreditation_transition

    world.prepare("accredited")
    accreditation_transition(
        accreditation=world.accreditation,
        name="suspend",
        actor=world.user("decision_body"),
        data={"comment": "Complaint under investigation.", "reason": "complaint"},
    )
    row = AccreditationTransition.objects.filter(transition="suspend").get()
    assert (row.from_state, row.to_state, row.actor) == (
        "active",
        "suspended",
        world.user("decision_body"),
    )


def test_seat_acceptance_grants_visibility_and_audits_the_grant(world):
    """The one permission grant of the workflow (a reviewer sees a case once they
    accepted its seat) is recorded with who, what and for which seat; so is its removal."""
    from reviews.services import assignment_accept, assignment_decline, panel_member_assign

    world.prepare("screening")
    newcomer = UserFactory(username="newcomer", roles=["reviewer"])
    seat = panel_member_assign(
        application=world.application,
        reviewer=newcomer,
        role="member",
        actor=world.user("coordinator"),
    )
    assert not newcomer.has_perm("accreditation.review_application", world.application)
    assignment_accept(assignment=seat, actor=newcomer, no_conflict=True)
    granted = AuditEvent.objects.get(action="review.permission_granted")
    assert granted.actor == newcomer
    assert (granted.object_type, granted.object_id) == (
        "accreditation.application",
        str(world.application.pk),
    )
    assert granted.data["reviewer"] == "newcomer"
    assert ApplicationObjectPermission.objects.filter(
        user=newcomer, content_object=world.application
    ).exists()

    assignment_decline(assignment=seat, actor=newcomer, reason="Moved abroad.")
    revoked = AuditEvent.objects.get(action="review.permission_revoked")
    assert revoked.data["assignment"] == seat.pk
    assert not ApplicationObjectPermission.objects.filter(
        user=newcomer, content_object=world.application
    ).exists()


def test_every_object_permission_row_has_an_audited_grant(world):
    """No object permission exists without the audit event that granted it (the world's
    seats were written directly, so the check runs on rows granted by the service)."""
    from reviews.services import assignment_accept, panel_member_assign

    ApplicationObjectPermission.objects.all().delete()
    world.prepare("screening")
    for name in ("r1", "r2"):
        reviewer = UserFactory(username=name, roles=["reviewer"])
        seat = panel_member_assign(
            application=world.application,
            reviewer=reviewer,
            role="member",
            actor=world.user("coordinator"),
        )
        assignment_accept(assignment=seat, actor=reviewer, no_conflict=True)
    granted = {
        (e.data["reviewer"], e.object_id)
        for e in AuditEvent.objects.filter(action="review.permission_granted")
    }
    rows = {
        (p.user.username, str(p.content_object_id))
        for p in ApplicationObjectPermission.objects.select_related("user")
    }
    assert rows and rows <= granted


def test_log_rows_refuse_changes_and_deletion_through_the_models(world):
    world.prepare("submitted")
    application_transition(
        application=world.application, name="start_screening", actor=world.user("coordinator")
    )
    row = ApplicationTransition.objects.get()
    row.comment = "rewritten history"
    with pytest.raises(ValidationError):
        row.save()
    with pytest.raises(ValidationError):
        row.delete()
    event = AuditEvent.objects.create(action="test.event")
    event.action = "other"
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()
    assert ApplicationTransition.objects.get().comment == ""


# --------------------------------------------------------------------------- admin


def _logs(world):
    """One row in each log: a decision's accreditation, an application transition, an event."""
    world.prepare("accredited")
    ApplicationTransition.objects.create(
        application=world.application,
        transition="accredit",
        from_state="decision_pending",
        to_state="accredited",
        actor=world.user("decision_body"),
        comment="coordinator agreed",
    )
    AuditEvent.objects.create(action="test.event", actor=world.user("coordinator"))


@pytest.fixture
def admin_client_logged_in(client, world):
    _logs(world)
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    return client


def _first_pk(app_label, model):
    from django.apps import apps

    return apps.get_model(app_label, model).objects.order_by("pk").values_list("pk", flat=True)[0]


@pytest.mark.parametrize(("app_label", "model"), LOG_MODELS)
def test_staff_can_query_the_logs_in_the_admin(admin_client_logged_in, app_label, model):
    client = admin_client_logged_in
    changelist = client.get(reverse(f"admin:{app_label}_{model}_changelist"))
    assert changelist.status_code == 200
    detail = client.get(
        reverse(f"admin:{app_label}_{model}_change", args=[_first_pk(app_label, model)])
    )
    assert detail.status_code == 200
    search = client.get(reverse(f"admin:{app_label}_{model}_changelist"), {"q": "coordinator"})
    assert search.status_code == 200


@pytest.mark.parametrize(("app_label", "model"), LOG_MODELS)
def test_even_a_superuser_cannot_add_change_or_delete_log_rows(
    admin_client_logged_in, app_label, model
):
    from django.apps import apps

    client = admin_client_logged_in
    Model = apps.get_model(app_label, model)
    before = list(Model.objects.order_by("pk").values())
    pk = _first_pk(app_label, model)

    assert client.get(reverse(f"admin:{app_label}_{model}_add")).status_code == 403
    assert client.post(reverse(f"admin:{app_label}_{model}_add"), {}).status_code == 403
    change = client.post(
        reverse(f"admin:{app_label}_{model}_change", args=[pk]),
        {"comment": "rewritten", "action": "tampered", "transition": "accredit"},
    )
    assert change.status_code == 403
    delete = client.post(reverse(f"admin:{app_label}_{model}_delete", args=[pk]), {"post": "yes"})
    assert delete.status_code == 403
    bulk = client.post(
        reverse(f"admin:{app_label}_{model}_changelist"),
        {"action": "delete_selected", "_selected_action": [pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 302, 403)
    assert list(Model.objects.order_by("pk").values()) == before


@pytest.mark.parametrize(("app_label", "model"), LOG_MODELS)
def test_staff_with_view_permission_read_the_logs_but_nothing_more(client, world, app_label, model):
    _logs(world)
    auditor = UserFactory(username="auditor", is_staff=True)
    auditor.user_permissions.add(
        *Permission.objects.filter(content_type__app_label=app_label, content_type__model=model)
    )
    client.force_login(auditor)
    assert client.get(reverse(f"admin:{app_label}_{model}_changelist")).status_code == 200
    pk = _first_pk(app_label, model)
    assert (
        client.post(reverse(f"admin:{app_label}_{model}_delete", args=[pk]), {"post": "yes"})
    ).status_code == 403


def test_application_history_survives_in_the_admin(admin_client_logged_in, world):
    """The application admin may not delete an application (its log would go with it)."""
    from accreditation.models import Application

    client = admin_client_logged_in
    url = reverse("admin:accreditation_application_delete", args=[world.application.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert Application.objects.filter(pk=world.application.pk).exists()
    assert ApplicationTransition.objects.filter(application=world.application).exists()
