"""HTML and JavaScript in free text: escaped on every page, inert text in every PDF, and
never a reason for the PDF renderer to read a local file or open a connection."""

import io
import socket
from datetime import timedelta

import pytest
from django.utils import timezone
from pypdf import PdfReader

from accreditation.models import (
    Application,
    Clarification,
    Condition,
    Course,
    Document,
    Provider,
    SelfAssessment,
)
from reviews.models import Finding, ReviewerJudgement

pytestmark = pytest.mark.django_db

SCRIPT = '<script>alert("pwned")</script>'
IMG = "<img src=x onerror=alert(1)>"
PAYLOAD = f"{SCRIPT}{IMG}"
# What the PDF renderer would fetch if markup ever got through.
FETCHING = (
    '<img src="file:///etc/passwd">'
    '<link rel="attachment" href="file:///etc/passwd">'
    '<link rel="stylesheet" href="http://127.0.0.1:9/steal.css">'
    "<style>@import url(http://127.0.0.1:9/x.css); body{background:url(file:///etc/shadow)}</style>"
    '<iframe src="file:///etc/hosts"></iframe>'
)


def _poison(world):
    """Write hostile text into every free-text field a page or a report shows."""
    app = world.application
    Provider.objects.filter(pk=app.provider_id).update(legal_name=f"ACME {PAYLOAD}")
    Course.objects.filter(pk=app.course_id).update(
        title=f"Course {PAYLOAD}",
        learning_outcomes=[f"Outcome {PAYLOAD}", FETCHING],
        assessment_type=f"Exam {PAYLOAD}",
        quality_assurance=f"QA {FETCHING}",
        prerequisites=PAYLOAD,
        further_information=FETCHING,
    )
    Document.objects.filter(pk=world.document.pk).update(original_name=f"{PAYLOAD}.pdf")
    for standard in app.framework.standards.all():
        SelfAssessment.objects.update_or_create(
            application=app,
            standard=standard,
            defaults={"narrative": f"Narrative {PAYLOAD} {FETCHING}"},
        )
        Finding.objects.update_or_create(
            application=app,
            standard=standard,
            defaults={
                "judgement": "compliant",
                "rationale": f"Rationale {PAYLOAD} {FETCHING}",
                "recommendations": f"Recommend {PAYLOAD}",
                "recorded_by": world.user("panel_chair"),
            },
        )
        ReviewerJudgement.objects.update_or_create(
            assignment=world.assignment,
            standard=standard,
            defaults={"judgement": "compliant", "rationale": f"Judged {PAYLOAD}"},
        )
    Clarification.objects.create(
        application=app,
        question=f"Question {PAYLOAD}",
        answer=f"Answer {PAYLOAD}",
        asked_by=world.user("coordinator"),
    )
    from accreditation.models import ApplicationTransition

    ApplicationTransition.objects.create(
        application=app,
        transition="return_for_completion",
        from_state="screening",
        to_state="returned",
        actor=world.user("coordinator"),
        comment=f"Comment {PAYLOAD}",
    )
    if world.accreditation is not None:
        Condition.objects.filter(accreditation=world.accreditation).update(
            text=f"Condition {PAYLOAD}"
        )
    Application.objects.filter(pk=app.pk).update(due_at=timezone.now() + timedelta(days=2))
    world.application.refresh_from_db()


def _assert_escaped(html):
    assert SCRIPT not in html
    assert IMG not in html
    assert "<iframe" not in html
    assert 'src="file:' not in html
    assert "&lt;script&gt;" in html, "the hostile text should be shown, escaped"


PAGES = [
    ("provider_own", "/applications/{app}/"),
    ("coordinator", "/applications/{app}/"),
    ("provider_own", "/applications/"),
    ("coordinator", "/deadlines/"),
    ("provider_own", "/providers/{provider}/"),
    ("provider_own", "/courses/{course}/"),
    ("provider_own", "/courses/"),
    ("provider_own", "/applications/{app}/self-assessments/{std}/"),
    ("coordinator", "/applications/{app}/panel/"),
    ("panel_chair", "/applications/{app}/consolidation/"),
    ("reviewer_on", "/assignments/{assignment}/"),
    ("reviewer_on", "/assignments/{assignment}/review/"),
    ("provider_own", "/"),
]


