"""Courses are versioned: every change of the Annex I elements is a new version, submit
pins the application to one, and the accreditation, the report, coverage and the public
course record read the pinned or approved version, never the live course."""

import datetime
import importlib
import uuid

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accreditation.models import Accreditation, Application, CourseVersion
from accreditation.services import course_create, course_update
from accreditation.versions import in_force
from registry.services import _verify_sql, registry_sync
from reviews.reports.data import report_data
from tests.factories import CourseFactory, IdentifierFactory, MembershipFactory

from .conftest import at_moment, day

pytestmark = pytest.mark.django_db

migration = importlib.import_module("accreditation.migrations.0008_course_versions")
registry_migration = importlib.import_module("registry.migrations.0007_course_versions")
VERIFY = "/api/v1/registry/verify/"


def course_url(uid):
    return f"/api/v1/registry/courses/{uid}/"


def ask(api, **params):
    response = api.get(VERIFY, {"identifier": "schac:uni.example.org", **params})
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def member():
    return MembershipFactory().user


def _course_data(provider, **changes):
    return {
        "provider": provider.pk,
        "title": "Data Literacy",
        "learning_outcomes": ["Read a chart"],
        "workload_ects": "5",
        "eqf_level": 6,
        "isced_f": "0613",
        "assessment_type": "Project",
        "participation_form": "online",
        "quality_assurance": "Internal QA",
        "languages": ["en"],
        **changes,
    }


# --------------------------------------------------------------------------- versions


def test_every_change_of_the_elements_is_a_version_and_a_no_op_save_makes_none(member):
    provider = member.providers.get()
    course = course_create(actor=member, data=_course_data(provider))
    first = course.versions.get()
    assert (first.number, first.valid_until, first.created_by) == (1, None, member)
    assert first.elements["workload_ects"] == "5.00"
    assert first.elements["awarding_body"] == provider.legal_name

    course_update(
        course=course, actor=member, data={"workload_ects": "5.00", "title": "Data Literacy"}
    )
    assert course.versions.count() == 1

    course_update(course=course, actor=member, data={"eqf_level": 7})
    first.refresh_from_db()
    second = course.versions.get(number=2)
    assert first.valid_until == second.valid_from and second.valid_until is None
    assert (first.eqf_level, second.eqf_level) == (6, 7)
    assert first.elements["eqf_level"] == 6
    assert in_force(course.pk).pk == second.pk
    assert in_force(course.pk, first.valid_from).pk == first.pk


def test_a_refused_change_makes_no_version(member):
    provider = member.providers.get()
    course = course_create(actor=member, data=_course_data(provider))
    with pytest.raises(ValidationError) as refused:
        course_update(course=course, actor=member, data={"eqf_level": 11})
    assert "eqf_level" in refused.value.message_dict
    assert course.versions.count() == 1


def test_versions_are_never_edited_or_deleted(member):
    course = course_create(actor=member, data=_course_data(member.providers.get()))
    version = course.versions.get()
    version.title = "Rewritten"
    with pytest.raises(ValidationError, match="frozen"):
        version.save()
    with pytest.raises(ValidationError, match="never deleted"):
        version.delete()
    assert CourseVersion.objects.get().title == "Data Literacy"


def test_an_admin_correction_makes_a_version(admin_client, member):
    course = course_create(actor=member, data=_course_data(member.providers.get()))
    url = f"/admin/accreditation/course/{course.pk}/change/"
    form = _course_data(course.provider, title="Data Literacy, corrected")
    form["learning_outcomes"] = '["Read a chart"]'
    form["languages"] = '["en"]'
    form.pop("provider")
    response = admin_client.post(url, {**form, "qf_ehea_cycle": "", "grading": ""})
    assert response.status_code == 302, response.content
    assert list(course.versions.values_list("number", "title")) == [
        (1, "Data Literacy"),
        (2, "Data Literacy, corrected"),
    ]


# --------------------------------------------------------------------------- pinning


def test_the_approved_version_and_the_report_do_not_move_when_the_course_is_edited(history, member):
    provider = member.providers.get()
    course = course_create(actor=member, data=_course_data(provider))
    application, _, accreditation = history.decide(provider, course=course)
    assert accreditation.course_version.number == 1
    before = report_data(application, "published")

    course_update(course=course, actor=member, data={"title": "Renamed", "eqf_level": 4})
    accreditation.refresh_from_db()
    application.refresh_from_db()
    assert accreditation.course_version.number == 1
    assert application.course_version.title == "Data Literacy"
    after = report_data(application, "published")
    assert after["course"] == before["course"]
    assert after["course"]["title"] == "Data Literacy" and after["course"]["version"] == 1
    level = next(e for e in after["course"]["annex_i"] if e["code"] == "level")
    assert level["value"].startswith("EQF level 6")


# --------------------------------------------------------------------------- coverage


def _covered_course(history, member):
    """An institutional accreditation limited to EQF 6 and ISCED-F 06, and a course of
    EQF 6 in field 0613 described long before it; all published."""
    provider = member.providers.get()
    IdentifierFactory(
        provider=provider,
        scheme="schac",
        value="uni.example.org",
        valid_from=datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC),
    )
    with at_moment(day("2024-06-01")):
        course = course_create(actor=member, data=_course_data(provider))
    history.decide(provider, when=day("2025-01-10"), eqf_levels=[6], isced_fields=["06"])
    registry_sync()
    return course


