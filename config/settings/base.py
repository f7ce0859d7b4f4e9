"""Settings shared by every environment; every deployment value comes from the environment.

Defaults give a working single-machine setup (SQLite, kombu's filesystem broker);
`DATABASE_URL` and `CELERY_BROKER_URL` switch to PostgreSQL and Redis.
"""

import ipaddress
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("MCQA_VAR_DIR", BASE_DIR / "var"))


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name, default):
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not (DEBUG or env_bool("MCQA_ALLOW_INSECURE_KEY")):
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set outside debug and demo mode")
    SECRET_KEY = "insecure-development-key-never-use-in-production"  # noqa: S105
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# Demo accounts (password "demo") may only be created when this is on; production never sets it.
MCQA_DEMO_MODE = env_bool("MCQA_DEMO_MODE", False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "axes",
    "core",
    "accreditation",
    "reviews",
    "registry",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.SecurityHeadersMiddleware",
    "core.middleware.RejectNulQueryMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.PageLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "autoescape": True,
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.site",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None

# The client address of rate limits and the login lock-out (core.clients.client_address):
# the socket peer, unless it lies in one of these networks (CIDR, comma-separated), the
# reverse proxies in front of the site; then the nearest address in X-Forwarded-For that
# is not one of them. Empty (the default): X-Forwarded-For is never believed.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
for _network in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError as exc:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {_network!r} is not a network") from exc

# Login throttling: lock a username+address pair after repeated failures.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_CLIENT_IP_CALLABLE = "core.clients.client_address"

# The pages, e-mails and PDF reports are in English and German (gettext catalogues under
# locale/, compiled .mo files committed so the demo needs no gettext tools). The API
# answers in English whatever Accept-Language says: integrators match on its words.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "mcqa_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
FORMAT_MODULE_PATH = ["config.formats"]  # English dates "3 December 2026"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Uploads: dossier documents are PDF only, stored whole with their checksum or not at all.
MCQA_UPLOAD_MAX_BYTES = env_int("MCQA_UPLOAD_MAX_BYTES", 20 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# The agency and its procedure.
MCQA_AGENCY_NAME = os.environ.get("MCQA_AGENCY_NAME", "Micro-credential Quality Agency")
MCQA_SITE_URL = os.environ.get("MCQA_SITE_URL", "http://127.0.0.1:8000")
# The agency as the interoperable formats name it (ELM accreditations, DEQAR export):
# acronym, country (ISO 3166-1 alpha-2; the jurisdiction of its accreditations), its
# DEQAR agency id (else DEQAR matches the acronym), whether it is registered on EQAR,
# its did:web identifier (empty: derived from MCQA_SITE_URL), the DEQAR names of its two
# activities, and the DEQAR report status (1 obligatory EQA system, 2 voluntary).
MCQA_AGENCY_ACRONYM = os.environ.get("MCQA_AGENCY_ACRONYM", "MCQA")
MCQA_AGENCY_COUNTRY = os.environ.get("MCQA_AGENCY_COUNTRY", "BE")
MCQA_AGENCY_DEQAR_ID = os.environ.get("MCQA_AGENCY_DEQAR_ID", "")
MCQA_AGENCY_DEQAR_ACTIVITY_INSTITUTIONAL = os.environ.get(
    "MCQA_AGENCY_DEQAR_ACTIVITY_INSTITUTIONAL", "institutional accreditation"
)
MCQA_AGENCY_DEQAR_ACTIVITY_PROGRAMME = os.environ.get(
    "MCQA_AGENCY_DEQAR_ACTIVITY_PROGRAMME", "programme accreditation"
)
MCQA_AGENCY_DEQAR_REPORT_STATUS = os.environ.get("MCQA_AGENCY_DEQAR_REPORT_STATUS", "2")
MCQA_AGENCY_EQAR_REGISTERED = env_bool("MCQA_AGENCY_EQAR_REGISTERED", False)
MCQA_AGENCY_DID = os.environ.get("MCQA_AGENCY_DID", "")
MCQA_VALIDITY_YEARS = env_int("MCQA_VALIDITY_YEARS", 5)
MCQA_APPEAL_WINDOW_DAYS = env_int("MCQA_APPEAL_WINDOW_DAYS", 30)
MCQA_COI_COOLING_OFF_YEARS = env_int("MCQA_COI_COOLING_OFF_YEARS", 3)
# A reviewer's training counts as current for this many years when ranking panel candidates.
MCQA_REVIEWER_TRAINING_YEARS = env_int("MCQA_REVIEWER_TRAINING_YEARS", 3)
MCQA_REMINDER_DAYS_BEFORE = env_int("MCQA_REMINDER_DAYS_BEFORE", 3)
# Follow-up reminders to the provider: days before a condition is due, and months before
# an accreditation's validity ends (its renewal is due), each sent once.
MCQA_CONDITION_REMINDER_DAYS = [int(v) for v in env_list("MCQA_CONDITION_REMINDER_DAYS", "30,7")]
MCQA_EXPIRY_REMINDER_MONTHS = [int(v) for v in env_list("MCQA_EXPIRY_REMINDER_MONTHS", "12,6")]
# Days allowed in each waiting state before it is due (per agency; override one by one).
MCQA_DEADLINE_DAYS = {
    "submitted": env_int("MCQA_DEADLINE_SUBMITTED_DAYS", 7),
    "screening": env_int("MCQA_DEADLINE_SCREENING_DAYS", 14),
    "returned": env_int("MCQA_DEADLINE_RETURNED_DAYS", 30),
    "clarification_requested": env_int("MCQA_DEADLINE_CLARIFICATION_DAYS", 14),
    "in_review": env_int("MCQA_DEADLINE_IN_REVIEW_DAYS", 60),
    "factual_check": env_int("MCQA_DEADLINE_FACTUAL_CHECK_DAYS", 14),
    "decision_pending": env_int("MCQA_DEADLINE_DECISION_DAYS", 30),
    "appealed": env_int("MCQA_DEADLINE_APPEAL_DAYS", 30),
    "assignment": env_int("MCQA_DEADLINE_ASSIGNMENT_RESPONSE_DAYS", 7),
}
# Lists at scale (issue 18.9): rows per page of a staff list, and rows of a home queue
# (the rest is one "show all" link away, with the queue's true count).
MCQA_LIST_PAGE_SIZE = env_int("MCQA_LIST_PAGE_SIZE", 50)
MCQA_HOME_QUEUE_SIZE = env_int("MCQA_HOME_QUEUE_SIZE", 10)

# E-mail: console in demo, SMTP (EMAIL_HOST ...) in production.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "qa-agency@localhost")

# Celery: a real broker always (filesystem:// for the quick start, Redis in production).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        # The worker polls the folder; kombu's default of 1 s lets one task through per
        # second (prefetch 1, acks late), too slow for the burst a seeded demo queues.
        "polling_interval": 0.1,
    }
    CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_MAX_TASKS_PER_CHILD = env_int("CELERY_WORKER_MAX_TASKS_PER_CHILD", 200)
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env_int("CELERY_WORKER_MAX_MEMORY_PER_CHILD", 400_000)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 60)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 90)
# Report renders: a worker claims a render for longer than the render task's hard time
# limit (60 s), so a claim runs out only when its worker died (SIGKILL, out of memory);
# the sweep then hands the render to another worker. Lost render: back in the queue
# within lease + one sweep period (105 s by default). A queued render nobody claimed
# (its task was lost with the broker) is queued again after REPORT_UNCLAIMED_SECONDS.
REPORT_RENDER_LEASE_SECONDS = env_int("REPORT_RENDER_LEASE_SECONDS", 75)
REPORT_UNCLAIMED_SECONDS = env_int("REPORT_UNCLAIMED_SECONDS", 60)
REPORT_SWEEP_SECONDS = env_int("REPORT_SWEEP_SECONDS", 30)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Every periodic task of the project, in one place (names are the tasks' registered names).
CELERY_BEAT_SCHEDULE = {
    # Deadlines: reminders, lapsed factual-accuracy checks, expiry, overdue conditions.
    "accreditation-deadlines": {
        "task": "accreditation.run_deadlines",
        "schedule": timedelta(minutes=env_int("MCQA_DEADLINE_SWEEP_MINUTES", 15)),
    },
    # Follow-up: conditions coming due, validity ending (renewal); each reminder once.
    "accreditation-follow-up-reminders": {
        "task": "accreditation.send_follow_up_reminders",
        "schedule": crontab(minute=30),
    },
    # Panel members who have not answered an invitation or judged in time.
    "reviews-assignment-reminders": {
        "task": "reviews.tasks.send_assignment_reminders",
        "schedule": crontab(minute=15, hour="*/6"),
    },
    # Re-queue lost and failed report renders, and publications whose task was lost.
    "reviews.sweep-reports": {
        "task": "reviews.sweep_reports",
        "schedule": float(REPORT_SWEEP_SECONDS),
        "options": {"expires": max(REPORT_SWEEP_SECONDS - 1, 1)},
    },
    # Project history rows the after-commit projection missed.
    "registry.sweep": {"task": "registry.sync", "schedule": 60.0, "options": {"expires": 55}},
}
CELERY_TIMEZONE = "UTC"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PARSER_CLASSES": [
        "core.api.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "registry": os.environ.get("REGISTRY_THROTTLE_RATE", "300/minute"),
        "auth": os.environ.get("AUTH_THROTTLE_RATE", "20/minute"),
    },
}
# API tokens (django-rest-knox): stored as a SHA-512 digest, never as the key; each
# login issues a new one that expires after API_TOKEN_TTL_DAYS; `Authorization: Token`.
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=env_int("API_TOKEN_TTL_DAYS", 30)),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Micro-credential QA and accreditation API",
    "DESCRIPTION": "Workflow API for providers, panels and decision bodies, "
    "and the public registry of trusted providers.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a `kind`, `state` or `status`; name each choice set once.
    "ENUM_NAME_OVERRIDES": {
        "ApplicationKindEnum": "accreditation.models.Application.Kind",
        "DocumentKindEnum": "accreditation.models.Document.Kind",
        "ApplicationStateEnum": "accreditation.models.ApplicationState",
        "AccreditationStatusEnum": "accreditation.models.AccreditationStatus",
        "ConditionStatusEnum": "accreditation.models.Condition.Status",
        "ComplaintStatusEnum": "accreditation.models.Complaint.Status",
        "PanelAssignmentStateEnum": "reviews.models.PanelAssignment.State",
        "PanelRoleEnum": "reviews.models.PanelAssignment.Role",
        "ChangeRequestStatusEnum": "accreditation.models.ProviderChangeRequest.Status",
        # The registry's public documents spell statuses and outcomes as plain codes.
        "RegistryAccreditationStatusEnum": [
            *("active", "suspended", "revoked", "expired", "annulled"),
        ],
        "DecisionOutcomeEnum": ["positive", "positive_with_conditions", "negative"],
    },
    # Operations that need authentication also document their 401 (see core.api).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.document_unauthenticated_answers",
    ],
}

