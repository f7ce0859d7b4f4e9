"""Identity changes go through the agency (DESIGN section 7): once a provider has a
decision, its change of legal name, country or identifiers is a request a coordinator
approves or rejects; approval reaches the registry as an `identity` event and never
changes an answer about an earlier moment."""

import pytest
from django.test import Client
from django.urls import reverse

from accreditation.models import (
    Provider,
    ProviderChangeRequest,
    ProviderIdentifier,
    ProviderIdentity,
)
from core.models import AuditEvent
from registry.models import EventType, RegistryEvent, RegistryProvider
from registry.services import registry_rebuild
from tests.conftest import client_for
from tests.factories import IdentifierFactory, MembershipFactory, ProviderFactory, UserFactory
from tests.registry.conftest import day

pytestmark = pytest.mark.django_db
VERIFY = "/api/v1/registry/verify/"
MOMENTS = ("2025-01-09", "2025-01-10", "2025-02-01", "2025-03-15")


def requests_url(provider):
    return f"/api/v1/providers/{provider.pk}/change-requests/"


def decide_url(change_request, action):
    return f"/api/v1/change-requests/{change_request['id']}/{action}/"


def answer(api, identifier, at=None):
    params = {"identifier": identifier, **({"at": at} if at else {})}
    response = api.get(VERIFY, params)
    assert response.status_code == 200, response.content
    body = response.json()
    return (body["trusted"], body["status"], body["provider"], body["accreditation"])


def past_answers(api, identifiers):
    return {(i, at): answer(api, i, at) for i in identifiers for at in MOMENTS}


@pytest.fixture
def decided(history):
    """An accredited provider (decision on 2025-01-10) with an administrator."""
    provider = history.provider(name="Old Name University")
    _, _, accreditation = history.decide(provider, when=day("2025-01-10"))
    history.publish()
    admin = MembershipFactory(provider=provider).user
    return provider, admin, accreditation


@pytest.fixture
def coordinator_api(coordinator):
    return client_for(coordinator)


def patch(client, provider, data):
    return client.patch(f"/api/v1/providers/{provider.pk}/", data, format="json")


def file_rename(decided, name="New Name University", identifiers=None):
    provider, admin, _ = decided
    data = {"legal_name": name}
    if identifiers is not None:
        data["identifiers"] = [{"scheme": s, "value": v} for s, v in identifiers]
    response = client_for(admin).post(requests_url(provider), data, format="json")
    assert response.status_code == 201, response.content
    return response.json()


# ------------------------------------------------------------------ direct edit or request


def test_before_any_decision_the_provider_edits_its_identity_directly(db):
    admin = MembershipFactory(provider__legal_name="Draft College").user
    provider = admin.providers.get()
    response = patch(client_for(admin), provider, {"legal_name": "Renamed College"})
    assert response.status_code == 200, response.content
    assert response.json()["legal_name"] == "Renamed College"
    assert not ProviderChangeRequest.objects.exists()
    periods = list(ProviderIdentity.objects.filter(provider=provider).order_by("valid_from"))
    assert [(p.legal_name, p.valid_until is None) for p in periods] == [
        ("Draft College", False),
        ("Renamed College", True),
    ]


def test_after_a_decision_a_patch_of_the_name_is_a_pending_request(decided):
    provider, admin, _ = decided
    response = patch(
        client_for(admin),
        provider,
        {"legal_name": "New Name University", "website": "https://new.example.org"},
    )
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "pending"
    assert body["legal_name"] == "New Name University"
    assert body["previous"]["legal_name"] == "Old Name University"
    provider.refresh_from_db()
    assert provider.legal_name == "Old Name University"
    assert provider.website == "https://new.example.org"  # not part of the identity
    assert AuditEvent.objects.filter(
        action="provider.change_request.file", object_id=str(body["id"])
    ).exists()


def test_after_a_decision_a_patch_that_changes_no_identity_field_saves_at_once(decided):
    provider, admin, _ = decided
    response = patch(
        client_for(admin),
        provider,
        {"legal_name": "Old Name University", "website": "https://new.example.org"},
    )
    assert response.status_code == 200, response.content
    assert not ProviderChangeRequest.objects.exists()


def test_after_a_decision_an_identifier_change_is_a_request_too(decided):
    provider, admin, _ = decided
    response = patch(
        client_for(admin), provider, {"identifiers": [{"scheme": "schac", "value": "new.example"}]}
    )
    assert response.status_code == 202, response.content
    assert response.json()["identifiers"] == [{"scheme": "schac", "value": "new.example"}]
    assert list(ProviderIdentifier.objects.filter(provider=provider).values_list("value")) == [
        ("uni.example.org",)
    ]


