"""The page script in German, in headless Chromium: its words come from Django's
JavaScript catalogue, which the page loads before the script (same origin, as the CSP
allows), so an upload refusal reads German on a German page."""

import pytest
from django.conf import settings

from tests.factories import ApplicationFactory, CourseFactory, MembershipFactory
from tests.web.test_browser import Session
from tests.web.test_browser import chromium as _chromium  # noqa: F401  (the fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def chromium(_chromium):  # noqa: F811  (the imported fixture, by its name here)
    return _chromium


def test_upload_refusal_reads_german_on_a_german_page(chromium, live_server):
    user = MembershipFactory(user__username="provider-de").user
    course = CourseFactory(provider=user.providers.get())
    application = ApplicationFactory(provider=course.provider, course=course)
    session = Session(chromium, live_server.url, "provider-de")
    session.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "de", "url": live_server.url}]
    )
    page = session.go(f"/applications/{application.pk}/")
    assert page.inner_text("#h-documents") == "Dokumente"
    assert page.evaluate("window.gettext('Saved.')") == "Gespeichert."
    page.select_option("#id_kind", "evidence")
    page.set_input_files(
        "#id_file",
        files=[{"name": "notes.pdf", "mimeType": "application/pdf", "buffer": b"not a pdf"}],
    )
    page.click("form[data-upload] button[type=submit]")
    page.wait_for_selector(".upload-status.error")
    assert page.inner_text(".upload-status").startswith("Die Datei wurde nicht angenommen: ")
    session.close()
