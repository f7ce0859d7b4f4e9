"""End to end in headless Chromium (Debian's chromium driven by Playwright): a course
application from draft to accredited by clicking through the pages as the provider, the
coordinator, three reviewers (chair, member, student) and the decider; an axe-core check of
the main pages; and the pages read without JavaScript.

Needs `/usr/bin/chromium` (`apt-get install -y chromium`). Screenshots of each role's main
page go to `test-artifacts/screenshots/`.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

from accreditation.models import Accreditation, Application, Standard
from reviews.models import Finding, ReviewerJudgement
from tests.factories import ApplicationFactory, CourseFactory, MembershipFactory, UserFactory
from tests.factories import pdf_bytes as make_pdf

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# serialized_rollback: a transactional test flushes the database, which would also remove the
# standards the data migrations loaded; restore them for the tests that follow.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "correct horse battery"
SCREENSHOTS = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"


@pytest.fixture
def chromium(transactional_db, live_server):
    """A fresh Chromium per test, started after (and stopped before) the test database
    fixtures: Playwright's event loop would otherwise give the database teardown another
    connection object, and the standards restored by serialized_rollback would be lost."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "install Debian's chromium: apt-get install -y chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        # Database work done while Playwright ran (fixtures after this one, the test)
        # used connections of Playwright's context, which the database teardown does not
        # see: close them here, or the test database cannot be dropped at the end.
        connections.close_all()


@pytest.fixture
def people(transactional_db):
    provider_admin = MembershipFactory(
        user__username="provider-a", provider__legal_name="Provider A University"
    ).user
    course = CourseFactory(provider=provider_admin.providers.get(), title="Applied Data Literacy")
    return {
        "provider": provider_admin,
        "course": course,
        "coordinator": UserFactory(username="coordinator", roles=["coordinator"]),
        "chair": UserFactory(username="reviewer1", roles=["reviewer"]),
        "member": UserFactory(username="reviewer2", roles=["reviewer"]),
        "student": UserFactory(username="student1", roles=["reviewer"]),
        "decider": UserFactory(username="decider", roles=["decision_body", "appeals_committee"]),
    }


