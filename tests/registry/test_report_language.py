"""The language of a published report in the public registry: beside the report on the
provider's page (in the reader's language), in the registry's JSON, and in DEQAR's CSV
as the ISO 639-2/B code its report data elements ask for."""

import csv
import io

import pytest

from demo.scenario import ready_report
from reviews.models import Report
from tests.registry.conftest import day

pytestmark = pytest.mark.django_db
EXPORT = "/api/v1/registry/export/?format=deqar"


@pytest.fixture
def reports(history):
    german_school = history.provider(name="Berliner Datenschule", country="DE", identifier="bds.de")
    de_app, _, _ = history.decide(german_school, when=day("2025-01-10"))
    german = ready_report(de_app, Report.Stage.PUBLISHED)
    Report.objects.filter(pk=german.pk).update(language="de")
    english_school = history.provider(name="Dublin Data School", country="IE", identifier="dds.ie")
    en_app, _, _ = history.decide(english_school, when=day("2025-01-11"))
    english = ready_report(en_app, Report.Stage.PUBLISHED)
    history.publish()
    return {"de": (german_school, german), "en": (english_school, english)}


def test_provider_page_shows_the_report_language(client, reports):
    provider, report = reports["de"]
    text = client.get(f"/registry/providers/{provider.pk}/").content.decode()
    assert f"/api/v1/reports/{report.pk}/pdf/" in text
    assert "Report language: German" in text
    client.cookies["mcqa_language"] = "de"
    text = client.get(f"/registry/providers/{provider.pk}/").content.decode()
    assert "Sprache des Berichts: Deutsch" in text


def test_registry_json_names_the_report_language(api, reports):
    for language, (provider, report) in reports.items():
        body = api.get(f"/api/v1/registry/providers/{provider.pk}/").json()
        (accreditation,) = body["accreditations"]
        assert accreditation["report"]["language"] == language
        assert accreditation["report"]["url"].endswith(f"/reports/{report.pk}/pdf/")
        assert {d["report"]["language"] for d in body["decisions"]} == {language}


def test_deqar_export_fills_the_report_language_column(api, reports):
    response = api.get(EXPORT)
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    by_report = {
        r["file[1].original_location"].rstrip("/").split("/")[-2]: r["file[1].report_language[1]"]
        for r in rows
    }
    assert by_report == {str(reports["de"][1].pk): "ger", str(reports["en"][1].pk): "eng"}
