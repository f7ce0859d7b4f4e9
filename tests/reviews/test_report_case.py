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

from accreditation.services import application_transition
from reviews.models import PanelAssignment, Report
from reviews.reports.services import report_request
from reviews.services import assignment_accept, finding_put, judgement_put, panel_member_assign
from tests.factories import UserFactory, complete_dossier

pytestmark = pytest.mark.django_db

JUDGEMENTS = ("compliant", "substantially_compliant", "partially_compliant", "non_compliant")


@contextmanager
def committed():
    """Run the block and then its on-commit callbacks (and theirs), as after a real commit."""
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(using=connection.alias, execute=True):
        yield


def fire(application, name, actor, **data):
    with committed():
        return application_transition(application=application, name=name, actor=actor, data=data)


def request_report(application, stage, actor):
    with committed():
        report = report_request(application=application, stage=stage, actor=actor)
    report.refresh_from_db()
    return report


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
    """Drive `application` through the procedure; `text(kind, code)` gives the user text
    written at each step (self-assessments, rationales, recommendations, questions)."""
    text = text or (lambda kind, code: f"{kind} for {code}: the panel's considered view.")
    complete_dossier(application, provider_user)
    standards = list(application.framework.standards.order_by("order"))
    for standard in standards:
        standard_sa = application.self_assessments.get(standard=standard)
        standard_sa.narrative = text("self-assessment", standard.code)
        standard_sa.save()
    fire(application, "submit", provider_user)
    fire(application, "start_screening", coordinator)

    chair = UserFactory(
        username="chair-ann", first_name="Ann", last_name="Chair", roles=["reviewer"]
    )
    member = UserFactory(
        username="member-bob", first_name="Bob", last_name="Member", roles=["reviewer"]
    )
    student = UserFactory(
        username="student-cy", first_name="Cy", last_name="Student", roles=["reviewer"]
    )
    seats = {}
    for reviewer, role in ((chair, "chair"), (member, "member"), (student, "student")):
        with committed():
            seat = panel_member_assign(
                application=application, reviewer=reviewer, role=role, actor=coordinator
            )
        with committed():
            assignment_accept(assignment=seat, actor=reviewer, no_conflict=True)
        seats[role] = PanelAssignment.objects.get(pk=seat.pk)
    fire(application, "start_review", coordinator)

    for index, standard in enumerate(standards):
        judgement = JUDGEMENTS[index % len(JUDGEMENTS)]
        for seat in seats.values():
            judgement_put(
                assignment=seat,
                standard_code=standard.code,
                actor=seat.reviewer,
                judgement=judgement,
                rationale=text("reviewer rationale", standard.code),
            )
        finding_put(
            application=application,
            standard_code=standard.code,
            actor=chair,
            judgement=judgement,
            rationale=text("rationale", standard.code),
            recommendations=text("recommendations", standard.code),
        )
    fire(application, "request_clarification", chair, comment=text("question", "clarification"))
    fire(application, "answer_clarification", provider_user, answer=text("answer", "clarification"))
    draft = request_report(application, "draft", chair)
    case = {"chair": chair, "member": member, "student": student, "draft": draft}
    if until == "draft":
        return case
    fire(application, "submit_draft_report", chair)
    fire(application, "confirm_factual_accuracy", provider_user)
    case["final"] = request_report(application, "final", chair)
    if until == "final":
        return case
    due = (timezone.now() + timedelta(days=180)).date().isoformat()
    data = {"rationale": text("decision rationale", "decision")}
    if decide == "accredit_with_conditions":
        data["conditions"] = [{"text": text("condition", "1"), "due_date": due}]
    fire(application, decide, decider, **data)
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
