"""Condition follow-up end to end in headless Chromium: the provider answers a condition
with a PDF, the decision body assesses it as met, and the decision shows positive; the
condition page has no serious accessibility violation (axe-core)."""

import datetime

import pytest

from accreditation.models import Accreditation, ConditionResponse
from demo.scenario import ready_report
from reviews.models import Report
from tests.accreditation.helpers import decided
from tests.factories import ApplicationFactory, MembershipFactory, UserFactory
from tests.factories import pdf_bytes as make_pdf

from .test_browser import Session, assert_accessible, chromium  # noqa: F401 (fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def case(transactional_db):
    provider_admin = MembershipFactory(
        user__username="provider-a", provider__legal_name="Provider A University"
    ).user
    provider = provider_admin.providers.get()
    decider = UserFactory(username="decider", roles=["decision_body", "appeals_committee"])
    application = ApplicationFactory(
        provider=provider, course__provider=provider, created_by=provider_admin
    )
    due = datetime.date.today() + datetime.timedelta(days=90)
    accreditation = decided(
        application,
        decider,
        state="conditionally_accredited",
        conditions=[("Publish the assessment rules", due)],
    )
    ready_report(application, Report.Stage.FINAL)
    ready_report(application, Report.Stage.PUBLISHED)
    return application, accreditation


def test_provider_answers_decider_assesses_met_decision_shows_positive(
    chromium,  # noqa: F811
    live_server,
    case,
    tmp_path,
):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    application, accreditation = case
    condition = accreditation.conditions.get()
    rules = tmp_path / "assessment-rules.pdf"
    rules.write_bytes(make_pdf())

    provider = Session(chromium, live_server.url, "provider-a")
    page = provider.go(f"/applications/{application.pk}/")
    assert "Positive with conditions" in page.inner_text("#decision")
    page.click(f"tr[data-condition='{condition.pk}'] a")
    page.wait_for_url(f"**/conditions/{condition.pk}/")
    assert_accessible(page, "condition page (provider)", axe)
    page.fill("#id_text", "The assessment rules are published on our website.")
    page.set_input_files("#id_files", str(rules))
    with page.expect_navigation():
        page.click("button:has-text('Send the answer')")
    assert "Your answer was sent" in page.inner_text(".messages")
    assert "assessment-rules.pdf" in page.inner_text("#follow-up")
    assert ConditionResponse.objects.filter(condition=condition).count() == 1

    decider = Session(chromium, live_server.url, "decider")
    page = decider.go(f"/conditions/{condition.pk}/")
    assert "published on our website" in page.inner_text("#follow-up")
    assert_accessible(page, "condition page (decision body)", axe)
    page.select_option("#id_met", "yes")
    page.fill("#id_comment", "The rules are public and complete.")
    # The last condition met publishes a new report version, rendered in this request
    # (Celery is eager in tests): give it the time a loaded machine needs.
    decider.context.set_default_timeout(90_000)
    with page.expect_navigation(timeout=90_000):
        page.click("button:has-text('Record the assessment')")
    assert "the decision is now positive" in page.inner_text(".messages")
    assert page.get_attribute("[data-outcome]", "data-outcome") == "positive"
    assert Accreditation.objects.get(pk=accreditation.pk).outcome == "positive"

    page = provider.go(f"/applications/{application.pk}/")
    outcome = page.get_attribute("[data-accreditation-outcome]", "data-accreditation-outcome")
    assert outcome == "positive"
    row = page.inner_text(f"tr[data-condition='{condition.pk}']")
    assert "Met" in row and "last assessed met" in row
    provider.close()
    decider.close()
