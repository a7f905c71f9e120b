"""Settings for pbxadmin.

Everything an installation changes comes from the environment (see README
"Settings" and .env.example). The defaults run with nothing installed: SQLite
under var/, tasks in-process, config files under var/asterisk.
"""

import os
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url

from pbxadmin.env import env_bool, env_choice, env_int, env_rate, env_str
from pbxadmin.var import BASE_DIR, VAR_DIR, read_secret_key

# DJANGO_SECRET_KEY, or the key kept in var/ (pbxadmin/var.py) so sessions
# survive restarts; a process that nobody prepared var/ for gets a key of its own.
SECRET_KEY = env_str("DJANGO_SECRET_KEY") or read_secret_key() or secrets.token_urlsafe(50)
DEBUG = env_bool("PBXADMIN_DEBUG", False)
ALLOWED_HOSTS = [h for h in env_str("PBXADMIN_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
# Behind HTTPS (as it should be in production): cookies only over TLS.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("PBXADMIN_SECURE_COOKIES", False)
CSRF_TRUSTED_ORIGINS = [o for o in env_str("PBXADMIN_CSRF_TRUSTED_ORIGINS").split(",") if o]
SESSION_COOKIE_AGE = env_int("PBXADMIN_SESSION_SECONDS", 8 * 3600)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "pbxadmin",
    "asterisk",
    "portal",
    "directory.servers",
    "directory.users",
    "directory.devices",
    "directory.endpoints",
    "directory.connectivity",
    "bulk",
    "audit",
    "web",
    # Last, as its documentation asks: login throttling.
    "axes",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "web.audit.middleware.AuditActorMiddleware",
    "web.busy.DatabaseBusyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "web.headers.ContentSecurityPolicyMiddleware",
    # Last: turns a locked-out login into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

# Logins are throttled per account and address together (django-axes): after
# PBXADMIN_LOGIN_FAILURE_LIMIT failures that account is refused from that
# address for PBXADMIN_LOGIN_LOCKOUT_MINUTES (0: until an administrator clears
# it on the Logins page), even with the right password.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("PBXADMIN_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("PBXADMIN_LOGIN_LOCKOUT_MINUTES", 15)) or None
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# Behind one reverse proxy that terminates HTTPS (nginx, Apache): trust the X-Forwarded-Proto,
# -Host and -For it sets, so links (the API's page links) say https and lock-outs count the
# client's address (the rightmost X-Forwarded-For entry: portal/client_address.py). Only
# then: a client reaching the app directly could forge them.
PBXADMIN_BEHIND_PROXY = env_bool("PBXADMIN_BEHIND_PROXY", False)
if PBXADMIN_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
AXES_CLIENT_IP_CALLABLE = "portal.client_address.client_address"

ROOT_URLCONF = "pbxadmin.urls"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "web.context_processors.portal",
            ],
        },
    },
]

WSGI_APPLICATION = "pbxadmin.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'pbxadmin.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web, worker, commands) share the file: wait for locks
    # instead of failing, and let readers run beside the writer.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not memory, for the test database: tests of concurrent saves use threads.
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"pbxadmin-test-{os.getpid()}.sqlite3")
    }

# SQLite has one writer at a time: a page or a phone waits this many seconds for
# it (a bulk import holds it to its end), then is told to try again (web/busy.py, directory/busy.py).
PBXADMIN_SQLITE_REQUEST_WAIT = env_int("PBXADMIN_SQLITE_REQUEST_WAIT", 5)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TZ", "UTC") or "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Front-end libraries come from npm (package.json) and are served from here: no CDN.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
]
STATIC_ROOT = VAR_DIR / "staticfiles"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- The PBX ----------------------------------------------------------------

# Where the generated Asterisk files are written (on a PBX: /etc/asterisk).
ASTERISK_CONF_DIR = Path(env_str("ASTERISK_CONF_DIR", str(VAR_DIR / "asterisk")))
# The group given to the files that hold secrets (written 0640), e.g. asterisk; empty: the directory's group.
ASTERISK_CONF_GROUP = env_str("ASTERISK_CONF_GROUP")

# extensions: one page makes a user, a fixed device and its endpoint.
# deviceanduser: separate Users and Devices pages. Also settable in the app.
PBX_MODE = env_choice("PBX_MODE", "extensions", ("extensions", "deviceanduser"))