# Throttle counts live in the default cache, so it must be one that every process of
# the site shares: Redis (CACHE_URL) in production, a folder of files on one machine
# (the default, which the demo's web workers, Celery worker and beat all see).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "cache"),
    }
}
if os.environ.get("CACHE_BACKEND"):
    CACHES["default"] = {
        "BACKEND": os.environ["CACHE_BACKEND"],
        "LOCATION": os.environ.get("CACHE_LOCATION", "mcqa"),
    }
if os.environ.get("CACHE_URL", "").startswith("redis://"):
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["CACHE_URL"],
    }

# The registry's signing keys live in the database; the private halves are encrypted
# with a key derived from this secret (defaults to SECRET_KEY).
REGISTRY_KEY_SECRET = os.environ.get("REGISTRY_KEY_SECRET", "")
# How long verifiers may cache /.well-known/jwks.json and did.json (Cache-Control); a
# rotated-in key is published this long (plus 30 s) before it signs anything.
REGISTRY_JWKS_MAX_AGE = env_int("REGISTRY_JWKS_MAX_AGE", 300)
# How long verifiers may cache a status list (Cache-Control max-age of the status lists).
REGISTRY_STATUS_LIST_MAX_AGE = env_int("REGISTRY_STATUS_LIST_MAX_AGE", 30)
# The verify query is a prepared statement on PostgreSQL; turn off behind a connection
# pooler in transaction mode that does not track prepared statements.
REGISTRY_PREPARED_STATEMENTS = env_bool("REGISTRY_PREPARED_STATEMENTS", True)
# Each web process keeps the verify answers it computed until PostgreSQL notifies a
# change to what they were read from (registry/verify_cache.py); at most this long.
REGISTRY_VERIFY_CACHE = env_bool("REGISTRY_VERIFY_CACHE", True)
REGISTRY_VERIFY_CACHE_SECONDS = env_int("REGISTRY_VERIFY_CACHE_SECONDS", 60)
# Mounts /bench/constant/ (the benchmark's baseline view); never on in production.
MCQA_BENCH_VIEWS = env_bool("MCQA_BENCH_VIEWS", False)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
SPECTACULAR_SETTINGS.update(
    {
        "SWAGGER_UI_DIST": "SIDECAR",
        "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
        "REDOC_DIST": "SIDECAR",
    }
)