def test_editing_a_course_out_of_the_limits_never_changes_a_past_answer(api, history, member):
    course = _covered_course(history, member)
    past = ask(api, course=str(course.uid), at="2025-06-01")
    assert (past["trusted"], past["status"]) == (True, "active")

    course_update(course=course, actor=member, data={"eqf_level": 7})
    registry_sync()
    again = ask(api, course=str(course.uid), at="2025-06-01")
    assert {k: again[k] for k in ("trusted", "status", "accreditation", "provider")} == {
        k: past[k] for k in ("trusted", "status", "accreditation", "provider")
    }
    now = ask(api, course=str(course.uid))
    assert (now["trusted"], now["status"]) == (False, "none")


def test_a_field_edit_out_of_the_limits_also_leaves_the_past_alone(api, history, member):
    course = _covered_course(history, member)
    course_update(course=course, actor=member, data={"isced_f": "0913"})
    assert ask(api, course=course.pk, at="2025-06-01")["trusted"] is True
    assert ask(api, course=course.pk)["status"] == "none"


def test_a_moment_before_the_course_was_described_is_within_no_limit(api, history, member):
    course = _covered_course(history, member)
    assert ask(api, course=course.pk, at="2024-05-01")["status"] == "none"


def test_verify_with_a_course_stays_one_query(api, history, member):
    course = _covered_course(history, member)
    course_update(course=course, actor=member, data={"eqf_level": 7})
    with CaptureQueriesContext(connection) as queries:
        assert ask(api, course=course.pk, at="2025-06-01")["trusted"] is True
    assert len(queries.captured_queries) == 1
    assert CourseVersion._meta.db_table in _verify_sql("id")
    assert CourseVersion._meta.db_table in _verify_sql("uid")
    assert CourseVersion._meta.db_table not in _verify_sql()  # no course asked, none joined


# --------------------------------------------------------------------------- public record


@pytest.fixture
def approved(history, member):
    """A course approved at version 1, then edited (version 2), its approval suspended."""
    provider = member.providers.get()
    IdentifierFactory(provider=provider, scheme="schac", value="course-owner.example.org")
    with at_moment(day("2024-06-01")):
        course = course_create(actor=member, data=_course_data(provider, title="<b>Data</b>"))
    _, _, accreditation = history.decide(provider, course=course, when=day("2025-01-10"))
    history.change(accreditation, "suspend", when=day("2025-03-01"), reason="complaint")
    course_update(course=course, actor=member, data={"title": "Data, new edition"})
    registry_sync()
    return course, accreditation


def test_the_public_course_record_shows_the_approved_version_and_its_history(api, approved):
    course, accreditation = approved
    response = api.get(course_url(course.uid))
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("public") and response["ETag"]
    assert response["Access-Control-Allow-Origin"] == "*"
    body = response.json()
    assert body["uid"] == str(course.uid)
    assert body["uri"].endswith(f"/registry/courses/{course.uid}/")
    assert body["title"] == "<b>Data</b>"
    assert body["approved_version"]["number"] == 1
    spec = body["approved_version"]["learning_specification"]
    assert spec["id"] == body["uri"] and spec["eqfLevel"]["notation"] == "6"
    elements = {e["code"]: e["value"] for e in body["approved_version"]["annex_i"]}
    assert elements["title"] == "<b>Data</b>"
    assert elements["level"] == {
        "eqf_level": 6,
        "qf_ehea_cycle": None,
        "level_not_applicable": False,
    }
    assert body["provider"]["id"] == course.provider_id
    assert {"scheme": "schac", "value": "course-owner.example.org"} in body["provider"][
        "identifiers"
    ]
    assert [d["decision"] for d in body["decisions"]] == ["positive"]
    assert body["decisions"][0]["course_version"] == 1
    (acc,) = body["accreditations"]
    assert (acc["id"], acc["status"], acc["course_version"]) == (
        accreditation.pk,
        "suspended",
        1,
    )
    assert [(h["type"], h["status"], h["reason"]) for h in acc["history"]] == [
        ("create", "active", None),
        ("suspend", "suspended", "complaint"),
    ]
    assert [(v["number"], v["approved"], v["valid_until"] is None) for v in body["versions"]] == [
        (1, True, False),
        (2, False, True),
    ]


def test_unknown_uid_and_undecided_course_are_404(api, history, member):
    assert api.get(course_url(uuid.uuid4())).status_code == 404
    undecided = course_create(actor=member, data=_course_data(member.providers.get()))
    assert api.get(course_url(undecided.uid)).status_code == 404
    assert api.get(f"/registry/courses/{undecided.uid}/").status_code == 404
    assert api.get("/api/v1/registry/courses/not-a-uid/").status_code == 404


