"""Who may ask for a report and when; rendering that fails, retries, runs twice or is
lost; the published stage after a decision; the report list in the application detail."""

from datetime import timedelta

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.utils import timezone

from accreditation.models import Application
from reviews.models import Report
from reviews.reports import selectors as report_selectors
from reviews.reports import services as report_services
from reviews.reports import tasks as report_tasks
from reviews.services import assignment_accept, finding_put, panel_member_assign
from tests.conftest import client_for
from tests.factories import UserFactory, complete_dossier

from .test_report_case import committed, fire

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_review(course_application, provider_user, coordinator):
    """A submitted application whose panel (chair, member, student) accepted; in review."""
    complete_dossier(course_application, provider_user)
    fire(course_application, "submit", provider_user)
    fire(course_application, "start_screening", coordinator)
    seats = {}
    for role in ("chair", "member", "student"):
        reviewer = UserFactory(username=f"{role}-r", roles=["reviewer"])
        seat = panel_member_assign(
            application=course_application, reviewer=reviewer, role=role, actor=coordinator
        )
        assignment_accept(assignment=seat, actor=reviewer, no_conflict=True)
        seats[role] = reviewer
    fire(course_application, "start_review", coordinator)
    course_application.refresh_from_db()
    assert course_application.state == "in_review"
    course_application.panel = seats
    record_findings(course_application, seats["chair"])
    return course_application


def record_findings(application, chair):
    """The chair's finding on every standard: what a report shows, so none renders
    without them."""
    for standard in application.framework.standards.all():
        finding_put(
            application=application,
            standard_code=standard.code,
            actor=chair,
            judgement="compliant",
            rationale=f"The panel finds {standard.code} met.",
        )


def post_report(user, application, stage):
    return client_for(user).post(
        f"/api/v1/applications/{application.pk}/reports/", {"stage": stage}, format="json"
    )


def media_files(settings, application_id):
    folder = settings.MEDIA_ROOT / "reports" / str(application_id)
    return sorted(folder.iterdir()) if folder.exists() else []


# --------------------------------------------------------------------------- requests


def test_chair_requests_a_draft_and_it_renders_after_commit(in_review, settings):
    chair = in_review.panel["chair"]
    with committed():
        response = post_report(chair, in_review, "draft")
        assert response.status_code == 202
        body = response.json()
        assert body["status"] == "pending"
        assert Report.objects.get(pk=body["id"]).status == "pending"  # not before commit
    report = Report.objects.get(pk=body["id"])
    assert (report.stage, report.version, report.status) == ("draft", 1, "ready")
    assert report.size == report.file.size and len(report.sha256) == 64
    assert report.requested_by == chair
    assert len(media_files(settings, in_review.pk)) == 1


def test_each_request_is_a_new_version_of_its_stage(in_review, coordinator):
    first = post_report(coordinator, in_review, "draft").json()["id"]
    second = post_report(coordinator, in_review, "draft").json()["id"]
    versions = Report.objects.filter(pk__in=[first, second]).order_by("pk")
    assert [r.version for r in versions] == [1, 2]
    assert versions[1].data["report"] == {
        "id": second,
        "stage": "draft",
        "stage_label": "Draft (factual-accuracy check)",
        "version": 2,
        "language": "en",
    }


def test_panel_member_and_provider_may_not_request_but_outsiders_do_not_see(
    in_review, provider_user
):
    assert post_report(in_review.panel["member"], in_review, "draft").status_code == 403
    assert post_report(in_review.panel["student"], in_review, "draft").status_code == 403
    assert post_report(provider_user, in_review, "draft").status_code == 403
    stranger = UserFactory(roles=["reviewer"])
    assert post_report(stranger, in_review, "draft").status_code == 404
    assert not Report.objects.exists()


def test_wrong_stage_or_state_is_refused_and_nothing_is_created(
    in_review, coordinator, course_application
):
    response = post_report(coordinator, in_review, "published")
    assert response.status_code == 400 and "stage" in response.json()
    response = post_report(coordinator, in_review, "final")
    assert response.status_code == 409
    assert "in_review" in response.json()["detail"]
    Application.objects.filter(pk=in_review.pk).update(state="screening")
    assert post_report(coordinator, in_review, "draft").status_code == 409
    assert not Report.objects.exists()


# --------------------------------------------------------------------------- rendering


@pytest.fixture
def pending_report(in_review, coordinator):
    report = report_services.report_request(application=in_review, stage="draft", actor=coordinator)
    return report


