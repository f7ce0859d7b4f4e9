"""`GET /api/v1/registry/export/?format=deqar`: one row per published report in the
columns of EQAR's sample DEQAR CSV submission (shared/specs), streamed in batches."""

import csv
import io

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext

from demo.scenario import fire_accreditation, ready_report
from registry import deqar
from reviews.models import Report
from tests.factories import IdentifierFactory
from tests.registry.conftest import day
from tests.registry.elm_conformance import SPECS

pytestmark = pytest.mark.django_db
EXPORT = "/api/v1/registry/export/?format=deqar"


def sample_header():
    with open(SPECS / "deqar-submission-sample.csv", encoding="utf-8", newline="") as f:
        return next(csv.reader(f))


def read(response):
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


@pytest.fixture
def reports(history):
    ada = history.provider(name="Amsterdam Data Academy", country="NL", identifier="ada.nl")
    IdentifierFactory(provider=ada, scheme="deqar", value="DEQARINST0042")
    IdentifierFactory(provider=ada, scheme="eter", value="NL0042")
    inst_app, inst_decision, _ = history.decide(ada, when=day("2025-01-10"), eqf_levels=[6])
    inst_report = ready_report(inst_app, Report.Stage.PUBLISHED)
    course = history.course(ada, title="=Data Stewardship", eqf_level=6, qf_ehea_cycle=None)
    course_app, course_decision, approval = history.decide(
        ada, course=course, name="accredit_with_conditions", when=day("2025-02-10")
    )
    first = ready_report(course_app, Report.Stage.PUBLISHED)

    bhs = history.provider(name="Berlin Health School", country="DE", identifier="bhs.de")
    IdentifierFactory(provider=bhs, scheme="eter", value="DE0007")
    refused_app, refused, _ = history.decide(bhs, name="reject", when=day("2025-03-05"))
    refused_report = ready_report(refused_app, Report.Stage.PUBLISHED)
    history.publish()
    # Conditions met later: a second published report of the same decision, now positive.
    fire_accreditation(approval, "confirm_conditions_met", history.decider)
    second = ready_report(course_app, Report.Stage.PUBLISHED, version=2)
    lone = history.provider(name="Lone Provider", country="FR", identifier="lone.fr")
    lone_app, _, _ = history.decide(lone, when=day("2025-04-01"))
    ready_report(lone_app, Report.Stage.PUBLISHED)
    history.publish()
    return {
        "ada": ada,
        "lone": lone,
        "inst": (inst_report, inst_decision),
        "course": (first, second, course_decision),
        "refused": (refused_report, refused),
    }


def test_header_is_the_sample_submission_header(api, reports):
    header, _ = read(api.get(EXPORT))
    assert header == sample_header()
    assert tuple(header) == deqar.COLUMNS


def test_one_row_per_published_report_with_values_in_their_columns(api, reports, settings):
    settings.MCQA_AGENCY_DEQAR_ID = "99"
    _, rows = read(api.get(EXPORT))
    assert len(rows) == 5
    by_file = {r["file[1].original_location"]: r for r in rows}
    inst_report, inst_decision = reports["inst"]
    row = by_file[next(u for u in by_file if u.endswith(f"/reports/{inst_report.pk}/pdf/"))]
    assert row["agency"] == "99"
    assert row["local_identifier"] == f"decision-{inst_decision.pk}"
    assert row["activity"] == settings.MCQA_AGENCY_DEQAR_ACTIVITY_INSTITUTIONAL
    assert row["status"] == settings.MCQA_AGENCY_DEQAR_REPORT_STATUS
    assert row["decision"] == "1"
    assert (row["valid_from"], row["valid_to"]) == (
        inst_decision.valid_from.isoformat(),
        inst_decision.valid_until.isoformat(),
    )
    assert row["date_format"] == "%Y-%m-%d"
    assert row["file[1].report_language[1]"] == "eng"
    assert row["institution[1].identifier[1]"] == "DEQARINST0042"
    assert row["link[1]"].endswith(f"/registry/providers/{reports['ada'].pk}/")
    assert row["programme[1].name_primary"] == ""


def test_course_approval_rows_name_the_programme_and_follow_conditions_met(api, reports):
    _, rows = read(api.get(EXPORT))
    first, second, decision = reports["course"]
    ours = [r for r in rows if r["local_identifier"] == f"decision-{decision.pk}"]
    assert [r["file[1].original_location"].split("/")[-3] for r in ours] == [
        str(first.pk),
        str(second.pk),
    ]
    assert [r["decision"] for r in ours] == ["2", "1"]
    for row in ours:
        assert row["activity"] == "programme accreditation"
        # Provider text is defused for spreadsheets; the level comes from EQF 6.
        assert row["programme[1].name_primary"] == "'=Data Stewardship"
        assert row["programme[1].qf_ehea_level"] == "first cycle"
        assert row["programme[2].name_primary"] == ""


def test_negative_decision_row_and_identifier_precedence(api, reports):
    _, rows = read(api.get(EXPORT))
    report, refused = reports["refused"]
    (row,) = [r for r in rows if r["local_identifier"] == f"decision-{refused.pk}"]
    assert row["decision"] == "3"
    assert (row["valid_from"], row["valid_to"]) == ("2025-03-05", "")
    assert row["institution[1].identifier[1]"] == "DE0007"
    (lone,) = [r for r in rows if r["link[1]"].endswith(f"/providers/{reports['lone'].pk}/")]
    assert lone["institution[1].identifier[1]"] == str(reports["lone"].pk)
    assert lone["agency"] == "MCQA"


def test_export_reads_a_fixed_number_of_queries_per_batch(api, reports, monkeypatch):
    def count(batch):
        monkeypatch.setattr(deqar, "BATCH", batch)
        with CaptureQueriesContext(connection) as queries:
            _, rows = read(api.get(EXPORT))
        return len(queries), len(rows)

    # Per batch: the report events, their decisions, the providers, the courses (the
    # last left out when the batch has no course approval).
    assert count(100) == (4, 5)
    assert count(5) == (5, 5)  # a full batch reads on: one more (empty) read
    queries, rows = count(2)  # three batches of 2, 2 and 1 reports
    assert rows == 5 and 3 * 3 <= queries <= 3 * 4


def test_export_streams_row_by_row(api, reports):
    response = api.get(EXPORT)
    assert response["Content-Disposition"] == 'attachment; filename="registry-deqar.csv"'
    chunks = [c for c in response.streaming_content if c]
    assert len(chunks) >= 5


def test_unknown_format_names_the_field(api, reports):
    response = api.get("/api/v1/registry/export/?format=xml")
    assert response.status_code == 400
    assert "deqar" in response.json()["format"][0]
