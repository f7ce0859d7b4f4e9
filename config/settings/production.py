"""Production settings: the base settings with every transport hardened.

Production never falls back to a development default for what protects users: it
refuses to start without a real secret key and an explicit host list, and it never
runs in demo mode (no demo accounts, whatever the environment says).
"""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env_bool, env_int, env_list

MIN_SECRET_KEY_LENGTH = 50

DEBUG = False
MCQA_DEMO_MODE = False
MCQA_BENCH_VIEWS = False  # the benchmark's baseline view is never mounted in production

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if len(SECRET_KEY) < MIN_SECRET_KEY_LENGTH or SECRET_KEY.startswith("insecure"):
    raise ImproperlyConfigured(
        f"DJANGO_SECRET_KEY must be set to a random value of at least {MIN_SECRET_KEY_LENGTH} "
        "characters in production."
    )
if not os.environ.get("DJANGO_ALLOWED_HOSTS"):
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must list the site's host names.")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# A year of HSTS on every subdomain already meets the preload list's terms; a site that
# must not be preloaded sets SECURE_HSTS_PRELOAD=0 (and `check --deploy` then says so).
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