@pytest.mark.parametrize(("role", "path"), PAGES)
def test_hostile_text_is_escaped_on_workflow_pages(world, role, path):
    world.prepare("in_review")
    _poison(world)
    client = world.page_client(role)
    url = path.format(
        app=world.application.pk,
        provider=world.application.provider_id,
        course=world.application.course_id,
        assignment=world.assignment.pk,
        std=world.application.framework.standards.order_by("order").first().code,
    )
    response = client.get(url)
    assert response.status_code == 200, url
    _assert_escaped(response.content.decode())


@pytest.mark.parametrize("path", ["/registry/providers/{provider}/", "/registry/?q=ACME"])
def test_hostile_text_is_escaped_on_public_registry_pages(world, client, path):
    # The registry projects what it publishes at decision time: poison first, then decide.
    _poison(world)
    world.prepare("conditionally_accredited")
    response = client.get(path.format(provider=world.application.provider_id))
    assert response.status_code == 200
    _assert_escaped(response.content.decode())


def test_hostile_text_in_the_registry_feed_and_export_is_data_not_markup(world, api):
    _poison(world)
    world.prepare("accredited")
    atom = api.get("/registry/changes.atom")
    assert atom.status_code == 200
    assert SCRIPT.encode() not in atom.content
    export = api.get("/api/v1/registry/export/", {"format": "jsonl"})
    assert export.status_code == 200
    assert export["Content-Type"].startswith("application/")
    assert export["X-Content-Type-Options"] == "nosniff"


@pytest.fixture
def no_network(monkeypatch):
    """Record (and refuse) every attempt to open a connection during the test."""
    attempts = []

    def refuse(self, address, *args, **kwargs):
        attempts.append(address)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


def _pdf_text(pdf):
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() or "" for page in reader.pages), reader


@pytest.mark.parametrize("stage", ["draft", "published"])
def test_hostile_text_is_inert_in_the_report_pdf(world, no_network, stage, caplog):
    from reviews.reports.data import report_data
    from reviews.reports.render import render_report_pdf

    world.prepare("accredited" if stage == "published" else "in_review")
    _poison(world)
    data = report_data(world.application, stage)
    pdf = render_report_pdf(data)

    assert no_network == [], f"the renderer tried to connect to {no_network}"
    text, reader = _pdf_text(pdf)
    compact = "".join(text.split())
    assert "alert(" in compact, "the hostile text is printed as text"
    assert "root:x:0:0" not in text and b"root:x:0:0" not in pdf
    names = sorted(reader.attachments)
    assert names == ["report.json"], names
    catalog = reader.trailer["/Root"]
    assert "/OpenAction" not in catalog and "/AA" not in catalog
    assert b"/JavaScript" not in pdf and b"/Launch" not in pdf
    for page in reader.pages:
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A") or {}
            uri = str(action.get("/URI", ""))
            assert not uri.startswith(("file:", "javascript:")), uri


def test_report_fetcher_refuses_local_files_and_network(no_network, tmp_path):
    """The renderer's fetcher itself: a template that slipped would still read nothing."""
    from core.pdf import SafeURLFetcher, render_pdf

    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    fetcher = SafeURLFetcher()
    html = (
        f'<p>x</p><img src="file://{secret}"><link rel="attachment" href="file://{secret}">'
        '<img src="http://127.0.0.1:9/a.png"><img src="../../../etc/passwd">'
        '<img src="mcqa-static:reports/../../config/settings/base.py">'
    )
    pdf = render_pdf(html, fetcher=fetcher)
    assert no_network == []
    assert b"TOP-SECRET-CONTENT" not in pdf
    _, reader = _pdf_text(pdf)
    assert list(reader.attachments) == []
    refused = " ".join(map(str, fetcher.refused))
    assert "file://" in refused and "127.0.0.1" in refused
    assert not fetcher.served or all("config/settings" not in str(s) for s in fetcher.served)


def test_api_answers_are_json_not_html(world):
    """Hostile text comes back in JSON with a JSON content type and nosniff, so a browser
    never renders it as a page."""
    _poison(world)
    response = world.client("provider_own").get(f"/api/v1/applications/{world.application.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["X-Content-Type-Options"] == "nosniff"
