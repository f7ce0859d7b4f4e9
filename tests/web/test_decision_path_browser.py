"""The path to a decision in headless Chromium (issue 18, items 1, 4, 6 and 7), each page
checked with axe-core: the final report is there when the factual-accuracy check closes;
a page names what is missing and who provides it; no draft before the findings; a
superseded report version is marked and a report being rendered updates the page by
itself; the decider is not offered the appeal against their own decision."""

import pytest

from demo.scenario import PATHS, Cast, Scenario, ready_report
from reviews.models import Report
from reviews.reports import tasks as report_tasks
from tests.factories import UserFactory
from tests.web import test_browser
from tests.web.test_browser import Session, assert_accessible, state_of

# The browser and the people of the end-to-end test, as fixtures of this module too.
chromium = test_browser.chromium
people = test_browser.people

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def scenario_for(people):
    cast = Cast(
        admin=people["provider"],
        coordinator=people["coordinator"],
        decider=people["decider"],
        panel={"chair": people["chair"], "member": people["member"], "student": people["student"]},
    )
    return Scenario(cast, provider=people["course"].provider, course=people["course"])


@pytest.fixture
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def test_the_decider_decides_on_the_final_report_made_when_the_facts_were_confirmed(
    chromium, live_server, people, axe
):
    case = scenario_for(people).run(*PATHS["factual_check"])
    application = case.application

    provider = Session(chromium, live_server.url, "provider-a")
    provider.fire(application, "confirm_factual_accuracy", **{"#id_comment": "Facts right."})
    assert state_of(application) == "decision_pending"
    final = Report.objects.get(application=application, stage="final")
    assert final.status == "ready" and final.requested_by is None

    decider = Session(chromium, live_server.url, "decider")
    page = decider.go(f"/applications/{application.pk}/")
    assert page.locator("#waiting-on").count() == 0
    assert "download the PDF" in page.inner_text(f"li[data-report='{final.pk}']")
    assert_accessible(page, "application page with its final report", axe)
    decider.fire(application, "accredit", **{"#id_rationale": "All standards met."})
    assert state_of(application) == "accredited"
    for session in (provider, decider):
        session.close()


def test_pages_name_the_missing_final_report_and_whose_turn_it_is(
    chromium, live_server, people, axe, monkeypatch
):
    monkeypatch.setattr(report_tasks.render_report, "delay", lambda pk: None)
    case = scenario_for(people).run(*PATHS["decision_pending"])
    application = case.application
    assert Report.objects.get(application=application, stage="final").status == "pending"

    coordinator = Session(chromium, live_server.url, "coordinator")
    page = coordinator.go(f"/applications/{application.pk}/")
    box = page.inner_text("section.actions")
    assert "It waits for the decision body." in box
    assert "the final report is being rendered; it will be ready in a minute" in box
    assert_accessible(page, "coordinator's page while the final report renders", axe)

    decider = Session(chromium, live_server.url, "decider")
    page = decider.go(f"/applications/{application.pk}/transitions/accredit/")
    assert "the final report is being rendered" in page.inner_text("#waiting-on")
    assert_accessible(page, "decision form while the final report renders", axe)
    for session in (coordinator, decider):
        session.close()


def test_a_draft_before_the_findings_is_refused_with_the_missing_findings(
    chromium, live_server, people, axe
):
    case = scenario_for(people).run(*PATHS["in_review"])
    application = case.application
    chair = Session(chromium, live_server.url, "reviewer1")
    page = chair.go(f"/applications/{application.pk}/")
    with page.expect_navigation() as navigation:
        page.click("button:has-text('Request the draft report')")
    assert navigation.value.status == 400
    alert = page.inner_text("[role=alert]")
    assert "panel chair must record a finding on every standard" in alert
    codes = page.eval_on_selector_all("[role=alert] li", "items => items.map(i => i.dataset.code)")
    assert codes == [f"missing_finding:{s.code}" for s in case.standards()]
    assert_accessible(page, "draft report refused", axe)
    assert not Report.objects.filter(application=application).exists()
    chair.close()


def test_superseded_versions_are_marked_and_a_rendering_report_updates_the_page(
    chromium, live_server, people, axe
):
    case = scenario_for(people).run(*PATHS["in_review"], "judge")
    application = case.application
    first = ready_report(application, "draft", 1)
    second = ready_report(application, "draft", 2)
    rendering = Report.objects.create(application=application, stage="draft", version=3)

    provider = Session(chromium, live_server.url, "provider-a")
    page = provider.go(f"/applications/{application.pk}/")
    assert "superseded by version 2" in page.inner_text(f"li[data-report='{first.pk}']")
    assert "the version that counts" in page.inner_text(f"li[data-report='{second.pk}']")
    assert "being rendered" in page.inner_text(f"li[data-report='{rendering.pk}']")
    assert_accessible(page, "reports with a superseded version", axe)

    Report.objects.filter(pk=rendering.pk).update(
        status="ready", sha256=second.sha256, size=second.size, file=second.file.name
    )
    page.wait_for_selector(
        f"li[data-report='{rendering.pk}'] a:has-text('download the PDF')", timeout=20_000
    )
    assert "superseded by version 3" in page.inner_text(f"li[data-report='{second.pk}']")
    provider.close()


def test_the_decider_is_not_offered_the_appeal_against_their_own_decision(
    chromium, live_server, people, axe
):
    case = scenario_for(people).run(*PATHS["appealed"])
    application = case.application
    UserFactory(username="appeals", roles=["appeals_committee"])
    link = f"a[href='/applications/{application.pk}/']"

    decider = Session(chromium, live_server.url, "decider")
    page = decider.go("/")
    assert page.locator(f"section[aria-labelledby=h-appeal] {link}").count() == 0
    page = decider.go(f"/applications/{application.pk}/")
    assert "Conflict of interest: You took the decision under appeal" in page.inner_text(
        "[data-withheld=uphold_appeal]"
    )
    assert_accessible(page, "appealed case seen by the decider who decided it", axe)
    page = decider.go(f"/applications/{application.pk}/transitions/uphold_appeal/")
    assert "another member of the appeals committee must" in page.inner_text("#not-available")

    appeals = Session(chromium, live_server.url, "appeals")
    page = appeals.go("/")
    assert page.locator(f"section[aria-labelledby=h-appeal] {link}").count() == 1
    for session in (decider, appeals):
        session.close()


def test_what_you_can_do_now_offers_the_accreditation_buttons_shown_below(
    chromium, live_server, people, axe
):
    case = scenario_for(people).run(*PATHS["accredited"])
    application = case.application
    decider = Session(chromium, live_server.url, "decider")
    page = decider.go(f"/applications/{application.pk}/")
    box = page.inner_text("section.actions")
    assert "Nothing for you to do" not in box
    assert_accessible(page, "accredited case seen by the decision body", axe)
    with page.expect_navigation():
        page.click("section.actions a[data-box-accreditation-transition=suspend]")
    assert page.url.endswith(f"/accreditations/{case.accreditation.pk}/transitions/suspend/")
    decider.close()