AMI_HOST = env_str("AMI_HOST", "127.0.0.1")
AMI_PORT = env_int("AMI_PORT", 5038)
AMI_USERNAME = env_str("AMI_USERNAME", "pbxadmin")
AMI_SECRET = env_str("AMI_SECRET", "")
AMI_TIMEOUT = env_int("AMI_TIMEOUT", 5)
# A reload (a big dialplan takes tens of seconds) or a long CLI command may take this long before
# Asterisk counts as busy; it is never called unreachable for being slow.
AMI_RELOAD_TIMEOUT = env_int("AMI_RELOAD_TIMEOUT", 600)

# Background work (the sync, imports) runs on Celery, always. Without a broker configured, an
# embedded one: kombu's filesystem transport under var/celery/, which `make run`'s worker reads
# (nothing to install; one host). In production, Redis: CELERY_BROKER_URL=redis://…
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or "filesystem://"
CELERY_BROKER_FOLDER = VAR_DIR / "celery"
if CELERY_BROKER_URL == "filesystem://":
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_FOLDER / "queue"),
        "data_folder_out": str(CELERY_BROKER_FOLDER / "queue"),
        "control_folder": str(CELERY_BROKER_FOLDER / "control"),
        # How often the worker looks for a new message: a save reaches Asterisk this much later.
        "polling_interval": 0.02,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
# A save commits whether or not the broker answers (asterisk.tasks.request_sync): do not wait.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged when it ends, and one whose worker died is handed out again.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 3600
CELERY_TASK_TIME_LIMIT = 3700
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "pbxadmin")
# Each Asterisk server's runs go to the queue `<prefix><name>` (`pbx.main`): README "Several servers".
PBXADMIN_SERVER_QUEUE_PREFIX = env_str("PBXADMIN_SERVER_QUEUE_PREFIX", "pbx.")
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# The safety net: every so often a worker looks for changes no run was asked for (the broker was
# down when they were saved) and asks for one. Run by `celery beat` (`worker -B` in `make run`).
PBXADMIN_SYNC_CHECK_EVERY = env_int("PBXADMIN_SYNC_CHECK_EVERY", 30)
CELERY_BEAT_SCHEDULE = {
    "sync-if-pending": {
        "task": "asterisk.tasks.sync_if_pending",
        "schedule": float(PBXADMIN_SYNC_CHECK_EVERY),
    },
    "bulk-jobs-expire": {"task": "bulk.tasks.expire_stale_jobs", "schedule": 60.0},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celery" / "beat-schedule")
# Retries back off exponentially up to this many seconds, and go on until Asterisk answers.
PBXADMIN_SYNC_BACKOFF_MAX = env_int("PBXADMIN_SYNC_BACKOFF_MAX", 300)
# How long a sync run's claim holds without news from it (renewed as a long run goes).
PBXADMIN_SYNC_LEASE = env_int("PBXADMIN_SYNC_LEASE", 120)

# Where Asterisk reaches the portal's FastAGI service (hot desking, *11 / *12),
# as written into the dialplan; and where that service listens.
PBXADMIN_AGI_URL = env_str("PBXADMIN_AGI_URL", "agi://127.0.0.1:4573")
PBXADMIN_AGI_LISTEN = env_str("PBXADMIN_AGI_LISTEN", "127.0.0.1:4573")
# Every read on a FastAGI session waits at most this many seconds (a command's
# reply includes the prompt it plays and the phone's digits); a stalled session
# is closed. Sessions open at once are bounded; extra connections close at once.
PBXADMIN_AGI_READ_TIMEOUT = env_int("PBXADMIN_AGI_READ_TIMEOUT", 30)
PBXADMIN_AGI_MAX_SESSIONS = env_int("PBXADMIN_AGI_MAX_SESSIONS", 50)
# A session's headers (Asterisk sends about 1 KB) and the sessions of one calling device
# (channels that are no device count as one) are bounded too.
PBXADMIN_AGI_MAX_HEADER_BYTES = env_int("PBXADMIN_AGI_MAX_HEADER_BYTES", 8192)
PBXADMIN_AGI_MAX_SESSIONS_PER_DEVICE = env_int("PBXADMIN_AGI_MAX_SESSIONS_PER_DEVICE", 3)
# Hot-desk PIN guessing: after this many failed attempts in a row (per user and
# per device, across calls) logins are refused for a lock-out that starts at
# PBXADMIN_HOTDESK_LOCKOUT seconds and doubles with each further failure, up to
# PBXADMIN_HOTDESK_LOCKOUT_MAX. A correct PIN or an administrator resets it.
PBXADMIN_HOTDESK_MAX_FAILURES = env_int("PBXADMIN_HOTDESK_MAX_FAILURES", 5)
PBXADMIN_HOTDESK_LOCKOUT = env_int("PBXADMIN_HOTDESK_LOCKOUT", 60)
PBXADMIN_HOTDESK_LOCKOUT_MAX = env_int("PBXADMIN_HOTDESK_LOCKOUT_MAX", 3600)
# Seconds to ring a user whose ring time is 0 (FreePBX's RINGTIMER default).
PBXADMIN_RINGTIME_DEFAULT = env_int("PBXADMIN_RINGTIME_DEFAULT", 15)

# Bulk import: the largest file accepted, in bytes.
BULK_IMPORT_MAX_BYTES = env_int("BULK_IMPORT_MAX_BYTES", 20_000_000)
DATA_UPLOAD_MAX_MEMORY_SIZE = BULK_IMPORT_MAX_BYTES + 1_000_000
FILE_UPLOAD_MAX_MEMORY_SIZE = BULK_IMPORT_MAX_BYTES + 1_000_000
# What one file may hold: columns (FreePBX's exports have about a hundred), and characters
# in one cell (a mailbox's options, the longest value, take 400). A file beyond either is
# refused whole, before any row is checked: the work of reading it grows with both.
BULK_IMPORT_MAX_COLUMNS = env_int("BULK_IMPORT_MAX_COLUMNS", 500)
BULK_IMPORT_MAX_CELL = env_int("BULK_IMPORT_MAX_CELL", 4000)
# A check older than this many seconds is not confirmed as it is: confirming checks again.
BULK_CHECK_MAX_AGE = env_int("BULK_CHECK_MAX_AGE", 3600)
# A check or import may run this many seconds (the task's hard time limit): one still running
# after it is failed (its worker was killed and never came back; a worker that starts again
# fails its earlier life's jobs at once). A job no worker takes within BULK_JOB_QUEUE_TIMEOUT too.
BULK_JOB_TIME_LIMIT = env_int("BULK_JOB_TIME_LIMIT", 1900)
BULK_JOB_QUEUE_TIMEOUT = env_int("BULK_JOB_QUEUE_TIMEOUT", 900)

# Shared between the web process and the worker: import progress, API call counts. Redis when
# the broker is Redis, else files under var/ (any process on this machine).
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CELERY_BROKER_URL}
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": VAR_DIR / "cache",
            # Past this many entries a third are culled at random: room for the API's
            # per-token counts and the import jobs' progress, so none is culled alive.
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    }

