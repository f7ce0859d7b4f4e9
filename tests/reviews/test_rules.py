"""The review rules in the application workflow: panel composition before the review
starts, a complete review before the draft report goes out, a final report before a
decision, the chair's rights and the independence of the decision from the panel."""

import pytest
from django.core.exceptions import ValidationError

from accreditation.models import ApplicationTransition, ProviderMembership
from accreditation.services import application_transition, available_transitions
from core.errors import ConflictError, GuardFailed, NotAllowed, NotVisible
from demo.scenario import ready_report
from reviews import services
from reviews.models import Affiliation, PanelAssignment
from tests.reviews.helpers import (
    judge_everything,
    make_reviewer,
    record_every_finding,
)

pytestmark = pytest.mark.django_db


def _assign_and_accept(application, reviewer, role, coordinator, **kwargs):
    seat = services.panel_member_assign(
        application=application, reviewer=reviewer, role=role, actor=coordinator, **kwargs
    )
    return services.assignment_accept(assignment=seat, actor=reviewer, no_conflict=True)


def _unmet(application, name, actor, data=None):
    with pytest.raises(GuardFailed) as caught:
        application_transition(application=application, name=name, actor=actor, data=data)
    return [u.code for u in caught.value.unmet]


# --------------------------------------------------------------------------- start_review


def test_start_review_without_panel_lists_every_unmet_item(screening_application, coordinator):
    codes = _unmet(screening_application, "start_review", coordinator)
    assert codes == ["panel_too_small", "panel_missing_chair", "panel_missing_student"]
    screening_application.refresh_from_db()
    assert screening_application.state == "screening"
    assert not ApplicationTransition.objects.filter(transition="start_review").exists()


def test_invited_seats_do_not_count(screening_application, coordinator):
    for role in ("chair", "member", "student"):
        services.panel_member_assign(
            application=screening_application,
            reviewer=make_reviewer(),
            role=role,
            actor=coordinator,
        )
    codes = _unmet(screening_application, "start_review", coordinator)
    assert codes == ["panel_too_small", "panel_missing_chair", "panel_missing_student"]


def test_three_members_without_chair_or_student(screening_application, coordinator):
    for _ in range(3):
        _assign_and_accept(screening_application, make_reviewer(), "member", coordinator)
    codes = _unmet(screening_application, "start_review", coordinator)
    assert codes == ["panel_missing_chair", "panel_missing_student"]


def test_chair_and_student_but_too_small(screening_application, coordinator):
    _assign_and_accept(screening_application, make_reviewer(), "chair", coordinator)
    _assign_and_accept(screening_application, make_reviewer(), "student", coordinator)
    assert _unmet(screening_application, "start_review", coordinator) == ["panel_too_small"]


def test_accepted_member_with_a_new_conflict_blocks_the_review(
    panel, screening_application, coordinator, member
):
    Affiliation.objects.create(reviewer=member, provider=screening_application.provider)
    assert _unmet(screening_application, "start_review", coordinator) == ["conflict_of_interest"]


def test_overridden_conflict_does_not_block_the_review(screening_application, coordinator):
    conflicted = make_reviewer()
    ProviderMembership.objects.create(user=conflicted, provider=screening_application.provider)
    _assign_and_accept(
        screening_application,
        conflicted,
        "member",
        coordinator,
        override_justification="Member of a large network, no tie to this course.",
    )
    _assign_and_accept(screening_application, make_reviewer(), "chair", coordinator)
    _assign_and_accept(screening_application, make_reviewer(), "student", coordinator)
    started = application_transition(
        application=screening_application, name="start_review", actor=coordinator
    )
    assert started.state == "in_review"


def test_start_review_with_full_panel_sets_judgement_due_dates(
    panel, screening_application, coordinator
):
    started = application_transition(
        application=screening_application, name="start_review", actor=coordinator
    )
    assert started.state == "in_review"
    due = {s.due_date for s in PanelAssignment.objects.filter(application=started)}
    assert due == {started.due_at.date()}


