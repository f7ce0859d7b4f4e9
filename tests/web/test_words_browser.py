"""Issue 18 items 2, 3, 5, 7 and 8 in headless Chromium (Playwright + axe-core): the front
door and its verify box, nothing typed is lost on the review pages (and leaving with
unsaved changes asks first), labels instead of codes, removing a document before
submission and an upload refusal shown as an error, the evidence group of the
self-assessment, the site's own 404 page."""

import pytest

from accreditation.models import Document
from reviews.models import PanelAssignment, ReviewerJudgement
from tests.factories import (
    ApplicationFactory,
    CourseFactory,
    DocumentFactory,
    MembershipFactory,
    UserFactory,
)
from tests.registry.conftest import History
from tests.web.conftest import fire, seat_panel, to_screening
from tests.web.test_browser import Session, assert_accessible
from tests.web.test_browser import chromium as _chromium  # noqa: F401  (the fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def chromium(_chromium):  # noqa: F811  (the imported fixture, by its name here)
    """test_browser's Chromium (started after the database fixtures, stopped before)."""
    return _chromium


def _axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def _provider_case(title="Applied Data Literacy"):
    user = MembershipFactory(
        user__username="provider-w", provider__legal_name="Words University"
    ).user
    course = CourseFactory(provider=user.providers.get(), title=title)
    return user, ApplicationFactory(provider=course.provider, course=course)


def test_a_visitor_verifies_a_provider_from_the_front_door(chromium, live_server):
    history = History()
    provider = history.provider(name="Front Door College", identifier="front.example.org")
    history.decide(provider)
    history.publish()
    axe = _axe()
    visitor = Session(chromium, live_server.url, None)
    page = visitor.go("/")
    assert "quality-assurance agency" in page.inner_text("main")
    assert page.locator("form[action='/accounts/login/'] #id_username").count() == 1
    assert_accessible(page, "front door", axe)
    page.fill("#v-identifier", "schac:front.example.org")
    with page.expect_navigation():
        page.click("form.verify-form button[type=submit]")
    answer = page.inner_text("#answer .verdict")
    assert answer.startswith("Yes. On ")
    assert "Front Door College was quality-assured by" in answer
    signed = page.get_attribute("a[data-signed-answer]", "href")
    assert signed.startswith("/registry/verify/signed/?identifier=schac")
    assert_accessible(page, "verify answer", axe)
    page.fill("#v-at", "2001-01-01")
    with page.expect_navigation():
        page.click("form.verify-form button[type=submit]")
    assert page.inner_text("#answer .verdict").startswith("No. On 1 January 2001")
    page = visitor.go("/")
    page.fill("#landing-q", "Front Door")
    with page.expect_navigation():
        page.click("form[role=search] button[type=submit]")
    assert "Front Door College" in page.inner_text("main")
    visitor.close()


def test_saving_one_judgement_keeps_the_others_and_leaving_asks_first(chromium, live_server):
    provider_user, application = _provider_case()
    coordinator = UserFactory(username="coordinator-w", roles=["coordinator"])
    reviewers = {
        "chair": UserFactory(username="chair-w", roles=["reviewer"]),
        "member": UserFactory(username="member-w", roles=["reviewer"]),
        "student": UserFactory(username="student-w", roles=["reviewer"]),
    }
    to_screening(application, provider_user, coordinator)
    seats = seat_panel(application, coordinator, reviewers)
    fire(application, "start_review", coordinator)
    session = Session(chromium, live_server.url, "member-w")
    page = session.go(f"/assignments/{seats['member'].pk}/review/")
    # Typed into the first standard, not saved; then the second one is saved.
    page.click("[id='id_s-quality-rationale']")
    page.keyboard.type("Half-written thoughts on quality")
    page.select_option("[id='id_s-transparency-judgement']", "partially_compliant")
    page.fill("[id='id_s-transparency-rationale']", "Fees are published late.")
    page.click("#std-transparency button[type=submit]")
    page.wait_for_selector("#std-transparency .autosave-status:has-text('Saved')")
    assert page.input_value("[id='id_s-quality-rationale']").startswith("Half-written")
    saved = ReviewerJudgement.objects.get(assignment=seats["member"], standard__code="transparency")
    assert saved.judgement == "partially_compliant"
    assert page.url.endswith("/review/")
    # The first standard's text is still unsaved (no judgement chosen): leaving asks.
    asked = []

    def answer(dialog):
        asked.append(dialog.type)
        dialog.accept()

    page.on("dialog", answer)
    with page.expect_navigation():
        page.click(f"main a[href$='/applications/{application.pk}/']")
    assert asked == ["beforeunload"]
    session.close()
    assert PanelAssignment.objects.filter(pk=seats["member"].pk).exists()


