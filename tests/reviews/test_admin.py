"""The admin shows every review model; seats, judgements and findings are read-only there
because only the services check rights, conflicts of interest and permissions."""

import pytest
from django.urls import reverse

from demo.scenario import ready_report
from reviews.models import Affiliation
from tests.factories import UserFactory
from tests.reviews.helpers import judge_everything, record_every_finding

pytestmark = pytest.mark.django_db

MODELS = (
    "panelassignment",
    "affiliation",
    "conflictdeclaration",
    "reviewerjudgement",
    "finding",
    "report",
    "reviewerprofile",
)


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_every_review_model_has_a_working_admin(admin_client, in_review_application, panel, chair):
    judge_everything(panel["member"])
    record_every_finding(in_review_application, chair)
    ready_report(in_review_application, "draft")
    Affiliation.objects.create(reviewer=chair, provider=in_review_application.provider)
    for name in MODELS:
        changelist = admin_client.get(reverse(f"admin:reviews_{name}_changelist"))
        assert changelist.status_code == 200, name
    seat = panel["member"]
    page = admin_client.get(reverse("admin:reviews_panelassignment_change", args=[seat.pk]))
    assert page.status_code == 200
    assert b"member-r" in page.content


def test_seats_cannot_be_added_or_changed_in_the_admin(admin_client, panel):
    seat = panel["chair"]
    assert admin_client.get(reverse("admin:reviews_panelassignment_add")).status_code == 403
    response = admin_client.post(
        reverse("admin:reviews_panelassignment_change", args=[seat.pk]), {"state": "declined"}
    )
    assert response.status_code == 403
    seat.refresh_from_db()
    assert seat.state == "accepted"
    assert admin_client.get(reverse("admin:reviews_affiliation_add")).status_code == 200


def test_reviewer_profiles_are_read_in_the_admin_with_their_field_names(admin_client, chair):
    from reviews import services

    profile = services.reviewer_profile_update(
        reviewer=chair, actor=chair, changes={"expertise": ["0613"], "languages": ["en"]}
    )
    listing = admin_client.get(reverse("admin:reviews_reviewerprofile_changelist"))
    assert "0613 Software and applications development and analysis" in listing.content.decode()
    page = admin_client.get(reverse("admin:reviews_reviewerprofile_change", args=[profile.pk]))
    assert page.status_code == 200
    assert "0613 Software" in page.content.decode()
    add = admin_client.get(reverse("admin:reviews_reviewerprofile_add"))
    assert add.status_code == 403
