"""What a new user of `make demo` opens first answers: the admin, the OpenAPI schema and
its documentation page, with the static files those pages load."""

import re

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db


def test_admin_login_page_answers(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert b'name="username"' in response.content


def test_openapi_schema_is_served_and_lists_the_contract_paths(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200, response.content[:500]
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    for path in (
        "/api/v1/auth/token/",
        "/api/v1/applications/",
        "/api/v1/applications/{id}/transitions/{name}/",
        "/api/v1/registry/verify/",
    ):
        assert path in schema["paths"], path


def test_api_docs_page_loads_only_static_assets_that_exist(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assets = re.findall(r'(?:src|href)="/static/([^"]+)"', response.content.decode())
    assert assets, "the docs page should load Swagger UI from our own static files"
    missing = [asset for asset in assets if finders.find(asset) is None]
    assert not missing
