"""Settings come from the environment: each test starts a fresh interpreter with a chosen
environment, because settings are read once per process."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Only these variables of the surrounding run reach a probe: whatever else the CI legs
# or other tests set (DATABASE_URL, DJANGO_ALLOW_ASYNC_UNSAFE, ...) must not leak in.
KEPT = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV")
PROBE = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'], "
    "'name': str(s.DATABASES['default']['NAME']), "
    "'host': s.DATABASES['default'].get('HOST', ''), "
    "'broker': s.CELERY_BROKER_URL, 'backend': s.CELERY_RESULT_BACKEND, "
    "'cache': s.CACHES['default']['BACKEND'], "
    "'cache_location': str(s.CACHES['default'].get('LOCATION', '')), 'debug': s.DEBUG, "
    "'demo': s.MCQA_DEMO_MODE, 'bench': s.MCQA_BENCH_VIEWS, "
    "'secure_cookies': s.SESSION_COOKIE_SECURE}))"
)


def run(args, settings_module, tmp_path, **env):
    clean = {k: v for k, v in os.environ.items() if k in KEPT}
    clean.update(
        DJANGO_SETTINGS_MODULE=settings_module, MCQA_VAR_DIR=str(tmp_path), PYTHONPATH=str(ROOT)
    )
    clean.update(env)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def probe(settings_module, tmp_path, **env):
    result = run(["-c", PROBE], settings_module, tmp_path, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def production_env(**extra):
    return {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "example.org",
        **extra,
    }


def test_defaults_are_sqlite_in_var_and_the_filesystem_broker(tmp_path):
    values = probe("config.settings.base", tmp_path, MCQA_ALLOW_INSECURE_KEY="1")
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["name"] == str(tmp_path / "db.sqlite3")
    assert values["broker"] == "filesystem://"
    # Files under var/: one cache (and one set of throttle counts) for every process of
    # the machine, as the demo's web workers, Celery worker and beat need.
    assert values["cache"].endswith("FileBasedCache")
    assert values["cache_location"] == str(tmp_path / "cache")


def test_environment_switches_to_postgresql_redis_broker_and_redis_cache(tmp_path):
    values = probe(
        "config.settings.base",
        tmp_path,
        MCQA_ALLOW_INSECURE_KEY="1",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/mcqa",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/3",
        CELERY_RESULT_BACKEND="redis://127.0.0.1:6379/4",
        CACHE_URL="redis://127.0.0.1:6379/5",
    )
    assert values["engine"] == "django.db.backends.postgresql"
    assert values["name"] == "mcqa"
    assert values["host"] == "127.0.0.1"
    assert values["broker"] == "redis://127.0.0.1:6379/3"
    assert values["backend"] == "redis://127.0.0.1:6379/4"
    assert values["cache"] == "django.core.cache.backends.redis.RedisCache"


def test_base_settings_refuse_to_start_without_a_secret_key_outside_debug(tmp_path):
    result = run(["-c", PROBE], "config.settings.base", tmp_path)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_refuses_a_missing_secret_key_even_with_debug_or_insecure_flags(tmp_path):
    env = production_env(DJANGO_DEBUG="1", MCQA_ALLOW_INSECURE_KEY="1")
    del env["DJANGO_SECRET_KEY"]
    result = run(["-c", PROBE], "config.settings.production", tmp_path, **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_a_short_secret_key(tmp_path):
    env = production_env(DJANGO_SECRET_KEY="too-short")
    result = run(["-c", PROBE], "config.settings.production", tmp_path, **env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_an_explicit_host_list(tmp_path):
    env = production_env()
    del env["DJANGO_ALLOWED_HOSTS"]
    result = run(["-c", PROBE], "config.settings.production", tmp_path, **env)
    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS" in result.stderr


def test_production_never_runs_in_debug_demo_or_benchmark_mode(tmp_path):
    values = probe(
        "config.settings.production",
        tmp_path,
        **production_env(DJANGO_DEBUG="1", MCQA_DEMO_MODE="1", MCQA_BENCH_VIEWS="1"),
    )
    assert values["debug"] is False
    assert values["demo"] is False
    assert values["bench"] is False
    assert values["secure_cookies"] is True


def test_demo_settings_turn_demo_mode_on(tmp_path):
    values = probe("config.settings.demo", tmp_path)
    assert values["demo"] is True
    assert values["broker"] == "filesystem://"


def test_demo_settings_keep_debug_off_so_a_wrong_address_lists_no_url_patterns(tmp_path):
    values = probe("config.settings.demo", tmp_path)
    assert values["debug"] is False


def test_deploy_check_of_production_settings_is_clean(tmp_path):
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        "config.settings.production",
        tmp_path,
        **production_env(),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_seed_demo_refuses_under_production_settings(tmp_path):
    env = production_env(MCQA_DEMO_MODE="1", SECURE_SSL_REDIRECT="0")
    assert (
        run(
            ["manage.py", "migrate", "-v", "0"], "config.settings.production", tmp_path, **env
        ).returncode
        == 0
    )
    result = run(["manage.py", "seed_demo"], "config.settings.production", tmp_path, **env)
    assert result.returncode != 0
    assert "MCQA_DEMO_MODE is off" in result.stderr
    count = run(
        [
            "-c",
            "import django; django.setup(); from django.contrib.auth.models import User; "
            "print(User.objects.count())",
        ],
        "config.settings.production",
        tmp_path,
        **env,
    )
    assert count.stdout.strip().splitlines()[-1] == "0"
