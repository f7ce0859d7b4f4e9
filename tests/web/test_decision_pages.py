"""Reports, the factual-accuracy check, decisions with conditions, appeals: by the pages."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accreditation.models import Accreditation, Condition, Decision
from reviews.models import Report
from tests.web.conftest import HOSTILE, judge_all, to_review

pytestmark = pytest.mark.django_db


def url(application, name):
    return reverse("application-transition", args=[application.pk, name])


@pytest.fixture
def decision_pending(
    as_user,
    course_application,
    provider_user,
    coordinator,
    reviewers,
    django_capture_on_commit_callbacks,
):
    seats = to_review(course_application, provider_user, coordinator, reviewers)
    chair = seats["chair"].reviewer
    judge_all(course_application, seats, chair)
    chair_client = as_user(chair)
    with django_capture_on_commit_callbacks(execute=True):
        response = chair_client.post(
            reverse("report-request", args=[course_application.pk]), {"stage": "draft"}
        )
    assert response.status_code == 302
    assert Report.objects.get(stage="draft").status == "ready"
    assert chair_client.post(url(course_application, "submit_draft_report"), {}).status_code == 302
    provider_client = as_user(provider_user)
    page = provider_client.get(course_application.get_absolute_url()).content.decode()
    draft = Report.objects.get(stage="draft")
    assert f"/api/v1/reports/{draft.pk}/pdf/" in page
    assert 'data-transition="confirm_factual_accuracy"' in page
    response = provider_client.post(
        url(course_application, "confirm_factual_accuracy"), {"comment": "Facts are right."}
    )
    assert response.status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(coordinator).post(
            reverse("report-request", args=[course_application.pk]), {"stage": "final"}
        )
    assert response.status_code == 302
    course_application.refresh_from_db()
    assert course_application.state == "decision_pending"
    return course_application


def test_decision_body_home_lists_pending_cases(as_user, decider, decision_pending):
    html = as_user(decider).get("/").content.decode()
    assert "Cases waiting for a decision" in html
    assert decision_pending.get_absolute_url() in html


def test_accredit_with_several_conditions(as_user, decider, decision_pending, provider_user):
    client = as_user(decider)
    page = client.get(url(decision_pending, "accredit_with_conditions")).content.decode()
    assert 'name="conditions-0-text"' in page and 'name="conditions-2-due_date"' in page
    due = (timezone.now().date() + datetime.timedelta(days=90)).isoformat()
    data = {
        "valid_until": "",
        "rationale": "Good with two gaps.",
        "conditions-TOTAL_FORMS": "3",
        "conditions-INITIAL_FORMS": "0",
        "conditions-MIN_NUM_FORMS": "0",
        "conditions-MAX_NUM_FORMS": "1000",
        "conditions-0-text": "Publish the assessment policy.",
        "conditions-0-due_date": due,
        "conditions-1-text": f"Train the staff {HOSTILE}",
        "conditions-1-due_date": due,
        "conditions-2-text": "",
        "conditions-2-due_date": "",
    }
    response = client.post(url(decision_pending, "accredit_with_conditions"), data)
    assert response.status_code == 302
    decision_pending.refresh_from_db()
    assert decision_pending.state == "conditionally_accredited"
    accreditation = Accreditation.objects.get(application=decision_pending)
    assert Condition.objects.filter(accreditation=accreditation).count() == 2
    html = as_user(provider_user).get(decision_pending.get_absolute_url()).content.decode()
    assert "Publish the assessment policy." in html
    assert "Train the staff &lt;script&gt;" in html and HOSTILE not in html
    assert 'data-transition="appeal"' in html


def test_conditions_without_a_row_are_refused_with_the_unmet_item(
    as_user, decider, decision_pending
):
    data = {
        "conditions-TOTAL_FORMS": "1",
        "conditions-INITIAL_FORMS": "0",
        "conditions-0-text": "",
        "conditions-0-due_date": "",
    }
    response = as_user(decider).post(url(decision_pending, "accredit_with_conditions"), data)
    assert response.status_code == 400
    assert 'data-code="missing_field:conditions"' in response.content.decode()
    decision_pending.refresh_from_db()
    assert decision_pending.state == "decision_pending"
    assert not Decision.objects.exists()


def test_half_filled_condition_row_is_an_error(as_user, decider, decision_pending):
    data = {
        "conditions-TOTAL_FORMS": "1",
        "conditions-INITIAL_FORMS": "0",
        "conditions-0-text": "Do something",
        "conditions-0-due_date": "",
    }
    response = as_user(decider).post(url(decision_pending, "accredit_with_conditions"), data)
    assert response.status_code == 400
    assert "needs both a text and a due date" in response.content.decode()


def test_reject_needs_a_rationale(as_user, decider, decision_pending):
    client = as_user(decider)
    response = client.post(url(decision_pending, "reject"), {"rationale": ""})
    assert response.status_code == 400
    assert 'id="id_rationale_errors"' in response.content.decode()
    response = client.post(url(decision_pending, "reject"), {"rationale": "Standards unmet."})
    assert response.status_code == 302
    decision_pending.refresh_from_db()
    assert decision_pending.state == "rejected"


def test_accredit_with_validity(as_user, decider, decision_pending):
    until = (timezone.now().date() + datetime.timedelta(days=365 * 3)).isoformat()
    response = as_user(decider).post(
        url(decision_pending, "accredit"), {"valid_until": until, "rationale": ""}
    )
    assert response.status_code == 302
    assert Accreditation.objects.get(application=decision_pending).valid_until.isoformat() == until


def test_accredit_with_past_validity_is_refused(as_user, decider, decision_pending):
    response = as_user(decider).post(
        url(decision_pending, "accredit"), {"valid_until": "2001-01-01", "rationale": ""}
    )
    assert response.status_code == 400
    assert 'data-code="invalid_field:valid_until"' in response.content.decode()


def test_appeal_and_its_handling(as_user, decider, appeals_member, provider_user, decision_pending):
    as_user(decider).post(url(decision_pending, "reject"), {"rationale": "Standards unmet."})
    provider_client = as_user(provider_user)
    response = provider_client.post(url(decision_pending, "appeal"), {"grounds": ""})
    assert response.status_code == 400
    response = provider_client.post(
        url(decision_pending, "appeal"), {"grounds": "The panel ignored our evidence."}
    )
    assert response.status_code == 302
    html = as_user(appeals_member).get("/").content.decode()
    assert "Appeals to handle" in html and decision_pending.get_absolute_url() in html
    # The person who decided sits on the appeals committee too but may not decide the appeal.
    decider_page = as_user(decider).get(decision_pending.get_absolute_url()).content.decode()
    assert 'data-transition="dismiss_appeal"' not in decider_page
    refused = as_user(decider).post(url(decision_pending, "dismiss_appeal"), {"comment": "No."})
    assert refused.status_code == 403
    assert "You took the decision under appeal" in refused.content.decode()
    page = as_user(appeals_member).get(decision_pending.get_absolute_url()).content.decode()
    assert 'data-transition="dismiss_appeal"' in page and 'data-transition="uphold_appeal"' in page
    response = as_user(appeals_member).post(
        url(decision_pending, "dismiss_appeal"), {"comment": "The decision stands."}
    )
    assert response.status_code == 302
    decision_pending.refresh_from_db()
    assert decision_pending.state == "rejected"


def test_report_request_by_a_member_is_refused(
    as_user, course_application, provider_user, coordinator, reviewers
):
    seats = to_review(course_application, provider_user, coordinator, reviewers)
    response = as_user(seats["member"].reviewer).post(
        reverse("report-request", args=[course_application.pk]), {"stage": "draft"}
    )
    assert response.status_code == 403
    assert not Report.objects.exists()


def test_coordinator_dashboard_filters_and_counts(as_user, coordinator, decision_pending):
    client = as_user(coordinator)
    html = client.get(reverse("application-list"), {"state": "decision_pending"}).content.decode()
    assert decision_pending.get_absolute_url() in html
    html = client.get(reverse("application-list"), {"state": "draft"}).content.decode()
    assert decision_pending.get_absolute_url() not in html
    assert "No application matches." in html


def test_overdue_cases_are_marked(as_user, coordinator, decision_pending):
    from accreditation.models import Application

    Application.objects.filter(pk=decision_pending.pk).update(
        due_at=timezone.now() - datetime.timedelta(days=2)
    )
    html = as_user(coordinator).get(reverse("deadlines")).content.decode()
    assert "Overdue (1)" in html and 'class="overdue"' in html
    filtered = as_user(coordinator).get(reverse("application-list"), {"overdue": "on"})
    assert decision_pending.get_absolute_url() in filtered.content.decode()


def test_another_condition_row_without_javascript(as_user, decider, decision_pending):
    data = {
        "rationale": "Kept while adding a row.",
        "conditions-TOTAL_FORMS": "3",
        "conditions-INITIAL_FORMS": "0",
        "conditions-0-text": "First condition",
        "conditions-0-due_date": "",
        "add_condition": "1",
    }
    response = as_user(decider).post(url(decision_pending, "accredit_with_conditions"), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="conditions-3-text"' in html and "First condition" in html
    assert "Kept while adding a row." in html
    decision_pending.refresh_from_db()
    assert decision_pending.state == "decision_pending"


def accredited(as_user, decider, application):
    as_user(decider).post(url(application, "accredit"), {"valid_until": "", "rationale": ""})
    return Accreditation.objects.get(application=application)


def test_decision_body_suspends_with_a_reason(as_user, decider, decision_pending):
    accreditation = accredited(as_user, decider, decision_pending)
    client = as_user(decider)
    page = client.get(decision_pending.get_absolute_url()).content.decode()
    assert 'data-accreditation-transition="suspend"' in page
    assert 'data-accreditation-transition="reinstate"' not in page
    target = reverse("accreditation-transition", args=[accreditation.pk, "suspend"])
    response = client.post(target, {"comment": ""})
    assert response.status_code == 400
    assert 'data-code="missing_field:comment"' in response.content.decode()
    accreditation.refresh_from_db()
    assert accreditation.status == "active"
    response = client.post(target, {"comment": "Overdue condition."})
    assert response.status_code == 400
    assert 'data-code="missing_field:reason"' in response.content.decode()
    response = client.post(
        target, {"comment": "Overdue condition.", "reason": "conditions_overdue"}
    )
    assert response.status_code == 302
    accreditation.refresh_from_db()
    assert accreditation.status == "suspended"


def test_provider_cannot_suspend_its_accreditation(
    as_user, decider, provider_user, decision_pending, reviewers
):
    accreditation = accredited(as_user, decider, decision_pending)
    client = as_user(provider_user)
    page = client.get(decision_pending.get_absolute_url()).content.decode()
    assert "data-accreditation-transition" not in page
    target = reverse("accreditation-transition", args=[accreditation.pk, "revoke"])
    assert client.post(target, {"comment": "x"}).status_code == 403
    assert as_user(reviewers["member"]).post(target, {"comment": "x"}).status_code == 404
    accreditation.refresh_from_db()
    assert accreditation.status == "active"


def test_report_buttons_only_where_the_service_accepts_them(as_user, coordinator, decision_pending):
    html = as_user(coordinator).get(decision_pending.get_absolute_url()).content.decode()
    assert "Request the final report" in html
    assert "Request the draft report" not in html
