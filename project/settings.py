"""Settings, all read from environment variables with embedded defaults.

The defaults give a self-contained development setup: SQLite under var/ and an
in-memory channel layer. Production needs only variables: DATABASE_URL for
PostgreSQL, REDIS_URL for the channel layer, DJANGO_SECRET_KEY, DJANGO_DEBUG=0,
DJANGO_ALLOWED_HOSTS.
"""
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG=0")
    # Development only: a fixed key so that sessions survive restarts of `make run`.
    SECRET_KEY = "dev-insecure-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "guardian",
    "channels",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files among our static files: no CDN
    "django_tasks",     # the Tasks API (django.tasks from Django 6 on)
    "django_tasks_db",  # its database backend: the queue is a table (see "background tasks" below)
    "audit",
    "content",
    "reviewers",
    "workflow",
    "reporting",
    "project",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Django's SessionMiddleware, except that a request marked passive (autosave,
    # session status) leaves the stored session and its idle expiry untouched.
    "project.middleware.IdleSessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "project.middleware.LoginRedirectMiddleware",
    "project.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "project.middleware.DomainErrorMiddleware",
]

ROOT_URLCONF = "project.urls"
WSGI_APPLICATION = None
ASGI_APPLICATION = "project.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "project" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "project.web.context.navigation",
                "project.web.context.session_guard",
            ],
        },
    },
]

DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock at BEGIN, so two writers queue
    # instead of failing with "database is locked" when a reader upgrades.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "content.User"

AUTHENTICATION_BACKENDS = [
    "project.auth_backends.LockoutModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login-failure handling: this many consecutive failures lock the user for
# LOGIN_LOCK_MINUTES (common assessor values for GB/T 22239: 5 and 30).
LOGIN_MAX_FAILURES = int(os.environ.get("LOGIN_MAX_FAILURES", "5"))
LOGIN_LOCK_MINUTES = int(os.environ.get("LOGIN_LOCK_MINUTES", "30"))

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "project" / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# ---------------------------------------------------------------- editor: image uploads
# Largest image an editor may upload (bytes); PNG, JPEG, GIF, WebP only (by content).
IMAGE_MAX_BYTES = int(os.environ.get("IMAGE_MAX_BYTES", str(5 * 1024 * 1024)))

# ---------------------------------------------------------------- editor and review form: autosave (work in progress)
# The pages save unsaved form content (content.models.WorkInProgress) this
# often while it changes, and when the page is left or hidden.
AUTOSAVE_INTERVAL_SECONDS = int(os.environ.get("AUTOSAVE_INTERVAL_SECONDS", "15"))
# Largest work in progress kept for one form (bytes of its JSON); larger is refused (400).
WORK_IN_PROGRESS_MAX_BYTES = int(os.environ.get("WORK_IN_PROGRESS_MAX_BYTES", str(2 * 1024 * 1024)))
# Work in progress not saved again for this many days is deleted (on the owner's
# next autosave, and by `manage.py purge_work_in_progress`) and never restored.
WORK_IN_PROGRESS_TTL_DAYS = int(os.environ.get("WORK_IN_PROGRESS_TTL_DAYS", "30"))

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}}}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# Notifications (workflow.notifications) also go by e-mail to recipients with an address; 0 turns that off.
NOTIFY_EMAIL = env_bool("NOTIFY_EMAIL", True)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "noreply@localhost")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(30 * 60)))
SESSION_SAVE_EVERY_REQUEST = True  # idle timeout rather than absolute
# ... except for requests that are not the user's doing (autosave, the session
# status the pages poll): project.middleware.IdleSessionMiddleware does not
# save those, so they never extend the idle session.
# Every signed-in page warns this many seconds before the idle session ends,
# with a button 保持登录 (project/static/web/session.js).
SESSION_WARN_SECONDS = int(os.environ.get("SESSION_WARN_SECONDS", "180"))
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# ---------------------------------------------------------------- REST API (project/api, /api/v1/)
REST_FRAMEWORK = {
    # Token first: an unauthenticated request gets 401 with WWW-Authenticate: Token.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "project.api.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["project.api.parsers.StrictJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "project.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "project.api.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {"auth_token": os.environ.get("API_TOKEN_THROTTLE_RATE", "10/min")},
    # Throttles key on the client address; X-Forwarded-For only behind as many trusted proxies.
    "NUM_PROXIES": int(os.environ.get("TRUSTED_PROXY_COUNT", "0")),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
API_TOKEN_TTL_HOURS = int(os.environ.get("API_TOKEN_TTL_HOURS", "12"))
SPECTACULAR_SETTINGS = {
    "TITLE": "教育系统新媒体内容审核发布系统 API",
    "DESCRIPTION": "账号备案、稿件、分级审核、发布、撤稿与审计日志。错误统一为 "
                   "{\"code\", \"detail\", \"fields\"}。",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The documentation UI comes from our own static files (drf-spectacular-sidecar), never a CDN: a
    # government intranet reaches no CDN, and the page loads no script inline (project/api/urls.py).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # validatorUrl: null, or Swagger UI shows a badge fetched from validator.swagger.io.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {"VerdictEnum": "reviewers.models.VERDICT_CHOICES"},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "project.api.schema.forbid_unknown_request_properties",
    ],
}

# ---------------------------------------------------------------- statistics: the dormant-account watch (僵尸号)
# Days without a (non-retracted) publication after which an open account is
# flagged: warn, escalate, fail (the national indicators fail at 14 days).
DORMANT_WARN_DAYS = int(os.environ.get("DORMANT_WARN_DAYS", "7"))
DORMANT_ESCALATE_DAYS = int(os.environ.get("DORMANT_ESCALATE_DAYS", "10"))
DORMANT_FAIL_DAYS = int(os.environ.get("DORMANT_FAIL_DAYS", "14"))

# ---------------------------------------------------------------- background tasks and periodic jobs
# Django's Tasks API with the database backend of django-tasks-db: a task enqueued inside a
# service's transaction commits or rolls back with it. `manage.py db_worker` runs them (several
# workers, on one machine or several, share the one queue); `manage.py run_periodic` enqueues the
# jobs of project/periodic.py once per period.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# A task that meets a transient error (network, mail server, a locked database) is enqueued again
# with back-off: TASK_RETRY_BASE_SECONDS, then twice as long each time, TASK_MAX_ATTEMPTS in all;
# then it is recorded as failed (admin: 失败的后台任务) and logged.
TASK_MAX_ATTEMPTS = int(os.environ.get("TASK_MAX_ATTEMPTS", "5"))
TASK_RETRY_BASE_SECONDS = int(os.environ.get("TASK_RETRY_BASE_SECONDS", "60"))
# Finished task records are deleted after this many days (failed ones after twice as long).
TASK_RESULT_RETENTION_DAYS = int(os.environ.get("TASK_RESULT_RETENTION_DAYS", "14"))
# A reviewer is reminded of a task he may decide this many hours before it is due.
REVIEW_DUE_SOON_HOURS = int(os.environ.get("REVIEW_DUE_SOON_HOURS", "4"))
# Where the file e-mail backend (django.core.mail.backends.filebased.EmailBackend) writes.
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