def test_history_consolidation_and_registry_speak_in_labels(chromium, live_server):
    provider_user, application = _provider_case()
    coordinator = UserFactory(username="coordinator-w", roles=["coordinator"])
    to_screening(application, provider_user, coordinator)
    axe = _axe()
    session = Session(chromium, live_server.url, "provider-w")
    page = session.go(f"/applications/{application.pk}/")
    timeline = page.inner_text(".timeline")
    assert "Dossier submitted" in timeline and "Submitted → Screening" in timeline
    assert "start_screening" not in timeline
    standards = page.inner_text("#self-assessment")
    assert "Quality" in standards and "quality Quality" not in standards
    page = session.go("/")
    history = History()
    provider = history.provider(name="Labelled College", identifier="labelled.example.org")
    course = history.course(provider, title="Statistics for Everyone")
    history.decide(provider, course=course, name="accredit_with_conditions")
    history.publish()
    page = session.go(f"/registry/providers/{provider.pk}/")
    text = page.inner_text("main")
    assert "Positive with conditions" in text and "positive_with_conditions" not in text
    assert "Statistics for Everyone" in text
    page = session.go("/registry/")
    options = page.locator("#status option").all_inner_texts()
    assert "Suspended" in options and "suspended" not in options
    assert_accessible(page, "registry search", axe)
    session.close()


def test_provider_removes_a_document_and_sees_an_upload_refusal_as_an_error(
    chromium, live_server, tmp_path
):
    provider_user, application = _provider_case()
    DocumentFactory(
        application=application,
        uploaded_by=provider_user,
        kind="evidence",
        original_name="outdated-policy.pdf",
    )
    axe = _axe()
    session = Session(chromium, live_server.url, "provider-w")
    page = session.go(f"/applications/{application.pk}/")
    with page.expect_navigation():
        page.click("button:has-text('Remove outdated-policy.pdf')")
    assert "outdated-policy.pdf was removed from the dossier." in page.inner_text(".messages")
    assert "outdated-policy.pdf" not in page.inner_text("#documents")
    assert not Document.objects.filter(application=application).exists()
    # Not a PDF: the refusal is an error at the file field, not plain text.
    page.select_option("#id_kind", "evidence")
    page.set_input_files(
        "#id_file",
        files=[{"name": "notes.pdf", "mimeType": "application/pdf", "buffer": b"not a pdf"}],
    )
    page.click("form[data-upload] button[type=submit]")
    page.wait_for_selector(".upload-status.error")
    assert page.get_attribute(".upload-status", "role") == "alert"
    assert "not accepted" in page.inner_text(".upload-status")
    assert page.get_attribute("#id_file", "aria-invalid") == "true"
    color = page.eval_on_selector(".upload-status", "e => getComputedStyle(e).color")
    assert color != "rgb(26, 26, 26)"
    assert_accessible(page, "upload refused", axe)
    session.close()


def test_evidence_group_is_labelled_above_its_boxes_and_says_to_upload_first(chromium, live_server):
    provider_user, application = _provider_case()
    DocumentFactory(
        application=application, uploaded_by=provider_user, original_name="handbook.pdf"
    )
    axe = _axe()
    session = Session(chromium, live_server.url, "provider-w")
    page = session.go(f"/applications/{application.pk}/self-assessments/quality/")
    legend = page.locator("legend:has-text('Evidence documents')")
    box = page.locator("label:has-text('handbook.pdf')")
    assert legend.bounding_box()["y"] < box.bounding_box()["y"]
    assert "Upload the documents first" in page.inner_text("fieldset")
    assert_accessible(page, "self-assessment form", axe)
    session.close()


def test_a_wrong_address_shows_the_sites_own_page(chromium, live_server):
    axe = _axe()
    session = Session(chromium, live_server.url, None)
    page = session.go("/no-such-page/")
    text = page.inner_text("main")
    assert "Page not found" in text
    assert "api/v1" not in page.content() and "URLconf" not in page.content()
    assert page.locator("a[href='/registry/']").count() >= 1
    assert_accessible(page, "404 page", axe)
    session.close()