def test_failed_render_keeps_the_error_and_leaves_the_application_alone(
    pending_report, in_review, coordinator, monkeypatch
):
    before = Application.objects.values().get(pk=in_review.pk)

    def broken(data):
        raise RuntimeError("the renderer broke")

    monkeypatch.setattr(report_services, "render_report_pdf", broken)
    report = report_services.report_render(report_id=pending_report.pk)
    assert report.status == "failed"
    assert report.error == "RuntimeError: the renderer broke"
    assert report.attempts == 1 and not report.file and report.sha256 == ""
    assert Application.objects.values().get(pk=in_review.pk) == before

    # Visible in the API with its error; the PDF is not there yet.
    client = client_for(coordinator)
    body = client.get(f"/api/v1/reports/{report.pk}/").json()
    assert (body["status"], body["error"], body["pdf_url"]) == (
        "failed",
        "RuntimeError: the renderer broke",
        None,
    )
    assert client.get(f"/api/v1/reports/{report.pk}/pdf/").status_code == 409

    # The coordinator retries once the cause is gone: the same report becomes ready.
    monkeypatch.undo()
    with committed():
        response = client.post(f"/api/v1/reports/{report.pk}/retry/")
    assert response.status_code == 202
    report.refresh_from_db()
    assert (report.status, report.attempts, report.error) == ("ready", 2, "")
    assert client.get(f"/api/v1/reports/{report.pk}/").json()["error"] is None


def test_only_the_coordinator_retries_and_only_failed_reports(
    pending_report, in_review, coordinator, provider_user
):
    Report.objects.filter(pk=pending_report.pk).update(status="failed", error="x", attempts=1)
    chair = in_review.panel["chair"]
    assert client_for(chair).post(f"/api/v1/reports/{pending_report.pk}/retry/").status_code == 403
    assert (
        client_for(provider_user).post(f"/api/v1/reports/{pending_report.pk}/retry/").status_code
        == 403
    )
    stranger = UserFactory(roles=["provider"])
    assert (
        client_for(stranger).post(f"/api/v1/reports/{pending_report.pk}/retry/").status_code == 404
    )
    report_services.report_render(report_id=pending_report.pk)
    response = client_for(coordinator).post(f"/api/v1/reports/{pending_report.pk}/retry/")
    assert response.status_code == 409


def test_soft_time_limit_fails_the_render_for_a_later_retry(pending_report, monkeypatch):
    def slow(data):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(report_services, "render_report_pdf", slow)
    report = report_tasks.render_report.apply(args=[pending_report.pk]).get()
    assert report == {"id": pending_report.pk, "status": "failed"}
    pending_report.refresh_from_db()
    assert pending_report.error.startswith("SoftTimeLimitExceeded")


def test_rendering_twice_makes_one_file_and_never_changes_a_ready_report(
    pending_report, in_review, settings, monkeypatch
):
    calls = []
    real = report_services.render_report_pdf

    def counting(data):
        calls.append(1)
        return real(data)

    monkeypatch.setattr(report_services, "render_report_pdf", counting)
    first = report_tasks.render_report.apply(args=[pending_report.pk]).get()
    ready = Report.objects.get(pk=pending_report.pk)
    second = report_tasks.render_report.apply(args=[pending_report.pk]).get()
    again = Report.objects.get(pk=pending_report.pk)
    assert first == second == {"id": pending_report.pk, "status": "ready"}
    assert len(calls) == 1
    assert (again.sha256, again.file.name, again.attempts, again.rendered_at) == (
        ready.sha256,
        ready.file.name,
        1,
        ready.rendered_at,
    )
    assert media_files(settings, in_review.pk) == [settings.MEDIA_ROOT / again.file.name]


def test_a_report_finished_by_another_worker_is_not_stored_twice(
    pending_report, in_review, settings
):
    """Two workers render the same pending report at once: the second to finish keeps
    the first one's file and writes none of its own."""
    pdf = report_services.render_report_pdf(pending_report.data)
    winner = report_services._store(pending_report.pk, pending_report.data, pdf)
    loser = report_services._store(pending_report.pk, pending_report.data, pdf + b"\n")
    assert loser.file.name == winner.file.name and loser.sha256 == winner.sha256
    assert len(media_files(settings, in_review.pk)) == 1


