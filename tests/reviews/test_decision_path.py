"""The path to a decision without hidden steps (issue 18, items 1, 4, 6 and 7): the final
report renders itself when the factual-accuracy check closes; every refusal names what is
missing and who provides it; no draft renders before the panel's findings; superseded
report versions are marked; a decider is not offered the appeal against their own
decision, and is told why where it is refused."""

import pytest
from django.urls import reverse

from accreditation.models import Application
from demo.scenario import PATHS, Cast, Scenario, ready_report
from reviews.models import Report
from reviews.reports import tasks as report_tasks
from tests.conftest import client_for
from tests.factories import CourseFactory, UserFactory
from tests.web.conftest import browser_for

from .test_report_case import committed

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(provider_user, coordinator, decider):
    """A scenario for a course of the provider; every step runs its after-commit work."""
    provider = provider_user.providers.get()
    cast = Cast(
        admin=provider_user,
        coordinator=coordinator,
        decider=decider,
        panel={
            role: UserFactory(username=f"{role}-dp", roles=["reviewer"])
            for role in ("chair", "member", "student")
        },
    )
    return Scenario(
        cast, provider=provider, course=CourseFactory(provider=provider), around=committed
    )


def transition(user, application, name, **data):
    return client_for(user).post(
        f"/api/v1/applications/{application.pk}/transitions/{name}/", data, format="json"
    )


def unmet_of(response):
    return {item["code"]: item["message"] for item in response.json()["unmet"]}


# --------------------------------------------------------------------------- item 1


def test_closing_the_factual_accuracy_check_renders_the_final_report(case, decider):
    case.run(*PATHS["factual_check"])
    assert not Report.objects.filter(application=case.application, stage="final").exists()

    case.run("confirm_factual_accuracy")

    [final] = Report.objects.filter(application=case.application, stage="final")
    assert (final.version, final.status, final.requested_by) == (1, "ready", None)
    log_id = case.application.transitions.get(transition="confirm_factual_accuracy").pk
    assert final.data["report"]["trigger"] == f"application-log:{log_id}"
    # Nobody had to request it: the decision body decides at once.
    response = transition(decider, case.application, "accredit", rationale="All met.")
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "accredited"


def test_the_automatic_final_report_is_made_once_per_step(case):
    case.run(*PATHS["factual_check"])
    with committed():
        case.fire("confirm_factual_accuracy", case.cast.admin)
    log_id = case.application.transitions.get(transition="confirm_factual_accuracy").pk
    trigger = f"application-log:{log_id}"
    with committed():
        again = report_tasks.request_report_after_step(case.application.pk, "final", trigger)
    assert Report.objects.filter(application=case.application, stage="final").count() == 1
    assert again["id"] == Report.objects.get(application=case.application, stage="final").pk


def test_a_late_automatic_request_after_the_case_moved_on_makes_nothing(case):
    case.run(*PATHS["factual_check"])
    Application.objects.filter(pk=case.application.pk).update(state="withdrawn")
    assert report_tasks.request_report_after_step(case.application.pk, "final", "x:1") is None
    assert not Report.objects.filter(application=case.application, stage="final").exists()


def test_a_decision_without_the_final_report_says_where_it_is_and_who_provides_it(
    case, decider, monkeypatch
):
    monkeypatch.setattr(report_tasks.render_report, "delay", lambda pk: None)
    case.run(*PATHS["decision_pending"])
    final = Report.objects.get(application=case.application, stage="final")
    assert final.status == "pending"

    refused = transition(decider, case.application, "accredit")
    assert refused.status_code == 400
    message = unmet_of(refused)["missing_report:final"]
    assert "being rendered; it will be ready in a minute" in message

    Report.objects.filter(pk=final.pk).update(status="failed", error="boom")
    message = unmet_of(transition(decider, case.application, "accredit"))["missing_report:final"]
    assert "rendering it failed" in message
    assert "coordinator or the panel chair must request it again" in message

    Report.objects.filter(pk=final.pk).delete()
    message = unmet_of(transition(decider, case.application, "accredit"))["missing_report:final"]
    assert "renders it when the factual-accuracy check closes" in message


def test_the_coordinator_page_names_the_missing_report_and_whose_turn_it_is(
    case, coordinator, decider, monkeypatch
):
    monkeypatch.setattr(report_tasks.render_report, "delay", lambda pk: None)
    case.run(*PATHS["decision_pending"])
    html = browser_for(coordinator).get(case.application.get_absolute_url()).content.decode()
    assert "It waits for the decision body." in html
    assert "the final report is being rendered; it will be ready in a minute" in html
    decider_page = browser_for(decider).get(case.application.get_absolute_url()).content.decode()
    assert 'data-transition="accredit"' in decider_page
    assert 'id="waiting-on"' in decider_page
    confirm = browser_for(decider).get(
        reverse("application-transition", args=[case.application.pk, "accredit"])
    )
    assert "the final report is being rendered" in confirm.content.decode()


