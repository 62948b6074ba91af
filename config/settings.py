"""Settings, all from environment variables, with defaults that run on one laptop.

Embedded mode (no variables set): SQLite under ./var, the in-memory channel layer, background
jobs on threads inside the server process. Scaled mode: set DATABASE_URL (PostgreSQL) and
REDIS_URL (channel layer, and the Celery broker the job workers take jobs from). See the README for the full list.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key

from config.layers import channel_layers

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def envbool(name: str, default: str) -> bool:
    return os.environ.get(name, default).strip().lower() in ("1", "true", "yes", "on")


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept under VAR_DIR."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(get_random_secret_key())
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
# Off unless asked for (DEBUG=1): a debug page lists every URL and shows the settings, secrets
# included, to whoever reaches the server, and a track-side laptop is reachable by the whole LAN.
DEBUG = envbool("DEBUG", "0")
# `demo --host 0.0.0.0` adds this machine's LAN addresses at start (races.demo.lan_hosts).
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")
SITE_URL = os.environ.get("SITE_URL", "")  # e.g. https://races.example.org, for links in e-mails
# Served over HTTPS (a TLS proxy in front): redirect HTTP, secure cookies, HSTS (see the end of
# this file). Not by default: a track-side laptop serves plain HTTP on its LAN, where a redirect
# to HTTPS or cookies sent only over HTTPS would lock everyone out.
HTTPS = envbool("HTTPS", "1" if SITE_URL.startswith("https://") else "0")
DEFAULT_EXCEPTION_REPORTER_FILTER = "config.reporting.SettingsFilter"  # no Redis password on a debug page

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "django_countries",
    "channels",
    "races",
    "leaderboard",
    "broadcast",
    "timing",
    "devices",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out login into the lockout page
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"

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
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}", conn_max_age=60, conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so a test server in another process sees the test database; one per
    # test process, so two test runs on one machine do not share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
    # Write-ahead log, synced at checkpoints: a commit costs no disk flush (a laptop at the track
    # commits each lap timer crossing; with the default rollback journal every commit waited for
    # two to three flushes, 10–30 ms on a busy disk). A power cut can lose the last commits, not
    # corrupt the file; readers no longer block the writer.
    # Transactions stay DEFERRED: IMMEDIATE (every atomic block takes the write lock when it
    # begins, read-only ones too) made the live runner lose its runs to lease expiry
    # (tests/races/test_runlive.py), so writers that read first take the lock by writing first.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    # One test database per test process here too: two runs on one server must not collide.
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
# Race events on Redis pub/sub, work for the runlive processes on Redis lists: config/layers.py.
# CHANNEL_LAYER=core puts the events on lists too (slower). Every process must use the same.
CHANNEL_LAYER = os.environ.get("CHANNEL_LAYER", "pubsub").strip().lower()
try:
    CHANNEL_LAYERS = channel_layers(REDIS_URL, CHANNEL_LAYER)
except ValueError as exc:
    raise ImproperlyConfigured(str(exc)) from None

# LIVE runs: "embedded" runs them inside the server process; "external" hands them to
# `python manage.py runlive` processes through the channel layer (needs REDIS_URL).
LIVE_RUNNER = os.environ.get("LIVE_RUNNER", "embedded")
# A runner renews the lease of each run it drives every third of this; a run whose lease has
# passed (its runner was killed or lost) is recovered as aborted so the racer can be relaunched.
LIVE_LEASE_S = float(os.environ.get("LIVE_LEASE_S", "15"))

# Background jobs (config/jobs.py): "thread" runs them on a pool of JOBS_THREADS threads inside
# the server process, "celery" on `celery -A config worker` processes through Redis, "inline" at
# once in the dispatching thread (tests, scripts). One thread by default: the simulator holds the
# interpreter lock, so a second one would add no speed and only slow down the live runner's ticks.
JOBS = os.environ.get("JOBS", "celery" if REDIS_URL else "thread").strip().lower()
if JOBS not in ("thread", "celery", "inline"):
    raise ImproperlyConfigured(f"JOBS must be one of thread, celery, inline, not {JOBS!r}")
if JOBS == "celery" and not REDIS_URL:
    raise ImproperlyConfigured("JOBS=celery needs REDIS_URL: the Celery workers take jobs from Redis")
try:
    JOBS_THREADS = int(os.environ.get("JOBS_THREADS", "1"))
except ValueError:
    JOBS_THREADS = 0
if JOBS_THREADS < 1:
    raise ImproperlyConfigured(
        f"JOBS_THREADS must be a whole number of 1 or more, not {os.environ['JOBS_THREADS']!r}")

# Classic evaluations (races/evaluation.py): one that runs longer than this (wall clock) fails as
# timed out. EVALUATION_STEP_DELAY_S sleeps after each simulator step: 0 evaluates as fast as the
# CPU allows; a demo or a browser test sets a little to make an evaluation watchable.
EVALUATION_TIMEOUT_S = float(os.environ.get("EVALUATION_TIMEOUT_S", "600"))
EVALUATION_STEP_DELAY_S = float(os.environ.get("EVALUATION_STEP_DELAY_S", "0"))
# An evaluation whose worker stopped renewing its lease waits this long after the lease passed
# for its job's second delivery to resume it (a killed pool process is replaced in seconds);
# then it is ended as failed with the reason.
EVALUATION_GRACE_S = float(os.environ.get("EVALUATION_GRACE_S", "30"))

# Celery carries the jobs in scaled mode (JOBS=celery), as JSON on Redis; it never runs one
# inside a request.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = "jobs"
# A job is acknowledged when it ends, so a job whose worker dies runs again: jobs must be
# idempotent. A worker reserves only the jobs it runs (they take minutes).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True  # a killed pool process: the job is queued again at once
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A job is stopped after 30 min. A job whose whole worker went away goes back to the queue when it
# has been unacknowledged for the visibility timeout, an hour: longer than any job may run, so a
# job that is still running is never given to a second worker.
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 60 * 60}
# A Redis outage does not cancel running jobs: they finish. If their acknowledgement is lost with
# the connection, Redis hands them out again after the visibility timeout and they find their
# work done (idempotent), which beats starting them over an hour later.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The throttle first: a locked-out login is refused before any password is checked.
# sesame's backend takes only a `sesame` token (the e-mail sign-in links), never a password.
AUTHENTICATION_BACKENDS = [
    "races.auth.LoginThrottleBackend",
    "races.auth.EmailOrUsernameBackend",
    "sesame.backends.ModelBackend",
]
# Failed logins (django-axes): LOGIN_FAILURE_LIMIT failures for one login name from one address
# lock that pair for LOGIN_COOLOFF_MINUTES; a success in between starts the count again.
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", 10))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_COOLOFF_MINUTES", 15)))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "races.auth.login_name"
AXES_CLIENT_IP_CALLABLE = "races.auth.client_address"
AXES_LOCKOUT_CALLABLE = "races.auth.lockout_response"
AXES_DISABLE_ACCESS_LOG = True  # keep failed attempts only, not a log of every login
AXES_VERBOSE = False  # no banner on every process start (lockouts are still logged as warnings)
# Sign-in links by e-mail (django-sesame): students join a race with an e-mail address only.
# A link works once (it dies when the account logs in) and for SIGNIN_LINK_MINUTES.
SESAME_MAX_AGE = 60 * int(os.environ.get("SIGNIN_LINK_MINUTES", 30))
SESAME_ONE_TIME = True
SIGNIN_LINKS_PER_HOUR = int(os.environ.get("SIGNIN_LINKS_PER_HOUR", 5))  # per e-mail address
SIGNIN_LINKS_PER_ADDRESS_PER_HOUR = int(os.environ.get("SIGNIN_LINKS_PER_ADDRESS_PER_HOUR", 30))

# Mail: through EMAIL_HOST when set; a track-side laptop has no mail server, so without one each
# message is written as a file under var/sent-mail/ where the organizer can open it.
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "races@localhost")
if os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", 587))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", "1")
    EMAIL_TIMEOUT = 10
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "sent-mail"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every request until collectstatic
# WhiteNoise serves the apps' static files even before collectstatic, with DEBUG off too: the demo
# and a track-side laptop never run collectstatic.
WHITENOISE_USE_FINDERS = True
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))

# Uploads are bounded: a racing image or model package larger than this is refused.
MAX_IMAGE_UPLOAD_BYTES = int(os.environ.get("MAX_IMAGE_UPLOAD_BYTES", 2 * 1024 * 1024))
MAX_MODEL_UPLOAD_BYTES = int(os.environ.get("MAX_MODEL_UPLOAD_BYTES", 50 * 1024 * 1024))
# Each racer's garage: how many uploaded models, and how many bytes of packages in all.
MAX_MODELS_PER_RACER = int(os.environ.get("MAX_MODELS_PER_RACER", 20))
MAX_GARAGE_BYTES_PER_RACER = int(os.environ.get("MAX_GARAGE_BYTES_PER_RACER", 500 * 1024 * 1024))
# A new package is first loaded and run in a child process capped at this much address space
# and CPU time (livesim.package_probe), so no package makes the server allocate beyond it.
MODEL_CHECK_MEMORY_BYTES = int(os.environ.get("MODEL_CHECK_MEMORY_BYTES", 2 * 1024**3))
MODEL_CHECK_CPU_SECONDS = int(os.environ.get("MODEL_CHECK_CPU_SECONDS", 60))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

REST_FRAMEWORK = {
    # Token first: a request without credentials gets 401 with `WWW-Authenticate: Token` (the
    # first class names the scheme; session authentication names none, which makes it 403).
    # Browsers still authenticate by session, with its CSRF check.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # DRF's JSON parser, bounded in nesting depth (a deep body is 400, not a RecursionError).
    "DEFAULT_PARSER_CLASSES": [
        "config.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Race event server API",
    "DESCRIPTION": "Races, invitations, participants and tracks of the race event server.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
}

# Behind a TLS-terminating proxy (nginx, Caddy): set SECURE_PROXY_SSL_HEADER=1 so Django trusts
# X-Forwarded-Proto, and HTTPS=1 (or an https:// SITE_URL) for the defaults below.
if envbool("SECURE_PROXY_SSL_HEADER", "0"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if HTTPS:
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "1")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 31536000))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.channels.server": {"level": "WARNING"}},
}
