"""Renewal from the web: the provider starts the next cycle of a decided application,
its self-assessments copied as a starting point."""

import re

import pytest
from django.urls import reverse

from accreditation.models import Application
from tests.accreditation.helpers import decided
from tests.factories import ApplicationFactory, MembershipFactory, complete_dossier

pytestmark = pytest.mark.django_db


@pytest.fixture
def accredited_application(course_application, provider_user, decider):
    complete_dossier(course_application, provider_user)
    decided(course_application, decider)
    course_application.refresh_from_db()
    return course_application


def test_decided_application_offers_the_renewal_to_its_provider_only(
    as_user, provider_user, coordinator, accredited_application
):
    page = as_user(provider_user).get(accredited_application.get_absolute_url())
    html = page.content.decode()
    assert f'data-renew="{accredited_application.pk}"' in html
    query = f"?kind=renewal&amp;previous={accredited_application.pk}"
    assert reverse("application-create") + query in html
    staff_page = as_user(coordinator).get(accredited_application.get_absolute_url())
    assert "data-renew" not in staff_page.content.decode()


def test_undecided_application_offers_no_renewal(as_user, provider_user, course_application):
    html = as_user(provider_user).get(course_application.get_absolute_url()).content.decode()
    assert "data-renew" not in html
    form = as_user(provider_user).get(reverse("application-create")).content.decode()
    assert previous_options(form) == []


def previous_options(html):
    """The values offered by the form's "Accreditation to renew" select."""
    select = html.split('name="previous"', 1)[1].split("</select>", 1)[0]
    return re.findall(r'<option value="(\d+)"', select)


def test_provider_renews_from_the_prefilled_form(as_user, provider_user, accredited_application):
    client = as_user(provider_user)
    url = reverse("application-create")
    form = client.get(url, {"kind": "renewal", "previous": accredited_application.pk})
    html = form.content.decode()
    assert '<option value="renewal" selected>' in html
    assert f'<option value="{accredited_application.pk}" selected>' in html
    assert previous_options(html) == [str(accredited_application.pk)]
    assert accredited_application.course.title in html
    response = client.post(url, {"kind": "renewal", "previous": accredited_application.pk})
    assert response.status_code == 302
    renewal = Application.objects.get(previous=accredited_application)
    assert response["Location"] == renewal.get_absolute_url()
    assert (renewal.kind, renewal.state) == ("renewal", "draft")
    assert renewal.course_id == accredited_application.course_id
    assert renewal.provider_id == accredited_application.provider_id
    old = dict(accredited_application.self_assessments.values_list("standard__code", "narrative"))
    new = dict(renewal.self_assessments.values_list("standard__code", "narrative"))
    assert new == old and new
    page = client.get(renewal.get_absolute_url()).content.decode()
    assert "copied from the last cycle" in page


def test_renewal_without_a_cycle_names_the_field(as_user, provider_user, accredited_application):
    response = as_user(provider_user).post(reverse("application-create"), {"kind": "renewal"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose the accreditation to renew." in html
    assert 'id="id_previous"' in html
    assert not Application.objects.filter(kind="renewal").exists()


def test_another_providers_cycle_cannot_be_renewed(as_user, accredited_application, decider):
    other = MembershipFactory().user
    response = as_user(other).post(
        reverse("application-create"), {"kind": "renewal", "previous": accredited_application.pk}
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not Application.objects.filter(kind="renewal").exists()


def test_second_open_renewal_of_a_course_is_refused(as_user, provider_user, accredited_application):
    client = as_user(provider_user)
    data = {"kind": "renewal", "previous": accredited_application.pk}
    assert client.post(reverse("application-create"), data).status_code == 302
    response = client.post(reverse("application-create"), data)
    assert response.status_code == 409
    assert Application.objects.filter(kind="renewal").count() == 1


def test_institutional_renewal(as_user, provider_user, decider):
    provider = provider_user.providers.get()
    institutional = ApplicationFactory(
        provider=provider, course=None, kind="provider", created_by=provider_user
    )
    complete_dossier(institutional, provider_user)
    decided(institutional, decider)
    response = as_user(provider_user).post(
        reverse("application-create"), {"kind": "renewal", "previous": institutional.pk}
    )
    assert response.status_code == 302
    renewal = Application.objects.get(previous=institutional)
    assert renewal.course_id is None
    assert renewal.framework.code == "esg-2015-part1"
