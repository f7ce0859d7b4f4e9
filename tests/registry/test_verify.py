"""Verify as a verifier would: point in time, suspension and revocation, the scope rules."""

import datetime

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.registry.conftest import day

pytestmark = pytest.mark.django_db
URL = "/api/v1/registry/verify/"


def ask(api, identifier="schac:uni.example.org", **params):
    response = api.get(URL, {"identifier": identifier, **params})
    assert response.status_code == 200, response.content
    return response.json()


def test_unknown_identifier_is_200_untrusted_none(api, history, settings):
    settings.MCQA_SITE_URL = "https://qa.example.org"
    body = ask(api, "schac:nobody.example.org")
    assert body["trusted"] is False
    assert body["status"] == "none"
    assert body["provider"] is None and body["accreditation"] is None
    assert set(body) == {
        "trusted",
        "status",
        "provider",
        "accreditation",
        "as_of",
        "checked_at",
        "query",
        "issuer",
    }
    assert body["query"] == {"identifier": "schac:nobody.example.org", "course": None, "at": None}
    assert body["issuer"] == {"id": "did:web:qa.example.org", "name": settings.MCQA_AGENCY_NAME}


@pytest.mark.parametrize(
    ("site", "did"),
    [
        ("https://qa.example.org/", "did:web:qa.example.org"),
        ("http://127.0.0.1:8000", "did:web:127.0.0.1%3A8000"),
        ("https://example.org/agencies/qa", "did:web:example.org:agencies:qa"),
    ],
)
def test_the_issuer_is_the_agency_s_did_web(settings, site, did):
    """did:web Method Specification: port percent-encoded, path segments as colons."""
    from registry.services import agency_did

    settings.MCQA_SITE_URL = site
    assert agency_did() == did


def test_a_course_is_asked_by_its_public_uid_or_its_id(api, history):
    provider = history.provider()
    course = history.course(provider)
    history.decide(provider, course=course, when=day("2025-01-10"))
    by_uid = ask(api, course=str(course.uid), at="2025-02-01")
    by_id = ask(api, course=str(course.pk), at="2025-02-01")
    assert (by_uid["trusted"], by_uid["status"]) == (True, "active")
    assert by_uid["accreditation"] == by_id["accreditation"]
    assert by_uid["query"] == {
        "identifier": "schac:uni.example.org",
        "course": str(course.uid),
        "at": "2025-02-01",
    }
    unknown = ask(api, course="00000000-0000-4000-8000-000000000000")
    assert (unknown["trusted"], unknown["status"]) == (False, "none")
    response = api.get(URL, {"identifier": "schac:uni.example.org", "course": "course-7"})
    assert response.status_code == 400 and "course" in response.json()


def test_institutional_accreditation_makes_provider_trusted(api, history):
    provider = history.provider()
    _, decision, acc = history.decide(provider, when=day("2025-01-10"))
    history.publish()
    body = ask(api)
    assert body["trusted"] is True and body["status"] == "active"
    assert body["provider"]["id"] == provider.pk
    assert body["provider"]["identifiers"] == [{"scheme": "schac", "value": "uni.example.org"}]
    assert body["accreditation"]["id"] == acc.pk
    assert body["accreditation"]["scope"] == "provider"
    assert body["accreditation"]["decision"] == "positive"
    assert body["accreditation"]["valid_from"] == "2025-01-10"
    assert body["accreditation"]["valid_until"] == "2030-01-10"


def test_before_the_decision_there_was_nothing(api, history):
    provider = history.provider()
    history.decide(provider, when=day("2025-01-10"))
    history.publish()
    body = ask(api, at="2025-01-09")
    assert (body["trusted"], body["status"], body["accreditation"]) == (False, "none", None)
    assert body["as_of"].startswith("2025-01-09T23:59:59")
    assert ask(api, at="2025-01-10")["status"] == "active"  # the end of the day of the decision


def test_suspension_and_reinstatement_over_time(api, history):
    provider = history.provider()
    _, _, acc = history.decide(provider, when=day("2025-01-10"))
    history.change(acc, "suspend", when=day("2025-04-01"))
    history.publish()
    assert ask(api, at="2025-03-01")["trusted"] is True
    now = ask(api)
    assert (now["trusted"], now["status"]) == (False, "suspended")
    assert ask(api, at="2025-04-01T11:00:00Z")["status"] == "active"
    assert ask(api, at="2025-04-01T12:00:00Z")["status"] == "suspended"
    history.change(acc, "reinstate", when=day("2025-05-01"))
    history.publish()
    assert ask(api, at="2025-04-15")["status"] == "suspended"
    assert ask(api)["trusted"] is True


