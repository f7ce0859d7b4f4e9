"""The report's Annex I table says the workload in hours and the level "not applicable"
when the course says so, and names the supervision option."""

import pytest

from accreditation.services import course_update
from reviews.models import Report
from reviews.reports.data import report_data
from tests.factories import complete_dossier

from .test_report_case import fire

pytestmark = pytest.mark.django_db


def test_the_report_shows_hours_no_level_and_the_supervision_option(
    course_application, provider_user
):
    course_update(
        course=course_application.course,
        actor=provider_user,
        data={
            "workload_ects": None,
            "workload_hours": "37.5",
            "eqf_level": None,
            "qf_ehea_cycle": None,
            "level_not_applicable": True,
            "supervision_identity_verification": "supervised_no_identity_verification",
        },
    )
    complete_dossier(course_application, provider_user)
    fire(course_application, "submit", provider_user)
    course_application.refresh_from_db()
    assert course_application.state == "submitted"
    rows = {
        e["code"]: e
        for e in report_data(course_application, Report.Stage.DRAFT)["course"]["annex_i"]
    }
    assert rows["workload"]["value"] == "37.5 hours" and rows["workload"]["present"]
    assert rows["level"]["value"] == "Not applicable" and rows["level"]["present"]
    assert rows["supervision_identity_verification"]["value"] == (
        "Supervised, no identity verification"
    )
