"""The site visit pages: the chair and the coordinator plan a visit and upload its minutes;
everyone on the case and the provider see it and download it as an iCalendar file, which
is checked here against RFC 5545 strictly (the `icalendar` library is not installed)."""

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accreditation.models import Document
from demo.scenario import blank_pdf
from reviews import services
from reviews.models import SiteVisit
from tests.web.conftest import HOSTILE, to_review

pytestmark = pytest.mark.django_db

LONG_NAME = "Université Européenne des Métiers de l’Éducation Numérique — Campus Næstved"


def days(n):
    return timezone.localdate() + datetime.timedelta(days=n)


@pytest.fixture
def in_review(course_application, provider_user, coordinator, reviewers):
    to_review(course_application, provider_user, coordinator, reviewers)
    course_application.refresh_from_db()
    return course_application


def form(start, end, *rows):
    data = {"mode": "onsite", "starts_on": start.isoformat(), "ends_on": end.isoformat()}
    for i, (group, at) in enumerate(rows):
        data[f"group_{i}"] = group
        data[f"at_{i}"] = at
    return data


def test_coordinator_plans_a_visit_from_the_page(as_user, coordinator, in_review):
    client = as_user(coordinator)
    page = reverse("site-visits", args=[in_review.pk])
    html = client.get(page).content.decode()
    assert "Plan a site visit" in html and "Upload the minutes" in html
    start = days(7)
    response = client.post(
        page, form(start, start, ("management", f"{start}T09:00"), ("staff", f"{start}T11:00"))
    )
    assert response.status_code == 302
    visit = SiteVisit.objects.get(application=in_review)
    assert [s.group for s in visit.sessions.all()] == ["management", "staff"]
    detail = client.get(in_review.get_absolute_url()).content.decode()
    assert 'id="h-site-visits"' in detail
    assert reverse("site-visit-calendar", args=[in_review.pk, visit.pk]) in detail


def test_a_session_outside_the_visit_is_shown_on_its_row(as_user, coordinator, in_review):
    start = days(7)
    response = as_user(coordinator).post(
        reverse("site-visits", args=[in_review.pk]),
        form(start, start, ("", ""), ("learners", f"{days(9)}T09:00")),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(r'id="id_at_1_errors"[^>]*><li>The session must take place during', html)
    assert not SiteVisit.objects.exists()


def test_the_provider_sees_the_visit_but_cannot_plan_one(
    as_user, provider_user, coordinator, in_review
):
    start = days(7)
    services.site_visit_plan(
        application=in_review,
        actor=coordinator,
        data={
            "mode": "online",
            "starts_on": start.isoformat(),
            "ends_on": start.isoformat(),
            "sessions": [{"group": "graduates", "at": f"{start}T10:00:00Z"}],
        },
    )
    client = as_user(provider_user)
    html = client.get(reverse("site-visits", args=[in_review.pk])).content.decode()
    assert "Graduates" in html and "Plan a site visit" not in html
    response = client.post(reverse("site-visits", args=[in_review.pk]), form(start, start))
    assert response.status_code == 403
    assert SiteVisit.objects.count() == 1


def test_the_chair_uploads_the_minutes_from_the_page(as_user, reviewers, in_review):
    client = as_user(reviewers["chair"])
    response = client.post(
        reverse("site-visit-minutes", args=[in_review.pk]),
        {"file": SimpleUploadedFile("minutes.pdf", blank_pdf(), "application/pdf")},
    )
    assert response.status_code == 302
    minutes = Document.objects.get(application=in_review, kind="site_visit_minutes")
    assert minutes.uploaded_by == reviewers["chair"]
    html = client.get(reverse("site-visits", args=[in_review.pk])).content.decode()
    assert reverse("document-download", args=[minutes.pk]) in html


def test_a_member_cannot_upload_minutes(as_user, reviewers, in_review):
    response = as_user(reviewers["member"]).post(
        reverse("site-visit-minutes", args=[in_review.pk]),
        {"file": SimpleUploadedFile("minutes.pdf", blank_pdf(), "application/pdf")},
    )
    assert response.status_code == 403
    assert not Document.objects.filter(kind="site_visit_minutes").exists()


def test_the_provider_upload_form_does_not_offer_minutes(
    as_user, course_application, provider_user
):
    html = as_user(provider_user).get(course_application.get_absolute_url()).content.decode()
    assert 'value="evidence"' in html and 'value="site_visit_minutes"' not in html


# --------------------------------------------------------------------------- calendar


def unfold(raw):
    """RFC 5545 3.1, strictly: CRLF line ends only, every physical line at most 75 octets,
    continuations start with one space; returns the logical content lines."""
    assert raw.endswith(b"\r\n")
    physical = raw[:-2].split(b"\r\n")
    for line in physical:
        assert b"\n" not in line and b"\r" not in line
        assert len(line) <= 75, line
        line.decode("utf-8")  # a fold never splits a character
    logical = []
    for line in physical:
        if line.startswith(b" "):
            logical[-1] += line[1:]
        else:
            logical.append(line)
    return [line.decode("utf-8") for line in logical]


CONTENT_LINE = re.compile(r"^(?P<name>[A-Z-]+)(?P<params>(;[A-Z-]+=[^;:]+)*):(?P<value>.*)$")


def components(lines):
    """The calendar's components as (name, {property: [(params, value)]}), nesting checked."""
    stack, found = [], []
    for line in lines:
        match = CONTENT_LINE.match(line)
        assert match, line
        name, params, value = match["name"], match["params"], match["value"]
        if name == "BEGIN":
            stack.append((value, {}))
        elif name == "END":
            component, props = stack.pop()
            assert component == value
            found.append((component, props))
        else:
            stack[-1][1].setdefault(name, []).append((params, value))
    assert not stack
    return found


def unescape(value):
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], value)


