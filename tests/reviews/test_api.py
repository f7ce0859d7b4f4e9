"""The review API: who sees what (404 for what a caller may not see), who may do what
(403), input errors naming the field, and lists at a constant number of queries."""

import pytest

from accreditation.services import application_transition
from tests.conftest import client_for
from tests.factories import ApplicationFactory, DocumentFactory, MembershipFactory, complete_dossier
from tests.reviews.helpers import judge_everything, make_reviewer

pytestmark = pytest.mark.django_db


def _panel_url(application):
    return f"/api/v1/applications/{application.pk}/panel/"


def _screening(coordinator):
    provider_user = MembershipFactory().user
    provider = provider_user.providers.get()
    application = ApplicationFactory(provider=provider, course__provider=provider)
    complete_dossier(application, provider_user)
    application_transition(application=application, name="submit", actor=provider_user)
    return application_transition(
        application=application, name="start_screening", actor=coordinator
    )


def _invite(coordinator, application, reviewer, role="member"):
    response = client_for(coordinator).post(
        _panel_url(application), {"reviewer": reviewer.username, "role": role}, format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()


# --------------------------------------------------------------------------- visibility


def test_reviewer_not_on_panel_gets_404_on_application_and_documents(
    in_review_application, provider_user
):
    document = in_review_application.documents.first()
    outsider = client_for(make_reviewer("outsider-r"))
    app_id = in_review_application.pk
    for url in (
        f"/api/v1/applications/{app_id}/",
        f"/api/v1/applications/{app_id}/history/",
        f"/api/v1/documents/{document.pk}/download/",
        f"/api/v1/applications/{app_id}/panel/",
        f"/api/v1/applications/{app_id}/findings/",
        f"/api/v1/applications/{app_id}/panel/summary/",
    ):
        assert outsider.get(url).status_code == 404, url
    assert outsider.post(_panel_url(in_review_application), {}, format="json").status_code == 404
    listed = outsider.get("/api/v1/applications/").json()
    assert app_id not in [a["id"] for a in listed.get("results", listed)]


def test_accepted_panel_member_sees_application_and_documents(in_review_application, member):
    client = client_for(member)
    detail = client.get(f"/api/v1/applications/{in_review_application.pk}/")
    assert detail.status_code == 200
    panel = detail.json()["panel"]
    assert {(s["reviewer"], s["role"], s["state"]) for s in panel} == {
        ("chair-r", "chair", "accepted"),
        ("member-r", "member", "accepted"),
        ("student-r", "student", "accepted"),
    }
    assert all(set(s) == {"id", "reviewer", "role", "state", "due_date"} for s in panel)
    document = in_review_application.documents.first()
    download = client.get(f"/api/v1/documents/{document.pk}/download/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"


def test_invited_reviewer_sees_only_their_assignment(screening_application, coordinator):
    reviewer = make_reviewer("invited-r")
    seat = _invite(coordinator, screening_application, reviewer)
    assert seat["state"] == "invited" and seat["reviewer"] == "invited-r"
    client = client_for(reviewer)
    assert client.get(f"/api/v1/applications/{screening_application.pk}/").status_code == 404
    document = screening_application.documents.first()
    assert client.get(f"/api/v1/documents/{document.pk}/download/").status_code == 404
    own = client.get("/api/v1/assignments/").json()["results"]
    assert [(a["id"], a["application"], a["role"], a["state"]) for a in own] == [
        (seat["id"], screening_application.pk, "member", "invited")
    ]
    assert own[0]["due_date"] == seat["due_date"]
    assert own[0]["provider_name"] == screening_application.provider.legal_name
    assert client.get(f"/api/v1/assignments/{seat['id']}/").status_code == 200
    # Accepting opens the application.
    response = client.post(
        f"/api/v1/assignments/{seat['id']}/accept/", {"no_conflict": True}, format="json"
    )
    assert response.status_code == 200 and response.json()["state"] == "accepted"
    assert client.get(f"/api/v1/applications/{screening_application.pk}/").status_code == 200


def test_somebody_elses_assignment_is_404(screening_application, coordinator):
    seat = _invite(coordinator, screening_application, make_reviewer())
    other = client_for(make_reviewer())
    base = f"/api/v1/assignments/{seat['id']}"
    assert other.get(f"{base}/").status_code == 404
    assert other.post(f"{base}/accept/", {"no_conflict": True}, format="json").status_code == 404
    assert other.post(f"{base}/decline/", {"reason": "x"}, format="json").status_code == 404
    assert other.get(f"{base}/judgements/").status_code == 404
    assert other.get("/api/v1/assignments/").json()["results"] == []


# --------------------------------------------------------------------------- rights and input


def test_only_coordinator_composes_the_panel(screening_application, provider_user, decider):
    body = {"reviewer": make_reviewer().username, "role": "member"}
    for user in (provider_user, decider):
        response = client_for(user).post(_panel_url(screening_application), body, format="json")
        assert response.status_code == 403
    assert client_for(provider_user).get(_panel_url(screening_application)).json() == []


def test_panel_input_errors_name_the_field(screening_application, coordinator):
    client = client_for(coordinator)
    url = _panel_url(screening_application)
    response = client.post(url, {"reviewer": "nobody", "role": "member"}, format="json")
    assert response.status_code == 400 and "reviewer" in response.json()
    response = client.post(url, {"reviewer": make_reviewer().username, "role": "x"}, format="json")
    assert response.status_code == 400 and "role" in response.json()
    response = client.post(url, {"reviewer": "coord", "role": "member"}, format="json")
    assert response.status_code == 400 and "reviewer" in response.json()
    assert "reviewer" in response.json()["reviewer"][0]


def test_assigning_outside_screening_or_review_is_409(course_application, coordinator):
    response = client_for(coordinator).post(
        _panel_url(course_application),
        {"reviewer": make_reviewer().username, "role": "member"},
        format="json",
    )
    assert response.status_code == 409


def test_accept_and_decline_input(screening_application, coordinator):
    reviewer = make_reviewer()
    seat = _invite(coordinator, screening_application, reviewer)
    client = client_for(reviewer)
    base = f"/api/v1/assignments/{seat['id']}"
    for body in ({}, {"no_conflict": False}):
        response = client.post(f"{base}/accept/", body, format="json")
        assert response.status_code == 400 and "no_conflict" in response.json()
    for body in ({}, {"reason": ""}, {"reason": "   "}):
        response = client.post(f"{base}/decline/", body, format="json")
        assert response.status_code == 400 and "reason" in response.json()
    response = client.post(f"{base}/decline/", {"reason": "Travelling"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "declined"
    again = client.post(f"{base}/decline/", {"reason": "Travelling"}, format="json")
    assert again.status_code == 409


def test_replace_over_http(screening_application, coordinator):
    silent = make_reviewer()
    seat = _invite(coordinator, screening_application, silent, role="chair")
    make_reviewer("newcomer-r")
    response = client_for(silent).post(
        f"/api/v1/assignments/{seat['id']}/replace/", {}, format="json"
    )
    assert response.status_code == 404
    response = client_for(coordinator).post(
        f"/api/v1/assignments/{seat['id']}/replace/",
        {"reason": "No answer", "reviewer": "newcomer-r"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["replaced"]["state"] == "replaced"
    assert (body["replacement"]["reviewer"], body["replacement"]["role"]) == ("newcomer-r", "chair")


def test_judgements_over_http(in_review_application, panel, member):
    client = client_for(member)
    seat = panel["member"].pk
    code = in_review_application.framework.standards.first().code
    url = f"/api/v1/assignments/{seat}/judgements/{code}/"
    response = client.put(url, {"judgement": "compliant", "rationale": "Clear."}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["standard"] == code
    response = client.put(
        url, {"judgement": "non_compliant", "rationale": "On reflection."}, format="json"
    )
    assert response.status_code == 200 and response.json()["judgement"] == "non_compliant"
    bad = client.put(url, {"judgement": "great", "rationale": "x"}, format="json")
    assert bad.status_code == 400 and "judgement" in bad.json()
    bad = client.put(url, {"judgement": "compliant", "rationale": ""}, format="json")
    assert bad.status_code == 400 and "rationale" in bad.json()
    unknown = client.put(
        f"/api/v1/assignments/{seat}/judgements/9.9/",
        {"judgement": "compliant", "rationale": "x"},
        format="json",
    )
    assert unknown.status_code == 404
    mine = client.get(f"/api/v1/assignments/{seat}/judgements/").json()
    assert [(j["standard"], j["judgement"]) for j in mine] == [(code, "non_compliant")]


def test_findings_and_summary_rights(in_review_application, panel, chair, member, provider_user):
    app_id = in_review_application.pk
    code = in_review_application.framework.standards.first().code
    url = f"/api/v1/applications/{app_id}/findings/{code}/"
    body = {"judgement": "compliant", "rationale": "Fine", "recommendations": "More examples"}
    assert client_for(member).put(url, body, format="json").status_code == 403
    assert client_for(provider_user).put(url, body, format="json").status_code == 403
    response = client_for(chair).put(url, body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["recommendations"] == "More examples"
    bad = client_for(chair).put(url, {"judgement": "compliant"}, format="json")
    assert bad.status_code == 400 and "rationale" in bad.json()
    findings_url = f"/api/v1/applications/{app_id}/findings/"
    assert [f["standard"] for f in client_for(member).get(findings_url).json()] == [code]
    # The provider reads the findings only with the draft report.
    assert client_for(provider_user).get(findings_url).status_code == 403
    summary_url = f"/api/v1/applications/{app_id}/panel/summary/"
    assert client_for(member).get(summary_url).status_code == 403
    summary = client_for(chair).get(summary_url)
    assert summary.status_code == 200
    assert summary.json()["standards"][0]["finding"]["judgement"] == "compliant"


# --------------------------------------------------------------------------- constant queries


def test_own_assignments_list_at_constant_queries(coordinator, django_assert_max_num_queries):
    reviewer = make_reviewer()
    client = client_for(reviewer)
    _invite(coordinator, _screening(coordinator), reviewer)
    with django_assert_max_num_queries(4) as few:
        assert len(client.get("/api/v1/assignments/").json()["results"]) == 1
    baseline = len(few.captured_queries)
    for _ in range(4):
        _invite(coordinator, _screening(coordinator), reviewer)
    with django_assert_max_num_queries(baseline):
        assert len(client.get("/api/v1/assignments/").json()["results"]) == 5


def test_panel_and_findings_lists_at_constant_queries(
    in_review_application, panel, chair, coordinator, django_assert_max_num_queries
):
    client = client_for(chair)
    url = _panel_url(in_review_application)
    with django_assert_max_num_queries(8) as baseline:
        assert len(client.get(url).json()) == 3
    panel_queries = len(baseline.captured_queries)
    for _ in range(4):
        _invite(coordinator, in_review_application, make_reviewer())
    with django_assert_max_num_queries(panel_queries):
        assert len(client.get(url).json()) == 7
    findings = f"/api/v1/applications/{in_review_application.pk}/findings/"
    from tests.reviews.helpers import record_every_finding

    with django_assert_max_num_queries(8) as baseline:
        assert client.get(findings).json() == []
    findings_queries = len(baseline.captured_queries)
    record_every_finding(in_review_application, chair)
    with django_assert_max_num_queries(findings_queries):
        assert len(client.get(findings).json()) == 10


def test_detail_panel_field_at_constant_queries(
    in_review_application, panel, coordinator, django_assert_max_num_queries
):
    client = client_for(coordinator)
    url = f"/api/v1/applications/{in_review_application.pk}/"
    response = client.get(url)
    assert len(response.json()["panel"]) == 3
    with django_assert_max_num_queries(40) as baseline:
        client.get(url)
    detail_queries = len(baseline.captured_queries)
    for _ in range(5):
        _invite(coordinator, in_review_application, make_reviewer())
    judge_everything(panel["member"])
    with django_assert_max_num_queries(detail_queries):
        assert len(client.get(url).json()["panel"]) == 8


def test_documents_of_other_cases_stay_hidden_from_a_panel_member(in_review_application, member):
    other = DocumentFactory()
    response = client_for(member).get(f"/api/v1/documents/{other.pk}/download/")
    assert response.status_code == 404


def test_chair_asks_for_clarification_and_panel_reads_the_answer(
    in_review_application, panel, chair, member, provider_user
):
    app_id = in_review_application.pk
    url = f"/api/v1/applications/{app_id}/transitions/request_clarification/"
    question = {"comment": "Please explain how identity is verified in online exams."}
    assert client_for(member).post(url, question, format="json").status_code == 403
    response = client_for(chair).post(url, question, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "clarification_requested"
    assert "answer_clarification" not in response.json()["available_transitions"]
    answer = client_for(provider_user).post(
        f"/api/v1/applications/{app_id}/transitions/answer_clarification/",
        {"answer": "Proctoring with ID check."},
        format="json",
    )
    assert answer.status_code == 200, answer.content
    detail = client_for(member).get(f"/api/v1/applications/{app_id}/").json()
    assert detail["state"] == "in_review"
    [clarification] = detail["clarifications"]
    assert clarification["question"] == question["comment"]
    assert clarification["answer"] == "Proctoring with ID check."


def test_own_judgements_list_at_constant_queries(
    in_review_application, panel, member, django_assert_max_num_queries
):
    client = client_for(member)
    url = f"/api/v1/assignments/{panel['member'].pk}/judgements/"
    with django_assert_max_num_queries(8) as baseline:
        assert client.get(url).json() == []
    queries = len(baseline.captured_queries)
    judge_everything(panel["member"])
    with django_assert_max_num_queries(queries):
        assert len(client.get(url).json()) == 10