# --------------------------------------------------------------------------- item 4


def test_a_draft_before_the_findings_is_refused_listing_each_missing_finding(case):
    case.run(*PATHS["in_review"])
    chair = case.cast.chair
    response = client_for(chair).post(
        f"/api/v1/applications/{case.application.pk}/reports/", {"stage": "draft"}, format="json"
    )
    assert response.status_code == 400
    codes = set(unmet_of(response))
    assert codes == {f"missing_finding:{s.code}" for s in case.standards()}
    assert "panel chair must record a finding on every standard" in response.json()["detail"]
    assert not Report.objects.filter(application=case.application).exists()

    page = browser_for(chair).post(
        reverse("report-request", args=[case.application.pk]), {"stage": "draft"}
    )
    assert page.status_code == 400
    html = page.content.decode()
    first = case.standards()[0]
    assert f'data-code="missing_finding:{first.code}"' in html
    assert "The chair has not recorded the panel&#x27;s finding" in html
    assert not Report.objects.filter(application=case.application).exists()


def test_once_every_finding_is_recorded_the_draft_renders(case):
    case.run(*PATHS["in_review"], "judge", "draft_report")
    assert Report.objects.get(application=case.application, stage="draft").status == "ready"


def test_superseded_versions_are_marked_in_the_api_and_on_the_page(case, provider_user):
    case.run(*PATHS["in_review"])
    first = ready_report(case.application, "draft", 1)
    second = ready_report(case.application, "draft", 2)
    pending = Report.objects.create(application=case.application, stage="draft", version=3)
    client = client_for(provider_user)
    old = client.get(f"/api/v1/reports/{first.pk}/").json()
    new = client.get(f"/api/v1/reports/{second.pk}/").json()
    assert (old["superseded"], old["superseded_by"]) == (True, 2)
    assert (new["superseded"], new["superseded_by"]) == (False, None)
    assert client.get(f"/api/v1/reports/{pending.pk}/").json()["superseded"] is False
    detail = client.get(f"/api/v1/applications/{case.application.pk}/").json()
    assert [(r["version"], r["superseded"]) for r in detail["reports"]] == [
        (1, True),
        (2, False),
        (3, False),
    ]
    html = browser_for(provider_user).get(case.application.get_absolute_url()).content.decode()
    assert "superseded by version 2" in html
    assert html.count("superseded by version") == 1
    assert "(the version that counts)" in html
    assert f'data-report-pending="{pending.pk}"' in html


# --------------------------------------------------------------------------- item 6


def test_the_decider_is_not_offered_the_appeal_against_their_own_decision(
    case, decider, appeals_member
):
    case.run(*PATHS["appealed"])
    assert case.application.state == "appealed"
    decider.groups.add(*appeals_member.groups.all())
    mine = browser_for(decider).get("/").content.decode()
    theirs = browser_for(appeals_member).get("/").content.decode()
    link = f'href="/applications/{case.application.pk}/"'
    assert "Appeals to handle" in mine
    assert link not in mine.split("Appeals to handle", 1)[1]
    assert link in theirs.split("Appeals to handle", 1)[1]

    page = browser_for(decider).get(case.application.get_absolute_url()).content.decode()
    assert 'data-withheld="uphold_appeal"' in page
    assert "Conflict of interest: You took the decision under appeal" in page
    confirm = browser_for(decider).get(
        reverse("application-transition", args=[case.application.pk, "uphold_appeal"])
    )
    assert "Conflict of interest: You took the decision under appeal" in confirm.content.decode()
    refused = transition(decider, case.application, "uphold_appeal")
    assert refused.status_code == 403
    assert "another member of the appeals committee must" in refused.json()["detail"]


# --------------------------------------------------------------------------- item 7


def test_what_you_can_do_now_lists_the_accreditation_buttons_offered_below(case, decider):
    case.run(*PATHS["accredited"])
    html = browser_for(decider).get(case.application.get_absolute_url()).content.decode()
    box = html.split('id="h-actions"', 1)[1].split("</section>", 1)[0]
    assert "Nothing for you to do" not in box
    assert 'data-box-accreditation-transition="suspend"' in box
    assert 'data-box-accreditation-transition="revoke"' in box


def test_help_mentions_the_final_report_step(client):
    html = client.get(reverse("help")).content.decode()
    assert "final report" in html
    assert "factual-accuracy check closes" in html


def test_the_sweep_makes_the_final_report_whose_request_the_broker_lost(case, monkeypatch):
    case.run(*PATHS["factual_check"])
    monkeypatch.setattr(report_tasks.request_report_after_step, "delay", lambda *a: None)
    case.run("confirm_factual_accuracy")
    assert not Report.objects.filter(application=case.application, stage="final").exists()

    with committed():
        queued = report_tasks.sweep_reports()
    final = Report.objects.get(application=case.application, stage="final")
    assert queued == [final.pk]
    assert final.status == "ready"
    with committed():
        assert report_tasks.sweep_reports() == []
