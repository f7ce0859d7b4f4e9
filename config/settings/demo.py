"""Quick-start settings: debug on, SQLite, filesystem broker, e-mail to the console."""

import os

os.environ.setdefault("DJANGO_DEBUG", "1")
os.environ.setdefault("MCQA_DEMO_MODE", "1")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")

from .base import *  # noqa: E402,F403
