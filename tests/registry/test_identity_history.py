"""Identifiers are history: an edit of a provider's identifiers never changes what the
registry answered about a moment before it (DESIGN section 7)."""

import pytest

from accreditation.models import ProviderIdentifier
from accreditation.services import change_request_approve, provider_change
from registry.services import registry_sync
from tests.factories import ProviderFactory, UserFactory
from tests.registry.conftest import day

pytestmark = pytest.mark.django_db
URL = "/api/v1/registry/verify/"
MOMENTS = ("2025-01-09", "2025-01-10", "2025-02-01", "2025-03-15", None)


def ask(api, identifier, at=None):
    params = {"identifier": identifier, **({"at": at} if at else {})}
    response = api.get(URL, params)
    assert response.status_code == 200, response.content
    body = response.json()
    return (
        body["trusted"],
        body["status"],
        body["provider"]["id"] if body["provider"] else None,
        body["accreditation"]["id"] if body["accreditation"] else None,
    )


def set_identifiers(provider, *pairs):
    """Change the provider's identifiers as the agency lets it: directly before any
    decision, else by a change request a coordinator approves."""
    coordinator = UserFactory(roles=["coordinator"])
    _, request = provider_change(
        provider=provider,
        actor=coordinator,
        data={"identifiers": [{"scheme": s, "value": v} for s, v in pairs]},
    )
    if request is not None:
        change_request_approve(change_request=request, actor=coordinator)
    registry_sync()


def past_answers(api, identifiers):
    return {(i, at): ask(api, i, at) for i in identifiers for at in MOMENTS if at}


@pytest.fixture
def accredited(history):
    provider = history.provider()
    _, _, acc = history.decide(provider, when=day("2025-01-10"))
    history.change(acc, "suspend", when=day("2025-03-01"))
    history.publish()
    return provider, acc


def test_an_identifier_added_later_never_verifies_for_a_moment_before_it(api, accredited):
    provider, acc = accredited
    before = past_answers(api, ["schac:uni.example.org", "schac:new.example.org"])
    assert before[("schac:new.example.org", "2025-02-01")] == (False, "none", None, None)
    set_identifiers(provider, ("schac", "uni.example.org"), ("schac", "new.example.org"))
    assert past_answers(api, ["schac:uni.example.org", "schac:new.example.org"]) == before
    assert ask(api, "schac:new.example.org") == (False, "suspended", provider.pk, acc.pk)


def test_a_dropped_identifier_still_answers_for_the_moments_it_named_the_provider(api, accredited):
    provider, acc = accredited
    before = past_answers(api, ["schac:uni.example.org"])
    assert before[("schac:uni.example.org", "2025-02-01")] == (True, "active", provider.pk, acc.pk)
    set_identifiers(provider, ("schac", "renamed.example.org"))
    assert past_answers(api, ["schac:uni.example.org"]) == before
    assert ask(api, "schac:uni.example.org") == (False, "none", None, None)
    dropped = ProviderIdentifier.history.get(value="uni.example.org")
    assert dropped.valid_until is not None and dropped.provider_id == provider.pk


def test_another_provider_claiming_a_dropped_identifier_does_not_take_its_past(api, accredited):
    provider, acc = accredited
    before = past_answers(api, ["schac:uni.example.org"])
    set_identifiers(provider, ("schac", "renamed.example.org"))
    claimant = ProviderFactory(legal_name="Claimant")
    set_identifiers(claimant, ("schac", "uni.example.org"))
    assert past_answers(api, ["schac:uni.example.org"]) == before
    # Now it names the claimant, which has no decision: not in the registry.
    assert ask(api, "schac:uni.example.org") == (False, "none", None, None)
    assert ProviderIdentifier.objects.get(value="uni.example.org").provider_id == claimant.pk


