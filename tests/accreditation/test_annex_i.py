"""Annex I as the Recommendation says it: the level "if applicable", the workload in ECTS
"wherever possible" (else hours), supervision as one of three options; accreditation
limits from the reference data."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accreditation import annex, versions
from accreditation.models import Accreditation, Course
from accreditation.rules import dossier_unmet
from tests.factories import ApplicationFactory, CourseFactory

from .conftest import token_client
from .helpers import decided

pytestmark = pytest.mark.django_db

NO_LEVEL_IN_HOURS = {
    "title": "Workplace First Aid",
    "learning_outcomes": ["Give first aid at work"],
    "workload_hours": "30",
    "level_not_applicable": True,
    "isced_f": "0913",
    "assessment_type": "Practical test",
    "participation_form": "onsite",
    "quality_assurance": "Certified by the national first-aid body",
    "languages": ["en"],
    "supervision_identity_verification": "supervised_with_identity_verification",
}


def _create(user, **change):
    provider = user.providers.get()
    return token_client(user).post(
        "/api/v1/courses/",
        {**NO_LEVEL_IN_HOURS, "provider": provider.pk, **change},
        format="json",
    )


def test_a_course_without_level_and_with_hours_is_described_and_read_back(provider_user):
    response = _create(provider_user)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["level_not_applicable"] is True
    assert body["workload_hours"] == "30.00" and body["workload_ects"] is None
    assert body["eqf_level"] is None and body["qf_ehea_cycle"] is None
    assert body["supervision_identity_verification"] == "supervised_with_identity_verification"
    course = Course.objects.get(pk=body["id"])
    assert course.workload_hours == Decimal("30") and course.level_not_applicable


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"workload_hours": 0}, "workload_hours"),
        ({"workload_hours": "-3"}, "workload_hours"),
        ({"workload_hours": "lots"}, "workload_hours"),
        ({"workload_hours": "30", "workload_ects": "1"}, "workload_hours"),
        ({"eqf_level": 5}, "eqf_level"),
        ({"qf_ehea_cycle": "short"}, "qf_ehea_cycle"),
        ({"level_not_applicable": "yes"}, "level_not_applicable"),
        (
            {"supervision_identity_verification": "Proctored online"},
            "supervision_identity_verification",
        ),
        ({"isced_f": "0999"}, "isced_f"),
    ],
)
def test_values_that_contradict_annex_i_are_400_naming_the_field(provider_user, change, field):
    response = _create(provider_user, **change)
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Course.objects.exists()


def test_saying_no_level_applies_while_one_is_stored_changes_nothing(provider_user):
    course = CourseFactory(provider=provider_user.providers.get(), eqf_level=6)
    response = token_client(provider_user).patch(
        f"/api/v1/courses/{course.pk}/", {"level_not_applicable": True}, format="json"
    )
    assert response.status_code == 400 and "eqf_level" in response.json()
    course.refresh_from_db()
    assert course.level_not_applicable is False and course.eqf_level == 6
    response = token_client(provider_user).patch(
        f"/api/v1/courses/{course.pk}/",
        {"level_not_applicable": True, "eqf_level": None, "qf_ehea_cycle": None},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["level_not_applicable"] is True


def test_the_database_refuses_a_level_said_not_to_apply_and_both_workloads():
    from django.db import IntegrityError, transaction

    course = CourseFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Course.objects.filter(pk=course.pk).update(level_not_applicable=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        Course.objects.filter(pk=course.pk).update(workload_hours=10)
    with pytest.raises(IntegrityError), transaction.atomic():
        Course.objects.filter(pk=course.pk).update(supervision_identity_verification="proctored")


def test_the_dossier_asks_for_a_level_only_when_one_applies():
    application = ApplicationFactory(course__eqf_level=None, course__qf_ehea_cycle=None)
    codes = {u.code for u in dossier_unmet(application)}
    assert "missing_element:eqf_level" in codes
    Course.objects.filter(pk=application.course_id).update(level_not_applicable=True)
    application.course.refresh_from_db()
    assert "missing_element:eqf_level" not in {u.code for u in dossier_unmet(application)}


def test_the_dossier_takes_hours_when_ects_do_not_apply():
    application = ApplicationFactory(course__workload_ects=None)
    assert "missing_element:workload_ects" in {u.code for u in dossier_unmet(application)}
    Course.objects.filter(pk=application.course_id).update(workload_hours=Decimal("42.5"))
    application.course.refresh_from_db()
    assert "missing_element:workload_ects" not in {u.code for u in dossier_unmet(application)}


def test_a_course_version_freezes_the_new_elements_and_reads_them_back():
    course = CourseFactory(
        workload_ects=None,
        workload_hours=Decimal("12.5"),
        eqf_level=None,
        qf_ehea_cycle=None,
        level_not_applicable=True,
        supervision_identity_verification=annex.UNSUPERVISED_NO_ID,
    )
    version = versions.in_force(course.pk)
    assert version.elements["workload_hours"] == "12.50"
    assert version.elements["level_not_applicable"] is True
    frozen = version.as_course()
    assert frozen.workload_hours == Decimal("12.50") and frozen.level_not_applicable is True
    assert annex.workload_text(frozen) == "12.5 hours"
    assert annex.level_text(frozen) == "Not applicable"
    assert frozen.get_supervision_identity_verification_display() == (
        "Unsupervised, no identity verification"
    )


def test_a_version_frozen_before_the_options_reads_as_it_was_written():
    course = CourseFactory()
    version = versions.in_force(course.pk)
    elements = dict(version.elements)
    for name in ("workload_hours", "level_not_applicable"):
        elements.pop(name)
    elements["supervision_identity_verification"] = "Proctored online"
    type(version).objects.filter(pk=version.pk).update(elements=elements)
    version.refresh_from_db()
    frozen = version.as_course()
    assert frozen.level_not_applicable is False and frozen.workload_hours is None
    assert annex.workload_text(frozen) == "5 ECTS"
    assert frozen.get_supervision_identity_verification_display() == "Proctored online"


def test_the_form_refuses_a_level_said_not_to_apply_and_two_workloads():
    from accreditation.forms import CourseForm

    form = CourseForm(
        {
            "title": "T",
            "workload_ects": "2",
            "workload_hours": "10",
            "level_not_applicable": "on",
            "eqf_level": "5",
            "supervision_identity_verification": "proctored",
        }
    )
    assert not form.is_valid()
    assert {"workload_hours", "eqf_level", "supervision_identity_verification"} <= set(form.errors)
    form = CourseForm(
        {
            "title": "T",
            "workload_hours": "10",
            "level_not_applicable": "on",
            "supervision_identity_verification": annex.SUPERVISED_NO_ID,
        }
    )
    assert form.is_valid(), form.errors
    data = form.service_data()
    assert data["level_not_applicable"] is True and data["workload_hours"] == Decimal("10")
    assert data["supervision_identity_verification"] == annex.SUPERVISED_NO_ID


# --------------------------------------------------------------------------- limits


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("eqf_levels", [9]),
        ("eqf_levels", [0]),
        ("eqf_levels", ["6"]),
        ("eqf_levels", [6.0]),
        ("isced_fields", ["1234"]),
        ("isced_fields", [613]),
        ("isced_fields", "06"),
    ],
)
def test_accreditation_limits_outside_the_reference_data_are_refused(
    course_application, decider, field, value
):
    accreditation = decided(course_application, decider)
    others = [f.name for f in Accreditation._meta.fields if f.name != field]
    setattr(accreditation, field, value)
    with pytest.raises(ValidationError) as refused:
        accreditation.clean_fields(exclude=others)
    assert list(refused.value.message_dict) == [field]


def test_accreditation_limits_from_the_reference_data_are_accepted(course_application, decider):
    accreditation = decided(course_application, decider)
    accreditation.eqf_levels = [1, 8]
    accreditation.isced_fields = ["06", "061", "0613"]
    others = [
        f.name for f in Accreditation._meta.fields if f.name not in ("eqf_levels", "isced_fields")
    ]
    accreditation.clean_fields(exclude=others)
    assert accreditation.eqf_levels == [1, 8]


def test_the_openapi_schema_describes_the_new_course_fields(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    components = schema["components"]["schemas"]
    course = components["Course"]["properties"]
    assert {"workload_hours", "level_not_applicable", "supervision_identity_verification"} <= set(
        course
    )
    options = set(annex.SUPERVISION_OPTIONS)
    enums = [c.get("enum") or [] for c in components.values()]
    assert any(options <= set(values) for values in enums)