def test_revocation_does_not_rewrite_the_past(api, history):
    provider = history.provider()
    _, _, acc = history.decide(provider, when=day("2025-01-10"))
    history.publish()
    before = ask(api, at="2025-03-01")
    history.change(acc, "revoke", when=day("2025-06-01"))
    history.publish()
    after = ask(api, at="2025-03-01")
    assert after["trusted"] is True and after["status"] == "active"
    assert {k: v for k, v in after.items() if k != "checked_at"} == {
        k: v for k, v in before.items() if k != "checked_at"
    }
    assert ask(api)["status"] == "revoked" and ask(api)["trusted"] is False


def test_expiry_applies_at_valid_until_even_before_the_task_runs(api, history):
    provider = history.provider()
    today = timezone.now().date()
    history.decide(
        provider,
        when=day("2020-01-10"),
        valid_until=today - datetime.timedelta(days=1),
    )
    history.publish()
    body = ask(api)
    assert (body["trusted"], body["status"]) == (False, "expired")
    assert ask(api, at="2021-01-01")["status"] == "active"


def test_valid_through_the_whole_valid_until_day(api, history):
    """As DEQAR's valid_to: the last day of validity is included (UTC)."""
    provider = history.provider()
    history.decide(provider, when=day("2020-01-10"), valid_until=datetime.date(2021, 3, 31))
    history.publish()
    assert ask(api, at="2021-03-31")["status"] == "active"
    assert ask(api, at="2021-03-31T23:59:59Z")["status"] == "active"
    assert ask(api, at="2021-04-01T00:00:00Z")["status"] == "expired"


def test_expiry_logged_by_the_system_is_published(api, history):
    provider = history.provider()
    today = timezone.now().date()
    _, _, acc = history.decide(provider, when=day("2020-01-10"), valid_until=today)
    history.change(acc, "expire")
    history.publish()
    assert ask(api)["status"] == "expired"
    assert ask(api, at="2022-01-01")["status"] == "active"


def test_without_course_only_the_institutional_accreditation_decides(api, history):
    provider = history.provider()
    course = history.course(provider)
    history.decide(provider, course=course, when=day("2025-01-10"))
    history.publish()
    body = ask(api)
    assert (body["trusted"], body["status"], body["accreditation"]) == (False, "none", None)
    assert ask(api, course=course.pk)["trusted"] is True


def test_course_approval_alone_does_not_cover_other_courses(api, history):
    provider = history.provider()
    approved = history.course(provider)
    other = history.course(provider)
    history.decide(provider, course=approved, when=day("2025-01-10"))
    history.publish()
    assert ask(api, course=approved.pk)["accreditation"]["scope"] == approved.pk
    body = ask(api, course=other.pk)
    assert (body["trusted"], body["status"]) == (False, "none")


def test_institutional_accreditation_covers_a_course_without_own_approval(api, history):
    provider = history.provider()
    course = history.course(provider)
    _, _, acc = history.decide(provider, when=day("2025-01-10"))
    history.publish()
    body = ask(api, course=course.pk)
    assert body["trusted"] is True
    assert body["accreditation"]["id"] == acc.pk and body["accreditation"]["scope"] == "provider"


def test_suspended_course_approval_is_not_rescued_by_the_institution(api, history):
    provider = history.provider()
    course = history.course(provider)
    history.decide(provider, when=day("2025-01-10"))
    _, _, course_acc = history.decide(provider, course=course, when=day("2025-02-10"))
    history.change(course_acc, "suspend", when=day("2025-03-10"))
    history.publish()
    body = ask(api, course=course.pk)
    assert (body["trusted"], body["status"]) == (False, "suspended")
    assert body["accreditation"]["id"] == course_acc.pk
    assert ask(api)["trusted"] is True  # the institution itself is still trusted


def test_eqf_limit_of_institutional_accreditation(api, history):
    provider = history.provider()
    inside = history.course(provider, eqf_level=6)
    outside = history.course(provider, eqf_level=7)
    history.decide(provider, when=day("2025-01-10"), eqf_levels=[5, 6])
    history.publish()
    assert ask(api, course=inside.pk)["trusted"] is True
    body = ask(api, course=outside.pk)
    assert (body["trusted"], body["status"]) == (False, "none")


def test_isced_limit_of_institutional_accreditation_covers_narrower_fields(api, history):
    provider = history.provider()
    ict = history.course(provider, isced_f="0613")
    health = history.course(provider, isced_f="0913")
    history.decide(provider, when=day("2025-01-10"), isced_fields=["06"])
    history.publish()
    assert ask(api, course=ict.pk)["trusted"] is True
    assert ask(api, course=health.pk)["status"] == "none"