def test_a_second_request_waits_for_the_first(decided):
    file_rename(decided)
    provider, admin, _ = decided
    response = client_for(admin).post(
        requests_url(provider), {"legal_name": "Third Name"}, format="json"
    )
    assert response.status_code == 409
    assert ProviderChangeRequest.objects.count() == 1


def test_a_request_with_a_bad_value_is_a_400_naming_the_field(decided):
    provider, admin, _ = decided
    response = client_for(admin).post(
        requests_url(provider),
        {"country": "XX", "identifiers": [{"scheme": "lei", "value": "123"}]},
        format="json",
    )
    assert response.status_code == 400
    assert "country" in response.json()
    assert not ProviderChangeRequest.objects.exists()


def test_a_request_before_any_decision_is_refused(db):
    admin = MembershipFactory().user
    provider = admin.providers.get()
    response = client_for(admin).post(requests_url(provider), {"legal_name": "X"}, format="json")
    assert response.status_code == 409


# ------------------------------------------------------------------ who sees and decides


def test_provider_members_and_coordinators_see_the_requests_others_get_404(
    decided, coordinator_api
):
    request = file_rename(decided)
    provider, admin, _ = decided
    member = MembershipFactory(provider=provider, role="member").user
    for client in (client_for(admin), client_for(member), coordinator_api):
        response = client.get(requests_url(provider))
        assert response.status_code == 200
        assert [r["id"] for r in response.json()["results"]] == [request["id"]]
    stranger = MembershipFactory().user
    decider = UserFactory(roles=["decision_body"])
    for user in (stranger, decider):
        client = client_for(user)
        assert client.get(requests_url(provider)).status_code == 404
        assert (
            client.post(requests_url(provider), {"legal_name": "X"}, format="json").status_code
            == 404
        )
        assert client.post(decide_url(request, "approve"), {}, format="json").status_code == 404


def test_only_a_coordinator_approves(decided):
    request = file_rename(decided)
    provider, admin, _ = decided
    response = client_for(admin).post(decide_url(request, "approve"), {}, format="json")
    assert response.status_code == 403
    provider.refresh_from_db()
    assert provider.legal_name == "Old Name University"
    assert ProviderChangeRequest.objects.get().status == "pending"


# ------------------------------------------------------------------ approve, reject


