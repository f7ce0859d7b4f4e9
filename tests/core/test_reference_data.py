"""Reference data arrives by migration: both standards frameworks with their standards
in the published order, and one group per role."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from accreditation.models import Framework, Standard
from core.roles import Role

pytestmark = pytest.mark.django_db

ESG_CODES = ["1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7", "1.8", "1.9", "1.10"]
ANNEX_II_TITLES = [
    "Quality",
    "Transparency",
    "Relevance",
    "Valid assessment",
    "Learning pathways",
    "Recognition",
    "Portability",
    "Learner-centred",
    "Authentic",
    "Information and guidance",
]


def standards_of(code):
    framework = Framework.objects.get(code=code)
    return list(framework.standards.order_by("order"))


def test_esg_part_1_is_loaded_with_its_ten_standards_in_order():
    standards = standards_of("esg-2015-part1")
    assert [s.code for s in standards] == ESG_CODES
    assert standards[0].title == "Policy for quality assurance"
    assert standards[9].title == "Cyclical external quality assurance"
    assert [s.order for s in standards] == list(range(1, 11))


def test_eu_micro_credential_principles_are_loaded_in_annex_ii_order():
    standards = standards_of("eu-mc-2022-principles")
    assert [s.title for s in standards] == ANNEX_II_TITLES
    assert len({s.code for s in standards}) == 10


def test_every_framework_has_a_version_and_an_effective_date():
    for framework in Framework.objects.all():
        assert framework.version
        assert framework.effective_from is not None


def test_load_standards_again_adds_no_duplicate_version():
    before = (Framework.objects.count(), Standard.objects.count())
    call_command("load_standards", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert (Framework.objects.count(), Standard.objects.count()) == before


def test_a_group_exists_for_every_role():
    names = set(Group.objects.values_list("name", flat=True))
    assert set(Role.values) <= names
    assert set(Role.values) == {
        "coordinator",
        "reviewer",
        "decision_body",
        "appeals_committee",
        "provider",
    }
