"""Settings read from the environment, with safe production defaults.

DEBUG is off unless DJANGO_DEBUG=1; outside DEBUG and tests DJANGO_SECRET_KEY is
required. SQLite is the embedded default; DATABASE_URL selects PostgreSQL.
"""

import os
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


TESTING = "pytest" in sys.modules or sys.argv[1:2] == ["test"]
DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG or TESTING:
        SECRET_KEY = "dev-only-insecure-key-doanso-never-use-in-production-0123456789"
    else:
        raise ImproperlyConfigured("Set DJANGO_SECRET_KEY (a long random string) or DJANGO_DEBUG=1 for development.")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost" if (DEBUG or TESTING) else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "doanso.core",
    "doanso.accounts",
    "doanso.organisations",
    "doanso.members",
    "doanso.procedures",
    "django_q",
    "doanso.jobs",
    "doanso.training",
    "doanso.evaluation",
    "doanso.dues",
    "doanso.dashboards",
    "doanso.reports",
    "doanso.imports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "doanso" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "doanso.procedures.context.inbox",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'doanso.sqlite3'}"),
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["doanso.accounts.backends.OfficialOrMemberBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Vietnamese everywhere a person reads; dates dd/mm/yyyy; Asia/Ho_Chi_Minh.
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt")]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["doanso.core.formats"]
# Ids in URLs and forms must never be grouped ("3.291"); counts use |intcomma where shown.
USE_THOUSAND_SEPARATOR = False

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "doanso" / "static", ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist")]
WHITENOISE_USE_FINDERS = DEBUG or TESTING
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if (DEBUG or TESTING)
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": None,
    "EXCEPTION_HANDLER": "doanso.core.api.exception_handler",
    "DATE_FORMAT": "%Y-%m-%d",
    "DATE_INPUT_FORMATS": ["%Y-%m-%d", "%d/%m/%Y"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Đoàn Số API",
    "DESCRIPTION": "API cho ứng dụng di động: cây tổ chức, đoàn viên, tài khoản. Xác thực bằng token.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Security: strict unless DEBUG. Behind a TLS proxy set DJANGO_SECURE_PROXY_SSL_HEADER=1.
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not TESTING)
    SESSION_COOKIE_SECURE = env_bool("DJANGO_SESSION_COOKIE_SECURE", not TESTING)
    CSRF_COOKIE_SECURE = env_bool("DJANGO_CSRF_COOKIE_SECURE", not TESTING)
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER"):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
}

# E-mail: set DJANGO_EMAIL_HOST (and port/user/password) to also e-mail the officials of the unit
# a procedure now waits for; without it the in-app inbox is the only notice.
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("DJANGO_EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("DJANGO_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("DJANGO_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_TLS", True)
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "doanso@localhost")
EMAIL_NOTIFICATIONS = bool(EMAIL_HOST) or env_bool("DJANGO_EMAIL_NOTIFICATIONS", False)

# Page size of member lists (web and API).
MEMBER_PAGE_SIZE = 20

# Background jobs (doanso.jobs) run on django-q2. JOBS_BACKEND: "database" (default: the queue lives in
# the database, no extra server; `manage.py qcluster` is the worker, `make run` starts one beside
# runserver), "redis" (the queue lives in REDIS_URL; run `manage.py qcluster` on as many machines as
# needed, all on the same database and JOBS_ROOT), or "sync" (the job runs inside the request).
JOBS_BACKEND = os.environ.get("JOBS_BACKEND", "database")
if JOBS_BACKEND not in {"database", "redis", "sync"}:
    raise ImproperlyConfigured("JOBS_BACKEND must be database, redis or sync.")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
# Result files of jobs (exports): a directory shared by the web servers and the workers, never the repo.
JOBS_ROOT = Path(os.environ.get("JOBS_ROOT", str(BASE_DIR / "var" / "jobs")))
JOBS_KEEP_DAYS = int(os.environ.get("JOBS_KEEP_DAYS", "7"))
JOBS_PDF_MAX_ROWS = int(os.environ.get("JOBS_PDF_MAX_ROWS", "250000"))
# Imports in the browser/API (doanso.imports): the largest file accepted, where uploads are kept, and the
# size up to which a file is checked and written inside the request (larger ones run as a background job).
IMPORT_MAX_MB = int(os.environ.get("IMPORT_MAX_MB", "20"))
IMPORT_ROOT = Path(os.environ.get("IMPORT_ROOT", str(BASE_DIR / "var" / "imports")))
IMPORT_SYNC_MAX_KB = int(os.environ.get("IMPORT_SYNC_MAX_KB", "256"))
_jobs_timeout = int(os.environ.get("JOBS_TIMEOUT", "3600"))
Q_CLUSTER = {
    "name": "doanso",
    "workers": int(os.environ.get("JOBS_WORKERS", "2")),
    "timeout": _jobs_timeout,
    "retry": _jobs_timeout + 600,
    "max_attempts": 1,  # a failed job is recorded on the Job row; the person starts it again
    "ack_failures": True,
    "save_limit": 100,
    "catch_up": False,
    "poll": 1,
}
if JOBS_BACKEND == "redis":
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