def test_chair_may_not_start_the_review(panel, screening_application, chair):
    with pytest.raises(NotAllowed):
        application_transition(application=screening_application, name="start_review", actor=chair)


# --------------------------------------------------------------------------- judgements


def test_judgement_needs_accepted_seat_in_review(screening_application, coordinator):
    reviewer = make_reviewer()
    seat = services.panel_member_assign(
        application=screening_application, reviewer=reviewer, role="member", actor=coordinator
    )
    code = screening_application.framework.standards.first().code
    with pytest.raises(NotAllowed):
        services.judgement_put(
            assignment=seat,
            standard_code=code,
            actor=reviewer,
            judgement="compliant",
            rationale="r",
        )
    services.assignment_accept(assignment=seat, actor=reviewer, no_conflict=True)
    with pytest.raises(ConflictError):  # the review has not started
        services.judgement_put(
            assignment=seat,
            standard_code=code,
            actor=reviewer,
            judgement="compliant",
            rationale="r",
        )


def test_judgement_validation(in_review_application, panel, member):
    seat = panel["member"]
    code = in_review_application.framework.standards.first().code
    with pytest.raises(ValidationError) as caught:
        services.judgement_put(
            assignment=seat, standard_code=code, actor=member, judgement="excellent", rationale=""
        )
    assert set(caught.value.message_dict) == {"judgement", "rationale"}
    with pytest.raises(NotVisible):  # not a standard of the frozen framework
        services.judgement_put(
            assignment=seat, standard_code="1.1", actor=member, judgement="compliant", rationale="r"
        )
    with pytest.raises(NotVisible):  # somebody else's seat
        services.judgement_put(
            assignment=seat,
            standard_code=code,
            actor=panel["chair"].reviewer,
            judgement="compliant",
            rationale="r",
        )
    first, created = services.judgement_put(
        assignment=seat, standard_code=code, actor=member, judgement="compliant", rationale="ok"
    )
    again, created_again = services.judgement_put(
        assignment=seat,
        standard_code=code,
        actor=member,
        judgement="partially_compliant",
        rationale="on reflection",
    )
    assert created and not created_again and first.pk == again.pk
    again.refresh_from_db()
    assert again.judgement == "partially_compliant"


def test_findings_are_the_chairs(in_review_application, panel, chair, member, coordinator):
    code = in_review_application.framework.standards.first().code
    for actor in (member, coordinator):
        with pytest.raises(NotAllowed):
            services.finding_put(
                application=in_review_application,
                standard_code=code,
                actor=actor,
                judgement="compliant",
                rationale="r",
            )
    with pytest.raises(NotVisible):
        services.finding_put(
            application=in_review_application,
            standard_code=code,
            actor=make_reviewer(),
            judgement="compliant",
            rationale="r",
        )
    with pytest.raises(ValidationError) as caught:
        services.finding_put(
            application=in_review_application,
            standard_code=code,
            actor=chair,
            judgement="fine",
            rationale="r",
        )
    assert "judgement" in caught.value.message_dict
    finding, created = services.finding_put(
        application=in_review_application,
        standard_code=code,
        actor=chair,
        judgement="substantially_compliant",
        rationale="Mostly there",
        recommendations="Publish the assessment criteria.",
    )
    assert created and finding.recorded_by == chair


def test_panel_summary_shows_who_judged_what(
    in_review_application, panel, member, django_assert_max_num_queries
):
    standards = list(in_review_application.framework.standards.all())
    judge_everything(panel["member"], judgement="non_compliant")
    with django_assert_max_num_queries(4):
        summary = services.panel_summary(application=in_review_application)
    assert len(summary["standards"]) == len(standards)
    first = summary["standards"][0]
    assert first["standard"] == standards[0].code
    assert first["judgements"] == [
        {
            "reviewer": "member-r",
            "role": "member",
            "judgement": "non_compliant",
            "rationale": f"member-r on {standards[0].code}",
        }
    ]
    assert first["counts"]["non_compliant"] == 1
    assert sorted(first["missing"]) == ["chair-r", "student-r"]
    assert first["finding"] is None


