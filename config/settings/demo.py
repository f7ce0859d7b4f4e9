"""Quick-start settings: SQLite, filesystem broker, e-mail to the console.

Debug stays off (set DJANGO_DEBUG=1 to turn it on while developing): with it on, a
wrong address answers Django's technical page, which lists every URL pattern of the
site, to anyone who tries one. The demo's own 404/403/500 pages are shown instead, and
static files are served from the source folders (no collectstatic step).
"""

import os

os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("MCQA_ALLOW_INSECURE_KEY", "1")
os.environ.setdefault("MCQA_DEMO_MODE", "1")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")

from .base import *  # noqa: E402,F403

WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
