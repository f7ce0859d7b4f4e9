"""Reviewer profiles (DESIGN §9) and panel composition: candidates ranked by fit, with the
reasons in words and conflicts of interest shown before the invitation."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.errors import NotAllowed
from core.models import AuditEvent
from reviews import candidates, services
from reviews.models import Affiliation, ConflictDeclaration, PanelAssignment, ReviewerProfile
from tests.factories import UserFactory
from tests.reviews.helpers import make_reviewer

pytestmark = pytest.mark.django_db


def _profile(reviewer, **changes):
    return services.reviewer_profile_update(reviewer=reviewer, actor=reviewer, changes=changes)


def _today():
    return timezone.localdate()


# --------------------------------------------------------------------------- the profile


def test_reviewer_keeps_their_own_profile_and_the_change_is_audited():
    reviewer = make_reviewer("prof-a")
    trained = _today() - timedelta(days=30)
    profile = _profile(
        reviewer,
        expertise=["0613", "06", "0613"],
        country="NL",
        languages=["en", "nl"],
        is_student=True,
        student_until=_today() + timedelta(days=200),
        last_training_on=trained,
    )
    profile.refresh_from_db()
    assert profile.expertise == ["0613", "06"]
    assert (profile.country, profile.languages, profile.last_training_on) == (
        "NL",
        ["en", "nl"],
        trained,
    )
    event = AuditEvent.objects.get(action="review.profile_updated")
    assert event.actor == reviewer and "expertise" in event.data["fields"]
    _profile(reviewer, languages=["de"])  # a partial change keeps the rest
    profile.refresh_from_db()
    assert profile.languages == ["de"] and profile.expertise == ["0613", "06"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"expertise": ["0613", "0699"]}, "expertise"),
        ({"expertise": "0613"}, "expertise"),
        ({"languages": ["english"]}, "languages"),
        ({"country": "XX"}, "country"),
        ({"is_student": True}, "student_until"),
        ({"is_student": True, "student_until": date(2000, 1, 1)}, "student_until"),
        ({"last_training_on": date(2999, 1, 1)}, "last_training_on"),
        ({"student_until": "soon"}, "student_until"),
        ({"is_student": "yes"}, "is_student"),
        ({"salary": 1}, "salary"),
    ],
)
def test_bad_profile_input_names_the_field_and_changes_nothing(changes, field):
    reviewer = make_reviewer("prof-bad")
    with pytest.raises(ValidationError) as caught:
        _profile(reviewer, **changes)
    assert field in caught.value.message_dict
    assert not ReviewerProfile.objects.exists()
    assert not AuditEvent.objects.filter(action="review.profile_updated").exists()


def test_nobody_else_writes_a_reviewers_profile(coordinator):
    reviewer = make_reviewer("prof-own")
    with pytest.raises(NotAllowed):
        services.reviewer_profile_update(
            reviewer=reviewer, actor=coordinator, changes={"country": "NL"}
        )
    with pytest.raises(NotAllowed):  # only reviewers keep a profile
        plain = UserFactory(username="not-a-reviewer")
        services.reviewer_profile_update(reviewer=plain, actor=plain, changes={"country": "NL"})
    assert not ReviewerProfile.objects.exists()


# --------------------------------------------------------------------------- ranking


def _ranked(application):
    return [c.reviewer.username for c in candidates.panel_candidates(application=application)]


def test_exact_field_ranks_above_narrow_and_broad_field_and_reasons_are_words(
    screening_application,
):
    # The course is 0613 (software development) in English, at a Dutch provider.
    exact = make_reviewer("r-exact")
    narrow = make_reviewer("r-narrow")
    broad = make_reviewer("r-broad")
    elsewhere = make_reviewer("r-elsewhere")
    make_reviewer("r-noprofile")
    _profile(exact, expertise=["0613"])
    _profile(narrow, expertise=["0612"])
    _profile(broad, expertise=["06"])
    _profile(elsewhere, expertise=["0911"], languages=["en"])
    ranked = candidates.panel_candidates(application=screening_application)
    names = [c.reviewer.username for c in ranked]
    assert names.index("r-exact") < names.index("r-narrow") < names.index("r-broad")
    assert names[0] == "r-exact"
    assert names.index("r-elsewhere") < names.index("r-noprofile")
    by_name = {c.reviewer.username: c for c in ranked}
    assert any("0613" in reason for reason in by_name["r-exact"].reasons)
    assert any("narrow field 061" in reason for reason in by_name["r-narrow"].reasons)
    assert any("broad field 06" in reason for reason in by_name["r-broad"].reasons)
    assert "works in the dossier's language (en)" in by_name["r-elsewhere"].reasons
    assert "no reviewer profile yet" in by_name["r-noprofile"].missing


def test_a_valid_student_ranks_up_while_the_panel_needs_one(screening_application, coordinator):
    student = make_reviewer("r-student")
    former = make_reviewer("r-former-student")
    expert = make_reviewer("r-expert")
    _profile(student, is_student=True, student_until=_today() + timedelta(days=90))
    _profile(former, is_student=True, student_until=_today() + timedelta(days=1))
    ReviewerProfile.objects.filter(reviewer=former).update(
        student_until=_today() - timedelta(days=1)
    )
    _profile(expert, expertise=["0612"])
    ranked = candidates.panel_candidates(application=screening_application)
    top = ranked[0]
    assert top.reviewer == student and top.role == "student"
    assert any("still needs a student member" in reason for reason in top.reasons)
    former_row = next(c for c in ranked if c.reviewer == former)
    assert any("student status ended" in gap for gap in former_row.missing)
    # Once a student holds a seat, being a student adds nothing more.
    other_student = make_reviewer("r-student-2")
    _profile(other_student, is_student=True, student_until=_today() + timedelta(days=90))
    services.panel_member_assign(
        application=screening_application, reviewer=other_student, role="student", actor=coordinator
    )
    assert _ranked(screening_application)[0] == "r-expert"


def test_recent_training_counts_old_training_does_not(screening_application, settings):
    settings.MCQA_REVIEWER_TRAINING_YEARS = 3
    fresh = make_reviewer("r-fresh")
    stale = make_reviewer("r-stale")
    _profile(fresh, last_training_on=_today() - timedelta(days=365))
    _profile(stale, last_training_on=_today() - timedelta(days=4 * 366))
    ranked = {
        c.reviewer.username: c
        for c in candidates.panel_candidates(application=screening_application)
    }
    assert ranked["r-fresh"].score > ranked["r-stale"].score
    assert any("more than 3 years ago" in gap for gap in ranked["r-stale"].missing)


def test_invited_and_sitting_reviewers_are_not_candidates(screening_application, coordinator):
    invited = make_reviewer("r-invited")
    declined = make_reviewer("r-declined")
    make_reviewer("r-free")
    services.panel_member_assign(
        application=screening_application, reviewer=invited, role="member", actor=coordinator
    )
    seat = services.panel_member_assign(
        application=screening_application, reviewer=declined, role="chair", actor=coordinator
    )
    services.assignment_decline(assignment=seat, actor=declined, reason="No time.")
    names = _ranked(screening_application)
    assert "r-invited" not in names
    assert "r-declined" in names and "r-free" in names


def test_conflicts_show_before_inviting_and_conflicted_candidates_come_last(
    screening_application,
):
    affiliated = make_reviewer("r-affiliated")
    declared = make_reviewer("r-declared")
    make_reviewer("r-clean")
    _profile(affiliated, expertise=["0613"], languages=["en"])
    Affiliation.objects.create(
        reviewer=affiliated, provider=screening_application.provider, description="lecturer"
    )
    ConflictDeclaration.objects.create(
        reviewer=declared, provider=screening_application.provider, reason="My sister works there."
    )
    ranked = candidates.panel_candidates(application=screening_application)
    assert [c.reviewer.username for c in ranked][-2:] == ["r-affiliated", "r-declared"]
    row = ranked[-2]
    assert not row.invitable
    assert [c.reason for c in row.conflicts] == [
        c.reason
        for c in services.conflicts_of_interest(
            reviewer=affiliated, application=screening_application
        )
    ]
    assert "is affiliated with" in row.conflicts[0].reason


def test_ranking_costs_a_constant_number_of_queries(
    screening_application, django_assert_max_num_queries
):
    def add(n, start):
        for i in range(start, start + n):
            reviewer = make_reviewer(f"r-many-{i}")
            _profile(reviewer, expertise=["0613"], languages=["en"])
            Affiliation.objects.create(
                reviewer=reviewer,
                provider=screening_application.provider,
                end_date=_today() - timedelta(days=10),
            )

    add(2, 0)
    with django_assert_max_num_queries(8):
        assert len(candidates.panel_candidates(application=screening_application)) == 2
    add(20, 2)
    with django_assert_max_num_queries(8):
        assert len(candidates.panel_candidates(application=screening_application)) == 22


def test_an_institutional_review_matches_the_fields_of_the_providers_courses(
    provider_user, coordinator
):
    from tests.factories import ApplicationFactory, CourseFactory

    provider = provider_user.providers.get()
    CourseFactory(provider=provider, isced_f="0311", languages=["fr"])
    application = ApplicationFactory(
        provider=provider, kind="provider", course=None, created_by=provider_user
    )
    economist = make_reviewer("r-economist")
    _profile(economist, expertise=["0311"], languages=["fr"])
    make_reviewer("r-other")
    ranked = candidates.panel_candidates(application=application)
    assert ranked[0].reviewer == economist
    assert ranked[0].score == candidates.EXPERTISE_DETAILED + candidates.LANGUAGE


def test_bulk_conflicts_agree_with_the_single_check(screening_application, decider):
    reviewers = [make_reviewer(f"r-bulk-{i}") for i in range(3)]
    Affiliation.objects.create(reviewer=reviewers[0], provider=screening_application.provider)
    ConflictDeclaration.objects.create(
        reviewer=reviewers[1], provider=screening_application.provider, reason="Friends."
    )
    found = services.conflicts_among(reviewers=reviewers, application=screening_application)
    for reviewer in reviewers:
        assert found[reviewer.pk] == services.conflicts_of_interest(
            reviewer=reviewer, application=screening_application
        )
    assert [len(found[r.pk]) for r in reviewers] == [1, 1, 0]
    assert PanelAssignment.objects.count() == 0


# --------------------------------------------------------------------------- the report


def test_report_lists_each_members_role_and_expertise(panel, in_review_application):
    from reviews.reports.data import report_data
    from reviews.reports.render import render_report_pdf
    from tests.reviews.test_report_case import pdf_text

    _profile(panel["chair"].reviewer, expertise=["0613", "0611"])
    _profile(panel["student"].reviewer, expertise=["06"])
    data = report_data(in_review_application, "draft")
    by_role = {m["role"]: m for m in data["panel"]}
    assert by_role["chair"]["expertise"] == [
        {"code": "0613", "label": "Software and applications development and analysis"},
        {"code": "0611", "label": "Computer use"},
    ]
    assert by_role["member"]["expertise"] == []
    assert by_role["student"]["role_label"] == "Student member"
    text = " ".join(pdf_text(render_report_pdf(data)).split())
    assert "Expertise (ISCED-F 2013)" in text
    assert "0611 Computer use" in text
    assert "06 Information and Communication Technologies (ICTs)" in text
