"""Reports of a whole case: what the PDFs show, what they embed, that they are valid
PDF/A files whose checksum the API states, and that user text in them stays text."""

import hashlib
import io
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

import core.pdf
from accreditation.annex import ELEMENTS as ANNEX_I
from accreditation.services import accreditation_transition
from reviews.models import Report
from reviews.reports.selectors import latest_ready_report
from tests.conftest import client_for

from .test_report_case import (
    attachments,
    build_case,
    committed,
    embedded_json,
    pdf_text,
    qpdf_check,
)
from .test_report_fetcher import Listener

pytestmark = pytest.mark.django_db


def squash(text):
    """Letters and digits only, lower case: line wraps and hyphenation do not matter."""
    return re.sub(r"[^0-9a-z]", "", text.lower())


def stored_bytes(report):
    report.refresh_from_db()
    with report.file.open("rb") as handle:
        return handle.read()


def download(client, report):
    response = client.get(f"/api/v1/reports/{report.pk}/pdf/")
    return response, b"".join(response.streaming_content) if response.status_code == 200 else b""


def test_published_report_shows_the_whole_case_and_matches_the_api(
    course_application, provider_user, coordinator, decider, api, tmp_path
):
    case = build_case(
        application=course_application,
        provider_user=provider_user,
        coordinator=coordinator,
        decider=decider,
    )
    published = case["published"]
    pdf = stored_bytes(published)
    text = pdf_text(pdf)
    flat = squash(text)
    course = course_application.course

    for standard in course_application.framework.standards.all():
        finding = course_application.findings.get(standard=standard)
        assert squash(f"{standard.code} {standard.title}") in flat
        # In the standard's own section, its judgement follows its title.
        section = flat.split(squash(f"{standard.code} {standard.title} {standard.guidance}"))[1]
        verdict = section.split(squash("The panel's judgement"))[1]
        assert verdict.startswith(squash(finding.get_judgement_display())), standard.code
        assert squash(finding.rationale) in flat
        assert squash(finding.recommendations) in flat
    for label in (element.label for element in ANNEX_I):
        assert squash(label) in flat, label
    for value in (
        course.title,
        course.provider.legal_name,
        *course.learning_outcomes,
        "5 ECTS",
        course.assessment_type,
        "Online",
        course.quality_assurance,
        "EQF level 6",
        "see the sample credential",
    ):
        assert squash(value) in flat, value
    assert squash("Ann Chair Chair") in flat
    assert squash("Bob Member Member") in flat
    assert squash("Cy Student Student member") in flat
    assert squash("Decision: accredited with conditions") in flat
    assert squash("Outcome Positive with conditions (positive_with_conditions)") in flat
    condition = published.data["decision"]["conditions"][0]
    assert squash(condition["text"]) in flat
    assert "Page 1 of" in text

    # The embedded report.json is exactly the data the API exposes.
    body = client_for(coordinator).get(f"/api/v1/reports/{published.pk}/").json()
    assert body["status"] == "ready" and body["stage"] == "published"
    assert embedded_json(pdf) == body["data"]
    assert body["data"]["decision"]["outcome"] == "positive_with_conditions"

    # Anyone may download it; the bytes served are the bytes whose SHA-256 the API states.
    response, served = download(api, published)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert served == pdf
    assert hashlib.sha256(served).hexdigest() == body["sha256"] == published.sha256
    assert response["ETag"] == f'"{body["sha256"]}"'
    assert "report-" in response["Content-Disposition"]
    assert (
        api.get(
            f"/api/v1/reports/{published.pk}/pdf/", HTTP_IF_NONE_MATCH=response["ETag"]
        ).status_code
        == 304
    )
    assert body["pdf_url"].endswith(f"/api/v1/reports/{published.pk}/pdf/")

    # A valid PDF/A-3 with tags, language, title, author and subject.
    check = qpdf_check(pdf, tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    reader = PdfReader(io.BytesIO(pdf))
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en"
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]
    xmp = root["/Metadata"].get_object().get_data()
    assert b'pdfaid:part="3"' in xmp or b"<pdfaid:part>3</pdfaid:part>" in xmp
    assert course.provider.legal_name in reader.metadata.title
    assert reader.metadata.author == "Micro-credential Quality Agency"
    assert "Published report" in reader.metadata.subject