def test_the_calendar_file_is_strict_rfc_5545(as_user, provider_user, coordinator, in_review):
    in_review.provider.legal_name = f"{LONG_NAME}, {HOSTILE}; and partners"
    in_review.provider.save()
    start, end = days(20), days(21)
    visit = services.site_visit_plan(
        application=in_review,
        actor=coordinator,
        data={
            "mode": "onsite",
            "starts_on": start.isoformat(),
            "ends_on": end.isoformat(),
            "sessions": [
                {"group": "management", "at": f"{start}T09:00:00Z"},
                {"group": "employers", "at": f"{end}T13:30:00+02:00"},
            ],
        },
    )
    response = as_user(provider_user).get(
        reverse("site-visit-calendar", args=[in_review.pk, visit.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    parts = components(unfold(response.content))
    calendar = [props for name, props in parts if name == "VCALENDAR"]
    events = [props for name, props in parts if name == "VEVENT"]
    assert len(calendar) == 1 and len(events) == 3
    assert calendar[0]["VERSION"] == [("", "2.0")] and calendar[0]["PRODID"]
    for event in events:
        for required in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY"):
            assert len(event[required]) == 1, required
        assert re.fullmatch(r"\d{8}T\d{6}Z", event["DTSTAMP"][0][1])
    assert len({e["UID"][0][1] for e in events}) == 3
    whole, first, second = events
    assert whole["DTSTART"] == [(";VALUE=DATE", start.strftime("%Y%m%d"))]
    assert whole["DTEND"] == [
        (";VALUE=DATE", (end + datetime.timedelta(days=1)).strftime("%Y%m%d"))
    ]
    summary = unescape(whole["SUMMARY"][0][1])
    assert LONG_NAME in summary and HOSTILE in summary and "; and partners" in summary
    assert first["DTSTART"] == [("", start.strftime("%Y%m%dT090000Z"))]
    assert second["DTSTART"] == [("", end.strftime("%Y%m%dT113000Z"))]
    assert "employers" in unescape(second["SUMMARY"][0][1])
    assert b"\r\n " in response.content  # the long summary was folded


def test_the_calendar_is_404_for_whoever_may_not_see_the_case(
    as_user, outsider, coordinator, in_review
):
    start = days(3)
    visit = services.site_visit_plan(
        application=in_review,
        actor=coordinator,
        data={
            "mode": "online",
            "starts_on": start.isoformat(),
            "ends_on": start.isoformat(),
            "sessions": [{"group": "staff", "at": f"{start}T09:00:00Z"}],
        },
    )
    url = reverse("site-visit-calendar", args=[in_review.pk, visit.pk])
    assert as_user(outsider).get(url).status_code == 404
    other_case = reverse("site-visit-calendar", args=[in_review.pk, visit.pk + 1])
    assert as_user(coordinator).get(other_case).status_code == 404
