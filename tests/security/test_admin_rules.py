"""The admin obeys the rules the API obeys.

Memberships (who acts for a provider) and agency roles change only through the services:
only by someone entitled to, never by a person for themself, each change an audit event.
The admin calls those services, so the coordinator of issue 16 can no longer make
themself administrator of a provider and then withdraw its application. The other admin
pages cannot do what the API forbids: move a course to another provider, edit an
application's state, edit decisions or logs.
"""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import Client, RequestFactory

from accreditation.admin import MembershipInline
from accreditation.models import (
    Application,
    Course,
    Decision,
    Provider,
    ProviderMembership,
)
from accreditation.services import membership_add, membership_change_role, membership_remove
from core.errors import NotAllowed
from core.models import AuditEvent
from core.roles import has_role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ADD = "/admin/accreditation/providermembership/add/"


@pytest.fixture
def staff_coordinator(world):
    """The world's coordinator as the demo seeds it: staff, every permission of the apps."""
    user = world.user("coordinator")
    user.is_staff = True
    user.save()
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label__in=("accreditation", "reviews", "registry", "core")
        )
    )
    return user


def _browser(user):
    client = Client()
    client.force_login(user)
    return client


def _provider_a(world):
    return world.application.provider


# --------------------------------------------------------------------------- issue 16, item 3


def test_coordinator_cannot_make_themself_provider_admin_through_the_admin(
    world, staff_coordinator
):
    provider = _provider_a(world)
    response = _browser(staff_coordinator).post(
        ADD, {"user": staff_coordinator.pk, "provider": provider.pk, "role": "admin"}
    )
    assert response.status_code == 200  # the form again, with the refusal
    assert "Nobody may make themself a member" in response.content.decode()
    assert not ProviderMembership.objects.filter(user=staff_coordinator).exists()
    # and so cannot act for the provider through the API either
    client = world.client("coordinator")
    withdraw = client.post(
        f"/api/v1/applications/{world.application.pk}/transitions/withdraw/", {}, format="json"
    )
    assert withdraw.status_code == 403
    course = world.application.course
    patch = client.patch(f"/api/v1/courses/{course.pk}/", {"title": "Mine"}, format="json")
    assert patch.status_code in (403, 404)
    assert Application.objects.get(pk=world.application.pk).state == "draft"
    assert Course.objects.get(pk=course.pk).title != "Mine"


def test_coordinator_adds_someone_else_through_the_admin_and_it_is_audited(
    world, staff_coordinator
):
    provider = _provider_a(world)
    newcomer = UserFactory(username="newcomer")
    response = _browser(staff_coordinator).post(
        ADD, {"user": newcomer.pk, "provider": provider.pk, "role": "member"}
    )
    assert response.status_code == 302, response.content[:500]
    membership = ProviderMembership.objects.get(user=newcomer, provider=provider)
    event = AuditEvent.objects.get(action="membership.add", object_id=str(membership.pk))
    assert event.actor == staff_coordinator
    assert event.data["user"] == "newcomer" and event.data["role"] == "member"
    assert has_role(newcomer, "provider")


def test_role_change_and_removal_in_the_admin_go_through_the_services(world, staff_coordinator):
    provider = _provider_a(world)
    newcomer = UserFactory(username="newcomer")
    membership = membership_add(
        actor=staff_coordinator, provider=provider, user=newcomer, role="member"
    )
    browser = _browser(staff_coordinator)
    url = f"/admin/accreditation/providermembership/{membership.pk}/change/"
    other = Provider.objects.exclude(pk=provider.pk).first()
    changed = browser.post(url, {"role": "admin", "provider": other.pk, "user": 1})
    assert changed.status_code == 302, changed.content[:500]
    membership.refresh_from_db()
    assert (membership.role, membership.provider_id, membership.user_id) == (
        "admin",
        provider.pk,
        newcomer.pk,
    )
    assert AuditEvent.objects.filter(action="membership.role", data__role="admin").exists()
    deleted = browser.post(
        f"/admin/accreditation/providermembership/{membership.pk}/delete/", {"post": "yes"}
    )
    assert deleted.status_code == 302
    assert not ProviderMembership.objects.filter(pk=membership.pk).exists()
    assert AuditEvent.objects.filter(action="membership.remove", data__user="newcomer").exists()
    newcomer = type(newcomer).objects.get(pk=newcomer.pk)
    assert not has_role(newcomer, "provider")