def test_draft_and_final_reports_carry_no_decision_and_stay_private(
    course_application, provider_user, coordinator, decider, api
):
    case = build_case(
        application=course_application,
        provider_user=provider_user,
        coordinator=coordinator,
        decider=decider,
        until="final",
    )
    draft_text = pdf_text(stored_bytes(case["draft"]))
    final_pdf = stored_bytes(case["final"])
    assert "factual-accuracy check. Not a decision and not for publication" in draft_text
    for pdf_bytes, report in (
        (stored_bytes(case["draft"]), case["draft"]),
        (final_pdf, case["final"]),
    ):
        assert embedded_json(pdf_bytes)["decision"] is None
        assert "6 Decision" not in pdf_text(pdf_bytes)
        assert api.get(f"/api/v1/reports/{report.pk}/pdf/").status_code == 404
        assert api.get(f"/api/v1/reports/{report.pk}/").status_code == 404
        response, served = download(client_for(provider_user), report)
        assert response.status_code == 200 and served == pdf_bytes
        assert response["Cache-Control"] == "private, no-store"


HOSTILE = (
    '<img src="file:///etc/passwd"> <link rel=attachment href="file:///etc/passwd"> '
    "http://127.0.0.1:{port}/x.png <style>@import url(http://127.0.0.1:{port}/e.css);</style> "
    '<div style="background:url(file:///etc/passwd)">url(http://127.0.0.1:{port}/bg.png)</div> '
    '<a rel="attachment" href="file:///etc/hostname">h</a>'
)


def test_hostile_user_text_is_printed_as_text_and_fetches_nothing(
    course_application, provider_user, coordinator, decider, monkeypatch
):
    """Narratives, rationales, questions and conditions full of markup and URLs: every
    PDF shows them as plain text, embeds only report.json, and the renderer's fetcher is
    never asked for anything but the report stylesheet (nothing reaches the network)."""
    listener = Listener()
    fetchers = []

    class RecordingFetcher(core.pdf.SafeURLFetcher):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            fetchers.append(self)

    monkeypatch.setattr(core.pdf, "SafeURLFetcher", RecordingFetcher)
    hostile = HOSTILE.format(port=listener.port)
    try:
        case = build_case(
            application=course_application,
            provider_user=provider_user,
            coordinator=coordinator,
            decider=decider,
            text=lambda kind, code: f"{kind} {code}: {hostile}",
        )
    finally:
        listener.close()
    assert listener.connections == 0
    assert len(fetchers) == 3
    for fetcher in fetchers:
        assert fetcher.served == ["mcqa-static:reports/report.css"]
        assert fetcher.refused == []
    passwd_line = Path("/etc/passwd").read_text().splitlines()[0].strip()
    for stage in ("draft", "final", "published"):
        pdf = stored_bytes(case[stage])
        assert list(attachments(pdf)) == ["report.json"]
        text = pdf_text(pdf)
        assert '<img src="file:///etc/passwd">' in text
        assert "<style>@import url(http://127.0.0.1:" in text
        assert passwd_line not in text
        assert passwd_line.encode() not in pdf
        assert embedded_json(pdf)["standards"][0]["rationale"].endswith(hostile)


def test_conditions_met_publish_a_new_version_and_the_old_one_stays(
    course_application, provider_user, coordinator, decider, api
):
    case = build_case(
        application=course_application,
        provider_user=provider_user,
        coordinator=coordinator,
        decider=decider,
    )
    first = case["published"]
    first_pdf = stored_bytes(first)
    accreditation = course_application.accreditations.get()
    with committed():
        accreditation_transition(
            accreditation=accreditation, name="confirm_conditions_met", actor=decider
        )
    second = Report.objects.get(application=course_application, stage="published", version=2)
    assert second.status == "ready", second.error
    assert latest_ready_report(course_application, "published") == second
    assert second.data["decision"]["outcome"] == "positive"
    assert second.data["decision"]["conditions"][0]["status"] == "met"
    assert squash("originally positive with conditions") in squash(pdf_text(stored_bytes(second)))
    # The first version is untouched and still downloadable by anyone.
    first_again = Report.objects.get(pk=first.pk)
    assert (first_again.sha256, first_again.file.name) == (first.sha256, first.file.name)
    response, served = download(api, first)
    assert response.status_code == 200 and served == first_pdf
    assert hashlib.sha256(served).hexdigest() == first.sha256
