"""A bounded schemathesis run against /api/schema/: every operation, anonymously and as a
coordinator; no answer is a server error, and every answer matches the schema (status
code declared, content type declared, body valid against the declared schema).

Hypothesis is derandomised (the same examples on every run, so CI is reproducible) and
bounded to a few examples per operation so the whole run stays well under a minute.
"""

import contextlib

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from core.tokens import token_issue

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = 6
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@contextlib.contextmanager
def in_process_app():
    """The WSGI application as a server runs it, minus closing the test's connection at
    the end of each request (what Django's own test client also switches off)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def load_schema():
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    raw = response.json() if response["Content-Type"].endswith("json") else None
    if raw is None:
        import yaml

        raw = yaml.safe_load(response.content)
    return schemathesis.openapi.from_dict(raw)


def fuzz(schema, app, headers_for):
    """Run every operation; collect (operation, first failure) instead of stopping at one.

    Each call gets fresh headers (`headers_for()`): `DELETE /api/v1/auth/token/`
    revokes the token it is called with, which must not turn the rest into 401s."""
    failures = {}
    for result in schema.get_all_operations():
        operation = result.ok()

        @hypothesis_settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def check(case):
            response = case.call(app=app, headers=headers_for())
            case.validate_response(response, checks=CHECKS)

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 – reported at the end
            failures[operation.label] = f"{type(exc).__name__}: {str(exc)[:600]}"
    return failures


def _report(failures):
    return "\n\n".join(f"{label}\n{text}" for label, text in sorted(failures.items()))


@pytest.mark.parametrize("identity", ["anonymous", "coordinator", "provider_own"])
def test_schema_fuzz_finds_no_server_error_and_no_schema_mismatch(world, identity):
    world.prepare("in_review")
    schema = load_schema()
    user = world.user(identity)

    def headers_for():
        return {} if user is None else {"Authorization": f"Token {token_issue(user=user)[0]}"}

    with in_process_app() as app:
        failures = fuzz(schema, app, headers_for)
    assert not failures, f"{len(failures)} operations failed:\n\n{_report(failures)}"