# --------------------------------------------------------------------------- draft report


def test_submit_draft_report_lists_missing_judgements_findings_and_report(
    in_review_application, panel, chair, member
):
    judge_everything(panel["chair"])
    judge_everything(panel["student"])
    standards = list(in_review_application.framework.standards.all())
    services.judgement_put(
        assignment=panel["member"],
        standard_code=standards[0].code,
        actor=member,
        judgement="compliant",
        rationale="ok",
    )
    codes = _unmet(in_review_application, "submit_draft_report", chair)
    expected = [f"missing_judgement:member-r:{s.code}" for s in standards[1:]]
    expected += [f"missing_finding:{s.code}" for s in standards]
    expected += ["missing_report:draft"]
    assert codes == expected
    in_review_application.refresh_from_db()
    assert in_review_application.state == "in_review"


def test_pending_or_failed_draft_report_is_not_enough(in_review_application, panel, chair):
    from reviews.models import Report

    for seat in panel.values():
        judge_everything(seat)
    record_every_finding(in_review_application, chair)
    Report.objects.create(application=in_review_application, stage="draft", version=1)
    Report.objects.create(
        application=in_review_application, stage="draft", version=2, status="failed"
    )
    ready_report(in_review_application, "final")
    codes = _unmet(in_review_application, "submit_draft_report", chair)
    assert codes == ["missing_report:draft"]


def test_complete_review_goes_to_factual_check_and_completes_seats(
    in_review_application, panel, chair, member, coordinator
):
    for seat in panel.values():
        judge_everything(seat)
    record_every_finding(in_review_application, chair)
    ready_report(in_review_application, "draft")
    assert "submit_draft_report" in available_transitions(
        application=in_review_application, actor=chair
    )
    assert "submit_draft_report" not in available_transitions(
        application=in_review_application, actor=member
    )
    with pytest.raises(NotAllowed):
        application_transition(
            application=in_review_application, name="submit_draft_report", actor=member
        )
    with pytest.raises(NotAllowed):  # the coordinator does not write the panel's report
        application_transition(
            application=in_review_application, name="submit_draft_report", actor=coordinator
        )
    done = application_transition(
        application=in_review_application, name="submit_draft_report", actor=chair
    )
    assert done.state == "factual_check"
    seats = PanelAssignment.objects.filter(application=done)
    assert {s.state for s in seats} == {"completed"}
    assert {s.due_date for s in seats} == {None}


def test_chair_requests_clarification(in_review_application, panel, chair, member):
    with pytest.raises(NotAllowed):
        application_transition(
            application=in_review_application,
            name="request_clarification",
            actor=member,
            data={"comment": "?"},
        )
    asked = application_transition(
        application=in_review_application,
        name="request_clarification",
        actor=chair,
        data={"comment": "Please send the assessment rubric."},
    )
    assert asked.state == "clarification_requested"
    # Judging goes on while the provider answers.
    code = asked.framework.standards.first().code
    judgement, _ = services.judgement_put(
        assignment=panel["member"],
        standard_code=code,
        actor=member,
        judgement="compliant",
        rationale="ok",
    )
    assert judgement.pk


# --------------------------------------------------------------------------- decisions


@pytest.fixture
def decision_pending(in_review_application, panel, chair, provider_user):
    for seat in panel.values():
        judge_everything(seat)
    record_every_finding(in_review_application, chair)
    ready_report(in_review_application, "draft")
    application_transition(
        application=in_review_application, name="submit_draft_report", actor=chair
    )
    return application_transition(
        application=in_review_application, name="confirm_factual_accuracy", actor=provider_user
    )


