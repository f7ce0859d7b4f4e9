"""Panel composition in headless Chromium: a reviewer fills in their profile; the
coordinator sees the candidates ranked by fit with the reasons, a conflicted candidate
marked before any invitation, invites the best one, who then leaves the list. axe-core
finds no serious violation on either page."""

import os
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from reviews.models import Affiliation, PanelAssignment, ReviewerProfile
from tests.factories import UserFactory
from tests.web.conftest import to_screening
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS, Session, _serious

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def browser(transactional_db, live_server):
    """Chromium as `tests/web/test_browser.py` starts it (after the database fixtures, and
    its connections closed before their teardown)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
        connections.close_all()


@pytest.fixture
def case(transactional_db):
    from tests.factories import ApplicationFactory, CourseFactory, MembershipFactory

    provider_user = MembershipFactory(
        user__username="provider-p", provider__legal_name="Provider P College"
    ).user
    provider = provider_user.providers.get()
    course = CourseFactory(provider=provider, isced_f="0613", languages=["en"])
    application = ApplicationFactory(provider=provider, course=course, created_by=provider_user)
    coordinator = UserFactory(username="coordinator", roles=["coordinator"])
    to_screening(application, provider_user, coordinator)
    expert = UserFactory(username="expert1", roles=["reviewer"])
    conflicted = UserFactory(username="conflicted1", roles=["reviewer"])
    UserFactory(username="plain1", roles=["reviewer"])
    ReviewerProfile.objects.create(reviewer=conflicted, expertise=["0613"], languages=["en"])
    Affiliation.objects.create(
        reviewer=conflicted, provider=provider, description="adjunct lecturer"
    )
    return {"application": application, "expert": expert}


def test_reviewer_profile_feeds_the_ranked_candidates_and_the_invited_one_leaves_the_list(
    browser, live_server, case
):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    application = case["application"]
    url = live_server.url

    # The reviewer fills in their profile.
    reviewer = Session(browser, url, "expert1")
    page = reviewer.page
    page.click("a:has-text('Keep your profile up to date')")
    page.wait_for_url("**/reviewers/me/profile/")
    assert _serious(axe.run(page)) == []
    page.select_option("#id_expertise", ["0613"])
    page.select_option("#id_country", "NL")
    page.fill("#id_languages", "en, nl")
    trained = (timezone.localdate() - timedelta(days=100)).isoformat()
    page.fill("#id_last_training_on", trained)
    page.click("button:has-text('Save the profile')")
    page.wait_for_selector("text=Your reviewer profile was saved.")
    assert "0613 Software and applications development and analysis" in page.content()
    profile = ReviewerProfile.objects.get(reviewer=case["expert"])
    assert profile.expertise == ["0613"] and profile.languages == ["en", "nl"]
    reviewer.close()

    # The coordinator sees the ranked candidates, the reasons and the conflict.
    coordinator = Session(browser, url, "coordinator")
    page = coordinator.go(f"/applications/{application.pk}/panel/")
    rows = page.locator("#candidates tbody tr")
    assert rows.nth(0).get_attribute("data-reviewer") == "expert1"
    top = rows.nth(0).inner_text()
    assert "expert in the case's field 0613" in top
    assert "works in the dossier's language (en)" in top
    conflicted = page.locator("#candidates tr[data-reviewer=conflicted1]")
    assert "is affiliated with Provider P College (adjunct lecturer)" in conflicted.inner_text()
    assert conflicted.locator("button").is_disabled()
    assert rows.last.get_attribute("data-reviewer") == "conflicted1"
    assert _serious(axe.run(page)) == []

    # Inviting the best candidate takes them off the list.
    rows.nth(0).locator("button:has-text('Send invitation')").click()
    page.wait_for_selector("text=expert1 was invited as chair.")
    assert page.locator("#candidates tr[data-reviewer=expert1]").count() == 0
    assert page.locator("#candidates tr[data-reviewer=plain1]").count() == 1
    seat = PanelAssignment.objects.get(application=application)
    assert (seat.reviewer.username, seat.role, seat.state) == ("expert1", "chair", "invited")
    coordinator.close()
