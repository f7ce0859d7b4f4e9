"""The outside probe, as a new user would run it against a running server (real HTTP to
pytest-django's live server, real token login, real cookies):

- provider-b logs in and tries provider-a's application, documents, reports, history,
  panel, findings and every transition by id: all 404, nothing changes;
- provider-b's lists never contain provider-a's objects;
- an anonymous client tries every authenticated operation of the OpenAPI schema: 401 with
  `WWW-Authenticate`, and every signed-in page: a redirect to the login page;
- a browser session without the CSRF token cannot change anything.
"""

import re

import pytest
import requests

from accreditation.workflow import ACCREDITATION_TRANSITIONS, APPLICATION_TRANSITIONS
from tests.factories import pdf_bytes

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "correct horse battery"


def token_session(base, username):
    """Log in through the token endpoint exactly as an integrator does."""
    response = requests.post(
        f"{base}/api/v1/auth/token/",
        json={"username": username, "password": PASSWORD},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    session = requests.Session()
    session.headers["Authorization"] = f"Token {response.json()['token']}"
    return session


@pytest.fixture
def probe_world(world):
    world.prepare("accredited")
    from demo.scenario import ready_report
    from reviews.models import Report

    world.draft = Report.objects.filter(application=world.application, stage="draft").first()
    world.final = Report.objects.filter(application=world.application, stage="final").first()
    world.failed = Report.objects.create(
        application=world.application, stage="draft", version=9, status="failed"
    )
    world.other_report = ready_report(world.other_application, "draft")
    return world


def a_targets(world):
    """Every URL naming one of provider-a's objects, with the methods to try."""
    app, doc = world.application.pk, world.document.pk
    acc = world.accreditation.pk
    seat = world.assignment.pk
    paths = [
        ("GET", f"/api/v1/applications/{app}/"),
        ("GET", f"/api/v1/applications/{app}/history/"),
        ("GET", f"/api/v1/applications/{app}/panel/"),
        ("POST", f"/api/v1/applications/{app}/panel/"),
        ("GET", f"/api/v1/applications/{app}/panel/summary/"),
        ("GET", f"/api/v1/applications/{app}/findings/"),
        ("PUT", f"/api/v1/applications/{app}/findings/quality/"),
        ("PUT", f"/api/v1/applications/{app}/self-assessments/quality/"),
        ("POST", f"/api/v1/applications/{app}/documents/"),
        ("POST", f"/api/v1/applications/{app}/reports/"),
        ("GET", f"/api/v1/documents/{doc}/download/"),
        ("GET", f"/api/v1/reports/{world.draft.pk}/"),
        ("GET", f"/api/v1/reports/{world.draft.pk}/pdf/"),
        ("GET", f"/api/v1/reports/{world.final.pk}/"),
        ("GET", f"/api/v1/reports/{world.final.pk}/pdf/"),
        ("POST", f"/api/v1/reports/{world.failed.pk}/retry/"),
        ("GET", f"/api/v1/providers/{world.application.provider_id}/"),
        ("PATCH", f"/api/v1/providers/{world.application.provider_id}/"),
        ("GET", f"/api/v1/courses/{world.application.course_id}/"),
        ("PATCH", f"/api/v1/courses/{world.application.course_id}/"),
        ("GET", f"/api/v1/accreditations/{acc}/"),
        ("GET", f"/api/v1/assignments/{seat}/"),
        ("GET", f"/api/v1/assignments/{seat}/judgements/"),
        ("POST", f"/api/v1/assignments/{seat}/accept/"),
        ("POST", f"/api/v1/assignments/{seat}/decline/"),
        ("PUT", f"/api/v1/assignments/{seat}/judgements/quality/"),
    ]
    paths += [
        ("POST", f"/api/v1/applications/{app}/transitions/{name}/")
        for name in APPLICATION_TRANSITIONS
    ]
    paths += [
        ("POST", f"/api/v1/accreditations/{acc}/transitions/{name}/")
        for name in ACCREDITATION_TRANSITIONS
    ]
    return paths


def test_provider_b_finds_nothing_of_provider_a(live_server, probe_world):
    world = probe_world
    base = live_server.url
    b = token_session(base, "provider-b")
    before = world.snapshot()

    answers = {}
    for method, path in a_targets(world):
        if path.endswith("/documents/"):
            response = b.post(
                base + path,
                files={"file": ("x.pdf", pdf_bytes(), "application/pdf")},
                data={"kind": "evidence"},
                timeout=10,
            )
        else:
            response = b.request(method, base + path, json={"comment": "probe"}, timeout=10)
        answers[f"{method} {path}"] = response.status_code
        assert response.headers["Content-Type"].startswith("application/json"), path
        assert str(world.application.course.title) not in response.text
    leaks = {key: code for key, code in answers.items() if code != 404}
    assert not leaks, f"provider-b got an answer other than 404: {leaks}"
    assert world.snapshot() == before

    # Provider B's own report stays reachable for B: the 404s above are not a broken API.
    own = b.get(f"{base}/api/v1/reports/{world.other_report.pk}/", timeout=10)
    assert own.status_code == 200


def test_provider_b_lists_hold_nothing_of_provider_a(live_server, probe_world):
    world = probe_world
    base = live_server.url
    b = token_session(base, "provider-b")
    a_ids = {
        "/api/v1/applications/": world.application.pk,
        "/api/v1/providers/": world.application.provider_id,
        "/api/v1/courses/": world.application.course_id,
        "/api/v1/accreditations/": world.accreditation.pk,
        "/api/v1/assignments/": world.assignment.pk,
    }
    for path, a_id in a_ids.items():
        response = b.get(base + path, timeout=10)
        assert response.status_code == 200, path
        body = response.json()
        rows = body["results"] if isinstance(body, dict) else body
        assert a_id not in [row.get("id") for row in rows], f"{path} lists provider-a's #{a_id}"
    me = b.get(f"{base}/api/v1/me/", timeout=10).json()
    assert me["username"] == "provider-b"
    assert me["provider"] == world.other_application.provider_id


def _fill(path, ids):
    return re.sub(r"\{(\w+)\}", lambda m: str(ids.get(m.group(1), 1)), path)


def test_anonymous_gets_401_on_every_authenticated_operation(live_server, probe_world):
    world = probe_world
    base = live_server.url
    schema = requests.get(
        f"{base}/api/schema/", headers={"Accept": "application/vnd.oai.openapi+json"}, timeout=30
    ).json()
    ids = {
        "id": world.application.pk,
        "standard_code": "quality",
        "name": "submit",
    }
    tried = {}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            security = operation.get("security") or []
            if not security or {} in security:
                continue  # public operations (registry, token, public reports)
            url = base + _fill(path, ids)
            response = requests.request(method.upper(), url, json={}, timeout=10)
            tried[f"{method.upper()} {path}"] = response.status_code
            assert response.headers.get("WWW-Authenticate", "").startswith("Token"), path
    wrong = {key: code for key, code in tried.items() if code != 401}
    assert len(tried) >= 35, sorted(tried)
    assert not wrong, f"anonymous calls not answered 401: {wrong}"


SIGNED_IN_PAGES = [
    "/applications/",
    "/applications/new/",
    "/applications/{app}/",
    "/applications/{app}/documents/",
    "/applications/{app}/panel/",
    "/applications/{app}/consolidation/",
    "/applications/{app}/reports/",
    "/applications/{app}/transitions/withdraw/",
    "/documents/{doc}/",
    "/providers/{provider}/",
    "/providers/{provider}/edit/",
    "/courses/",
    "/courses/new/",
    "/courses/{course}/",
    "/courses/{course}/edit/",
    "/assignments/",
    "/assignments/{seat}/",
    "/deadlines/",
    "/accounts/password/",
]


def test_anonymous_browser_is_sent_to_the_login_page(live_server, probe_world):
    world = probe_world
    ids = {
        "app": world.application.pk,
        "doc": world.document.pk,
        "provider": world.application.provider_id,
        "course": world.application.course_id,
        "seat": world.assignment.pk,
    }
    for template in SIGNED_IN_PAGES:
        path = template.format(**ids)
        response = requests.get(live_server.url + path, allow_redirects=False, timeout=10)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/accounts/login/"), path


def test_a_session_without_the_csrf_token_changes_nothing(live_server, probe_world):
    """A browser logged in as provider-a, tricked into posting from another site: the API
    (session authentication) and the pages both refuse without the CSRF token."""
    world = probe_world
    world.set_state("draft")
    base = live_server.url
    browser = requests.Session()
    login_page = browser.get(f"{base}/accounts/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.text).group(1)
    logged_in = browser.post(
        f"{base}/accounts/login/",
        data={"username": "provider-a", "password": PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{base}/accounts/login/"},
        allow_redirects=False,
        timeout=10,
    )
    assert logged_in.status_code == 302
    before = world.snapshot()
    forged = browser.post(
        f"{base}/api/v1/applications/{world.application.pk}/transitions/withdraw/",
        json={},
        timeout=10,
    )
    assert forged.status_code == 403
    assert "CSRF" in forged.text
    page = browser.post(
        f"{base}/applications/{world.application.pk}/transitions/withdraw/",
        data={},
        allow_redirects=False,
        timeout=10,
    )
    assert page.status_code == 403
    assert world.snapshot() == before
