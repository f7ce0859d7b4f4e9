"""Site visits (ESG 2.3): the panel chair or a coordinator plans a visit with its sessions
and uploads its minutes; an institutional review's draft report waits for a visit that has
ended and its minutes; a course approval may hold one but needs none; the visit comes as
an iCalendar file and in the report."""

import datetime

import pytest
from django.utils import timezone
from django.utils.formats import date_format

from accreditation.models import Document
from accreditation.services import application_transition
from core.errors import GuardFailed
from core.models import AuditEvent
from demo.scenario import PATHS, Cast, Scenario, blank_pdf, ready_report
from reviews import rules, services
from reviews.models import SiteVisit
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.reviews.helpers import make_reviewer

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today


def days(n):
    return timezone.localdate() + datetime.timedelta(days=n)


def body(start=None, end=None, **overrides):
    start = start or days(10)
    end = end or start + datetime.timedelta(days=1)
    data = {
        "mode": "onsite",
        "starts_on": start.isoformat(),
        "ends_on": end.isoformat(),
        "sessions": [
            {"group": "management", "at": f"{start.isoformat()}T09:00:00Z"},
            {"group": "learners", "at": f"{end.isoformat()}T14:30:00Z"},
        ],
    }
    data.update(overrides)
    return data


def url(application):
    return f"/api/v1/applications/{application.pk}/site-visits/"


@pytest.fixture
def case(provider_user, coordinator, decider):
    """An institutional review (kind `provider`) in review, with an accepted panel."""
    cast = Cast(
        admin=provider_user,
        coordinator=coordinator,
        decider=decider,
        panel={
            "chair": make_reviewer("chair-v"),
            "member": make_reviewer("member-v"),
            "student": make_reviewer("student-v"),
        },
    )
    scenario = Scenario(cast, provider=provider_user.providers.get(), pdf=lambda t: blank_pdf())
    scenario.run(*PATHS["in_review"])
    assert scenario.application.kind == "provider"
    return scenario


def upload_minutes(client, application):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        f"/api/v1/applications/{application.pk}/documents/",
        {
            "kind": "site_visit_minutes",
            "file": SimpleUploadedFile("minutes.pdf", blank_pdf(), "application/pdf"),
        },
        format="multipart",
    )


def unmet(application, actor):
    with pytest.raises(GuardFailed) as caught:
        application_transition(application=application, name="submit_draft_report", actor=actor)
    return [u.code for u in caught.value.unmet]


# --------------------------------------------------------------------------- API


def test_coordinator_plans_a_visit_that_everyone_on_the_case_sees(case, coordinator):
    application = case.application
    response = client_for(coordinator).post(url(application), body(), format="json")
    assert response.status_code == 201, response.content
    visit = response.json()
    assert visit["mode"] == "onsite"
    assert visit["application"] == application.pk
    assert visit["planned_by"] == coordinator.username
    assert [s["group"] for s in visit["sessions"]] == ["management", "learners"]
    assert visit["cancelled_at"] is None
    event = AuditEvent.objects.get(action="review.site_visit_planned")
    assert event.object_id == str(visit["id"]) and event.actor == coordinator
    assert len(event.data["sessions"]) == 2
    for user in (case.cast.admin, case.cast.chair, case.cast.panel["student"]):
        listed = client_for(user).get(url(application))
        assert listed.status_code == 200
        assert [v["id"] for v in listed.json()] == [visit["id"]]


def test_the_chair_plans_too_but_not_a_member_nor_the_provider(case):
    application = case.application
    assert (
        client_for(case.cast.chair).post(url(application), body(), format="json").status_code == 201
    )
    for user in (case.cast.panel["member"], case.cast.admin):
        response = client_for(user).post(url(application), body(), format="json")
        assert response.status_code == 403
    assert SiteVisit.objects.filter(application=application).count() == 1


def test_outsiders_get_404_for_the_list_and_the_plan(case):
    outsider = UserFactory(roles=["reviewer"])
    application = case.application
    assert client_for(outsider).get(url(application)).status_code == 404
    assert client_for(outsider).post(url(application), body(), format="json").status_code == 404
    assert not SiteVisit.objects.exists()