def test_decision_needs_a_ready_final_report(decision_pending, decider):
    for name, data in (
        ("accredit", {}),
        ("reject", {"rationale": "Weak assessment."}),
        (
            "accredit_with_conditions",
            {"conditions": [{"text": "Fix it", "due_date": "2099-01-01"}]},
        ),
    ):
        assert _unmet(decision_pending, name, decider, data) == ["missing_report:final"]
    ready_report(decision_pending, "final")
    decided = application_transition(application=decision_pending, name="accredit", actor=decider)
    assert decided.state == "accredited"


def test_decision_body_member_who_sat_on_the_panel_may_not_decide(
    screening_application, coordinator, provider_user
):
    both = make_reviewer("both-r", roles=["reviewer", "decision_body"])
    _assign_and_accept(screening_application, both, "chair", coordinator)
    member = make_reviewer()
    student = make_reviewer()
    seats = [
        _assign_and_accept(screening_application, member, "member", coordinator),
        _assign_and_accept(screening_application, student, "student", coordinator),
    ]
    app = application_transition(
        application=screening_application, name="start_review", actor=coordinator
    )
    judge_everything(PanelAssignment.objects.get(reviewer=both))
    for seat in seats:
        judge_everything(seat)
    record_every_finding(app, both)
    ready_report(app, "draft")
    ready_report(app, "final")
    application_transition(application=app, name="submit_draft_report", actor=both)
    application_transition(application=app, name="confirm_factual_accuracy", actor=provider_user)
    assert "accredit" not in available_transitions(application=app, actor=both)
    with pytest.raises(NotAllowed) as caught:
        application_transition(application=app, name="accredit", actor=both)
    assert "panel" in str(caught.value)
    app.refresh_from_db()
    assert app.state == "decision_pending"


def test_replaced_panel_member_still_may_not_decide(screening_application, coordinator):
    both = make_reviewer("both-r", roles=["reviewer", "decision_body"])
    seat = _assign_and_accept(screening_application, both, "member", coordinator)
    services.assignment_replace(assignment=seat, actor=coordinator)
    from reviews.selectors import sat_on_panel

    assert sat_on_panel(both, screening_application)
    invited_only = make_reviewer(roles=["reviewer", "decision_body"])
    services.panel_member_assign(
        application=screening_application, reviewer=invited_only, role="member", actor=coordinator
    )
    assert not sat_on_panel(invited_only, screening_application)


def test_member_leaving_during_review_blocks_the_draft_report(
    in_review_application, panel, chair, student
):
    for seat in panel.values():
        judge_everything(seat)
    record_every_finding(in_review_application, chair)
    ready_report(in_review_application, "draft")
    services.assignment_decline(assignment=panel["student"], actor=student, reason="Exams")
    codes = _unmet(in_review_application, "submit_draft_report", chair)
    assert codes == ["panel_too_small", "panel_missing_student"]


def test_accept_checks_the_seat_before_the_declaration(screening_application, coordinator):
    seat = services.panel_member_assign(
        application=screening_application,
        reviewer=make_reviewer(),
        role="member",
        actor=coordinator,
    )
    with pytest.raises(NotVisible):
        services.assignment_accept(assignment=seat, actor=make_reviewer(), no_conflict=False)


def test_appeals_member_who_sat_on_the_panel_may_not_decide_the_appeal(
    screening_application, coordinator
):
    from accreditation.services import transition_right
    from accreditation.workflow import APPEAL_DECISIONS

    both = make_reviewer("appeals-r", roles=["reviewer", "appeals_committee"])
    _assign_and_accept(screening_application, both, "member", coordinator)
    for name in APPEAL_DECISIONS:
        reason = transition_right(application=screening_application, name=name, actor=both)
        assert reason and "panel" in reason
    outsider = make_reviewer(roles=["appeals_committee"])
    for name in APPEAL_DECISIONS:
        assert (
            transition_right(application=screening_application, name=name, actor=outsider) is None
        )
