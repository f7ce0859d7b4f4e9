"""The back office: every accreditation model is browsable and searchable by staff;
logs and records are read-only; states cannot be edited."""

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from accreditation.models import Application, ApplicationTransition, Course
from accreditation.services import application_transition, complaint_lodge
from core.audit import audit
from core.models import AuditEvent
from tests.factories import IdentifierFactory, ProviderFactory, UserFactory, complete_dossier

from .helpers import decided

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(db):
    user = UserFactory(username="admin", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def populated(course_application, provider_user, coordinator, decider):
    IdentifierFactory(provider=course_application.provider)
    complete_dossier(course_application, provider_user)
    application_transition(application=course_application, name="submit", actor=provider_user)
    complaint_lodge(actor=provider_user, application=course_application, text="Slow.")
    audit("test.event", actor=coordinator, obj=course_application)
    return course_application


def admin_models():
    return [
        model
        for model in admin.site._registry
        if model._meta.app_label in ("accreditation", "core")
    ]


def test_every_accreditation_model_is_registered():
    from django.apps import apps

    registered = set(admin_models())
    wanted = set(apps.get_app_config("accreditation").get_models()) - {
        apps.get_model("accreditation", "ApplicationObjectPermission"),
        apps.get_model("accreditation", "SelfAssessment"),
        apps.get_model("accreditation", "Clarification"),
        apps.get_model("accreditation", "Standard"),
    }
    assert wanted <= registered
    assert AuditEvent in registered


def test_changelists_and_change_pages_render_with_search(staff_client, populated, decider):
    decided(populated, decider, state="accredited")
    for model in admin_models():
        info = f"{model._meta.app_label}_{model._meta.model_name}"
        response = staff_client.get(reverse(f"admin:{info}_changelist"), {"q": "a"})
        assert response.status_code == 200, info
        obj = model.objects.first()
        if obj is not None:
            response = staff_client.get(reverse(f"admin:{info}_change", args=[obj.pk]))
            assert response.status_code == 200, info


def test_application_state_cannot_be_edited_in_admin(staff_client, populated):
    url = reverse("admin:accreditation_application_change", args=[populated.pk])
    page = staff_client.get(url).content.decode()
    assert 'name="state"' not in page
    staff_client.post(url, {"state": "accredited"})
    populated.refresh_from_db()
    assert populated.state == "submitted"


@pytest.mark.parametrize(
    "model", [ApplicationTransition, AuditEvent], ids=["application-log", "audit"]
)
def test_logs_cannot_be_deleted_or_changed(staff_client, populated, model):
    obj = model.objects.first()
    info = f"{model._meta.app_label}_{model._meta.model_name}"
    delete = reverse(f"admin:{info}_delete", args=[obj.pk])
    assert staff_client.post(delete, {"post": "yes"}).status_code == 403
    assert model.objects.filter(pk=obj.pk).exists()
    assert staff_client.get(reverse(f"admin:{info}_add")).status_code == 403


def test_applications_are_not_added_or_deleted_in_admin(staff_client, populated):
    assert staff_client.get(reverse("admin:accreditation_application_add")).status_code == 403
    delete = reverse("admin:accreditation_application_delete", args=[populated.pk])
    assert staff_client.post(delete, {"post": "yes"}).status_code == 403
    assert Application.objects.filter(pk=populated.pk).exists()


# ------------------------------------------------------------------ rules the services keep


def course_form_data(course, **changes):
    """What the admin's course form posts back for `course`, with `changes` applied."""
    import json

    from django.forms.models import model_to_dict

    data = model_to_dict(course)
    data.pop("id", None)
    for name in ("learning_outcomes", "languages"):
        data[name] = json.dumps(data[name])
    data = {k: "" if v is None else v for k, v in data.items()}
    data.update(changes)
    return data


def test_course_cannot_move_to_another_provider_in_admin(staff_client, populated):
    """course_update refuses a new provider (a course belongs to the organisation that
    awards it); a superuser's admin POST cannot move it either."""
    course = populated.course
    provider_id = course.provider_id
    other = ProviderFactory()
    url = reverse("admin:accreditation_course_change", args=[course.pk])
    assert 'name="provider"' not in staff_client.get(url).content.decode()
    response = staff_client.post(
        url, course_form_data(course, provider=other.pk, title="Corrected title")
    )
    assert response.status_code == 302
    course.refresh_from_db()
    assert course.title == "Corrected title"
    assert course.provider_id == provider_id
    assert not other.courses.exists()


def test_courses_are_not_added_in_admin(staff_client, populated):
    """Only course_create describes a course, for people acting for its provider."""
    url = reverse("admin:accreditation_course_add")
    before = Course.objects.count()
    assert staff_client.get(url).status_code == 403
    data = course_form_data(populated.course, provider=populated.provider_id, title="New")
    assert staff_client.post(url, data).status_code == 403
    assert Course.objects.count() == before


def test_accreditation_status_and_decision_cannot_be_edited_in_admin(
    staff_client, populated, decider
):
    accreditation = decided(populated, decider, state="accredited")
    decision = accreditation.decision
    url = reverse("admin:accreditation_accreditation_change", args=[accreditation.pk])
    assert 'name="status"' not in staff_client.get(url).content.decode()
    assert staff_client.post(url, {"status": "revoked"}).status_code == 403
    url = reverse("admin:accreditation_decision_change", args=[decision.pk])
    assert staff_client.post(url, {"outcome": "negative"}).status_code == 403
    accreditation.refresh_from_db()
    decision.refresh_from_db()
    assert accreditation.status == "active"
    assert decision.outcome == "positive"
