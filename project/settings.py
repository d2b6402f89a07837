"""Settings, all read from environment variables.

Production is the default: DEBUG is off unless DJANGO_DEBUG=1, and then
DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS must be set or start-up stops with a
message naming what is missing. A development checkout gets DJANGO_DEBUG=1 and
LOG_FORMAT=text from ``var/dev.env``, which the Makefile writes and which is
read only when it exists, and only for variables the environment does not set
(a production installation has no such file and sets DJANGO_DEBUG=0 anyway).
The other defaults give the embedded setup: SQLite under var/, an in-memory
channel layer and a local-memory cache; DATABASE_URL (PostgreSQL) and
REDIS_URL (channel layer and cache) make it the shared, multi-process one.
The table of variables is in README.md and docs/deployment.md.
"""
import base64
import hashlib
import os
import sys
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# Development defaults of this checkout (written by `make`): only for variables not already set.
DEV_ENV_FILE = VAR_DIR / "dev.env"


def read_env_file(path):
    """``KEY=VALUE`` lines (``#`` comments, optional quotes) into os.environ, never
    overriding a variable that is already set. Returns the names it set."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    applied = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = (part.strip() for part in line.split("=", 1))
        if key.startswith("export "):
            key = key[len("export "):].strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        if key and key not in os.environ:
            os.environ[key] = value
            applied.append(key)
    return applied


read_env_file(DEV_ENV_FILE)


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


DEBUG = env_bool("DJANGO_DEBUG", False)
# Development only: a fixed key so that sessions survive restarts of `make run`.
DEV_SECRET_KEY = "dev-insecure-key-do-not-use-in-production"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "").strip()
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", [])


def production_settings_problems(*, secret_key, allowed_hosts):
    """What stops a start-up with DEBUG off: each missing variable, explained."""
    problems = []
    if not secret_key:
        problems.append("DJANGO_SECRET_KEY is not set: a long random string kept secret, e.g. the output of\n"
                        "    python3 -c 'import secrets; print(secrets.token_urlsafe(50))'")
    elif secret_key == DEV_SECRET_KEY:
        problems.append("DJANGO_SECRET_KEY is the development key: set a long random string of your own")
    if not allowed_hosts:
        problems.append("DJANGO_ALLOWED_HOSTS is not set: the host names this site answers to, comma-separated,\n"
                        "    e.g. review.example.edu.cn")
    return problems


if DEBUG:
    SECRET_KEY = SECRET_KEY or DEV_SECRET_KEY
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "[::1]", "testserver"]
else:
    _problems = production_settings_problems(secret_key=SECRET_KEY, allowed_hosts=ALLOWED_HOSTS)
    if _problems:
        # A clear message and a non-zero exit instead of a traceback: manage.py, the ASGI server and
        # the task workers all stop here.
        sys.stderr.write(
            "error: DJANGO_DEBUG is off (production settings), and start-up needs:\n"
            + "".join(f"  - {problem}\n" for problem in _problems)
            + "For development, set DJANGO_DEBUG=1 (the Makefile's development targets do, through var/dev.env).\n")
        raise SystemExit(2)
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
    "axes",             # login-failure handling (project.lockout)
    "django_otp",       # two factors (content.services.second_factor_*): TOTP devices and recovery codes
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "audit",
    "content",
    "reviewers",
    "workflow",
    "operations",
    "reporting",
    "project",
]

MIDDLEWARE = [
    # One JSON log line per request, with the request id (the audit log's correlation id, X-Request-ID).
    "project.logs.RequestLogMiddleware",
    # GET /healthz and /readyz, answered before the host check and the HTTPS redirect (probes use plain HTTP).
    "project.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy (django-csp) and Permissions-Policy, on every response
    "csp.middleware.CSPMiddleware",
    "project.middleware.SecurityHeadersMiddleware",
    # Static files (compressed, hashed names, far-future caching); uploads stay behind checked views.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Django's SessionMiddleware, except that a request marked passive (autosave,
    # session status) leaves the stored session and its idle expiry untouched.
    "project.middleware.IdleSessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # django-axes' own (it answers nothing by itself here: project.lockout refuses through the login form).
    "axes.middleware.AxesMiddleware",
    # POST /login/ and /admin/login/: at most LOGIN_RATE_LIMIT per source address.
    "project.middleware.LoginRateLimitMiddleware",
    "project.middleware.LoginRedirectMiddleware",
    "project.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Sessions end SESSION_ABSOLUTE_HOURS after signing in; a password that must change
    # (new, set by an administrator, too old) is changed before anything else.
    "project.middleware.SignInPolicyMiddleware",
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
DATABASES = {"default": dj_database_url.parse(DATABASE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock at BEGIN, so two writers queue
    # instead of failing with "database is locked" when a reader upgrades.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL: persistent connections with health checks, so that after a database
    # restart the requests made while it is down fail (503, project.errors) and the next
    # ones reconnect, with no process restart.
    # Under ASGI, Django's per-thread persistent connections (CONN_MAX_AGE > 0) are never
    # reused: every request runs in a thread of its own, and each left one more idle
    # connection open (measured: 52 open after 80 requests). So the ASGI workers, and
    # every other process, keep their connections in psycopg's pool (DB_POOL=1, the
    # default), which with CONN_HEALTH_CHECKS checks a connection before lending it;
    # DB_POOL=0 falls back to CONN_MAX_AGE (DB_CONN_MAX_AGE, default 0; above 0 only
    # for single-threaded processes) with the same health checks.
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    # A server that does not answer is an outage, not a hung request.
    _options.setdefault("connect_timeout", int(os.environ.get("DB_CONNECT_TIMEOUT", "5")))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = env_bool("DB_CONN_HEALTH_CHECKS", True)
    if env_bool("DB_POOL", True):
        DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps the connections (Django requires 0)
        _options["pool"] = {
            "min_size": int(os.environ.get("DB_POOL_MIN_SIZE", "2")),
            "max_size": int(os.environ.get("DB_POOL_MAX_SIZE", "10")),
            # A request waits this long for a free connection, then fails with 503.
            "timeout": float(os.environ.get("DB_POOL_TIMEOUT", "3")),
            # While the server is away the pool retries with a doubling delay, and gives up
            # (and starts afresh on the next request) after this: a short one keeps the
            # delay short, so that the workers are back within seconds of the server.
            "reconnect_timeout": float(os.environ.get("DB_POOL_RECONNECT_TIMEOUT", "5")),
        }
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("DB_CONN_MAX_AGE", "0"))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "content.User"

AUTHENTICATION_BACKENDS = [
    "project.auth_backends.LockoutBackend",
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row

AUTH_PASSWORD_VALIDATORS = [
    # Django's four, with Chinese messages (content.passwords)
    {"NAME": "content.passwords.UserAttributeSimilarityValidator"},
    {"NAME": "content.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "content.passwords.CommonPasswordValidator"},
    {"NAME": "content.passwords.NumericPasswordValidator"},
    # at least three of upper case, lower case, digits and symbols; none of the last PASSWORD_HISTORY
    {"NAME": "content.passwords.CharacterClassesValidator"},
    {"NAME": "content.passwords.PasswordHistoryValidator"},
]
# A password older than this many days must be changed at the next sign-in before anything
# else, on the pages and the API (0: no maximum age); the last PASSWORD_HISTORY passwords
# cannot be used again.
PASSWORD_MAX_AGE_DAYS = int(os.environ.get("PASSWORD_MAX_AGE_DAYS", "90"))
PASSWORD_HISTORY = 5

# Login-failure handling: this many consecutive failures lock the user for
# LOGIN_LOCK_MINUTES (common assessor values for GB/T 22239: 5 and 30).
LOGIN_MAX_FAILURES = int(os.environ.get("LOGIN_MAX_FAILURES", "5"))
LOGIN_LOCK_MINUTES = int(os.environ.get("LOGIN_LOCK_MINUTES", "30"))
# django-axes (project.lockout): failures counted per normalised username and, separately,
# per source address (project.shared.net.client_address); the attempt is reserved before the hash.
# (Both read LOGIN_MAX_FAILURES and LOGIN_LOCK_MINUTES when asked: one setting each.)
AXES_FAILURE_LIMIT = "project.lockout.failure_limit"
AXES_COOLOFF_TIME = "project.lockout.cool_off"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_HANDLER = "project.lockout.LockoutHandler"
AXES_USERNAME_CALLABLE = "project.lockout.normalised_username"
AXES_CLIENT_IP_CALLABLE = "project.lockout.axes_client_address"
AXES_RESET_ON_SUCCESS = True

# Two factors (GB/T 22239 8.1.4.1 d): the roles that must sign in with a TOTP code (or one of
# their ten one-time recovery codes) after the password, on the pages, the admin and the API
# token; superusers always; anyone else may enrol on 我的账号 → 双因素认证. Comma list of role codes.
MFA_REQUIRED_ROLES = env_list("MFA_REQUIRED_ROLES", [
    "publisher", "system_admin", "security_admin", "auditor"])
# The step between the right password and the code: this long, then the password again.
MFA_PENDING_SECONDS = int(os.environ.get("MFA_PENDING_SECONDS", "300"))
# django-otp: the issuer the authenticator app shows; its own per-device throttling is off,
# because a wrong code is a login failure of project.lockout (one counter, 5 per 30 minutes).
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "新媒体审核发布")
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0
AXES_DISABLE_ACCESS_LOG = True  # the audit log records sign-ins
AXES_ENABLE_ACCESS_FAILURE_LOG = False  # ... and failures
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_ENABLE_ADMIN = False  # unlocking is the audited service (project.lockout.login_lock_release), not a delete
AXES_VERBOSE = False
# Sign-in form posts (/login/, /admin/login/) per source address: "<n>/<s|min|h>".
LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10/min")

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise scans it at start-up, collected or not
STATICFILES_DIRS = [BASE_DIR / "project" / "static"]
# Served by WhiteNoise. Without DEBUG: `collectstatic` writes hashed names (app.3f2a….css)
# and gzip/brotli copies, served with a year's Cache-Control; with DEBUG the files
# are served from their sources as they change.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage" if DEBUG
                    else "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# ---------------------------------------------------------------- editor: image uploads
# Largest image an editor may upload (bytes); PNG, JPEG, GIF, WebP only (by content).
IMAGE_MAX_BYTES = int(os.environ.get("IMAGE_MAX_BYTES", str(5 * 1024 * 1024)))
# The most pixels an uploaded image may declare (checked from its header before decoding).
IMAGE_MAX_PIXELS = int(os.environ.get("IMAGE_MAX_PIXELS", str(40_000_000)))
# Largest evidence file (a screenshot or a PDF) of a patrol, a problem or a counterfeit report (bytes).
EVIDENCE_MAX_BYTES = int(os.environ.get("EVIDENCE_MAX_BYTES", str(10 * 1024 * 1024)))

# ---------------------------------------------------------------- editor and review form: autosave (work in progress)
# The pages save unsaved form content (content.models.WorkInProgress) this
# often while it changes, and when the page is left or hidden.
AUTOSAVE_INTERVAL_SECONDS = int(os.environ.get("AUTOSAVE_INTERVAL_SECONDS", "15"))
# Largest work in progress kept for one form (bytes of its JSON); larger is refused (400).
WORK_IN_PROGRESS_MAX_BYTES = int(os.environ.get("WORK_IN_PROGRESS_MAX_BYTES", str(2 * 1024 * 1024)))
# Work in progress not saved again for this many days is deleted (on the owner's
# next autosave, and by `manage.py purge_work_in_progress`) and never restored.
WORK_IN_PROGRESS_TTL_DAYS = int(os.environ.get("WORK_IN_PROGRESS_TTL_DAYS", "30"))

# Redis, when REDIS_URL is set, carries the channel layer (websocket events reach the
# clients of every ASGI worker) and the cache (API throttles and other counters are
# shared by all workers). Without it both live in each process's memory.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    # The layer waits for messages with BZPOPMIN for up to 5 s on the server; redis-py's
    # default read timeout is also 5 s, so an idle socket's read could time out first and
    # close the page's websocket. Reads therefore wait longer than the server-side block.
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer",
                                  # health_check_interval: a pooled connection idle that long is PINGed (and
                                  # replaced) before use, so the first sockets after a Redis restart do not
                                  # fail on a connection the server closed.
                                  "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 30,
                                                        "socket_connect_timeout": 5,
                                                        "health_check_interval": 2}]}}}
    # Django's Redis cache, except that an unreachable Redis is a cache miss, not an error (project/cache.py).
    CACHES = {"default": {"BACKEND": "project.cache.ForgivingRedisCache", "LOCATION": REDIS_URL,
                          "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "review"),
                          "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2}}}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# The mail server of the SMTP backend (django.core.mail.backends.smtp.EmailBackend).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30")) or None
# Notifications (workflow.notifications) also go by e-mail to recipients with an address; 0 turns that off.
NOTIFY_EMAIL = env_bool("NOTIFY_EMAIL", True)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "noreply@localhost")

SESSION_COOKIE_HTTPONLY = True
# The idle timeout: SESSION_IDLE_MINUTES (30), or in seconds SESSION_COOKIE_AGE (which wins when set).
SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "30"))
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(SESSION_IDLE_MINUTES * 60)))
SESSION_SAVE_EVERY_REQUEST = True  # idle timeout rather than absolute
# ... except for requests that are not the user's doing (autosave, the session
# status the pages poll): project.middleware.IdleSessionMiddleware does not
# save those, so they never extend the idle session.
# Every signed-in page warns this many seconds before the idle session ends,
# with a button 保持登录 (project/static/web/session.js).
SESSION_WARN_SECONDS = int(os.environ.get("SESSION_WARN_SECONDS", "180"))
# However active, a browser session ends this many hours after signing in (project.middleware.SignInPolicyMiddleware).
SESSION_ABSOLUTE_HOURS = float(os.environ.get("SESSION_ABSOLUTE_HOURS", "12"))
# The installation's superuser (a username); `manage.py check` warns (project.W001) while any other
# superuser is active. Empty: the first superuser created (createsuperuser at installation).
INSTALLATION_SUPERUSER = os.environ.get("INSTALLATION_SUPERUSER", "").strip()
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# SameSite for the session and CSRF cookies (Lax: sent on top-level navigation from elsewhere, not on
# cross-site subrequests or POSTs); Strict is stricter, None needs secure cookies.
SESSION_COOKIE_SAMESITE = os.environ.get("DJANGO_COOKIE_SAMESITE", "Lax").strip() or "Lax"
CSRF_COOKIE_SAMESITE = SESSION_COOKIE_SAMESITE
# HTTPS only for a year (GB/T 22239 confidentiality in transit) once DEBUG is off; 0 turns HSTS off
# (a first deployment on a domain that may still need plain HTTP).
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = os.environ.get("DJANGO_REFERRER_POLICY", "same-origin").strip() or "same-origin"
# Browser features no page uses, refused for every page (project.middleware.SecurityHeadersMiddleware).
PERMISSIONS_POLICY = os.environ.get(
    "DJANGO_PERMISSIONS_POLICY",
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), bluetooth=(), "
    "interest-cohort=(), browsing-topics=()").strip()
# Content-Security-Policy (django-csp): only this origin's own files, no inline script or style, no
# plugins, no framing; DJANGO_CSP_REPORT_ONLY=1 sends it as Content-Security-Policy-Report-Only
# (to try a change without breaking pages). Responses that set their own policy (uploads and
# evidence files: default-src 'none') keep theirs.
_CSP = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "media-src": [SELF],
        "object-src": [NONE],
        "frame-src": [NONE],
        "worker-src": [SELF],
        "manifest-src": [SELF],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
if env_bool("DJANGO_CSP_REPORT_ONLY", False):
    CONTENT_SECURITY_POLICY_REPORT_ONLY = _CSP
else:
    CONTENT_SECURITY_POLICY = _CSP
# Plain HTTP is redirected to HTTPS unless DJANGO_SECURE_SSL_REDIRECT=0 (make run-prod on
# loopback turns it off; a real deployment terminates TLS in nginx). /healthz and /readyz
# answer before the redirect.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
# Proxies in front of the application (nginx: 1). Behind them the client address comes
# from X-Forwarded-For (project.middleware.client_address) and HTTPS from X-Forwarded-Proto.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
if TRUSTED_PROXY_COUNT:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"

# Logs go to standard output, one JSON object per line (time, level, logger, message,
# request_id, user_id, method, path, status, duration_ms, ...); LOG_FORMAT=text for
# development (var/dev.env sets it). project.request writes one line per request.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "json").strip().lower()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request": {"()": "project.logs.RequestContextFilter"}},
    "formatters": {
        "json": {"()": "project.logs.JsonFormatter"},
        "text": {"()": "project.logs.TextFormatter"},
    },
    "handlers": {"console": {"class": "project.logs.StdoutHandler", "filters": ["request"],
                             "formatter": "text" if LOG_FORMAT == "text" else "json"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {
        "project.request": {"handlers": ["console"], "propagate": False,
                            "level": os.environ.get("REQUEST_LOG_LEVEL", "INFO")},
        # httpx logs each request's URL at INFO, and WeChat's carry the access token in the query
        # string: the platform connectors' calls are never logged with their credentials.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}
# /readyz (project.health): whether a task worker's heartbeat is checked ("auto": when the
# database task backend is installed; "1"; "0"), and how young it must be (seconds).
READYZ_TASK_WORKER = os.environ.get("READYZ_TASK_WORKER", "auto")
READYZ_WORKER_MAX_AGE = int(os.environ.get("READYZ_WORKER_MAX_AGE", "60"))

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
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,  # one setting for the throttles, the lockout and the audit log
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
    "ENUM_NAME_OVERRIDES": {
        "VerdictEnum": "reviewers.models.VERDICT_CHOICES",
        "StateEnum": "workflow.states.STATE_CHOICES",
        "ProblemKindEnum": "operations.states.KIND_CHOICES",
        "ProblemStateEnum": "operations.states.STATE_CHOICES",
        "CounterfeitOutcomeEnum": "operations.states.OUTCOME_CHOICES",
        "PublicationStateEnum": "content.models.PUBLICATION_STATE_CHOICES",
        "ChannelKindEnum": "content.models.CHANNEL_KIND_CHOICES",
        "ScheduleStateEnum": "workflow.models.SCHEDULE_STATE_CHOICES",
        "SitePatrolStateEnum": "operations.states.RUN_STATE_CHOICES",
        "SiteFindingStatusEnum": "operations.states.FINDING_STATUS_CHOICES",
        "SitePatrolTriggerEnum": "operations.states.RUN_TRIGGER_CHOICES",
        "RecheckTriggerEnum": "operations.states.RECHECK_TRIGGER_CHOICES",
        "FindingSeverityEnum": "operations.states.FINDING_SEVERITY_CHOICES",
        "StatusEnum": "content.models.MediaAccount.Status",  # the account's status keeps its name beside the above
    },
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

# ---------------------------------------------------------------- the audit log's Merkle tree, checkpoints and packs
# The hash of the chain and the tree, chosen at installation: sha256 or sm3 (GB/T 32905). A log that has
# entries keeps its algorithm; writing with another one is refused (audit.errors.AuditHashChanged).
AUDIT_HASH = os.environ.get("AUDIT_HASH", "sha256").strip().lower()
# The log's name in its checkpoints and the name of its signing key (a schema-less URL, no spaces or "+").
AUDIT_ORIGIN = os.environ.get("AUDIT_ORIGIN", "edu-newmedia.localhost/audit").strip()
# The Ed25519 key that signs checkpoints: base64 of the 32-byte seed, or PRIVATE+KEY+<origin>+<id>+<base64>
# (`manage.py audit_checkpoint --generate-key` prints a new one). Development derives a fixed key from
# SECRET_KEY when it is unset; production refuses to sign without it.
AUDIT_SIGNING_KEY = os.environ.get("AUDIT_SIGNING_KEY", "")
if not AUDIT_SIGNING_KEY and DEBUG:
    AUDIT_SIGNING_KEY = base64.b64encode(hashlib.sha256(b"audit-checkpoint-dev-key\n" + SECRET_KEY.encode()).digest()).decode()
# A periodic job signs a checkpoint this often when entries were added since the last one.
AUDIT_CHECKPOINT_MINUTES = int(os.environ.get("AUDIT_CHECKPOINT_MINUTES", "60"))
# No entry younger than this can be archived (the cybersecurity law asks for six months at least: the minimum).
AUDIT_RETENTION_DAYS = max(180, int(os.environ.get("AUDIT_RETENTION_DAYS", "180")))
# Where evidence packs built by the task are kept until downloaded.
AUDIT_PACK_DIR = Path(os.environ.get("AUDIT_PACK_DIR", VAR_DIR / "packs"))

# ---------------------------------------------------------------- encryption at rest (content.crypto)
# Keys for personal data and channel secrets: id1:base64key,id2:base64key (16 bytes: SM4-GCM, 32 bytes:
# AES-256-GCM). Old keys stay listed until rotate_pii_key has re-encrypted their values. Development derives
# a fixed key from SECRET_KEY when it is unset; production refuses to encrypt without it.
PII_KEYS = os.environ.get("PII_KEYS", "").strip()
if not PII_KEYS and DEBUG:
    PII_KEYS = "dev:" + base64.b64encode(hashlib.sha256(b"pii-dev-key\n" + SECRET_KEY.encode()).digest()).decode()
# The key new values are written with (default: the first listed).
PII_KEY_ID = os.environ.get("PII_KEY_ID", "").strip()

# ---------------------------------------------------------------- daily operations (operations app)
# The system administrators hear of a day without anyone on duty this many days ahead.
DUTY_GAP_NOTICE_DAYS = int(os.environ.get("DUTY_GAP_NOTICE_DAYS", "7"))
# A problem's responsible person is reminded this many days before its deadline.
PROBLEM_DUE_SOON_DAYS = int(os.environ.get("PROBLEM_DUE_SOON_DAYS", "2"))
# The deadline of a problem opened by the dormant watch (无更新).
PROBLEM_DEFAULT_DEADLINE_DAYS = int(os.environ.get("PROBLEM_DEFAULT_DEADLINE_DAYS", "7"))

# ---------------------------------------------------------------- technical discovery: the website patrol (operations.discovery)
# The crawler's budget: pages per run, links away from the start, external links checked (HEAD, then GET).
PATROL_MAX_PAGES = int(os.environ.get("PATROL_MAX_PAGES", "500"))
PATROL_MAX_DEPTH = int(os.environ.get("PATROL_MAX_DEPTH", "5"))
PATROL_MAX_EXTERNAL = int(os.environ.get("PATROL_MAX_EXTERNAL", "100"))
# At most one request per host this often (milliseconds), each answered within the timeout.
PATROL_HOST_INTERVAL_MS = int(os.environ.get("PATROL_HOST_INTERVAL_MS", "500"))
PATROL_TIMEOUT_SECONDS = float(os.environ.get("PATROL_TIMEOUT_SECONDS", "10"))
# A page slower than this is a finding (the home page: 较慢, warning).
PATROL_SLOW_SECONDS = float(os.environ.get("PATROL_SLOW_SECONDS", "3"))
# Who the crawler says it is: the User-Agent names the system and this contact address.
PATROL_CONTACT = os.environ.get("PATROL_CONTACT", "webmaster@localhost").strip()
# Columns are stale when their newest item is older: news columns, notices and policy columns.
PATROL_NEWS_STALE_DAYS = int(os.environ.get("PATROL_NEWS_STALE_DAYS", "14"))
PATROL_NOTICE_STALE_DAYS = int(os.environ.get("PATROL_NOTICE_STALE_DAYS", "183"))
# Findings this severe or more (blocker, warning, info) open a problem (技术检测, 待人工核实).
PATROL_PROBLEM_SEVERITY = os.environ.get("PATROL_PROBLEM_SEVERITY", "warning").strip().lower()
# Repost assignments (重要信息转载): the account managers of an account that has not reposted yet are
# reminded this many days before the deadline.
REPOST_REMIND_DAYS = int(os.environ.get("REPOST_REMIND_DAYS", "2"))

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
# A task still running after this many minutes is taken for abandoned (its worker was killed or
# its machine lost) and put back in the queue by the scheduler (project.tasks.abandoned_tasks_requeue);
# after TASK_MAX_ATTEMPTS claims it is recorded as failed instead.
TASK_ABANDONED_AFTER_MINUTES = int(os.environ.get("TASK_ABANDONED_AFTER_MINUTES", "15"))
# A reviewer is reminded of a task he may decide this many hours before it is due.
REVIEW_DUE_SOON_HOURS = int(os.environ.get("REVIEW_DUE_SOON_HOURS", "4"))
# Where the file e-mail backend (django.core.mail.backends.filebased.EmailBackend) writes.
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))

# ---------------------------------------------------------------- publishing channels (workflow.channels)
# The WeChat official-account API's base address; a channel's own api_base overrides it (a
# proxy, or the local simulator: simulators/wechat.py, which `make run` starts on port 8010).
WECHAT_API_BASE = os.environ.get("WECHAT_API_BASE", "https://api.weixin.qq.com")
# This site's public address, for the absolute image URLs sent to a website's CMS and the feed's links.
PUBLISH_SITE_URL = os.environ.get("PUBLISH_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# The timeout of one call to a platform or a CMS, in seconds.
CHANNEL_TIMEOUT_SECONDS = float(os.environ.get("CHANNEL_TIMEOUT_SECONDS", "10"))
# Deliveries retried after a timeout or a 5xx: this many attempts in all, the first retry after
# CHANNEL_RETRY_BASE_SECONDS, then twice as long each time.
CHANNEL_MAX_ATTEMPTS = int(os.environ.get("CHANNEL_MAX_ATTEMPTS", "5"))
CHANNEL_RETRY_BASE_SECONDS = float(os.environ.get("CHANNEL_RETRY_BASE_SECONDS", "30"))
# WeChat's publication result is polled (freepublish/get) this many seconds after the submit when
# no PUBLISHJOBFINISH event came, then with back-off, up to WECHAT_POLL_ATTEMPTS times.
WECHAT_POLL_SECONDS = float(os.environ.get("WECHAT_POLL_SECONDS", "60"))
WECHAT_POLL_ATTEMPTS = int(os.environ.get("WECHAT_POLL_ATTEMPTS", "8"))
# A callback whose timestamp is further than this from now is refused (with the nonce check: no replays).
WECHAT_CALLBACK_MAX_AGE_SECONDS = int(os.environ.get("WECHAT_CALLBACK_MAX_AGE_SECONDS", "300"))
# The access tokens are shared by every worker through this cache: Redis when REDIS_URL is set,
# else a table of the database (created by project migration 0002).
CACHES["shared"] = (CACHES["default"] if REDIS_URL else
                    {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "shared_cache"})
