"""Conflicts of interest: checked when assigning and again when accepting; a coordinator
override needs a written justification and is audited."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accreditation.models import Decision, ProviderMembership
from core.errors import GuardFailed, NotAllowed
from core.models import AuditEvent
from reviews import services
from reviews.models import Affiliation, ConflictDeclaration, PanelAssignment
from tests.factories import ProviderFactory
from tests.reviews.helpers import make_reviewer

pytestmark = pytest.mark.django_db


def _years_ago(years, days=0):
    today = timezone.now().date()
    return today.replace(year=today.year - years) + timedelta(days=days)


def _assign(application, reviewer, coordinator, role="member", **kwargs):
    return services.panel_member_assign(
        application=application, reviewer=reviewer, role=role, actor=coordinator, **kwargs
    )


def _refused_codes_and_messages(application, reviewer, coordinator):
    with pytest.raises(GuardFailed) as caught:
        _assign(application, reviewer, coordinator)
    assert not PanelAssignment.objects.filter(reviewer=reviewer).exists()
    return [(u.code, u.message) for u in caught.value.unmet]


def test_reviewer_of_same_organisation_cannot_join_panel(screening_application, coordinator):
    reviewer = make_reviewer()
    ProviderMembership.objects.create(user=reviewer, provider=screening_application.provider)
    unmet = _refused_codes_and_messages(screening_application, reviewer, coordinator)
    assert [code for code, _ in unmet] == ["conflict_of_interest"]
    assert "acts for" in unmet[0][1]


def test_affiliation_ended_within_cooling_off_is_a_conflict(
    screening_application, coordinator, settings
):
    settings.MCQA_COI_COOLING_OFF_YEARS = 3
    reviewer = make_reviewer()
    Affiliation.objects.create(
        reviewer=reviewer,
        provider=screening_application.provider,
        description="lecturer",
        end_date=_years_ago(3, days=+10),
    )
    unmet = _refused_codes_and_messages(screening_application, reviewer, coordinator)
    assert [code for code, _ in unmet] == ["conflict_of_interest"]
    assert "cooling-off" in unmet[0][1] and "lecturer" in unmet[0][1]


def test_current_affiliation_is_a_conflict(screening_application, coordinator):
    reviewer = make_reviewer()
    Affiliation.objects.create(
        reviewer=reviewer, provider=screening_application.provider, start_date=date(2020, 1, 1)
    )
    unmet = _refused_codes_and_messages(screening_application, reviewer, coordinator)
    assert "is affiliated with" in unmet[0][1]


def test_affiliation_ended_before_cooling_off_is_no_conflict(
    screening_application, coordinator, settings
):
    settings.MCQA_COI_COOLING_OFF_YEARS = 3
    reviewer = make_reviewer()
    Affiliation.objects.create(
        reviewer=reviewer, provider=screening_application.provider, end_date=_years_ago(3, -10)
    )
    seat = _assign(screening_application, reviewer, coordinator)
    assert seat.state == "invited" and seat.overridden_conflicts == []


def test_cooling_off_period_is_configurable(screening_application, coordinator, settings):
    reviewer = make_reviewer()
    Affiliation.objects.create(
        reviewer=reviewer, provider=screening_application.provider, end_date=_years_ago(4)
    )
    settings.MCQA_COI_COOLING_OFF_YEARS = 5
    _refused_codes_and_messages(screening_application, reviewer, coordinator)
    settings.MCQA_COI_COOLING_OFF_YEARS = 3
    assert _assign(screening_application, reviewer, coordinator).state == "invited"


def test_affiliation_with_another_provider_is_no_conflict(screening_application, coordinator):
    reviewer = make_reviewer()
    Affiliation.objects.create(reviewer=reviewer, provider=ProviderFactory())
    assert _assign(screening_application, reviewer, coordinator).state == "invited"


def test_declared_conflict_refuses_the_seat(screening_application, coordinator):
    reviewer = make_reviewer()
    services.conflict_declare(
        reviewer=reviewer,
        provider=screening_application.provider,
        reason="My spouse teaches there.",
    )
    unmet = _refused_codes_and_messages(screening_application, reviewer, coordinator)
    assert [code for code, _ in unmet] == ["conflict_of_interest"]
    assert "My spouse teaches there." in unmet[0][1]


def test_decider_of_this_case_cannot_review_it(screening_application, coordinator):
    reviewer = make_reviewer(roles=["reviewer", "decision_body"])
    Decision.objects.create(
        application=screening_application,
        outcome="negative",
        decided_by=reviewer,
        decided_at=timezone.now(),
        annulled_at=timezone.now(),
    )
    unmet = _refused_codes_and_messages(screening_application, reviewer, coordinator)
    assert "decision body" in unmet[0][1]


def test_every_conflict_is_listed(screening_application, coordinator):
    reviewer = make_reviewer()
    provider = screening_application.provider
    ProviderMembership.objects.create(user=reviewer, provider=provider)
    Affiliation.objects.create(reviewer=reviewer, provider=provider)
    ConflictDeclaration.objects.create(reviewer=reviewer, provider=provider, reason="Friend")
    unmet = _refused_codes_and_messages(screening_application, reviewer, coordinator)
    assert [code for code, _ in unmet] == ["conflict_of_interest"] * 3


def test_override_with_justification_is_allowed_and_audited(screening_application, coordinator):
    reviewer = make_reviewer()
    affiliation = Affiliation.objects.create(
        reviewer=reviewer, provider=screening_application.provider, end_date=_years_ago(1)
    )
    seat = _assign(
        screening_application,
        reviewer,
        coordinator,
        override_justification="  Only expert in the field; the tie was a one-off talk.  ",
    )
    assert seat.override_justification == "Only expert in the field; the tie was a one-off talk."
    assert seat.overridden_conflicts == [f"affiliation:{affiliation.pk}"]
    event = AuditEvent.objects.get(action="review.conflict_overridden")
    assert event.actor == coordinator
    assert event.object_id == str(seat.pk)
    assert event.data["justification"] == seat.override_justification
    assert event.data["reviewer"] == reviewer.username
    assert len(event.data["conflicts"]) == 1
    # The reviewer may then accept: the conflict the coordinator saw is covered.
    accepted = services.assignment_accept(assignment=seat, actor=reviewer, no_conflict=True)
    assert accepted.state == "accepted"


@pytest.mark.parametrize("justification", ["", "   "])
def test_override_without_justification_is_refused(
    screening_application, coordinator, justification
):
    reviewer = make_reviewer()
    ProviderMembership.objects.create(user=reviewer, provider=screening_application.provider)
    with pytest.raises(GuardFailed) as caught:
        _assign(screening_application, reviewer, coordinator, override_justification=justification)
    assert caught.value.unmet[0].code == "conflict_of_interest"
    # In words, not the field name (issue 18): the page shows this message as it is.
    assert "written justification" in caught.value.detail
    assert not PanelAssignment.objects.exists()
    assert not AuditEvent.objects.filter(action="review.conflict_overridden").exists()


def test_justification_without_conflict_is_not_stored_as_override(
    screening_application, coordinator
):
    seat = _assign(
        screening_application, make_reviewer(), coordinator, override_justification="Just in case"
    )
    assert seat.override_justification == "" and seat.overridden_conflicts == []
    assert not AuditEvent.objects.filter(action="review.conflict_overridden").exists()


def test_conflict_arising_after_invitation_blocks_accept(screening_application, coordinator):
    reviewer = make_reviewer()
    seat = _assign(screening_application, reviewer, coordinator)
    Affiliation.objects.create(reviewer=reviewer, provider=screening_application.provider)
    with pytest.raises(GuardFailed) as caught:
        services.assignment_accept(assignment=seat, actor=reviewer, no_conflict=True)
    assert [u.code for u in caught.value.unmet] == ["conflict_of_interest"]
    seat.refresh_from_db()
    assert seat.state == "invited" and not seat.no_conflict_declared
    assert not reviewer.has_perm("accreditation.review_application", screening_application)


def test_override_does_not_cover_a_conflict_arising_later(screening_application, coordinator):
    reviewer = make_reviewer()
    provider = screening_application.provider
    Affiliation.objects.create(reviewer=reviewer, provider=provider, end_date=_years_ago(1))
    seat = _assign(screening_application, reviewer, coordinator, override_justification="Needed")
    ConflictDeclaration.objects.create(reviewer=reviewer, provider=provider, reason="New job")
    with pytest.raises(GuardFailed) as caught:
        services.assignment_accept(assignment=seat, actor=reviewer, no_conflict=True)
    assert len(caught.value.unmet) == 1 and "New job" in caught.value.unmet[0].message


def test_declaring_needs_a_reason_and_the_reviewer_role(screening_application):
    provider = screening_application.provider
    with pytest.raises(ValidationError) as caught:
        services.conflict_declare(reviewer=make_reviewer(), provider=provider, reason="  ")
    assert "reason" in caught.value.message_dict
    outsider = make_reviewer()
    outsider.groups.clear()
    outsider = type(outsider).objects.get(pk=outsider.pk)
    with pytest.raises(NotAllowed):
        services.conflict_declare(reviewer=outsider, provider=provider, reason="Friend")
    assert not ConflictDeclaration.objects.exists()


def test_conflicts_api(screening_application, coordinator):
    from tests.conftest import client_for

    reviewer = make_reviewer()
    client = client_for(reviewer)
    provider = screening_application.provider
    response = client.post("/api/v1/conflicts/", {"provider": provider.pk, "reason": "Ex-boss"})
    assert response.status_code == 201, response.content
    assert response.json()["provider"] == provider.pk
    assert client.get("/api/v1/conflicts/").json()[0]["reason"] == "Ex-boss"
    missing = client.post("/api/v1/conflicts/", {"provider": 999999, "reason": "x"})
    assert missing.status_code == 400 and "provider" in missing.json()
    no_reason = client.post("/api/v1/conflicts/", {"provider": provider.pk, "reason": ""})
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    # Over HTTP, the declared conflict refuses the seat with code conflict_of_interest.
    refused = client_for(coordinator).post(
        f"/api/v1/applications/{screening_application.pk}/panel/",
        {"reviewer": reviewer.username, "role": "member"},
        format="json",
    )
    assert refused.status_code == 400
    assert refused.json()["unmet"][0]["code"] == "conflict_of_interest"
    assert "Ex-boss" in refused.json()["unmet"][0]["message"]