def test_no_visit_is_planned_before_screening(course_application, coordinator):
    response = client_for(coordinator).post(url(course_application), body(), format="json")
    assert response.status_code == 409
    assert not SiteVisit.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"mode": "by_phone"}, "mode"),
        ({"starts_on": "2027-02-30"}, "starts_on"),
        ({"ends_on": None}, "ends_on"),
        ({"ends_on": "2020-01-01"}, "ends_on"),
        ({"sessions": []}, "sessions"),
        ({"sessions": [{"group": "alumni", "at": "SAME"}]}, "sessions[0].group"),
        ({"sessions": [{"group": "staff", "at": "tomorrow"}]}, "sessions[0].at"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_writes_nothing(case, coordinator, change, field):
    data = body()
    for key, value in change.items():
        if key == "sessions" and value and value[0]["at"] == "SAME":
            value = [{**value[0], "at": data["sessions"][0]["at"]}]
        data[key] = value
    response = client_for(coordinator).post(url(case.application), data, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not SiteVisit.objects.exists()
    assert not AuditEvent.objects.filter(action="review.site_visit_planned").exists()


def test_a_session_outside_the_visit_is_refused(case, coordinator):
    start = days(10)
    data = body(start, start)
    data["sessions"].append({"group": "employers", "at": f"{days(12).isoformat()}T10:00:00Z"})
    data["sessions"].append({"group": "staff", "at": f"{days(9).isoformat()}T23:59:00Z"})
    response = client_for(coordinator).post(url(case.application), data, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"sessions[2].at", "sessions[3].at"}
    assert "during the visit" in response.json()["sessions[2].at"][0]
    assert not SiteVisit.objects.exists()


def test_a_planned_visit_is_cancelled_before_it_begins_and_not_after(case, coordinator):
    client = client_for(coordinator)
    future = client.post(url(case.application), body(), format="json").json()
    past = client.post(url(case.application), body(days(-3), days(-2)), format="json").json()
    response = client.delete(f"{url(case.application)}{future['id']}/")
    assert response.status_code == 200
    assert response.json()["cancelled_at"] is not None
    assert client.delete(f"{url(case.application)}{future['id']}/").status_code == 409
    assert client.delete(f"{url(case.application)}{past['id']}/").status_code == 409
    member = client_for(case.cast.panel["member"])
    assert member.delete(f"{url(case.application)}{past['id']}/").status_code == 403
    assert AuditEvent.objects.filter(action="review.site_visit_cancelled").count() == 1


# --------------------------------------------------------------------------- minutes


def test_minutes_are_uploaded_by_the_chair_or_coordinator_through_the_upload_path(
    case, coordinator
):
    application = case.application
    refused = upload_minutes(client_for(case.cast.admin), application)
    assert refused.status_code == 403
    refused = upload_minutes(client_for(case.cast.panel["member"]), application)
    assert refused.status_code == 403
    response = upload_minutes(client_for(case.cast.chair), application)
    assert response.status_code == 201, response.content
    document = response.json()
    assert document["kind"] == "site_visit_minutes"
    assert len(document["sha256"]) == 64 and document["content_type"] == "application/pdf"
    assert upload_minutes(client_for(coordinator), application).status_code == 201
    assert Document.objects.filter(application=application, kind="site_visit_minutes").count() == 2


def test_minutes_that_are_not_a_pdf_are_refused(case):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client_for(case.cast.chair).post(
        f"/api/v1/applications/{case.application.pk}/documents/",
        {
            "kind": "site_visit_minutes",
            "file": SimpleUploadedFile("minutes.pdf", b"not a pdf at all", "application/pdf"),
        },
        format="multipart",
    )
    assert response.status_code == 415
    assert not Document.objects.filter(kind="site_visit_minutes").exists()


def test_minutes_are_not_taken_while_the_dossier_is_drafted(course_application, coordinator):
    response = upload_minutes(client_for(coordinator), course_application)
    assert response.status_code == 409
    assert not Document.objects.filter(kind="site_visit_minutes").exists()


def test_the_provider_cannot_pass_minutes_off_as_its_own_upload(course_application, provider_user):
    response = upload_minutes(client_for(provider_user), course_application)
    assert response.status_code == 403


# --------------------------------------------------------------------------- the guard


def _review_done(case):
    case.run("judge")
    ready_report(case.application, "draft")


def test_institutional_draft_report_needs_an_ended_visit_and_its_minutes(case, coordinator):
    _review_done(case)
    application, chair = case.application, case.cast.chair
    assert unmet(application, chair) == ["missing_site_visit", "missing_site_visit_minutes"]
    application.refresh_from_db()
    assert application.state == "in_review"

    # A visit that ends today has not ended yet; a cancelled one does not count.
    services.site_visit_plan(
        application=application, actor=coordinator, data=body(TODAY(), TODAY())
    )
    cancelled = services.site_visit_plan(
        application=application, actor=coordinator, data=body(days(5), days(5))
    )
    services.site_visit_cancel(visit=cancelled, actor=coordinator)
    SiteVisit.objects.filter(pk=cancelled.pk).update(starts_on=days(-5), ends_on=days(-5))
    assert unmet(application, chair) == ["missing_site_visit", "missing_site_visit_minutes"]

    services.site_visit_plan(application=application, actor=chair, data=body(days(-3), days(-2)))
    assert unmet(application, chair) == ["missing_site_visit_minutes"]

    assert upload_minutes(client_for(chair), application).status_code == 201
    response = client_for(chair).post(
        f"/api/v1/applications/{application.pk}/transitions/submit_draft_report/", {}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "factual_check"


def test_the_guard_answers_400_with_the_unmet_codes_over_http(case):
    _review_done(case)
    response = client_for(case.cast.chair).post(
        f"/api/v1/applications/{case.application.pk}/transitions/submit_draft_report/",
        {},
        format="json",
    )
    assert response.status_code == 400
    codes = [u["code"] for u in response.json()["unmet"]]
    assert codes == ["missing_site_visit", "missing_site_visit_minutes"]


def test_a_renewal_of_an_institutional_review_needs_a_visit_too(case):
    case.application.kind = "renewal"
    assert [u.code for u in rules.site_visit_held(case.application, None, {})] == [
        "missing_site_visit",
        "missing_site_visit_minutes",
    ]


def test_a_course_approval_needs_no_visit(course_application):
    assert list(rules.site_visit_held(course_application, None, {})) == []


# --------------------------------------------------------------------------- the report


def test_the_report_shows_the_visit_and_its_sessions(case):
    from tests.reviews.test_report_case import embedded_json, pdf_text

    case.run("judge", "site_visit", "draft_report")
    report = case.reports["draft"]
    report.file.open("rb")
    content = report.file.read()
    report.file.close()
    text = pdf_text(content)
    first, last = days(-2), days(-1)
    assert "The site visit" in text
    # Dates in the report language's named formats (English here).
    assert f"Online visit from {date_format(first)} to {date_format(last)}" in text
    assert "Management" in text and "Learners" in text
    session = datetime.datetime.combine(first, datetime.time(9), tzinfo=datetime.UTC)
    assert date_format(timezone.localtime(session), "DATETIME_FORMAT") in text
    data = embedded_json(content)
    assert [s["group"] for s in data["site_visits"][0]["sessions"]] == ["management", "learners"]


def test_report_data_lists_no_visit_before_one_is_planned(case):
    from reviews.reports.data import report_data

    assert report_data(case.application, "draft")["site_visits"] == []


def test_a_planned_visit_is_changed_before_it_begins(case, coordinator):
    client = client_for(coordinator)
    visit = client.post(url(case.application), body(), format="json").json()
    start = days(20)
    response = client.patch(
        f"{url(case.application)}{visit['id']}/",
        {
            "starts_on": start.isoformat(),
            "ends_on": start.isoformat(),
            "sessions": [{"group": "employers", "at": f"{start.isoformat()}T08:00:00Z"}],
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    changed = response.json()
    assert (changed["mode"], changed["starts_on"]) == ("onsite", start.isoformat())
    assert [s["group"] for s in changed["sessions"]] == ["employers"]
    event = AuditEvent.objects.get(action="review.site_visit_changed")
    assert event.data["before"]["starts_on"] == visit["starts_on"]
    assert event.data["after"]["starts_on"] == start.isoformat()


def test_a_change_that_leaves_a_session_outside_the_visit_changes_nothing(case, coordinator):
    client = client_for(coordinator)
    visit = client.post(url(case.application), body(), format="json").json()
    later = days(30)
    response = client.patch(
        f"{url(case.application)}{visit['id']}/",
        {"starts_on": later.isoformat(), "ends_on": later.isoformat()},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"sessions[0].at", "sessions[1].at"}
    assert SiteVisit.objects.get(pk=visit["id"]).starts_on.isoformat() == visit["starts_on"]


def test_a_visit_that_began_or_was_cancelled_is_not_changed(case, coordinator):
    client = client_for(coordinator)
    past = client.post(url(case.application), body(days(-3), days(-2)), format="json").json()
    future = client.post(url(case.application), body(), format="json").json()
    client.delete(f"{url(case.application)}{future['id']}/")
    for visit in (past, future):
        response = client.patch(
            f"{url(case.application)}{visit['id']}/", {"mode": "online"}, format="json"
        )
        assert response.status_code == 409
    member = client_for(case.cast.panel["member"])
    response = member.patch(
        f"{url(case.application)}{future['id']}/", {"mode": "online"}, format="json"
    )
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="review.site_visit_changed").exists()


def test_the_list_runs_the_same_queries_for_one_visit_or_many(
    case, coordinator, django_assert_max_num_queries
):
    from django.db import reset_queries

    client = client_for(coordinator)
    client.post(url(case.application), body(), format="json")
    reset_queries()  # the case's setup filled the bounded query log
    with django_assert_max_num_queries(5) as one:
        assert len(client.get(url(case.application)).json()) == 1
    count = len(one.captured_queries)
    assert count > 0
    for n in range(4):
        client.post(url(case.application), body(days(12 + n), days(12 + n)), format="json")
    reset_queries()
    with django_assert_max_num_queries(count):
        assert len(client.get(url(case.application)).json()) == 5
