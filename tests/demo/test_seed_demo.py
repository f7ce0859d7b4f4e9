"""The demo seed: the accounts of DESIGN section 6, only in demo mode, and cases in
every state driven through the real services."""

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from accreditation.models import (
    Accreditation,
    Application,
    ApplicationState,
    Decision,
    ProviderMembership,
)
from accreditation.services import application_transition
from core.errors import GuardFailed
from core.roles import user_roles
from demo.management.commands.seed_demo import DEMO_USERNAMES
from tests.factories import ApplicationFactory, complete_dossier

pytestmark = pytest.mark.django_db

EXPECTED_ROLES = {
    "coordinator": {"coordinator"},
    "reviewer1": {"reviewer"},
    "reviewer2": {"reviewer"},
    "reviewer3": {"reviewer"},
    "student1": {"reviewer"},
    "decider": {"decision_body", "appeals_committee"},
    "appeals": {"appeals_committee"},
    "provider-a": {"provider"},
    "provider-b": {"provider"},
}


def seed(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def demo_mode(settings):
    settings.MCQA_DEMO_MODE = True


def test_seed_demo_refuses_unless_demo_mode_is_on(settings):
    settings.MCQA_DEMO_MODE = False
    with pytest.raises(CommandError, match="MCQA_DEMO_MODE is off"):
        seed()
    assert not User.objects.filter(username__in=DEMO_USERNAMES).exists()


def test_demo_accounts_exist_with_password_demo_and_their_roles(demo_mode):
    seed("--accounts-only")
    for username, roles in EXPECTED_ROLES.items():
        user = User.objects.get(username=username)
        assert user.check_password("demo"), username
        assert set(user_roles(user)) == roles, username


def test_provider_accounts_administer_two_different_providers_with_identifiers_and_courses(
    demo_mode,
):
    seed("--accounts-only")
    providers = []
    for username in ("provider-a", "provider-b"):
        membership = ProviderMembership.objects.get(user__username=username)
        assert membership.role == ProviderMembership.Role.ADMIN
        provider = membership.provider
        assert provider.identifiers.exists()
        assert provider.courses.exists()
        providers.append(provider)
    assert providers[0] != providers[1]


def test_staff_of_other_seeded_providers_cannot_log_in(demo_mode):
    seed("--accounts-only")
    others = User.objects.exclude(username__in=DEMO_USERNAMES)
    assert others.exists()
    assert not any(user.has_usable_password() for user in others)


def test_seeding_twice_changes_nothing(demo_mode):
    seed("--accounts-only")
    counts = (User.objects.count(), ProviderMembership.objects.count())
    seed("--accounts-only")
    assert (User.objects.count(), ProviderMembership.objects.count()) == counts


def _screening_application(provider):
    admin = ProviderMembership.objects.filter(provider=provider).first().user
    application = ApplicationFactory(
        provider=provider, course=provider.courses.first(), created_by=admin
    )
    complete_dossier(application, admin)
    application = application_transition(application=application, name="submit", actor=admin)
    coordinator = User.objects.get(username="coordinator")
    return application_transition(
        application=application, name="start_screening", actor=coordinator
    )


def test_reviewer3_is_refused_on_provider_a_panels_for_a_recent_affiliation(demo_mode):
    from reviews.services import panel_member_assign

    seed("--accounts-only")
    coordinator = User.objects.get(username="coordinator")
    reviewer3 = User.objects.get(username="reviewer3")
    provider_a = ProviderMembership.objects.get(user__username="provider-a").provider
    provider_b = ProviderMembership.objects.get(user__username="provider-b").provider

    with pytest.raises(GuardFailed) as info:
        panel_member_assign(
            application=_screening_application(provider_a),
            reviewer=reviewer3,
            role="member",
            actor=coordinator,
        )
    assert [u.code for u in info.value.unmet] == ["conflict_of_interest"]

    seat = panel_member_assign(
        application=_screening_application(provider_b),
        reviewer=reviewer3,
        role="member",
        actor=coordinator,
    )
    assert seat.reviewer == reviewer3


def test_full_seed_reaches_every_state_through_the_services(demo_mode):
    out, err = seed()
    states = set(Application.objects.values_list("state", flat=True))
    assert states == set(ApplicationState.values), (out, err)
    statuses = set(Accreditation.objects.values_list("status", flat=True))
    assert {"active", "suspended", "revoked"} <= statuses, (out, err)
    conditional = Application.objects.get(state="conditionally_accredited")
    assert conditional.accreditations.get().conditions.exists()
    # Every state was reached by transitions, each one logged.
    for application in Application.objects.exclude(state="draft"):
        assert application.transitions.exists()
        assert application.transitions.order_by("-at", "-id").first().to_state == (
            application.state
        )
    # provider-a and provider-b start with nothing under way.
    for username in ("provider-a", "provider-b"):
        provider = ProviderMembership.objects.get(user__username=username).provider
        assert not Application.objects.filter(provider=provider).exists()
        assert not Decision.objects.filter(application__provider=provider).exists()
        assert not Accreditation.objects.filter(provider=provider).exists()
    assert "partial" not in out, (out, err)


def test_seeded_appeal_can_be_decided_by_appeals_but_not_by_the_decider_who_decided(demo_mode):
    from accreditation.services import available_transitions

    seed()
    appealed = Application.objects.get(state="appealed")
    assert appealed.decisions.get().decided_by.username == "decider"
    decider = User.objects.get(username="decider")
    appeals = User.objects.get(username="appeals")
    assert not {"uphold_appeal", "dismiss_appeal"} & set(
        available_transitions(application=appealed, actor=decider)
    )
    assert {"uphold_appeal", "dismiss_appeal"} <= set(
        available_transitions(application=appealed, actor=appeals)
    )


def test_demo_panel_candidates_are_ranked_from_seeded_profiles(demo_mode):
    from reviews.candidates import panel_candidates
    from reviews.models import ReviewerProfile

    seed("--accounts-only")
    provider_a = ProviderMembership.objects.get(user__username="provider-a").provider
    application = _screening_application(provider_a)
    ranked = panel_candidates(application=application)
    by_name = {c.reviewer.username: c for c in ranked}
    assert ranked[-1].reviewer.username == "reviewer3" and not ranked[-1].invitable
    assert by_name["student1"].role == "student" and by_name["student1"].reasons
    # A profile its reviewer changed is theirs: seeding again leaves it.
    ReviewerProfile.objects.filter(reviewer__username="reviewer1").update(languages=["fr"])
    seed("--accounts-only")
    assert ReviewerProfile.objects.get(reviewer__username="reviewer1").languages == ["fr"]
