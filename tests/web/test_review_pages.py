"""Panel composition, invitations, judgements with autosave, the chair's consolidation."""

import pytest
from django.urls import reverse

from reviews.models import Affiliation, Finding, PanelAssignment, ReviewerJudgement
from tests.web.conftest import HOSTILE, fire, seat_panel, to_review, to_screening

pytestmark = pytest.mark.django_db


@pytest.fixture
def screening(course_application, provider_user, coordinator):
    return to_screening(course_application, provider_user, coordinator)


def test_coordinator_invites_a_reviewer(as_user, coordinator, screening, reviewers):
    client = as_user(coordinator)
    page = client.get(reverse("panel-compose", args=[screening.pk])).content.decode()
    assert reviewers["chair"].username in page
    response = client.post(
        reverse("panel-compose", args=[screening.pk]),
        {"reviewer": reviewers["chair"].pk, "role": "chair", "override_justification": ""},
    )
    assert response.status_code == 302
    seat = PanelAssignment.objects.get(application=screening)
    assert (seat.reviewer, seat.role, seat.state) == (reviewers["chair"], "chair", "invited")


def test_conflict_of_interest_is_shown_and_needs_a_justification(
    as_user, coordinator, screening, reviewers
):
    reviewer = reviewers["member"]
    Affiliation.objects.create(
        reviewer=reviewer, provider=screening.provider, description=f"lecturer {HOSTILE}"
    )
    client = as_user(coordinator)
    url = reverse("panel-compose", args=[screening.pk])
    response = client.post(url, {"reviewer": reviewer.pk, "role": "member"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="coi-warning"' in html and 'data-code="conflict_of_interest"' in html
    assert "is affiliated with" in html
    assert HOSTILE not in html
    assert not PanelAssignment.objects.exists()
    response = client.post(
        url,
        {
            "reviewer": reviewer.pk,
            "role": "member",
            "override_justification": "The tie was a single guest lecture.",
        },
    )
    assert response.status_code == 302
    seat = PanelAssignment.objects.get()
    assert seat.override_justification == "The tie was a single guest lecture."
    assert "Conflict overridden" in client.get(url).content.decode()


def test_only_the_coordinator_composes_the_panel(as_user, provider_user, screening, reviewers):
    response = as_user(provider_user).post(
        reverse("panel-compose", args=[screening.pk]),
        {"reviewer": reviewers["chair"].pk, "role": "chair"},
    )
    assert response.status_code == 403
    assert not PanelAssignment.objects.exists()


def test_reviewer_home_shows_invitations_with_due_dates(as_user, coordinator, screening, reviewers):
    seat_panel(screening, coordinator, reviewers, accept=False)
    html = as_user(reviewers["student"]).get("/").content.decode()
    assert "Invitations to review" in html
    assert f"#{screening.pk}" in html and screening.provider.legal_name in html
    assert "<time datetime=" in html


def test_invitation_to_a_withdrawn_case_is_no_longer_asked(
    as_user, coordinator, provider_user, screening, reviewers
):
    seats = seat_panel(screening, coordinator, reviewers, accept=False)
    fire(screening, "withdraw", provider_user)
    client = as_user(reviewers["student"])
    home = client.get("/").content.decode()
    assert "No invitation waits for an answer." in home
    assert f"#{screening.pk}" not in home
    page = client.get(reverse("assignment-detail", args=[seats["student"].pk])).content.decode()
    assert 'data-invitation="closed"' in page and "“Withdrawn”" in page
    assert reverse("assignment-accept", args=[seats["student"].pk]) not in page
    seats["student"].refresh_from_db()
    assert seats["student"].state == "invited"  # the record keeps what happened


def test_invited_reviewer_cannot_open_the_dossier_yet(as_user, coordinator, screening, reviewers):
    seat_panel(screening, coordinator, reviewers, accept=False)
    client = as_user(reviewers["chair"])
    assert client.get(screening.get_absolute_url()).status_code == 404


def test_accept_needs_the_declaration(as_user, coordinator, screening, reviewers):
    seats = seat_panel(screening, coordinator, reviewers, accept=False)
    seat = seats["chair"]
    client = as_user(reviewers["chair"])
    page = client.get(reverse("assignment-detail", args=[seat.pk])).content.decode()
    assert 'name="no_conflict"' in page and "no conflict of interest" in page
    response = client.post(reverse("assignment-accept", args=[seat.pk]), {})
    assert response.status_code == 400
    assert "Tick the declaration" in response.content.decode()
    seat.refresh_from_db()
    assert seat.state == "invited"
    response = client.post(reverse("assignment-accept", args=[seat.pk]), {"no_conflict": "on"})
    assert response.status_code == 302
    seat.refresh_from_db()
    assert seat.state == "accepted" and seat.no_conflict_declared
    assert client.get(screening.get_absolute_url()).status_code == 200


def test_decline_needs_a_reason(as_user, coordinator, screening, reviewers):
    seat = seat_panel(screening, coordinator, reviewers, accept=False)["member"]
    client = as_user(reviewers["member"])
    response = client.post(reverse("assignment-decline", args=[seat.pk]), {"reason": ""})
    assert response.status_code == 400
    assert 'id="id_reason_errors"' in response.content.decode()
    response = client.post(reverse("assignment-decline", args=[seat.pk]), {"reason": "Busy"})
    assert response.status_code == 302
    seat.refresh_from_db()
    assert (seat.state, seat.decline_reason) == ("declined", "Busy")


def test_someone_elses_assignment_is_404(as_user, coordinator, screening, reviewers):
    seat = seat_panel(screening, coordinator, reviewers, accept=False)["member"]
    client = as_user(reviewers["chair"])
    assert client.get(reverse("assignment-detail", args=[seat.pk])).status_code == 404
    response = client.post(reverse("assignment-accept", args=[seat.pk]), {"no_conflict": "on"})
    assert response.status_code == 404


@pytest.fixture
def in_review(course_application, provider_user, coordinator, reviewers):
    seats = to_review(course_application, provider_user, coordinator, reviewers)
    course_application.refresh_from_db()
    return course_application, seats


def test_review_page_shows_the_dossier_beside_a_form_per_standard(as_user, in_review):
    application, seats = in_review
    seat = seats["member"]
    html = as_user(seat.reviewer).get(reverse("assignment-review", args=[seat.pk])).content.decode()
    standards = list(application.framework.standards.all())
    assert html.count("data-autosave") == len(standards)
    for standard in standards:
        assert f"How we meet {standard.title}." in html
        assert reverse("judgement-save", args=[seat.pk, standard.code]) in html


def test_judgement_plain_submit(as_user, in_review):
    application, seats = in_review
    seat = seats["student"]
    response = as_user(seat.reviewer).post(
        reverse("judgement-save", args=[seat.pk, "quality"]),
        {"s-quality-judgement": "partially_compliant", "s-quality-rationale": "Thin evidence."},
    )
    assert response.status_code == 302
    judgement = ReviewerJudgement.objects.get(assignment=seat, standard__code="quality")
    assert (judgement.judgement, judgement.rationale) == ("partially_compliant", "Thin evidence.")


def test_judgement_autosave_answers_json(as_user, in_review):
    application, seats = in_review
    seat = seats["member"]
    client = as_user(seat.reviewer)
    url = reverse("judgement-save", args=[seat.pk, "quality"])
    incomplete = client.post(
        url,
        {"s-quality-judgement": "compliant", "s-quality-rationale": ""},
        HTTP_ACCEPT="application/json",
    )
    assert incomplete.status_code == 400 and "rationale" in incomplete.json()["errors"]
    saved = client.post(
        url,
        {"s-quality-judgement": "compliant", "s-quality-rationale": "Clear policy."},
        HTTP_ACCEPT="application/json",
    )
    assert saved.status_code == 200 and saved.json()["saved"] is True
    assert ReviewerJudgement.objects.get(assignment=seat).rationale == "Clear policy."


def test_judgement_on_unknown_standard_is_404(as_user, in_review):
    application, seats = in_review
    seat = seats["member"]
    response = as_user(seat.reviewer).post(
        reverse("judgement-save", args=[seat.pk, "nope"]),
        {"s-nope-judgement": "compliant", "s-nope-rationale": "x"},
    )
    assert response.status_code == 404


def test_chair_consolidation_shows_every_members_judgement(as_user, in_review):
    application, seats = in_review
    from reviews import services

    services.judgement_put(
        assignment=seats["member"],
        standard_code="quality",
        actor=seats["member"].reviewer,
        judgement="non_compliant",
        rationale=f"Member says {HOSTILE}",
    )
    services.judgement_put(
        assignment=seats["student"],
        standard_code="quality",
        actor=seats["student"].reviewer,
        judgement="compliant",
        rationale="Student agrees with the provider.",
    )
    chair = seats["chair"].reviewer
    client = as_user(chair)
    html = client.get(reverse("consolidation", args=[application.pk])).content.decode()
    assert "Member says &lt;script&gt;" in html and HOSTILE not in html
    assert "Student agrees with the provider." in html
    assert "Not judged yet by: chair-w" in html
    response = client.post(
        reverse("finding-save", args=[application.pk, "quality"]),
        {
            "s-quality-judgement": "substantially_compliant",
            "s-quality-rationale": "Mostly met.",
            "s-quality-recommendations": "Publish the policy.",
        },
    )
    assert response.status_code == 302
    finding = Finding.objects.get(application=application, standard__code="quality")
    assert finding.recommendations == "Publish the policy."


def test_member_may_not_see_the_consolidation(as_user, in_review):
    application, seats = in_review
    response = as_user(seats["member"].reviewer).get(
        reverse("consolidation", args=[application.pk])
    )
    assert response.status_code == 404


def test_member_cannot_record_findings(as_user, in_review):
    application, seats = in_review
    response = as_user(seats["member"].reviewer).post(
        reverse("finding-save", args=[application.pk, "quality"]),
        {"s-quality-judgement": "compliant", "s-quality-rationale": "x"},
    )
    assert response.status_code == 403
    assert not Finding.objects.exists()