def test_approval_changes_the_provider_and_publishes_an_identity_event(
    api, decided, coordinator_api
):
    request = file_rename(
        decided, identifiers=[("schac", "uni.example.org"), ("deqar", "DEQARINST0042")]
    )
    provider, _, accreditation = decided
    response = coordinator_api.post(
        decide_url(request, "approve"), {"comment": "Checked the register."}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"
    provider.refresh_from_db()
    assert provider.legal_name == "New Name University"
    event = RegistryEvent.objects.get(type=EventType.IDENTITY)
    assert event.source == f"identity:{request['id']}"
    assert event.data["legal_name"] == "New Name University"
    assert {"scheme": "deqar", "value": "DEQARINST0042"} in event.data["identifiers"]
    assert RegistryProvider.objects.get(pk=provider.pk).legal_name == "New Name University"
    trusted, status, shown, _ = answer(api, "deqar:DEQARINST0042")
    assert (trusted, status, shown["legal_name"]) == (True, "active", "New Name University")
    assert AuditEvent.objects.filter(
        action="provider.change_request.approve", object_id=str(request["id"])
    ).exists()


def test_verify_answers_about_moments_before_the_approval_do_not_change(
    api, decided, coordinator_api
):
    identifiers = ["schac:uni.example.org", "schac:renamed.example.org"]
    before = past_answers(api, identifiers)
    assert before[("schac:uni.example.org", "2025-02-01")][2]["legal_name"] == (
        "Old Name University"
    )
    request = file_rename(decided, identifiers=[("schac", "renamed.example.org")])
    assert past_answers(api, identifiers) == before  # a pending request changes nothing
    assert (
        coordinator_api.post(decide_url(request, "approve"), {}, format="json").status_code == 200
    )
    assert past_answers(api, identifiers) == before
    now = answer(api, "schac:renamed.example.org")
    assert now[2]["legal_name"] == "New Name University"
    assert now[2]["identifiers"] == [{"scheme": "schac", "value": "renamed.example.org"}]
    assert answer(api, "schac:uni.example.org")[1] == "none"


def test_rejection_needs_a_reason_and_changes_nothing_but_the_request(
    api, decided, coordinator_api
):
    request = file_rename(decided)
    provider, _, _ = decided
    response = coordinator_api.post(decide_url(request, "reject"), {}, format="json")
    assert response.status_code == 400
    assert "comment" in response.json()
    response = coordinator_api.post(
        decide_url(request, "reject"), {"comment": "Not the registered name."}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    provider.refresh_from_db()
    assert provider.legal_name == "Old Name University"
    assert not RegistryEvent.objects.filter(type=EventType.IDENTITY).exists()
    assert ProviderIdentity.objects.filter(provider=provider).count() <= 1
    assert AuditEvent.objects.filter(action="provider.change_request.reject").exists()


@pytest.mark.parametrize("first", ["approve", "reject"])
def test_a_decided_request_cannot_be_decided_again(decided, coordinator_api, first):
    request = file_rename(decided)
    comment = {"comment": "Reason."}
    assert (
        coordinator_api.post(decide_url(request, first), comment, format="json").status_code == 200
    )
    for action in ("approve", "reject"):
        assert (
            coordinator_api.post(decide_url(request, action), comment, format="json").status_code
            == 409
        )
    assert RegistryEvent.objects.filter(type=EventType.IDENTITY).count() == (
        1 if first == "approve" else 0
    )


def test_approval_refuses_an_identifier_another_provider_took_meanwhile(decided, coordinator_api):
    request = file_rename(decided, identifiers=[("schac", "contested.example.org")])
    IdentifierFactory(provider=ProviderFactory(), scheme="schac", value="contested.example.org")
    response = coordinator_api.post(decide_url(request, "approve"), {}, format="json")
    assert response.status_code == 400
    assert "identifiers" in response.json()
    provider, _, _ = decided
    provider.refresh_from_db()
    assert provider.legal_name == "Old Name University"
    assert ProviderChangeRequest.objects.get().status == "pending"
    assert ProviderIdentifier.objects.get(provider=provider).value == "uni.example.org"
    assert not RegistryEvent.objects.filter(type=EventType.IDENTITY).exists()


def test_rebuild_replays_identity_events_into_the_same_events(decided, coordinator_api):
    request = file_rename(decided)
    coordinator_api.post(decide_url(request, "approve"), {}, format="json")
    fields = ("seq", "at", "type", "provider_id", "data", "source")
    before = list(RegistryEvent.objects.order_by("seq").values(*fields))
    assert any(e["type"] == EventType.IDENTITY for e in before)
    registry_rebuild()
    assert list(RegistryEvent.objects.order_by("seq").values(*fields)) == before


def test_the_change_feed_shows_the_new_identity(api, decided, coordinator_api):
    request = file_rename(decided, identifiers=[("schac", "renamed.example.org")])
    coordinator_api.post(decide_url(request, "approve"), {}, format="json")
    events = api.get("/api/v1/registry/changes/").json()["events"]
    identity = [e for e in events if e["type"] == "identity"]
    assert identity[0]["identity"]["legal_name"] == "New Name University"
    assert identity[0]["identity"]["identifiers"] == [
        {"scheme": "schac", "value": "renamed.example.org"}
    ]
    atom = api.get("/registry/changes.atom").content.decode()
    assert "New Name University: Identity changed" in atom
    assert "schac:renamed.example.org" in atom


def test_the_openapi_schema_documents_the_202_and_the_endpoints(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert "202" in schema["paths"]["/api/v1/providers/{id}/"]["patch"]["responses"]
    assert "/api/v1/providers/{id}/change-requests/" in schema["paths"]
    assert "/api/v1/change-requests/{id}/approve/" in schema["paths"]
    assert "/api/v1/change-requests/{id}/reject/" in schema["paths"]


# ------------------------------------------------------------------ admin


@pytest.fixture
def staff_client(db):
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_admin_keeps_name_and_country_read_only_after_a_decision(decided, staff_client):
    provider, _, _ = decided
    url = reverse("admin:accreditation_provider_change", args=[provider.pk])
    page = staff_client.get(url).content.decode()
    assert 'name="legal_name"' not in page
    assert 'name="country"' not in page
    assert 'name="identifiers-0-value"' not in page


def test_admin_edits_before_a_decision_keep_the_identity_history(staff_client):
    provider = ProviderFactory(legal_name="Draft College")
    url = reverse("admin:accreditation_provider_change", args=[provider.pk])
    data = {
        "legal_name": "Renamed College",
        "country": provider.country,
        "type": provider.type,
        "website": provider.website,
    }
    for prefix in ("identifiers", "identity_history", "change_requests", "memberships"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    provider.refresh_from_db()
    assert provider.legal_name == "Renamed College"
    assert ProviderIdentity.objects.get(provider=provider, valid_until=None).legal_name == (
        "Renamed College"
    )


def test_admin_never_deletes_identifiers(decided, staff_client):
    identifier = ProviderIdentifier.objects.get(provider=decided[0])
    url = reverse("admin:accreditation_provideridentifier_delete", args=[identifier.pk])
    assert staff_client.post(url, {"post": "yes"}).status_code == 403
    change = reverse("admin:accreditation_provideridentifier_change", args=[identifier.pk])
    staff_client.post(change, {"scheme": "schac", "value": "stolen.example.org"})
    assert ProviderIdentifier.history.get(pk=identifier.pk).value == "uni.example.org"


# ------------------------------------------------------------------ pages


def logged_in(user, csrf=False):
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


def page_form(provider, name, identifiers):
    data = {
        "legal_name": name,
        "country": provider.country,
        "identifiers-TOTAL_FORMS": str(len(identifiers)),
        "identifiers-INITIAL_FORMS": "0",
    }
    for index, (scheme, value) in enumerate(identifiers):
        data[f"identifiers-{index}-scheme"] = scheme
        data[f"identifiers-{index}-value"] = value
    return data


def test_the_provider_files_a_request_on_its_page_and_a_coordinator_approves(decided, coordinator):
    provider, admin, _ = decided
    client = logged_in(admin)
    page = client.get(provider.get_absolute_url()).content.decode()
    assert f'action="/providers/{provider.pk}/change-requests/"' in page
    response = client.post(
        reverse("provider-change-request", args=[provider.pk]),
        page_form(provider, "Page Name <b>University</b>", [("schac", "uni.example.org")]),
    )
    assert response.status_code == 302
    change_request = ProviderChangeRequest.objects.get()
    page = client.get(provider.get_absolute_url()).content.decode()
    assert "Page Name &lt;b&gt;University&lt;/b&gt;" in page  # autoescaped
    assert "pending" in page

    staff = logged_in(coordinator, csrf=True)
    queue = staff.get(reverse("change-request-queue"))
    assert queue.status_code == 200
    confirm_url = reverse("change-request-decide", args=[change_request.pk, "approve"])
    assert confirm_url in queue.content.decode()
    confirm = staff.get(confirm_url)
    assert confirm.status_code == 200
    assert staff.post(confirm_url, {"confirm": "yes"}).status_code == 403  # no CSRF token
    assert Provider.objects.get(pk=provider.pk).legal_name == "Old Name University"
    token = confirm.cookies["csrftoken"].value
    response = staff.post(confirm_url, {"confirm": "yes", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert Provider.objects.get(pk=provider.pk).legal_name == "Page Name <b>University</b>"
    assert RegistryEvent.objects.filter(type=EventType.IDENTITY).exists()


def test_a_provider_edit_page_save_after_a_decision_files_a_request(decided):
    provider, admin, _ = decided
    data = {
        **page_form(provider, "Edited Name", [("schac", "uni.example.org")]),
        "type": provider.type,
        "website": provider.website,
    }
    response = logged_in(admin).post(reverse("provider-edit", args=[provider.pk]), data)
    assert response.status_code == 302
    provider.refresh_from_db()
    assert provider.legal_name == "Old Name University"
    assert ProviderChangeRequest.objects.get().legal_name == "Edited Name"


def test_the_queue_and_the_decision_pages_are_not_for_providers(decided):
    request = file_rename(decided)
    _, admin, _ = decided
    client = logged_in(admin)
    assert client.get(reverse("change-request-queue")).status_code == 404
    url = reverse("change-request-decide", args=[request["id"], "approve"])
    assert client.post(url, {"confirm": "yes"}).status_code == 403
    assert ProviderChangeRequest.objects.get().status == "pending"


# ------------------------------------------------------------------ e-mail


def test_coordinators_hear_of_a_request_and_the_provider_of_the_decision(
    decided, coordinator_api, coordinator, mailoutbox, django_capture_on_commit_callbacks
):
    coordinator.email = "coord@agency.example"
    coordinator.save()
    provider, admin, _ = decided
    admin.email = "admin@provider.example"
    admin.save()
    with django_capture_on_commit_callbacks(execute=True):
        request = file_rename(decided)
    assert [m.to for m in mailoutbox] == [["coord@agency.example"]]
    assert f"#{request['id']}" in mailoutbox[0].subject
    with django_capture_on_commit_callbacks(execute=True):
        coordinator_api.post(
            decide_url(request, "reject"), {"comment": "Not registered."}, format="json"
        )
    assert mailoutbox[-1].to == ["admin@provider.example"]
    assert "rejected" in mailoutbox[-1].subject
    assert "Not registered." in mailoutbox[-1].body
