"""The standards in the reader's language: the frameworks' German wording comes from the
data file, and a version's own (English) text never changes when it is updated."""

import json

import pytest
from django.utils import translation

from accreditation.models import Framework, Standard
from accreditation.reference_data import DATA_FILE, load_frameworks

pytestmark = pytest.mark.django_db


def test_every_standard_of_the_data_file_has_german_wording():
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    for framework in data["frameworks"]:
        assert framework["translations"]["de"]["title"]
        for standard in framework["standards"]:
            german = standard["translations"]["de"]
            assert german["title"] and german["title"] != standard["title"]
            assert german["guidance"] and german["guidance"] != standard["guidance"]


def test_heading_follows_the_active_language():
    standard = Standard.objects.get(framework__code="esg-2015-part1", code="1.8")
    named = Standard.objects.get(framework__code="eu-mc-2022-principles", code="transparency")
    assert standard.heading == "1.8 Public information"
    with translation.override("de"):
        assert standard.heading == "1.8 Information der Öffentlichkeit"
        assert named.heading == "Transparenz"
        assert named.display_guidance.startswith("Microcredentials sind messbar")
        assert standard.framework.display_title.startswith("Standards und Leitlinien")
    with translation.override("fr"):  # no French wording: the version's own text
        assert named.heading == "Transparency"


def test_reloading_updates_translations_only(tmp_path):
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    entry = data["frameworks"][1]
    entry["title"] = "A changed English title that must not be taken"
    entry["standards"][0]["guidance"] = "Changed guidance that must not be taken"
    entry["standards"][0]["translations"]["de"]["title"] = "Qualität (neu gefasst)"
    changed = tmp_path / "frameworks.json"
    changed.write_text(json.dumps(data), encoding="utf-8")

    assert load_frameworks(Framework, Standard, changed) == 0
    framework = Framework.objects.get(code=entry["code"], version=entry["version"])
    quality = framework.standards.get(code=entry["standards"][0]["code"])
    assert framework.title != entry["title"]
    assert quality.guidance != "Changed guidance that must not be taken"
    assert quality.translations["de"]["title"] == "Qualität (neu gefasst)"