# Audit entries older than this many days are deleted by `manage.py audit_prune`.
AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 365)

# --- The REST API (api/, README "API") ---------------------------------------

# Calls a token may make per clock second, minute, hour or day ("600/minute"); beyond, 429
# with Retry-After (api/throttling.py).
PBXADMIN_API_RATE = env_rate("PBXADMIN_API_RATE", "600/minute")
# The same for one person, whatever token they call with, and how many unrevoked tokens one
# person may hold (api/tokens.py).
PBXADMIN_API_RATE_PER_PERSON = env_rate("PBXADMIN_API_RATE_PER_PERSON", "1200/minute")
PBXADMIN_API_TOKENS_PER_PERSON = env_int("PBXADMIN_API_TOKENS_PER_PERSON", 10)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.ViewersReadAdministratorsWrite"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.PerTokenThrottle", "api.throttling.PerPersonThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON bodies only: the one operation that takes a file (an import's upload) says so itself.
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JsonParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    # No ?format=: answers are JSON, exports CSV (by Accept), whatever a query string says.
    "URL_FORMAT_OVERRIDE": None,
    # No OPTIONS self-description: the OpenAPI document is the description.
    "DEFAULT_METADATA_CLASS": None,
    "UNAUTHENTICATED_USER": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "pbxadmin API",
    "DESCRIPTION": "Extensions, users, devices, hot desking, phone and sync status, bulk import and export, "
    "and the audit log of a pbxadmin portal. Authenticate with `Authorization: Bearer <token>` "
    "(tokens are made on the portal's API tokens page).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The docs page's scripts and styles are served from static files (no CDN).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "TechEnum": "directory.devices.models.Tech",
        "ToggleEnum": "directory.users.models.Toggle",
        "RecordingEnum": "directory.users.models.Recording",
        "ImportActionEnum": "bulk.importing.ACTIONS",
        "PhoneStateEnum": "asterisk.models.PhoneState",
        "ListenerStateEnum": "asterisk.selectors.LINK_STATES",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("PBXADMIN_LOG_LEVEL", "INFO")},
    # panoramisk logs every connection at INFO; our adapter reports what matters.
    "loggers": {"panoramisk": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