def test_bulk_delete_refuses_what_the_user_may_not_remove_and_audits_each(world):
    """A provider's administrator with admin access sees the "delete selected" action: a
    selection with another provider's membership is refused whole; their own provider's
    memberships go, each audited."""
    own = world.user("provider_own")
    own.is_staff = True
    own.save()
    own.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_providermembership", "delete_providermembership"]
        )
    )
    provider_a = _provider_a(world)
    mine = membership_add(actor=own, provider=provider_a, user=UserFactory(), role="member")
    theirs = ProviderMembership.objects.get(user=world.user("provider_other"))
    changelist = "/admin/accreditation/providermembership/"
    browser = _browser(own)
    refused = browser.post(
        changelist,
        {"action": "delete_selected", "_selected_action": [mine.pk, theirs.pk], "post": "yes"},
    )
    assert refused.status_code == 403
    assert ProviderMembership.objects.filter(pk__in=[mine.pk, theirs.pk]).count() == 2
    assert not AuditEvent.objects.filter(action="membership.remove").exists()
    done = browser.post(
        changelist, {"action": "delete_selected", "_selected_action": [mine.pk], "post": "yes"}
    )
    assert done.status_code == 302
    assert not ProviderMembership.objects.filter(pk=mine.pk).exists()
    assert AuditEvent.objects.filter(action="membership.remove").count() == 1


def test_provider_page_lists_members_but_cannot_add_them():
    request = RequestFactory().get("/")
    request.user = UserFactory(username="root", is_staff=True, is_superuser=True)
    inline = MembershipInline(Provider, admin.site)
    assert not inline.has_add_permission(request, None)
    assert not inline.has_change_permission(request, None)
    assert not inline.has_delete_permission(request, None)


# --------------------------------------------------------------------------- the services


def test_membership_rules_in_the_services(world):
    provider = _provider_a(world)
    own, other = world.user("provider_own"), world.user("provider_other")
    coordinator = world.user("coordinator")
    newcomer = UserFactory(username="newcomer")
    events = AuditEvent.objects.count()
    with pytest.raises(NotAllowed):
        membership_add(actor=coordinator, provider=provider, user=coordinator, role="member")
    with pytest.raises(NotAllowed):  # another provider's administrator
        membership_add(actor=other, provider=provider, user=newcomer, role="member")
    with pytest.raises(NotAllowed):  # a reviewer is nobody's administrator
        membership_add(actor=world.user("reviewer_on"), provider=provider, user=newcomer)
    assert AuditEvent.objects.count() == events
    membership = membership_add(actor=own, provider=provider, user=newcomer, role="member")
    with pytest.raises(NotAllowed):  # a member cannot promote themself
        membership_change_role(actor=newcomer, membership=membership, role="admin")
    assert ProviderMembership.objects.get(pk=membership.pk).role == "member"
    own_membership = ProviderMembership.objects.get(user=own, provider=provider)
    membership_change_role(actor=own, membership=own_membership, role="member")  # stepping down
    membership_remove(actor=coordinator, membership=membership)
    actions = list(
        AuditEvent.objects.filter(action__startswith="membership.")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["membership.add", "membership.role", "membership.remove"]


# --------------------------------------------------------------------------- agency roles


def test_roles_change_only_through_the_roles_field_by_a_superuser_for_someone_else(world):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    person = UserFactory(username="person")
    browser = _browser(root)
    url = f"/admin/auth/user/{person.pk}/change/"
    page = browser.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {
        "username": "person",
        "email": "person@example.org",
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "roles": ["coordinator"],
    }
    data.update({k: v for k, v in form.initial.items() if k in ("first_name", "last_name")})
    saved = browser.post(url, data)
    assert saved.status_code == 302, saved.content[:800]
    person = type(person).objects.get(pk=person.pk)
    assert has_role(person, "coordinator")
    assert AuditEvent.objects.filter(
        action="role.grant", object_id=str(person.pk), data__role="coordinator"
    ).exists()
    # nobody edits their own roles or flags
    own = browser.get(f"/admin/auth/user/{root.pk}/change/")
    assert "roles" not in own.context["adminform"].form.fields
    assert "is_superuser" not in own.context["adminform"].form.fields


def test_staff_with_user_permissions_but_no_superuser_cannot_grant_roles(world, staff_coordinator):
    staff_coordinator.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="auth")
    )
    person = UserFactory(username="person")
    page = _browser(staff_coordinator).get(f"/admin/auth/user/{person.pk}/change/")
    assert page.status_code == 200
    fields = page.context["adminform"].form.fields
    assert "roles" not in fields and "groups" not in fields and "is_superuser" not in fields
    # and the grant itself is refused wherever it comes from
    from django.core.exceptions import PermissionDenied

    from core.roles import roles_set

    with pytest.raises(PermissionDenied):
        roles_set(actor=staff_coordinator, user=person, roles=["coordinator"])
    assert not has_role(type(person).objects.get(pk=person.pk), "coordinator")


