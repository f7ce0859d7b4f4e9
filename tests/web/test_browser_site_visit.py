"""End to end in headless Chromium: an institutional review's site visit. The coordinator
plans the visit from the case's page, the chair uploads its minutes and can then send the
draft report; the provider downloads the visit for its calendar. The site visit page passes
axe-core with no serious violation."""

import datetime

import pytest
from django.utils import timezone

from accreditation.models import Application, Document
from demo.scenario import PATHS, Cast, Scenario, blank_pdf
from reviews.models import SiteVisit
from tests.web.test_browser import (  # noqa: F401  (chromium, people: fixtures)
    Session,
    assert_accessible,
    chromium,
    people,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_site_visit_planned_minuted_then_draft_report_sent(
    chromium,  # noqa: F811 (the fixture imported above)
    live_server,
    people,  # noqa: F811
    tmp_path,
):
    from axe_playwright_python.sync_playwright import Axe

    cast = Cast(
        admin=people["provider"],
        coordinator=people["coordinator"],
        decider=people["decider"],
        panel={"chair": people["chair"], "member": people["member"], "student": people["student"]},
    )
    scenario = Scenario(
        cast, provider=people["course"].provider, pdf=lambda title: blank_pdf()
    ).run(*PATHS["in_review"], "judge")
    application = scenario.application
    assert application.kind == "provider"
    first = timezone.localdate() - datetime.timedelta(days=2)
    last = first + datetime.timedelta(days=1)

    # Coordinator: plans the visit from the application page.
    coordinator = Session(chromium, live_server.url, "coordinator")
    page = coordinator.go(f"/applications/{application.pk}/")
    page.click("a:has-text('Plan the site visit or upload its minutes')")
    page.wait_for_url(f"**/applications/{application.pk}/site-visits/")
    assert_accessible(page, "site visit page", Axe())
    page.select_option("#id_mode", "onsite")
    page.fill("#id_starts_on", first.isoformat())
    page.fill("#id_ends_on", last.isoformat())
    page.select_option("#id_group_0", "management")
    page.fill("#id_at_0", f"{first.isoformat()}T09:00")
    page.select_option("#id_group_1", "learners")
    page.fill("#id_at_1", f"{last.isoformat()}T14:00")
    with page.expect_navigation():
        page.click("button:has-text('Plan the visit')")
    assert "The site visit is planned." in page.inner_text(".messages")
    visit = SiteVisit.objects.get(application=application)
    assert [s.group for s in visit.sessions.all()] == ["management", "learners"]

    # Chair: the draft report is refused without minutes, then uploads them and sends it.
    chair = Session(chromium, live_server.url, "reviewer1")
    page = chair.go(f"/applications/{application.pk}/")
    page.click("button:has-text('Request the draft report')")
    page.wait_for_url(f"**/applications/{application.pk}/#reports")
    page.click("a[data-transition=submit_draft_report]")
    page.click("button[name=confirm]")
    assert "missing_site_visit_minutes" in page.content()
    minutes = tmp_path / "site-visit-minutes.pdf"
    minutes.write_bytes(blank_pdf())
    page = chair.go(f"/applications/{application.pk}/site-visits/")
    page.set_input_files("input[name=file]", str(minutes))
    with page.expect_navigation():
        page.click("button:has-text('Upload the minutes')")
    assert "was uploaded as the minutes" in page.inner_text(".messages")
    assert Document.objects.filter(application=application, kind="site_visit_minutes").exists()
    chair.fire(application, "submit_draft_report")
    assert Application.objects.get(pk=application.pk).state == "factual_check"

    # Provider: sees the visit and downloads it for its calendar.
    provider = Session(chromium, live_server.url, "provider-a")
    page = provider.go(f"/applications/{application.pk}/")
    assert "Management" in page.inner_text("#site-visits")
    link = page.get_attribute("#site-visits a[href$='calendar.ics']", "href")
    response = provider.context.request.get(link)
    assert response.status == 200
    assert response.body().startswith(b"BEGIN:VCALENDAR\r\n")
    for session in (coordinator, chair, provider):
        session.close()
