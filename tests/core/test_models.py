"""Bad course and provider data is refused twice: by model validation (the admin, the
forms and the API call `full_clean`) and by the database itself, so that no code path
that skips validation (a bulk write, a raw update) can store it either."""

import pytest
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction

from accreditation.models import Course, Provider, ProviderIdentifier
from tests.factories import CourseFactory, IdentifierFactory, ProviderFactory

pytestmark = pytest.mark.django_db


def course_values(provider, **changes):
    values = {
        "provider": provider,
        "title": "Data Stewardship",
        "learning_outcomes": ["Curate a data set"],
        "workload_ects": 5,
        "eqf_level": 6,
        "isced_f": "0613",
        "participation_form": "online",
        "languages": ["en"],
    }
    values.update(changes)
    return values


def refused_by_validation(instance, field):
    with pytest.raises(ValidationError) as info:
        instance.full_clean()
    assert field in info.value.message_dict, info.value.message_dict
    return info.value.message_dict[field]


def refused_by_database(save):
    # A check constraint raises IntegrityError; PostgreSQL refuses a value longer than
    # the column before any check, with DataError. Either way the row is not stored.
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        save()


@pytest.mark.parametrize("ects", [0, -1])
def test_course_with_zero_or_negative_ects_is_refused(ects):
    provider = ProviderFactory()
    course = Course(**course_values(provider, workload_ects=ects))
    refused_by_validation(course, "workload_ects")
    refused_by_database(course.save)
    refused_by_database(
        lambda: Course.objects.bulk_create([Course(**course_values(provider, workload_ects=ects))])
    )
    assert not Course.objects.exists()


@pytest.mark.parametrize("level", [0, 9])
def test_course_with_eqf_level_outside_1_to_8_is_refused(level):
    provider = ProviderFactory()
    course = Course(**course_values(provider, eqf_level=level))
    refused_by_validation(course, "eqf_level")
    refused_by_database(course.save)
    assert not Course.objects.exists()


def test_eqf_level_is_refused_by_a_raw_update_that_skips_validation():
    course = CourseFactory(eqf_level=8)
    refused_by_database(lambda: Course.objects.filter(pk=course.pk).update(eqf_level=9))
    course.refresh_from_db()
    assert course.eqf_level == 8


def test_valid_course_passes_validation_and_is_stored():
    course = Course(**course_values(ProviderFactory(), eqf_level=8, workload_ects="0.5"))
    course.full_clean()
    course.save()
    assert Course.objects.get(pk=course.pk).eqf_level == 8


def test_unknown_country_is_refused_by_validation():
    provider = Provider(legal_name="Nowhere Institute", country="XX", type="university")
    messages = refused_by_validation(provider, "country")
    assert "XX" in messages[0]


@pytest.mark.parametrize("country", ["nl", "NLD", "1A", ""])
def test_malformed_country_is_refused_by_the_database(country):
    provider = Provider(legal_name="Malformed", country=country, type="university")
    refused_by_validation(provider, "country")
    refused_by_database(provider.save)
    assert not Provider.objects.filter(legal_name="Malformed").exists()


def test_unknown_isced_field_and_language_are_refused_by_validation():
    course = Course(**course_values(ProviderFactory(), isced_f="1234", languages=["en", "xx"]))
    with pytest.raises(ValidationError) as info:
        course.full_clean()
    assert {"isced_f", "languages"} <= set(info.value.message_dict)


def test_duplicate_identifier_is_refused_by_validation_and_by_the_database():
    first = IdentifierFactory(scheme="erasmus", value="NL AMSTERD01")
    other = ProviderFactory()
    duplicate = ProviderIdentifier(provider=other, scheme="erasmus", value="NL AMSTERD01")
    with pytest.raises(ValidationError) as info:
        duplicate.full_clean()
    assert "__all__" in info.value.message_dict
    refused_by_database(duplicate.save)
    refused_by_database(
        lambda: ProviderIdentifier.objects.bulk_create(
            [ProviderIdentifier(provider=other, scheme="erasmus", value="NL AMSTERD01")]
        )
    )
    assert list(ProviderIdentifier.objects.filter(value="NL AMSTERD01")) == [first]


def test_same_value_under_another_scheme_is_a_different_identifier():
    IdentifierFactory(scheme="national", value="12345")
    other = ProviderIdentifier(provider=ProviderFactory(), scheme="eu-pic", value="12345")
    other.full_clean()
    other.save()
    assert ProviderIdentifier.objects.filter(value="12345").count() == 2


def test_unknown_identifier_scheme_is_refused_by_validation_and_by_the_database():
    identifier = ProviderIdentifier(provider=ProviderFactory(), scheme="duns", value="123")
    refused_by_validation(identifier, "scheme")
    refused_by_database(identifier.save)
