"""In headless Chromium: a course whose level does not apply and whose workload is in
hours is described and submitted by the provider; the coordinator screens it with the
checklist and returns it with the comment the ticked items write, edited before sending.
"""

import os

import pytest

from accreditation.models import Application, ApplicationTransition, Course, ScreeningChecklist
from tests.factories import (
    ApplicationFactory,
    CourseFactory,
    MembershipFactory,
    UserFactory,
    complete_dossier,
)

from .test_browser import Session, assert_accessible, chromium, state_of  # noqa: F401

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_course_without_level_in_hours_is_submitted_and_returned_from_the_checklist(
    chromium,  # noqa: F811
    live_server,
):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    provider_user = MembershipFactory(
        user__username="provider-a", provider__legal_name="Provider A Academy"
    ).user
    UserFactory(username="coordinator", roles=["coordinator"])
    course = CourseFactory(provider=provider_user.providers.get(), title="Workplace First Aid")

    # Provider: no level applies, the workload is in hours, supervision is an option.
    provider = Session(chromium, live_server.url, "provider-a")
    page = provider.go(f"/courses/{course.pk}/edit/")
    page.fill("#id_workload_ects", "")
    page.fill("#id_workload_hours", "30")
    page.select_option("#id_eqf_level", "")
    page.select_option("#id_qf_ehea_cycle", "")
    page.check("#id_level_not_applicable")
    page.select_option(
        "#id_supervision_identity_verification", "supervised_with_identity_verification"
    )
    page.click("button:has-text('Save the course')")
    page.wait_for_url(f"**/courses/{course.pk}/")
    text = page.inner_text("main")
    assert "30 hours" in text and "Not applicable" in text, text
    course.refresh_from_db()
    assert course.level_not_applicable and course.workload_ects is None

    application = ApplicationFactory(course=course, provider=course.provider)
    complete_dossier(application, provider_user)
    page = provider.go(f"/applications/{application.pk}/")
    assert "The dossier is complete and may be submitted." in page.content()
    provider.fire(application, "submit")
    assert state_of(application) == "submitted"

    # Coordinator: screen with the checklist, return with the comment it writes.
    coordinator = Session(chromium, live_server.url, "coordinator")
    coordinator.fire(application, "start_screening")
    page = coordinator.go(f"/applications/{application.pk}/")
    page.click("a[data-screening]")
    page.wait_for_url(f"**/applications/{application.pk}/screening/")
    assert_accessible(page, "screening checklist", axe)
    level = "fieldset[data-item='element:level']"
    sample = "fieldset[data-item='document:credential_sample']"
    page.check(f"{level} input[value=ok]")
    page.check(f"{sample} input[value=insufficient]")
    page.fill(f"{sample} input[type=text]", "The date of issuing is not shown.")
    page.click("button[value=save]")
    page.wait_for_url(f"**/applications/{application.pk}/screening/")
    assert page.input_value(f"{sample} input[type=text]") == "The date of issuing is not shown."
    page.click("button[value=return]")
    page.wait_for_url("**/transitions/return_for_completion/**")
    comment = page.input_value("#id_comment")
    assert "- Insufficient: Sample credential. The date of issuing is not shown." in comment
    assert "Level" not in comment
    assert_accessible(page, "return with the checklist's comment", axe)
    edited = comment + "\nCall us if anything is unclear."
    page.fill("#id_comment", edited)
    page.click("button[name=confirm]")
    page.wait_for_url(f"**/applications/{application.pk}/")
    assert state_of(application) == "returned"
    log = ApplicationTransition.objects.filter(application=application).last()
    assert log.transition == "return_for_completion"
    assert log.comment.replace("\r\n", "\n") == edited
    kept = ScreeningChecklist.objects.get(application=application).items
    assert kept["element:level"]["status"] == "ok"
    assert (
        Application.objects.get(pk=application.pk).course_version.elements["level_not_applicable"]
        is True
    )
    assert Course.objects.get(pk=course.pk).workload_hours == 30
    coordinator.close()
    provider.close()
