"""Issue 18 item 11 in headless Chromium: a visitor switches the front door to German
with the header's language switcher, reads it in German (axe-core finds nothing serious,
on a phone's width), and switches back to English.

German needs the compiled catalogue (locale/, assembled from the translators' work)."""

import pytest

from tests.registry.conftest import History
from tests.web.test_browser import assert_accessible
from tests.web.test_browser import chromium as _chromium  # noqa: F401  (the fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def chromium(_chromium):  # noqa: F811  (the imported fixture, by its name here)
    """test_browser's Chromium (started after the database fixtures, stopped before)."""
    return _chromium


def _switch(page, language):
    """Press the header's button for `language` (its name in that language)."""
    button = page.locator("header form.language-switch").get_by_role("button", name=language)
    assert button.is_visible()
    box = button.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    with page.expect_navigation():
        button.click()


def test_a_visitor_reads_the_front_door_in_german_and_back_in_english(chromium, live_server):
    from axe_playwright_python.sync_playwright import Axe

    history = History()
    history.decide(history.provider(name="Sprachschule Beispiel"))
    history.publish()
    context = chromium.new_context(base_url=live_server.url, viewport=PHONE)
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto("/")
    assert page.get_attribute("html", "lang") == "en"
    assert page.inner_text("#h-verify") == "Was this provider or course quality-assured?"

    _switch(page, "Deutsch")
    assert page.url.rstrip("/") == live_server.url.rstrip("/")
    assert page.get_attribute("html", "lang") == "de"
    assert page.inner_text("#h-verify") == "Wurde dieser Anbieter oder Kurs qualitätsgesichert?"
    assert page.inner_text("#h-search") == "Im öffentlichen Register suchen"
    assert "Öffentliches Register" in page.inner_text("header nav")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    assert_accessible(page, "front door in German", Axe())

    page.fill("#v-identifier", "schac:uni.example.org")
    page.fill("#v-at", "2025-03-01")
    with page.expect_navigation():
        page.click("form.verify-form button[type=submit]")
    assert "at=2025-03-01" in page.url
    assert page.inner_text("#answer .verdict").startswith("Nein. Am 1. März 2025")

    _switch(page, "English")
    assert page.get_attribute("html", "lang") == "en"
    assert page.inner_text("#answer .verdict").startswith("No. On 1 March 2025")
    context.close()