def test_course_of_another_provider_is_not_covered(api, history):
    provider = history.provider()
    stranger = history.provider(name="Other", identifier="other.example.org")
    foreign = history.course(stranger)
    history.decide(provider, when=day("2025-01-10"))
    history.publish()
    assert ask(api, course=foreign.pk)["status"] == "none"


def test_most_recent_decision_decides_among_candidates(api, history):
    provider = history.provider()
    _, _, old = history.decide(provider, when=day("2024-01-10"))
    history.change(old, "suspend", when=day("2024-06-01"))
    _, _, new = history.decide(provider, when=day("2025-01-10"))
    history.publish()
    body = ask(api)
    assert body["accreditation"]["id"] == new.pk and body["trusted"] is True
    assert ask(api, at="2024-12-31")["accreditation"]["id"] == old.pk
    assert ask(api, at="2024-12-31")["status"] == "suspended"


def test_negative_decision_leaves_provider_untrusted(api, history):
    provider = history.provider()
    history.decide(provider, name="reject", when=day("2025-01-10"))
    history.publish()
    body = ask(api)
    assert (body["trusted"], body["status"], body["accreditation"]) == (False, "none", None)
    assert body["provider"]["legal_name"] == "Example University"


def test_conditions_and_their_confirmation(api, history):
    provider = history.provider()
    _, _, acc = history.decide(provider, name="accredit_with_conditions")
    history.publish()
    body = ask(api)
    assert body["accreditation"]["decision"] == "positive_with_conditions"
    assert body["accreditation"]["conditions"][0]["text"] == "Publish the exam rules."
    assert body["accreditation"]["conditions"][0]["status"] == "open"
    history.change(acc, "confirm_conditions_met")
    history.publish()
    body = ask(api)
    assert body["accreditation"]["decision"] == "positive"
    assert body["accreditation"]["conditions"][0]["status"] == "met"


def test_report_link_and_checksum(api, history):
    from demo.scenario import ready_report
    from reviews.models import Report

    provider = history.provider()
    application, _, _ = history.decide(provider)
    report = ready_report(application, Report.Stage.PUBLISHED)
    history.publish()
    body = ask(api)
    assert body["accreditation"]["report"] == {
        "id": report.pk,
        "url": f"http://127.0.0.1:8000/api/v1/reports/{report.pk}/pdf/",
        "sha256": report.sha256,
        "language": "en",  # the language it is written in (DEQAR asks for it)
    }


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"identifier": "nonsense"}, "identifier"),
        ({"identifier": "bogus:value"}, "identifier"),
        ({"identifier": "schac:"}, "identifier"),
        ({}, "identifier"),
        ({"identifier": "schac:x", "course": "abc"}, "course"),
        ({"identifier": "schac:x", "course": "-1"}, "course"),
        ({"identifier": "schac:x", "at": "yesterday"}, "at"),
        ({"identifier": "schac:x", "at": "2025-13-01"}, "at"),
        ({"identifier": "schac:x", "at": "2025-02-30T10:00"}, "at"),
    ],
)
def test_malformed_parameters_are_400_naming_the_parameter(api, history, params, name):
    response = api.get(URL, params)
    assert response.status_code == 400
    assert name in response.json()


def test_verify_uses_few_queries(api, history, django_assert_max_num_queries):
    provider = history.provider()
    course = history.course(provider)
    _, _, acc = history.decide(provider, when=day("2024-01-10"))
    for n in range(5):
        history.change(acc, "suspend", when=day(f"2024-0{n + 2}-01"))
        history.change(acc, "reinstate", when=day(f"2024-0{n + 2}-15"))
    history.publish()
    with django_assert_max_num_queries(1):
        assert ask(api, course=course.pk)["trusted"] is True
    with django_assert_max_num_queries(1):
        assert ask(api)["trusted"] is True


def test_future_moment_is_answered_as_of_now(api, history):
    provider = history.provider()
    history.decide(provider, when=day("2025-01-10"))
    history.publish()
    body = ask(api, at="2999-01-01")
    assert body["status"] == "active"
    assert body["as_of"] <= body["checked_at"]


def test_date_time_with_offset_is_converted_to_utc(api, history):
    provider = history.provider()
    _, _, acc = history.decide(provider, when=day("2025-01-10"))
    history.change(acc, "suspend", when=day("2025-04-01", hour=12))
    history.publish()
    # 13:30 in Amsterdam (UTC+2 in April) is 11:30 UTC: before the suspension.
    body = ask(api, at="2025-04-01T13:30:00+02:00")
    assert body["status"] == "active"
    assert body["as_of"] == "2025-04-01T11:30:00Z"
    assert ask(api, at="2025-04-01T14:30:00+02:00")["status"] == "suspended"


