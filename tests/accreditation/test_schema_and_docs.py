"""The OpenAPI schema covers the workflow API without warnings from its views, and the
state diagrams in the docs are the ones the models declare."""

import io

import pytest
from django.core.management import call_command
from drf_spectacular import drainage
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from accreditation.management.commands.graph_states import edges, render
from accreditation.models import Accreditation, Application

WORKFLOW_PATHS = {
    "/api/v1/auth/token/": {"post"},
    "/api/v1/me/": {"get"},
    "/api/v1/providers/": {"get", "post"},
    "/api/v1/providers/{id}/": {"get", "patch"},
    "/api/v1/courses/": {"get", "post"},
    "/api/v1/courses/{id}/": {"get", "patch"},
    "/api/v1/applications/": {"get", "post"},
    "/api/v1/applications/{id}/": {"get"},
    "/api/v1/applications/{id}/documents/": {"post"},
    "/api/v1/applications/{id}/self-assessments/{standard_code}/": {"put"},
    "/api/v1/applications/{id}/transitions/{name}/": {"post"},
    "/api/v1/applications/{id}/history/": {"get"},
    "/api/v1/documents/{id}/download/": {"get"},
    "/api/v1/accreditations/": {"get"},
    "/api/v1/accreditations/{id}/": {"get"},
    "/api/v1/accreditations/{id}/transitions/{name}/": {"post"},
    "/api/v1/complaints/": {"post"},
}


def test_workflow_schema_is_valid_and_warning_free():
    stats = drainage.GENERATOR_STATS
    stats.reset()
    with stats.silence():
        schema = SchemaGenerator().get_schema(request=None, public=True)
    complaints = [*stats._warn_cache, *stats._error_cache]
    validate_schema(schema)
    for path, methods in WORKFLOW_PATHS.items():
        assert path in schema["paths"], path
        assert methods <= set(schema["paths"][path]), (path, schema["paths"][path].keys())
    ours = [c for c in complaints if "accreditation" in str(c)]
    assert ours == []
    upload = schema["paths"]["/api/v1/applications/{id}/documents/"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert {"201", "413", "415"} <= set(upload["responses"])


def test_state_diagram_in_docs_is_up_to_date():
    call_command("graph_states", "--check", stdout=io.StringIO())


@pytest.mark.parametrize(
    ("model", "field", "edge"),
    [
        (Application, "state", ("screening", "returned", "return_for_completion")),
        (Application, "state", ("appealed", "rejected", "dismiss_appeal")),
        (Application, "state", ("decision_pending", "withdrawn", "withdraw")),
        (Accreditation, "status", ("suspended", "active", "reinstate")),
        (Accreditation, "status", ("active", "active", "confirm_conditions_met")),
    ],
)
def test_diagram_edges_come_from_the_models(model, field, edge):
    assert edge in edges(model, field)
    source, target, name = edge
    assert f"    {source} --> {target}: {name}" in render()


def test_confirm_conditions_met_never_drawn_as_a_status_change():
    assert ("active", "suspended", "confirm_conditions_met") not in edges(Accreditation, "status")
