"""Settings for the test suite: the base settings with fast hashing and in-memory mail.

Tasks run eagerly here so unit tests can follow a side effect to its end; the
PostgreSQL + Redis leg of .ci/run starts a real worker and checks the real path.
"""

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("MCQA_ALLOW_INSECURE_KEY", "1")
if "MCQA_VAR_DIR" not in os.environ:
    # A scratch folder per test process (inherited by the processes it starts), removed
    # when the process that made it exits.
    _scratch = tempfile.mkdtemp(prefix="mcqa-test-")
    os.environ["MCQA_VAR_DIR"] = _scratch
    atexit.register(shutil.rmtree, _scratch, ignore_errors=True)
os.environ.setdefault("DATABASE_URL", "sqlite:///:memory:")

from .base import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405  (WhiteNoise expects it)
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", True)  # noqa: F405
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "memory://")
AXES_ENABLED = env_bool("AXES_ENABLED", False)  # noqa: F405
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Per-process memory keeps the suite fast; tests of the shared counts start processes
# on the file cache or on Redis (the PostgreSQL leg sets CACHE_URL).
if not (os.environ.get("CACHE_URL") or os.environ.get("CACHE_BACKEND")):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "mcqa"}
    }
REST_FRAMEWORK = {**REST_FRAMEWORK}  # noqa: F405
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    "registry": os.environ.get("REGISTRY_THROTTLE_RATE", "100000/minute"),
    "auth": os.environ.get("AUTH_THROTTLE_RATE", "100000/minute"),
}
# Tests that roll back their transaction would leave answers cached that no commit ever
# invalidates: the verify cache is on only in the tests made for it (and the benchmark).
REGISTRY_VERIFY_CACHE = env_bool("REGISTRY_VERIFY_CACHE", False)  # noqa: F405
