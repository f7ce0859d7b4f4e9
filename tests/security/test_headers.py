"""Security headers on pages and API answers, and the production transport settings.

The production checks run in a child process with `config.settings.production`, the
way a deployment starts, so nothing the test settings change can hide a gap.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

BASE_DIR = Path(settings.BASE_DIR)


def _csp_directives(value):
    return {part.split()[0]: part.split()[1:] for part in value.split(";") if part.strip()}


@pytest.mark.parametrize(
    "path", ["/accounts/login/", "/registry/", "/api/v1/registry/providers/", "/api/schema/"]
)
def test_every_answer_carries_the_security_headers(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    csp = _csp_directives(response["Content-Security-Policy"])
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"], "no inline script outside the API docs"
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["form-action"] == ["'self'"]


def test_error_pages_carry_the_headers_too(client):
    response = client.get("/api/v1/applications/999999/")
    assert response.status_code in (401, 404)
    assert "Content-Security-Policy" in response
    assert response["X-Content-Type-Options"] == "nosniff"


def test_only_the_api_docs_page_allows_inline_script(client):
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert "'unsafe-inline'" in _csp_directives(docs["Content-Security-Policy"])["script-src"]
    login = client.get("/accounts/login/")
    assert (
        "'unsafe-inline'"
        not in login["Content-Security-Policy"].split("script-src")[1].split(";")[0]
    )


def test_cookies_are_http_only_where_possible_and_same_site():
    assert settings.SESSION_COOKIE_HTTPONLY is True
    assert settings.SESSION_COOKIE_SAMESITE == "Lax"
    assert settings.CSRF_COOKIE_SAMESITE == "Lax"


PROBE = r"""
import json, os
import django
django.setup()
from django.conf import settings
from django.core.management import call_command
from django.test import Client
call_command("migrate", verbosity=0)
from django.contrib.auth.models import User
User.objects.create_user("probe", password="lilac-orbit-quarry-7")
client = Client()
plain = client.get("/accounts/login/")
secure = client.get("/accounts/login/", secure=True)
login = client.post(
    "/accounts/login/", {"username": "probe", "password": "lilac-orbit-quarry-7"}, secure=True
)
def cookie(response, name):
    morsel = response.cookies.get(name)
    if morsel is None:
        return None
    return {"secure": bool(morsel["secure"]), "httponly": bool(morsel["httponly"]),
            "samesite": morsel["samesite"]}
print(json.dumps({
    "debug": settings.DEBUG,
    "demo": settings.MCQA_DEMO_MODE,
    "plain_status": plain.status_code,
    "plain_location": plain.headers.get("Location", ""),
    "secure_status": secure.status_code,
    "hsts": secure.headers.get("Strict-Transport-Security", ""),
    "csp": secure.headers.get("Content-Security-Policy", ""),
    "csrf_cookie": cookie(secure, settings.CSRF_COOKIE_NAME),
    "login_status": login.status_code,
    "session_cookie": cookie(login, settings.SESSION_COOKIE_NAME),
}))
"""

SHIM = """
from config.settings.production import *  # noqa: F403

# collectstatic writes the manifest at deploy time; the probe renders pages without it.
STORAGES = {**STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
"""


@pytest.fixture
def production_env(tmp_path):
    (tmp_path / "prod_probe_settings.py").write_text(SHIM)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "MCQA_", "DATABASE_", "AXES_", "SECURE_"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "prod_probe_settings",
            "PYTHONPATH": f"{tmp_path}{os.pathsep}{BASE_DIR}",
            "DJANGO_SECRET_KEY": "x" * 20 + "-production-probe-" + "y" * 30,
            "DJANGO_ALLOWED_HOSTS": "testserver",
            "DATABASE_URL": "sqlite:///:memory:",
            "MCQA_VAR_DIR": str(tmp_path / "var"),
        }
    )
    return env


def test_production_forces_https_hsts_and_secure_cookies(production_env):
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=BASE_DIR,
        env=production_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    assert probe["debug"] is False and probe["demo"] is False
    assert probe["plain_status"] == 301
    assert probe["plain_location"].startswith("https://")
    assert probe["secure_status"] == 200
    hsts = dict(
        (part.strip().split("=") + [True])[:2] for part in probe["hsts"].split(";") if part.strip()
    )
    assert int(hsts["max-age"]) >= 31536000
    assert "includeSubDomains" in hsts
    assert "frame-ancestors 'none'" in probe["csp"]
    assert probe["csrf_cookie"]["secure"] is True
    assert probe["login_status"] == 302
    session = probe["session_cookie"]
    assert session == {"secure": True, "httponly": True, "samesite": "Lax"}


def test_production_refuses_to_start_without_a_secret_key(production_env):
    env = {k: v for k, v in production_env.items() if k != "DJANGO_SECRET_KEY"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