def test_sweep_requeues_lost_and_failed_renders_within_limits(in_review, monkeypatch):
    queued = []
    monkeypatch.setattr(report_tasks.render_report, "delay", queued.append)
    now = timezone.now()
    old = now - timedelta(hours=1)

    def report(version, status, attempts, updated_at):
        row = Report.objects.create(
            application=in_review, stage="draft", version=version, status=status, attempts=attempts
        )
        Report.objects.filter(pk=row.pk).update(updated_at=updated_at)
        return row.pk

    lost = report(1, "pending", 0, old)
    fresh = report(2, "pending", 0, now)
    failed_once = report(3, "failed", 1, old)
    failed_just_now = report(4, "failed", 1, now)
    gave_up = report(5, "failed", 3, old)
    ready = Report.objects.create(
        application=in_review, stage="draft", version=6, status="ready", sha256="a" * 64
    )
    Report.objects.filter(pk=ready.pk).update(updated_at=old)

    assert sorted(report_tasks.sweep_reports(now=now)) == sorted([lost, failed_once])
    assert sorted(queued) == sorted([lost, failed_once])
    assert {fresh, failed_just_now, gave_up, ready.pk}.isdisjoint(queued)


def test_beat_runs_the_sweep(settings):
    assert settings.CELERY_BEAT_SCHEDULE["reviews.sweep-reports"]["task"] == "reviews.sweep_reports"


# --------------------------------------------------------------------------- published


def test_publishing_the_same_event_twice_makes_one_report(in_review, decider, monkeypatch):
    monkeypatch.setattr(report_tasks.render_report, "delay", lambda pk: None)
    Application.objects.filter(pk=in_review.pk).update(state="decision_pending")
    Report.objects.create(
        application=in_review, stage="final", version=1, status="ready", sha256="b" * 64
    )
    with committed():
        fire(in_review, "reject", decider, rationale="The standards are not met.")
    published = Report.objects.get(application=in_review, stage="published")
    assert published.data["decision"]["outcome"] == "negative"
    assert published.data["decision"]["rationale"] == "The standards are not met."
    trigger = published.data["report"]["trigger"]
    again = report_services.report_publish(application=in_review, trigger=trigger)
    assert again.pk == published.pk
    assert Report.objects.filter(stage="published").count() == 1


def test_published_report_is_public_only_once_ready(in_review, api, monkeypatch):
    monkeypatch.setattr(report_tasks.render_report, "delay", lambda pk: None)
    report = Report.objects.create(
        application=in_review, stage="published", version=1, data={"x": 1}
    )
    assert api.get(f"/api/v1/reports/{report.pk}/").status_code == 404
    assert api.get(f"/api/v1/reports/{report.pk}/pdf/").status_code == 404
    pdf = b"%PDF-1.7 test"
    Report.objects.filter(pk=report.pk).delete()
    report = Report.objects.create(application=in_review, stage="published", version=1)
    report = report_services._store(report.pk, {"x": 1}, pdf)
    body = api.get(f"/api/v1/reports/{report.pk}/").json()
    assert body["status"] == "ready" and body["data"] == {"x": 1}
    response = api.get(f"/api/v1/reports/{report.pk}/pdf/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == pdf
    assert response["Cache-Control"].startswith("public")


def test_application_detail_lists_its_reports(in_review, coordinator, monkeypatch):
    monkeypatch.setattr(report_tasks.render_report, "delay", lambda pk: None)
    draft = post_report(coordinator, in_review, "draft").json()["id"]
    body = client_for(coordinator).get(f"/api/v1/applications/{in_review.pk}/").json()
    assert body["reports"] == [
        {"id": draft, "stage": "draft", "version": 1, "status": "pending", "superseded": False}
    ]


def test_report_public_url_is_absolute(in_review, settings):
    settings.MCQA_SITE_URL = "https://qa.example.org/"
    report = Report.objects.create(application=in_review, stage="draft", version=1)
    assert report_selectors.report_public_url(report) == (
        f"https://qa.example.org/api/v1/reports/{report.pk}/pdf/"
    )


def test_the_report_describes_the_course_as_submitted_not_as_edited_since(in_review, provider_user):
    """The report's Annex I table is the version pinned at submit: a provider's later
    edit of the course reaches neither a report nor its data."""
    from accreditation.services import course_update
    from reviews.reports.data import report_data

    application = in_review
    submitted_title = application.course.title
    course_update(
        course=application.course,
        actor=provider_user,
        data={"title": "Rewritten after submission", "eqf_level": 3, "stackability": "Any"},
    )
    data = report_data(application, Report.Stage.DRAFT)
    elements = {e["code"]: e["value"] for e in data["course"]["annex_i"]}
    assert data["course"]["title"] == elements["title"] == submitted_title
    assert data["course"]["version"] == 1
    assert data["course"]["uid"] == str(application.course.uid)
    assert elements["level"].startswith("EQF level 6")
    assert elements["stackability"] == ""
    assert data["scope"]["label"] == f"Course: {submitted_title}"
