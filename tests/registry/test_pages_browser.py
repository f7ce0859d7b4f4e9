"""The public registry pages in headless Chromium: usable on a phone, no serious
accessibility violation found by axe-core."""

from pathlib import Path

import pytest

from tests.registry.conftest import History, day

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE = {"width": 360, "height": 740}


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "install Debian's chromium: apt-get install -y chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport=PHONE)
        yield context.new_page()
        browser.close()


def serious(results):
    return [
        (v["id"], v["impact"])
        for v in results.response.get("violations", [])
        if v.get("impact") in ("serious", "critical")
    ]


@pytest.fixture
def published(transactional_db):
    """Built before the browser starts (Playwright runs an event loop in this thread)."""
    from unittest import mock

    from registry.services import registry_sync

    history = History()
    with mock.patch("django.db.transaction.on_commit"):
        provider = history.provider(name="Amsterdam Data Academy with a Rather Long Name")
        course = history.course(provider, title="Data Stewardship")
        _, _, acc = history.decide(provider, when=day("2025-01-10"), eqf_levels=[5, 6])
        history.decide(provider, course=course, name="reject", when=day("2025-02-10"))
        history.change(acc, "suspend", when=day("2025-03-01"))
    registry_sync()
    return provider


def test_registry_pages_on_a_phone(published, live_server, page):
    from axe_playwright_python.sync_playwright import Axe

    provider = published
    axe = Axe()
    page.goto(f"{live_server.url}/registry/?country=NL")
    assert "1 provider found" in page.inner_text("main")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    assert serious(axe.run(page)) == []
    page.click("text=Amsterdam Data Academy")
    page.wait_for_url(f"**/registry/providers/{provider.pk}/")
    headings = page.locator("h2").all_inner_texts()
    assert {"Accreditations", "Approved courses", "Decisions"} <= set(headings)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    assert serious(axe.run(page)) == []
