"""The case lists on a phone (issue 18.10), in headless Chromium at 390 x 844: the state
counts are one compact strip, every case's State and Due are in view without scrolling
sideways, the pages of the list are reachable, and axe-core finds no serious violation."""

import datetime
import os
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connections
from django.utils import timezone

from accreditation.models import Application, ApplicationState
from tests.factories import ProviderFactory, UserFactory, framework

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE = {"width": 390, "height": 844}
PASSWORD = "correct horse battery"
SCREENSHOTS = Path(django_settings.BASE_DIR) / "test-artifacts" / "screenshots"


def screenshot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


@pytest.fixture
def many_cases(transactional_db, settings):
    """Cases in every state, with long names, built before the browser starts
    (Playwright runs an event loop in this thread)."""
    settings.MCQA_LIST_PAGE_SIZE = 20
    settings.MCQA_HOME_QUEUE_SIZE = 2
    provider = ProviderFactory(
        legal_name="Hochschule für Angewandte Wissenschaften und Lebenslanges Lernen Nord"
    )
    esg = framework("esg-2015-part1")
    now = timezone.now()
    Application.objects.bulk_create(
        [
            Application(
                kind=Application.Kind.PROVIDER,
                provider=provider,
                framework=esg,
                state=state,
                due_at=now + datetime.timedelta(days=i - 10),
            )
            for i, (state, _label) in enumerate(ApplicationState.choices * 4)
        ]
    )
    return UserFactory(username="coordinator-phone", roles=["coordinator", "decision_body"])


@pytest.fixture
def page(many_cases, live_server):
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "install Debian's chromium: apt-get install -y chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport=PHONE, base_url=live_server.url)
        context.set_default_timeout(20_000)
        tab = context.new_page()
        tab.goto("/accounts/login/")
        tab.fill("#id_username", many_cases.username)
        tab.fill("#id_password", PASSWORD)
        tab.click("main button[type=submit]")
        tab.wait_for_url("**/")
        yield tab
        browser.close()
        connections.close_all()


def serious(results):
    return [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in results.response.get("violations", [])
        if v.get("impact") in ("serious", "critical")
    ]


def in_view(page, locator):
    """The element is shown and lies within the phone's width (not cut off at the right,
    not pushed out to the left)."""
    box = locator.bounding_box()
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


def test_application_list_on_a_phone(page):
    from axe_playwright_python.sync_playwright import Axe

    page.goto("/applications/")
    assert "52 applications" in page.inner_text("main")
    strip = page.locator("ul.counts").bounding_box()
    assert strip["height"] < PHONE["height"] / 4, strip
    assert page.locator("#id_state").is_visible()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    rows = page.locator("table.app-table tbody tr")
    assert rows.count() == 20
    for index in (0, 19):
        row = rows.nth(index)
        for label in ("State", "Due"):
            cell = row.locator(f'td[data-label="{label}"]')
            cell.scroll_into_view_if_needed()
            assert in_view(page, cell), (index, label, cell.bounding_box())
    assert serious(Axe().run(page)) == []
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "phone-application-list")

    page.click("nav.pager a[rel=next]")
    page.wait_for_url("**/applications/?page=2")
    assert "Page 2 of 3" in page.inner_text("nav.pager")
    assert page.locator("table.app-table tbody tr").count() == 20
    page.select_option("#id_state", "decision_pending")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**state=decision_pending**")
    assert "4 applications" in page.inner_text("main")
    cell = page.locator('table.app-table tbody tr td[data-label="State"]').first
    assert in_view(page, cell) and "Decision pending" in cell.inner_text()


def test_home_and_deadlines_on_a_phone(page):
    from axe_playwright_python.sync_playwright import Axe

    page.goto("/")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    assert page.locator("ul.counts").bounding_box()["height"] < PHONE["height"] / 4
    assert "Show all 4" in page.inner_text("section[aria-labelledby=h-decide]")
    assert serious(Axe().run(page)) == []
    screenshot(page, "phone-home")
    page.goto("/deadlines/")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    due = page.locator('table.app-table td[data-label="Due"]').first
    assert in_view(page, due)
    assert serious(Axe().run(page)) == []