def test_a_rejected_course_has_a_record_without_an_approved_version(api, history, member):
    provider = member.providers.get()
    course = course_create(actor=member, data=_course_data(provider))
    history.decide(provider, course=course, name="reject")
    registry_sync()
    body = api.get(course_url(course.uid)).json()
    assert body["approved_version"] is None and body["title"] is None
    assert [d["decision"] for d in body["decisions"]] == ["negative"]
    assert body["versions"][0]["approved"] is False


def test_the_course_record_costs_the_same_queries_however_long_its_history(api, approved, history):
    course, accreditation = approved
    with CaptureQueriesContext(connection) as short:
        assert api.get(course_url(course.uid)).status_code == 200
    history.change(accreditation, "reinstate", when=day("2025-04-01"))
    history.change(accreditation, "suspend", when=day("2025-05-01"))
    for title in ("Third", "Fourth"):
        course_update(course=course, actor=course.provider.members.get(), data={"title": title})
    registry_sync()
    with CaptureQueriesContext(connection) as long:
        body = api.get(course_url(course.uid)).json()
    assert len(body["accreditations"][0]["history"]) == 4 and len(body["versions"]) == 4
    assert len(long.captured_queries) == len(short.captured_queries) <= 4


def test_the_etag_changes_with_a_new_version(api, approved):
    course, _ = approved
    etag = api.get(course_url(course.uid))["ETag"]
    assert api.get(course_url(course.uid), HTTP_IF_NONE_MATCH=etag).status_code == 304
    course_update(course=course, actor=course.provider.members.get(), data={"title": "Again"})
    assert api.get(course_url(course.uid), HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_the_course_page_shows_the_record_escaped_and_the_provider_page_links_it(client, approved):
    course, _ = approved
    page = client.get(f"/registry/courses/{course.uid}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "&lt;b&gt;Data&lt;/b&gt;" in html and "<b>Data</b>" not in html
    assert "Version 1" in html and "complaint" in html
    provider_page = client.get(f"/registry/providers/{course.provider_id}/").content.decode()
    assert f"/registry/courses/{course.uid}/" in provider_page


def test_the_provider_detail_shows_the_approved_version_not_the_live_course(api, approved):
    course, _ = approved
    detail = api.get(f"/api/v1/registry/providers/{course.provider_id}/").json()
    (shown,) = detail["courses"]
    assert (shown["uid"], shown["version"], shown["title"]) == (str(course.uid), 1, "<b>Data</b>")


def test_the_course_record_is_in_the_openapi_schema(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"]["/api/v1/registry/courses/{uid}/"]["get"]
    assert operation["operationId"] == "registry_course_record"


# --------------------------------------------------------------------------- feed


def test_feed_events_about_a_course_carry_its_uid_and_version(api, approved):
    course, _ = approved
    events = api.get("/api/v1/registry/changes/", {"after": 0}).json()["events"]
    about_course = [e for e in events if e["course"] is not None]
    assert {e["type"] for e in about_course} >= {"decision", "create", "suspend"}
    assert {(e["course"], e["course_version"]) for e in about_course} == {(str(course.uid), 1)}


def test_institutional_events_name_no_course(api, history):
    provider = history.provider()
    history.decide(provider)
    registry_sync()
    events = api.get("/api/v1/registry/changes/", {"after": 0}).json()["events"]
    assert events and all(e["course"] is None and e["course_version"] is None for e in events)


# --------------------------------------------------------------------------- migrations


def test_the_migration_gives_every_course_version_1_and_pins_what_was_submitted(history, member):
    provider = member.providers.get()
    with at_moment(day("2024-06-01")):
        course = CourseFactory(provider=provider, eqf_level=5)
    draft_course = CourseFactory(provider=provider)
    _, _, accreditation = history.decide(provider, course=course, when=day("2025-01-10"))
    draft = Application.objects.create(
        kind="course",
        provider=provider,
        course=draft_course,
        framework=accreditation.application.framework,
    )
    registry_sync()
    # Back to the data as it was before versions existed.
    Application.objects.update(course_version=None)
    Accreditation.objects.update(course_version=None)
    CourseVersion.objects.all()._raw_delete(CourseVersion.objects.db)
    from registry.models import RegistryEvent

    for event in RegistryEvent.objects.filter(course_id__isnull=False):
        event.data = {k: v for k, v in event.data.items() if not k.startswith("course_")}
        event.save()

    migration.every_course_gets_version_1(apps, None)
    registry_migration.events_name_the_course_and_its_version(apps, None)

    version = CourseVersion.objects.get(course=course)
    assert (version.number, version.valid_from, version.valid_until) == (
        1,
        day("2024-06-01"),
        None,
    )
    assert version.eqf_level == 5 and version.elements["title"] == course.title
    assert version.elements["workload_ects"] == "5.00"
    assert CourseVersion.objects.filter(course=draft_course, number=1).exists()
    accreditation.refresh_from_db()
    assert accreditation.course_version_id == version.pk
    assert accreditation.application.course_version_id == version.pk
    draft.refresh_from_db()
    assert draft.course_version_id is None
    events = RegistryEvent.objects.filter(course_id=course.pk)
    assert events and all(
        (e.data["course_uid"], e.data["course_version"]) == (str(course.uid), 1) for e in events
    )
