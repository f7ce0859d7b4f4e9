"""The provider's organisation profile and course editor: service validation shown next to
the field, hostile text escaped, other providers' objects 404."""

import pytest
from django.urls import reverse

from accreditation.models import Course, ProviderIdentifier
from tests.factories import IdentifierFactory, ProviderFactory
from tests.web.conftest import HOSTILE

pytestmark = pytest.mark.django_db


def profile_post(provider, **overrides):
    data = {
        "legal_name": provider.legal_name,
        "country": provider.country,
        "type": provider.type,
        "website": provider.website,
        "identifiers-TOTAL_FORMS": "2",
        "identifiers-INITIAL_FORMS": "0",
        "identifiers-MIN_NUM_FORMS": "0",
        "identifiers-MAX_NUM_FORMS": "1000",
        "identifiers-0-scheme": "schac",
        "identifiers-0-value": "example.org",
        "identifiers-1-scheme": "",
        "identifiers-1-value": "",
    }
    data.update(overrides)
    return data


def test_provider_edits_profile_and_identifiers(as_user, provider_user):
    provider = provider_user.providers.get()
    client = as_user(provider_user)
    response = client.post(
        reverse("provider-edit", args=[provider.pk]),
        profile_post(
            provider,
            legal_name="Renamed University",
            **{"identifiers-1-scheme": "erasmus", "identifiers-1-value": "NL AMSTERD01"},
        ),
    )
    assert response.status_code == 302
    provider.refresh_from_db()
    assert provider.legal_name == "Renamed University"
    assert set(provider.identifiers.values_list("scheme", "value")) == {
        ("schac", "example.org"),
        ("erasmus", "NL AMSTERD01"),
    }
    page = client.get(provider.get_absolute_url()).content.decode()
    assert "erasmus:NL AMSTERD01" in page