# --------------------------------------------------------------------------- other pages


def test_course_admin_cannot_move_a_course_and_audits_an_edit(world, staff_coordinator):
    course = world.application.course
    other = world.other_application.provider
    url = f"/admin/accreditation/course/{course.pk}/change/"
    browser = _browser(staff_coordinator)
    form = browser.get(url).context["adminform"].form
    assert "provider" not in form.fields
    data = {name: form.initial.get(name) for name in form.fields}
    data = {k: ("" if v is None else v) for k, v in data.items()}
    data.update(
        {
            "title": "Corrected title",
            "provider": other.pk,
            "learning_outcomes": '["Read data"]',
            "languages": '["en"]',
        }
    )
    response = browser.post(url, data)
    assert response.status_code == 302, response.content[:800]
    course.refresh_from_db()
    assert course.title == "Corrected title"
    assert course.provider_id == world.application.provider_id
    assert AuditEvent.objects.filter(action="course.update", object_id=str(course.pk)).exists()


def test_application_state_and_records_cannot_be_edited_in_the_admin(world, staff_coordinator):
    world.prepare("accredited")
    browser = _browser(staff_coordinator)
    app_url = f"/admin/accreditation/application/{world.application.pk}/change/"
    form = browser.get(app_url).context["adminform"].form
    assert "state" not in form.fields
    browser.post(app_url, {"state": "draft", "provider": world.other_application.provider_id})
    application = Application.objects.get(pk=world.application.pk)
    assert application.state == "accredited"
    assert application.provider_id != world.other_application.provider_id
    decision = Decision.objects.get(application=world.application)
    assert browser.post(
        f"/admin/accreditation/decision/{decision.pk}/change/", {"outcome": "negative"}
    ).status_code in (403, 302, 200)
    assert Decision.objects.get(pk=decision.pk).outcome == "positive"
    for model in ("decision", "applicationtransition", "accreditationtransition", "condition"):
        assert browser.get(f"/admin/accreditation/{model}/add/").status_code == 403


def test_affiliation_changes_in_the_admin_are_audited(world, staff_coordinator):
    """Affiliations feed the conflict-of-interest checks: adding and removing one in the
    admin leaves an audit event naming the reviewer and the provider."""
    from reviews.models import Affiliation

    reviewer = world.user("reviewer_off")
    provider = world.application.provider
    browser = _browser(staff_coordinator)
    response = browser.post(
        "/admin/reviews/affiliation/add/",
        {
            "reviewer": reviewer.pk,
            "provider": provider.pk,
            "description": "Former employee",
            "start_date": "2020-01-01",
            "end_date": "",
        },
    )
    assert response.status_code == 302, response.content[:800]
    affiliation = Affiliation.objects.get(reviewer=reviewer, provider=provider)
    added = AuditEvent.objects.get(action="affiliation.add", object_id=str(affiliation.pk))
    assert (added.actor, added.data["reviewer"], added.data["provider"]) == (
        staff_coordinator,
        reviewer.pk,
        provider.pk,
    )
    url = f"/admin/reviews/affiliation/{affiliation.pk}/delete/"
    assert browser.post(url, {"post": "yes"}).status_code == 302
    assert not Affiliation.objects.filter(pk=affiliation.pk).exists()
    assert AuditEvent.objects.filter(action="affiliation.remove", object_id=str(affiliation.pk))


def test_role_groups_cannot_be_renamed_or_deleted_in_the_admin(world):
    """A role is a group with a fixed name: even a superuser cannot rename or delete it
    in the admin (roles are given on the person's page)."""
    from django.contrib.auth.models import Group

    root = UserFactory(is_staff=True, is_superuser=True)
    group = Group.objects.get(name="coordinator")
    browser = _browser(root)
    url = f"/admin/auth/group/{group.pk}/change/"
    browser.post(url, {"name": "renamed"})
    assert browser.post(f"/admin/auth/group/{group.pk}/delete/", {"post": "yes"}).status_code == 403
    group.refresh_from_db()
    assert group.name == "coordinator"
    assert browser.get("/admin/auth/group/add/").status_code == 403
