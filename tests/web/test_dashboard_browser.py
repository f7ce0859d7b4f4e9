"""The pipeline dashboard in headless Chromium: the coordinator finds it from home, the
four charts are drawn, axe-core finds no serious violation (on a desk and on a phone), and
the CSV downloads with the numbers the page shows. A provider gets 404."""

import csv
import io
from pathlib import Path

import pytest

from accreditation import pipeline
from tests.accreditation.test_dashboard import shifted_history
from tests.factories import MembershipFactory, UserFactory
from tests.web.test_browser import Session, _serious, chromium  # noqa: F401 (a fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def pipeline_people(transactional_db):
    """Built before the browser starts (Playwright runs an event loop in this thread)."""
    coordinator = UserFactory(username="coordinator", roles=["coordinator"])
    provider = MembershipFactory(user__username="provider-a").user
    shifted_history(coordinator)
    return {"coordinator": coordinator, "provider": provider}


def test_coordinator_reads_the_dashboard_and_downloads_its_csv(
    pipeline_people,
    chromium,  # noqa: F811 (the fixture imported above)
    live_server,
):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    coordinator = Session(chromium, live_server.url, "coordinator")
    page = coordinator.page
    page.click("a:has-text('Pipeline dashboard')")
    page.wait_for_url("**/dashboard/")
    assert page.locator("svg.chart[role=img]").count() == 4
    assert page.locator("#chart-states title").text_content() == "Applications per state"
    assert page.locator("#chart-overdue rect").count() == 1
    assert _serious(axe.run(page)) == []
    screening = page.locator(
        "td[data-figure=applications_per_state][data-state=screening]"
    ).inner_text()
    coordinator.screenshot("coordinator-dashboard")

    with page.expect_download() as info:
        page.click("a:has-text('Download these figures as CSV')")
    download = info.value
    assert download.suggested_filename.startswith("pipeline-")
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert tuple(rows[0]) == pipeline.CSV_HEADER
    by_key = {tuple(r[:4]): r[4] for r in rows[1:]}
    assert by_key[("applications_per_state", "screening", "", "")] == screening == "1"

    # The overdue count leads to the list of the cases counted.
    page.click("td[data-figure=overdue_per_state][data-state=screening] a")
    page.wait_for_url(lambda url: "/applications/" in url and "overdue=on" in url)
    assert page.locator("main table tbody tr").count() == 1

    # On a phone the charts scroll sideways inside their own region.
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/dashboard/")
    assert _serious(axe.run(page)) == []
    coordinator.close()


def test_a_provider_finds_no_dashboard(pipeline_people, chromium, live_server):  # noqa: F811
    provider = Session(chromium, live_server.url, "provider-a")
    assert provider.page.locator("a:has-text('Pipeline dashboard')").count() == 0
    response = provider.page.goto("/dashboard/")
    assert response.status == 404
    provider.close()