def test_identifier_of_another_provider_is_refused_at_the_field(as_user, provider_user):
    IdentifierFactory(provider=ProviderFactory(), scheme="schac", value="taken.example.org")
    provider = provider_user.providers.get()
    response = as_user(provider_user).post(
        reverse("provider-edit", args=[provider.pk]),
        profile_post(provider, **{"identifiers-0-value": "taken.example.org"}),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "already identifies another provider" in html
    assert not ProviderIdentifier.objects.filter(provider=provider).exists()


def test_half_filled_identifier_row_is_an_error_and_nothing_is_saved(as_user, provider_user):
    provider = provider_user.providers.get()
    response = as_user(provider_user).post(
        reverse("provider-edit", args=[provider.pk]),
        profile_post(provider, legal_name="Changed", **{"identifiers-0-value": ""}),
    )
    assert response.status_code == 400
    assert "Give both the scheme and the value" in response.content.decode()
    provider.refresh_from_db()
    assert provider.legal_name != "Changed"


def test_hostile_provider_name_is_escaped(as_user, provider_user):
    provider = provider_user.providers.get()
    provider.legal_name = HOSTILE
    provider.save()
    for url in ("/", provider.get_absolute_url()):
        html = as_user(provider_user).get(url).content.decode()
        assert HOSTILE not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_other_providers_profile_is_404(as_user, outsider, provider_user):
    provider = provider_user.providers.get()
    client = as_user(outsider)
    assert client.get(provider.get_absolute_url()).status_code == 404
    assert client.get(reverse("provider-edit", args=[provider.pk])).status_code == 404


def course_post(**overrides):
    data = {
        "provider": "",
        "title": "Data Stewardship",
        "learning_outcomes": "Plan data management\nDocument data sets",
        "workload_ects": "4.5",
        "eqf_level": "6",
        "qf_ehea_cycle": "first",
        "isced_f": "0613",
        "languages": "en, de",
        "assessment_type": "Portfolio",
        "participation_form": "blended",
        "quality_assurance": "Internal QA",
        "prerequisites": "",
        "supervision_identity_verification": "",
        "grading": "",
        "stackability": "",
        "further_information": "",
    }
    data.update(overrides)
    return data


def test_provider_creates_a_course_with_every_annex_i_element(as_user, provider_user):
    provider = provider_user.providers.get()
    client = as_user(provider_user)
    form = client.get(reverse("course-create")).content.decode()
    for label in (
        "Learning outcomes",
        "Notional workload in ECTS",
        "Notional workload in hours",
        "No EQF level or QF-EHEA cycle applies",
        "EQF level",
        "QF-EHEA cycle",
        "Type of assessment",
        "Form of participation",
        "Type of quality assurance used",
        "Prerequisites",
        "Supervision and identity verification",
        "Grade achieved",
        "Integration/stackability",
        "Further information",
    ):
        assert label in form
    response = client.post(reverse("course-create"), course_post(provider=provider.pk))
    assert response.status_code == 302
    course = Course.objects.get(title="Data Stewardship")
    assert course.provider == provider
    assert course.learning_outcomes == ["Plan data management", "Document data sets"]
    assert course.languages == ["en", "de"]
    assert str(course.workload_ects) == "4.50" and course.eqf_level == 6


def test_invalid_course_values_are_shown_next_to_their_field(as_user, provider_user):
    course = provider_user.providers.get().courses.create(title="Kept")
    response = as_user(provider_user).post(
        reverse("course-edit", args=[course.pk]),
        course_post(title="Changed", isced_f="1234", languages="en, xx", workload_ects="-1"),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_isced_f_errors"' in html and "1234 is not an ISCED-F 2013 field code" in html
    assert 'id="id_languages_errors"' in html and "Not ISO 639-1 language codes: xx" in html
    assert 'id="id_workload_ects_errors"' in html
    assert 'aria-describedby="id_isced_f_help id_isced_f_errors"' in html
    assert 'aria-describedby="id_title_errors"' not in html
    assert 'aria-invalid="true"' in html
    course.refresh_from_db()
    assert course.title == "Kept"


def test_provider_describes_a_course_with_no_level_and_a_workload_in_hours(as_user, provider_user):
    client = as_user(provider_user)
    post = course_post(
        provider=provider_user.providers.get().pk,
        workload_ects="",
        workload_hours="30",
        eqf_level="",
        qf_ehea_cycle="",
        level_not_applicable="on",
        supervision_identity_verification="unsupervised_no_identity_verification",
    )
    response = client.post(reverse("course-create"), post)
    assert response.status_code == 302
    course = Course.objects.get(title="Data Stewardship")
    assert course.level_not_applicable and str(course.workload_hours) == "30.00"
    assert course.supervision_identity_verification == "unsupervised_no_identity_verification"
    page = client.get(course.get_absolute_url()).content.decode()
    assert "30 hours" in page and "Not applicable" in page
    assert "Unsupervised, no identity verification" in page


def test_a_level_said_not_to_apply_and_two_workloads_are_shown_at_their_fields(
    as_user, provider_user
):
    course = provider_user.providers.get().courses.create(title="Kept")
    response = as_user(provider_user).post(
        reverse("course-edit", args=[course.pk]),
        course_post(workload_hours="10", level_not_applicable="on"),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_workload_hours_errors"' in html and 'id="id_eqf_level_errors"' in html
    course.refresh_from_db()
    assert course.workload_hours is None and not course.level_not_applicable


def test_service_validation_error_lands_on_the_field(as_user, provider_user):
    """Learning outcomes may not be emptied (the service's rule), shown at that field."""
    course = provider_user.providers.get().courses.create(title="Kept", learning_outcomes=["One"])
    response = as_user(provider_user).post(
        reverse("course-edit", args=[course.pk]), course_post(learning_outcomes="")
    )
    assert response.status_code == 400
    assert 'id="id_learning_outcomes_errors"' in response.content.decode()


def test_hostile_course_title_is_escaped(as_user, provider_user, course_application):
    course = course_application.course
    course.title = HOSTILE
    course.learning_outcomes = [HOSTILE]
    course.save()
    client = as_user(provider_user)
    for url in (course.get_absolute_url(), course_application.get_absolute_url(), "/courses/"):
        html = client.get(url).content.decode()
        assert HOSTILE not in html, url
        assert "&lt;script&gt;" in html


def test_other_providers_course_is_404(as_user, outsider, course_application):
    client = as_user(outsider)
    assert client.get(course_application.course.get_absolute_url()).status_code == 404
    assert (
        client.get(reverse("course-edit", args=[course_application.course_id])).status_code == 404
    )
    assert course_application.course.title not in client.get("/courses/").content.decode()


def test_reviewer_may_not_create_courses(as_user, reviewers):
    response = as_user(reviewers["chair"]).get(reverse("course-create"))
    assert response.status_code == 403
    assert "Only a provider" in response.content.decode()


def test_a_new_user_registers_an_organisation_and_becomes_its_admin(as_user):
    from accreditation.models import Provider, ProviderMembership
    from tests.factories import UserFactory

    newcomer = UserFactory(username="newcomer")
    client = as_user(newcomer)
    assert "Register your organisation" in client.get("/").content.decode()
    data = profile_post(
        Provider(legal_name="Fresh Academy", country="DE", type="company", website=""),
        **{"identifiers-0-scheme": "lei", "identifiers-0-value": "5299001A2B3C4D5E6F02"},
    )
    response = client.post(reverse("provider-create"), data)
    assert response.status_code == 302
    provider = Provider.objects.get(legal_name="Fresh Academy")
    assert ProviderMembership.objects.filter(user=newcomer, provider=provider).exists()
    assert "Register your organisation" not in client.get("/").content.decode()


def test_registration_with_a_bad_country_names_the_field(as_user):
    from accreditation.models import Provider
    from tests.factories import UserFactory

    client = as_user(UserFactory(username="newcomer2"))
    data = profile_post(Provider(legal_name="X", country="ZZ", type="company", website=""))
    response = client.post(reverse("provider-create"), data)
    assert response.status_code == 400
    assert 'id="id_country_errors"' in response.content.decode()
    assert not Provider.objects.filter(legal_name="X").exists()


def test_coordinator_corrects_a_providers_profile(as_user, coordinator, provider_user):
    provider = provider_user.providers.get()
    client = as_user(coordinator)
    assert (
        reverse("provider-edit", args=[provider.pk])
        in client.get(provider.get_absolute_url()).content.decode()
    )
    response = client.post(
        reverse("provider-edit", args=[provider.pk]), profile_post(provider, legal_name="Fixed")
    )
    assert response.status_code == 302
    provider.refresh_from_db()
    assert provider.legal_name == "Fixed"


def test_reviewer_may_not_edit_a_provider(as_user, reviewers, provider_user):
    provider = provider_user.providers.get()
    response = as_user(reviewers["chair"]).get(reverse("provider-edit", args=[provider.pk]))
    assert response.status_code == 404
