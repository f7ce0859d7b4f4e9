"""A whole review case built through the services, for the report tests.

`build_case` takes a course application from dossier to decision the way users would:
the provider submits, the coordinator screens and composes a panel (chair, member,
student), the members accept, judge every standard, the chair records findings, asks
a clarification, requests the draft report, sends it for the factual-accuracy check,
the provider confirms, the chair requests the final report and the decision body
decides. Every step runs its after-commit work (Celery is eager in tests).
"""

import io
import json
import shutil
import subprocess
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from pypdf import PdfReader

from demo import scenario
from demo.scenario import Cast, Scenario
from reviews.models import Report
from tests.factories import UserFactory, pdf_bytes

pytestmark = pytest.mark.django_db

JUDGEMENTS = ("compliant", "substantially_compliant", "partially_compliant", "non_compliant")


@contextmanager
def committed():
    """Run the block and then its on-commit callbacks (and theirs), as after a real commit."""
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(using=connection.alias, execute=True):
        yield


def fire(application, name, actor, **data):
    """Fire a transition and run its after-commit work, as after a real commit."""
    with committed():
        return scenario.fire(application, name, actor, **data)


def build_case(
    *,
    application,
    provider_user,
    coordinator,
    decider,
    text=None,
    decide="accredit_with_conditions",
    until="decision",
):
    """Drive `application` through the procedure with `demo.scenario`; `text(kind, code)`
    gives the user text written at each step (self-assessments, rationales,
    recommendations, questions), `code` being the standard's or the step's."""
    text = text or (lambda kind, code: f"{kind} for {code}: the panel's considered view.")
    cast = Cast(
        admin=provider_user,
        coordinator=coordinator,
        decider=decider,
        panel={
            "chair": UserFactory(
                username="chair-ann", first_name="Ann", last_name="Chair", roles=["reviewer"]
            ),
            "member": UserFactory(
                username="member-bob", first_name="Bob", last_name="Member", roles=["reviewer"]
            ),
            "student": UserFactory(
                username="student-cy", first_name="Cy", last_name="Student", roles=["reviewer"]
            ),
        },
    )
    scenario = Scenario(
        cast,
        application=application,
        text=lambda kind, standard=None, verdict=None: text(
            kind, standard.code if standard is not None else kind
        ),
        verdicts=JUDGEMENTS,
        pdf=lambda title: pdf_bytes(),
        around=committed,
    )
    scenario.run(
        *("dossier", "submit", "start_screening", "panel", "start_review", "judge"),
        *("request_clarification", "answer_clarification", "draft_report"),
    )
    case = {**cast.panel, "draft": scenario.reports["draft"]}
    if until == "draft":
        return case
    scenario.run("submit_draft_report", "confirm_factual_accuracy", "final_report")
    case["final"] = scenario.reports["final"]
    if until == "final":
        return case
    data = {"rationale": text("decision rationale", "decision")}
    if decide == "accredit_with_conditions":
        due = (timezone.now() + timedelta(days=180)).date().isoformat()
        data["conditions"] = [{"text": text("condition", "1"), "due_date": due}]
    with committed():
        scenario.decide(decide, **data)
    case["published"] = Report.objects.get(application=application, stage="published")
    return case


def pdf_text(pdf_bytes):
    """The PDF's text as pdftotext reads it, with whitespace collapsed."""
    result = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"],
        input=pdf_bytes,
        capture_output=True,
        check=True,
    )
    return " ".join(result.stdout.decode().split())


def attachments(pdf_bytes):
    return PdfReader(io.BytesIO(pdf_bytes)).attachments


def embedded_json(pdf_bytes):
    files = attachments(pdf_bytes)
    assert list(files) == ["report.json"]
    return json.loads(files["report.json"][0])


def qpdf_check(pdf_bytes, tmp_path):
    path = tmp_path / "check.pdf"
    path.write_bytes(pdf_bytes)
    return subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)


def test_tools_for_checking_pdfs_are_installed():
    """pdftotext (poppler-utils) and qpdf must be on the machine that runs the suite."""
    assert shutil.which("pdftotext") and shutil.which("qpdf")


def test_case_reaches_a_decision_with_three_ready_reports(
    course_application, provider_user, coordinator, decider
):
    case = build_case(
        application=course_application,
        provider_user=provider_user,
        coordinator=coordinator,
        decider=decider,
    )
    course_application.refresh_from_db()
    assert course_application.state == "conditionally_accredited"
    for stage in ("draft", "final", "published"):
        report = case[stage]
        report.refresh_from_db()
        assert (report.stage, report.version, report.status) == (stage, 1, "ready"), report.error