def test_unknown_course_is_untrusted_but_names_the_provider(api, history):
    provider = history.provider()
    history.decide(provider, when=day("2025-01-10"))
    history.publish()
    body = ask(api, course=987654)
    assert (body["trusted"], body["status"], body["accreditation"]) == (False, "none", None)
    assert body["provider"]["id"] == provider.pk


@pytest.mark.parametrize(
    "text",
    ['{"a": [1, 2.5, null], "b": "x"}', "[]", '  {"a": 1} ', "5", '"s"', b'{"a": 1}'],
)
def test_the_hot_paths_json_columns_read_as_json_loads_reads_them(text):
    import json

    from registry.services import _json

    assert _json(text) == json.loads(text)
    with pytest.raises(json.JSONDecodeError):
        _json('{"a": 1} x')


@pytest.mark.parametrize(
    "query",
    [
        "identifier=schac:a&identifier=schac:uni.example.org",
        "identifier=schac:uni.example.org&at=&course=",
        "identifier=schac%3Auni.example.org&at=2025-02-01",
        "identifier=schac:a+b%2Bc;at=2025-02-01",
        "identifier=schac:%C3%A9cole&at=%zz",
        "identifier=schac:%E9cole",
        "identifier=schac:\u00e9cole&course",
        "=x&&identifier",
        "",
    ],
)
def test_verify_reads_its_parameters_as_django_does(rf, query):
    """verify parses its query string itself (a QueryDict costs more than the rest of a
    cached answer): the values are those `request.GET.get` gives, repeated names,
    blanks, `+`, broken escapes and non-UTF-8 bytes included."""
    from registry.api import query_params

    request = rf.get(URL)
    request.META["QUERY_STRING"] = query
    params = query_params(request)
    again = rf.get(URL)
    again.META["QUERY_STRING"] = query
    assert params == {name: again.GET.get(name) for name in again.GET}


# Query strings as a client may send them: names and values from a small alphabet that
# holds every character the parser treats specially, escapes valid and broken.
_QUERY_PIECES = st.sampled_from(
    ["identifier", "at", "course", "a", "=", "&", "+", "%", "%3A", "%C3%A9", "%E9", "%zz", ";"]
    + ["\u00e9", " ", "schac:x", "2025-02-01"]
)


@given(query=st.lists(_QUERY_PIECES, max_size=12).map("".join))
@hypothesis_settings(max_examples=300, deadline=None)
def test_verify_reads_any_query_string_as_django_does(query):
    """The same over generated query strings (verify's parser has its own fast path for
    parts that hold no escape)."""
    from django.test import RequestFactory

    from registry.api import query_params

    # QUERY_STRING as a WSGI server gives it: the raw bytes, each as one character
    wsgi = query.encode("utf-8").decode("iso-8859-1")
    request, again = RequestFactory().get(URL), RequestFactory().get(URL)
    request.META["QUERY_STRING"] = again.META["QUERY_STRING"] = wsgi
    assert query_params(request) == {name: again.GET.get(name) for name in again.GET}


def test_repeated_parameter_answers_for_the_last_value(api, history):
    history.decide(history.provider(), when=day("2025-01-10"))
    history.publish()
    url = f"{URL}?identifier=schac:nobody.example.org&identifier=schac:uni.example.org"
    body = api.get(url).json()
    assert body["trusted"] is True
    assert body["query"]["identifier"] == "schac:uni.example.org"


def test_too_many_parameters_are_400(api, history, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    api.raise_request_exception = False
    fields = "&".join(f"x{n}=1" for n in range(6))
    response = api.get(f"{URL}?identifier=schac:uni.example.org&{fields}")
    assert response.status_code == 400
    assert api.get(f"{URL}?identifier=schac:uni.example.org&x=1").status_code == 200


def test_verify_json_is_what_drf_would_write(api, history):
    """verify writes its JSON with a kept encoder: the bytes are those DRF's
    JSONRenderer writes, non-ASCII text as UTF-8 and U+2028/U+2029 escaped."""
    from rest_framework.renderers import JSONRenderer

    from registry.api import answer_json

    history.decide(history.provider(name="École\u2028du Nord\u2029"), when=day("2025-01-10"))
    history.publish()
    response = api.get(URL, {"identifier": "schac:uni.example.org", "at": "2025-02-01"})
    body = response.json()
    assert body["provider"]["legal_name"] == "École\u2028du Nord\u2029"
    assert b"\\u2028du Nord\\u2029" in response.content and "École".encode() in response.content
    assert answer_json(body) == JSONRenderer().render(body)
    assert response.content == JSONRenderer().render(body)