class Session:
    """One person's browser tab."""

    def __init__(self, browser, base_url, username, javascript=True):
        self.context = browser.new_context(
            base_url=base_url,
            java_script_enabled=javascript,
            viewport={"width": 1280, "height": 900},
        )
        self.context.set_default_timeout(20_000)
        self.page = self.context.new_page()
        self.username = username
        if username:
            self.login()

    def login(self):
        page = self.page
        page.goto("/accounts/login/")
        page.fill("#id_username", self.username)
        page.fill("#id_password", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url("**/")

    def go(self, path):
        self.page.goto(path)
        return self.page

    def fire(self, application, name, **fields):
        """Click the transition's button on the application page, fill in its fields and
        confirm on the confirmation page."""
        page = self.go(f"/applications/{application.pk}/")
        page.click(f"a[data-transition={name}]")
        for selector, value in fields.items():
            page.fill(selector, value)
        page.click("button[name=confirm]")
        page.wait_for_url(f"**/applications/{application.pk}/")
        assert "Done:" in page.inner_text(".messages"), page.content()

    def screenshot(self, name):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    def close(self):
        self.context.close()


def assert_accessible(page, where, axe):
    """axe-core finds no serious or critical violation on the page as it is now."""
    found = _serious(axe.run(page))
    assert found == [], (where, found)


def state_of(application):
    return Application.objects.get(pk=application.pk).state


def test_course_application_from_draft_to_accredited(chromium, live_server, people, tmp_path):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    url = live_server.url
    standards = []
    pdf = tmp_path / "self-evaluation.pdf"
    pdf.write_bytes(make_pdf(2))
    sample = tmp_path / "sample-credential.pdf"
    sample.write_bytes(make_pdf())

    # Provider: open the application, upload, self-assess, submit.
    provider = Session(chromium, url, "provider-a")
    page = provider.page
    provider.screenshot("provider-home")
    page.click("text=Open a new application")
    page.select_option("#id_kind", "course")
    page.select_option("#id_course", label="Applied Data Literacy")
    page.click("button:has-text('Open the application')")
    page.wait_for_url("**/applications/*/")
    application = Application.objects.get(course=people["course"])
    standards = list(
        Standard.objects.filter(framework=application.framework).values_list("code", flat=True)
    )
    assert "missing_document:self_evaluation" in page.content()
    for kind, path in (("self_evaluation", pdf), ("credential_sample", sample)):
        page.select_option("#id_kind", kind)
        page.set_input_files("#id_file", str(path))
        with page.expect_navigation():
            page.click("form[data-upload] button[type=submit]")
        page.wait_for_selector(f"text={path.name}")
    for code in standards:
        page = provider.go(f"/applications/{application.pk}/self-assessments/{code}/")
        page.fill("#id_narrative", f"How we meet {code}: documented procedures and evidence.")
        page.click("button:has-text('Save')")
        page.wait_for_url(f"**/applications/{application.pk}/#self-assessment")
    page = provider.go(f"/applications/{application.pk}/")
    assert "The dossier is complete and may be submitted." in page.content()
    provider.fire(application, "submit")
    assert state_of(application) == "submitted"

    # Coordinator: screening and the panel.
    coordinator = Session(chromium, url, "coordinator")
    coordinator.screenshot("coordinator-home")
    coordinator.fire(application, "start_screening")
    page = coordinator.go(f"/applications/{application.pk}/panel/")
    for username, role in (
        ("reviewer1", "chair"),
        ("reviewer2", "member"),
        ("student1", "student"),
    ):
        page.select_option("#id_reviewer", label=username)
        page.select_option("#id_role", role)
        page.click("button:has-text('Invite')")
        page.wait_for_selector(f"text={username} was invited as {role}.")

    # Reviewers: accept with the declaration.
    reviewers = {}
    for role, username in (
        ("chair", "reviewer1"),
        ("member", "reviewer2"),
        ("student", "student1"),
    ):
        session = Session(chromium, url, username)
        reviewers[role] = session
        page = session.page
        if role == "chair":
            session.screenshot("reviewer-home")
        page.click("a:has-text('Answer')")
        page.check("#id_no_conflict")
        page.click("button:has-text('Accept the seat')")
        page.wait_for_url("**/review/")
        if role == "chair":
            assert_accessible(page, "review page", axe)

    coordinator.fire(application, "start_review")
    assert state_of(application) == "in_review"

    # Every member judges every standard; the first save of the student goes by autosave.
    # A Save button saves its standard without reloading the page (nothing typed elsewhere
    # on the page is lost).
    for role, session in reviewers.items():
        page = session.go("/")
        page.click("a:has-text('Judge the dossier')")
        page.wait_for_url("**/review/")
        for index, code in enumerate(standards):
            prefix = f"s-{code}"
            page.select_option(f"[id='id_{prefix}-judgement']", "compliant")
            page.fill(f"[id='id_{prefix}-rationale']", f"{role} finds {code} met.")
            if role == "student" and index == 0:
                page.wait_for_selector(
                    f"#std-{code} .autosave-status:has-text('Saved automatically.')"
                )
                continue
            page.click(f"#std-{code} button[type=submit]")
            page.wait_for_selector(f"#std-{code} .autosave-status:has-text('Saved')")
        page.wait_for_function("!document.querySelector('.autosave-status.error')")
    assert ReviewerJudgement.objects.count() == 3 * len(standards)

    # The chair consolidates, asks for the draft report and sends it.
    chair = reviewers["chair"]
    page = chair.go(f"/applications/{application.pk}/consolidation/")
    chair.screenshot("chair-consolidation")
    assert_accessible(page, "consolidation", axe)
    for code in standards:
        prefix = f"s-{code}"
        page.select_option(f"[id='id_{prefix}-judgement']", "compliant")
        page.fill(f"[id='id_{prefix}-rationale']", f"The panel finds {code} met.")
        page.click(f"#std-{code} button[type=submit]")
        page.wait_for_selector(f"#std-{code} .autosave-status:has-text('Saved')")
    assert Finding.objects.filter(application=application).count() == len(standards)
    page.reload()
    page.click("button:has-text('Request the draft report')")
    page.wait_for_url(f"**/applications/{application.pk}/#reports")
    assert "download the PDF" in page.inner_text("#reports")
    chair.fire(application, "submit_draft_report")
    assert state_of(application) == "factual_check"

    # Provider: reads the draft report, confirms factual accuracy.
    page = provider.go(f"/applications/{application.pk}/")
    link = page.get_attribute("#reports a[href*='/api/v1/reports/']", "href")
    assert link
    provider.fire(
        application, "confirm_factual_accuracy", **{"#id_comment": "The facts are right."}
    )
    assert state_of(application) == "decision_pending"

    # The final report rendered itself when the facts were confirmed. Decider: accredits.
    page = chair.go(f"/applications/{application.pk}/")
    assert "Final panel report, version 1: download the PDF" in page.inner_text("#reports")
    decider = Session(chromium, url, "decider")
    page = decider.page
    assert f"/applications/{application.pk}/" in page.content()
    decider.screenshot("decider-home")
    page = decider.go(f"/applications/{application.pk}/transitions/accredit_with_conditions/")
    assert_accessible(page, "decision form with conditions", axe)
    page = decider.go(f"/applications/{application.pk}/")
    assert_accessible(page, "application page awaiting a decision", axe)
    decider.fire(application, "accredit", **{"#id_rationale": "All standards met."})
    assert state_of(application) == "accredited"
    assert Accreditation.objects.get(application=application).status == "active"
    page = provider.go(f"/applications/{application.pk}/")
    assert "Decision pending → Accredited" in page.inner_text(".timeline")
    provider.screenshot("provider-accredited")
    for session in (provider, coordinator, decider, *reviewers.values()):
        session.close()


MAIN_PAGES = {
    "provider-a": [
        "/",
        "/applications/{app}/",
        "/courses/{course}/edit/",
        "/courses/",
        "/applications/{app}/transitions/submit/",
        "/applications/{app}/self-assessments/quality/",
    ],
    "coordinator": ["/", "/applications/", "/deadlines/", "/applications/{app}/panel/"],
    "reviewer1": ["/"],
    "decider": ["/"],
    None: ["/accounts/login/", "/help/", "/accounts/password-reset/"],
}


def _serious(results):
    return [
        (v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:3])
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_main_pages_have_no_serious_accessibility_violations(chromium, live_server, people):
    from axe_playwright_python.sync_playwright import Axe

    application = ApplicationFactory(provider=people["course"].provider, course=people["course"])
    axe = Axe()
    problems = {}
    for username, paths in MAIN_PAGES.items():
        session = Session(chromium, live_server.url, username)
        for path in paths:
            path = path.format(app=application.pk, course=people["course"].pk)
            session.go(path)
            found = _serious(axe.run(session.page))
            if found:
                problems[path] = found
        # An invalid submission: errors next to fields must be accessible too.
        if username == "provider-a":
            page = session.go(f"/courses/{people['course'].pk}/edit/")
            page.fill("#id_isced_f", "1234")
            page.click("button:has-text('Save the course')")
            found = _serious(axe.run(page))
            if found:
                problems["course form with errors"] = found
        session.close()
    assert problems == {}


def test_pages_read_without_javascript(chromium, live_server, people):
    application = ApplicationFactory(provider=people["course"].provider, course=people["course"])
    session = Session(chromium, live_server.url, None, javascript=False)
    session.username = "provider-a"
    session.login()
    page = session.go(f"/applications/{application.pk}/")
    text = page.inner_text("main")
    assert "Completeness checklist" in text
    assert "Applied Data Literacy" in text
    assert "History" in text
    # Forms work with a plain submit: the upload and the transition confirmation.
    pdf = make_pdf()
    page.select_option("#id_kind", "self_evaluation")
    page.set_input_files(
        "#id_file", files=[{"name": "plain.pdf", "mimeType": "application/pdf", "buffer": pdf}]
    )
    with page.expect_navigation():
        page.click("form[data-upload] button[type=submit]")
    assert "plain.pdf was uploaded." in page.inner_text(".messages")
    page.click("a[data-transition=submit]")
    page.click("button[name=confirm]")
    assert "requirements are unmet" in page.inner_text("#refusal")
    page = session.go("/help/")
    assert page.locator("svg.sm").count() == 1
    session.close()