def test_an_identifier_in_force_elsewhere_cannot_be_claimed(api, accredited):
    claimant = ProviderFactory(legal_name="Claimant")
    coordinator = UserFactory(roles=["coordinator"])
    response = _patch(api, coordinator, claimant, [("schac", "uni.example.org")])
    assert response.status_code == 400
    assert "identifiers" in response.json()


@pytest.mark.parametrize(
    ("scheme", "value"),
    [
        ("lei", "5299001A2B3C4D5E6F70"),  # wrong check digits
        ("deqar", "INST0042"),
        ("eter", "0042"),
        ("schac", "not a domain"),
        ("did", "did:did:web:example.org"),
        ("did", "web:example.org"),
        ("eu-pic", "12345"),
    ],
)
def test_each_scheme_is_checked(api, scheme, value):
    provider = ProviderFactory()
    coordinator = UserFactory(roles=["coordinator"])
    response = _patch(api, coordinator, provider, [(scheme, value)])
    assert response.status_code == 400
    assert any(value in message for message in response.json()["identifiers"])
    assert not ProviderIdentifier.history.filter(value=value).exists()


@pytest.mark.parametrize(
    ("scheme", "value"),
    [
        ("lei", "5493001KJTIIGC8Y1R12"),
        ("deqar", "DEQARINST0042"),
        ("eter", "DE0042"),
        ("did", "did:web:uni.example.org"),
        ("eu-pic", "912345678"),
    ],
)
def test_well_formed_identifiers_are_accepted(api, scheme, value):
    provider = ProviderFactory()
    coordinator = UserFactory(roles=["coordinator"])
    response = _patch(api, coordinator, provider, [(scheme, value)])
    assert response.status_code == 200, response.content


def _patch(api, user, provider, pairs):
    api.force_authenticate(user=user)
    return api.patch(
        f"/api/v1/providers/{provider.pk}/",
        {"identifiers": [{"scheme": s, "value": v} for s, v in pairs]},
        format="json",
    )


def test_a_provider_is_unknown_for_moments_before_its_first_decision(api, history):
    """The registry knows a provider from its first published decision: asked about an
    earlier moment, it names nobody, before the decision and after it alike."""
    provider = history.provider()
    before = ask(api, "schac:uni.example.org", "2025-01-09")
    assert before == (False, "none", None, None)
    history.decide(provider, when=day("2025-01-10"))
    assert ask(api, "schac:uni.example.org", "2025-01-09") == before
    assert ask(api, "schac:uni.example.org", "2025-01-11")[:3] == (True, "active", provider.pk)


def test_verify_shows_the_legal_name_and_country_the_provider_had_at_the_moment(
    api, history, accredited
):
    """Two renames approved at two moments: each moment is answered with the name in
    force then, before and after the later rename."""
    from accreditation.services import change_request_file
    from tests.registry.conftest import at_moment

    provider, _ = accredited
    coordinator = UserFactory(roles=["coordinator"])

    def rename(name, country, when):
        with at_moment(when):
            request = change_request_file(
                provider=provider, actor=coordinator, data={"legal_name": name, "country": country}
            )
            change_request_approve(change_request=request, actor=coordinator)

    def shown(at):
        body = api.get(URL, {"identifier": "schac:uni.example.org", "at": at}).json()
        return body["provider"]["legal_name"], body["provider"]["country"]

    rename("Second Name", "BE", day("2025-02-15"))
    first = {at: shown(at) for at in ("2025-02-01", "2025-02-16")}
    assert first == {
        "2025-02-01": ("Example University", "NL"),
        "2025-02-16": ("Second Name", "BE"),
    }
    rename("Third Name", "DE", day("2025-04-01"))
    assert {at: shown(at) for at in first} == first
    assert shown("2025-04-02") == ("Third Name", "DE")
    periods = provider.identity_history.order_by("valid_from")
    assert [(p.legal_name, p.valid_until) for p in periods] == [
        ("Example University", day("2025-02-15")),
        ("Second Name", day("2025-04-01")),
        ("Third Name", None),
    ]
