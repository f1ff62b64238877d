"""Ledgerline settings: one module driven by environment variables.

With nothing set, the embedded default works (SQLite under var/, in-memory channel layer,
tasks in-process, console email). Production sets DEBUG=0, SECRET_KEY, DATABASE_URL,
REDIS_URL and friends; production secrets have no defaults.
"""

import contextlib
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=True)
# Every hand-made fast path (docs/decisions/) follows this unless its own setting says
# otherwise; FAST_PATHS=0 serves everything through the plain Django/DRF path.
FAST_PATHS = env.bool("FAST_PATHS", default=True)

_INSECURE_DEV_KEY = "django-insecure-embedded-default-only-for-local-development"
SECRET_KEY = env.str("SECRET_KEY", default=_INSECURE_DEV_KEY if DEBUG else "")
if not SECRET_KEY or (not DEBUG and SECRET_KEY == _INSECURE_DEV_KEY):
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "testserver"])
# Container health checks and Prometheus call the process directly on loopback.
ALLOWED_HOSTS += [host for host in ("127.0.0.1", "[::1]") if host not in ALLOWED_HOSTS]
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=CORS_ALLOWED_ORIGINS)

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.postgres",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "channels",
    "django_celery_beat",
    "django_celery_results",
    # Ledgerline, bottom layer first (see ARCHITECTURE.md).
    "core",
    "accounts",
    "realtime",
    "merchants",
    "ledger",
    "budgets",
    "ingest",
    "analytics",
    "reports",
]

MIDDLEWARE = [
    "core.middleware.RequestIdMiddleware",
    "core.middleware.PrometheusMiddleware",
    "core.middleware.ApiTrailingSlashMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
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

# --- Database -------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'ledgerline.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the in-process task threads read while a request writes; IMMEDIATE avoids
    # the "database is locked" upgrade deadlock between two writers.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# ...except for a connection that finished a request cleanly this recently (core.sql).
DB_HEALTH_CHECK_IDLE_SECONDS = env.float("DB_HEALTH_CHECK_IDLE_SECONDS", default=1.0 if FAST_PATHS else 0.0)
# core.sql.prepared_cursor: the per-request statements (token user, ledger page) are prepared
# once per connection. Turn off behind a PgBouncer in transaction pooling mode. The ORM's own
# queries are never prepared (Django binds them client-side whatever the threshold).
DB_PREPARED_STATEMENTS = env.bool("DB_PREPARED_STATEMENTS", default=FAST_PATHS)
# psycopg may prepare only when asked (core.sql asks only while DB_PREPARED_STATEMENTS holds);
# Django's own client-side cursors never prepare.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 1_000_000
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, channel layer, broker ----------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "ledgerline",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Realtime: channel layer, stored events (issue 13) ------------------------------------
# channels-redis' core layer in production (README: Realtime delivery says why not pub/sub).
# Its receive loop blocks in BZPOPMIN for 5 s; redis-py 8 reads with a default socket timeout of
# 5 s, so an idle socket's read raced the server's empty answer and lost: TimeoutError, 1011.
# The read timeout must exceed the layer's blocking time; it still notices a dead Redis.
# realtime.layers: the same layer with a blocking pool (redis-py 8's pool refuses the 101st
# concurrent command, and a connect storm failed sockets with 500).
CHANNEL_LAYER_SOCKET_TIMEOUT_SECONDS = env.float("CHANNEL_LAYER_SOCKET_TIMEOUT_SECONDS", default=15.0)
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "realtime.layers.RedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_timeout": CHANNEL_LAYER_SOCKET_TIMEOUT_SECONDS,
                        "socket_connect_timeout": 5,
                        "socket_keepalive": True,
                    }
                ],
                "prefix": "ledgerline",
                # A socket re-joins its group hourly (realtime.consumers), so a membership
                # outlives the layer's one-day expiry on a long-lived connection.
                "group_expiry": 86400,
                # Per channel, and all sockets of one daphne process share one channel: the
                # default 100 dropped a burst meant for a full process.
                "capacity": env.int("CHANNEL_LAYER_CAPACITY", default=20000),
                "max_connections": env.int("CHANNEL_LAYER_MAX_CONNECTIONS", default=200),
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# Stored events older than this are pruned nightly; a resume from before answers resync_required.
EVENT_RETENTION_DAYS = env.int("EVENT_RETENTION_DAYS", default=7)
# upload_progress for one upload goes out at most this often (the final state always does).
UPLOAD_PROGRESS_MIN_INTERVAL_SECONDS = env.float("UPLOAD_PROGRESS_MIN_INTERVAL_SECONDS", default=0.1)
# How many stored events one resume replays before answering resync_required instead.
EVENT_REPLAY_MAX = env.int("EVENT_REPLAY_MAX", default=1000)
# Sync publishers send on one long-lived event loop per process (one Redis connection kept)
# instead of a new loop and connection per publish; docs/decisions/realtime-send-loop.md.
REALTIME_SEND_LOOP = env.bool("REALTIME_SEND_LOOP", default=True)

# --- Auth -----------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
ACCESS_TOKEN_LIFETIME_MINUTES = env.int("ACCESS_TOKEN_LIFETIME_MINUTES", default=60)
REFRESH_TOKEN_LIFETIME_DAYS = env.int("REFRESH_TOKEN_LIFETIME_DAYS", default=30)
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=ACCESS_TOKEN_LIFETIME_MINUTES),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=REFRESH_TOKEN_LIFETIME_DAYS),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": env.str("JWT_SIGNING_KEY", default=SECRET_KEY),
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
}
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_FAILURE_WINDOW_SECONDS = env.int("LOGIN_FAILURE_WINDOW_SECONDS", default=15 * 60)
WS_TICKET_LIFETIME_SECONDS = 60
WS_IDLE_TIMEOUT_SECONDS = env.int("WS_IDLE_TIMEOUT_SECONDS", default=60)
EMAIL_VERIFICATION_MAX_AGE_SECONDS = 3 * 24 * 3600
FRONTEND_URL = env.str("FRONTEND_URL", default="http://127.0.0.1:8000")

# --- REST framework -------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.BearerAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["core.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "core.negotiation.JsonApiNegotiation",
    "DEFAULT_THROTTLE_CLASSES": [
        "core.throttling.AnonymousRateThrottle",
        "core.throttling.UserRateThrottle",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "core.exceptions.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # How many reverse proxies (nginx) stand in front and append to X-Forwarded-For.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
}
APPEND_SLASH = False
# Read on every request by core.throttling, so tests and operators can change them live.
THROTTLE_RATES = {
    "anon": env.str("THROTTLE_ANON", default="60/min"),
    "user": env.str("THROTTLE_USER", default="1200/min"),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Ledgerline API",
    "DESCRIPTION": (
        "Self-hosted personal-finance backend. Amounts are signed decimal strings "
        "(negative = money out); dates are YYYY-MM-DD; timestamps ISO 8601 UTC; ids are UUIDs. "
        'Every error body is {"detail", "code", "errors"?}.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {},
}

# --- Celery ---------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
# broker: send to the broker for workers; inprocess: a thread pool in this process (the
# embedded default); inline: run at once in the caller (tests).
TASK_EXECUTION = env.str("TASK_EXECUTION", default="broker" if CELERY_BROKER_URL else "inprocess")
if TASK_EXECUTION not in {"broker", "inprocess", "inline"}:
    raise ImproperlyConfigured("TASK_EXECUTION must be broker, inprocess or inline.")
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=25 * 60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
# Redis redelivers an unacknowledged task after the visibility timeout; it must exceed the
# longest task or a long import would run twice concurrently.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * CELERY_TASK_TIME_LIMIT}
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES_NAMES = ("high_priority", "default", "low_priority", "scheduled")
# First match wins: the scheduled_* rule must come before the per-app ones.
CELERY_TASK_ROUTES = {
    "*.tasks.scheduled_*": {"queue": "scheduled"},
    "ingest.tasks.*": {"queue": "high_priority"},
    "realtime.tasks.*": {"queue": "high_priority"},
    "accounts.tasks.*": {"queue": "high_priority"},
    "reports.tasks.*": {"queue": "low_priority"},
    "analytics.tasks.*": {"queue": "low_priority"},
}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# The project's periodic tasks; `manage.py sync_schedules` writes them to django-celery-beat's
# tables (idempotent; the web container runs it after migrating). Crontab fields in UTC.
BEAT_SCHEDULES = {
    "accounts: purge expired refresh tokens and sessions": {
        "task": "accounts.tasks.scheduled_purge_expired_tokens",
        "crontab": {"minute": "17", "hour": "3"},
    },
    "realtime: prune stored events past EVENT_RETENTION_DAYS": {
        "task": "realtime.tasks.scheduled_prune_events",
        "crontab": {"minute": "37", "hour": "3"},
    },
    "ledger: report corrections whose references are gone": {
        "task": "ledger.tasks.scheduled_check_correction_references",
        "crontab": {"minute": "27", "hour": "4"},
    },
    "celery: purge old task results": {
        "task": "celery.backend_cleanup",
        "crontab": {"minute": "47", "hour": "3"},
    },
    "analytics: detect subscriptions and send reminders": {
        "task": "analytics.tasks.scheduled_detect_subscriptions",
        "crontab": {"minute": "0", "hour": "1"},
    },
}
CELERY_RESULT_EXPIRES = timedelta(days=7)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
TASK_RETRY_MAX = env.int("TASK_RETRY_MAX", default=5)

# --- Analytics (issue 17) ---------------------------------------------------------------
# Dashboard answers are cached per user and query; a ledger write drops that user's at once,
# so the TTL only bounds memory.
ANALYTICS_CACHE_SECONDS = env.int("ANALYTICS_CACHE_SECONDS", default=24 * 3600)
# anomaly_alert is published (once per transaction) at or above this score; findings are
# stored (and listed) from ANOMALY_RECORD_THRESHOLD.
ANOMALY_ALERT_THRESHOLD = env.float("ANOMALY_ALERT_THRESHOLD", default=0.8)
ANOMALY_RECORD_THRESHOLD = env.float("ANOMALY_RECORD_THRESHOLD", default=0.5)
# Dashboard aggregates run without PostgreSQL's JIT (it cost more than it saved at a million rows).
ANALYTICS_JIT_OFF = env.bool("ANALYTICS_JIT_OFF", default=True)

# --- Email ----------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Ledgerline <no-reply@ledgerline.local>")

# --- Files, uploads, static -----------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=20 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
for _directory in (VAR_DIR, STATIC_ROOT, MEDIA_ROOT):
    # A read-only image: the operator provides the directories.
    with contextlib.suppress(OSError):
        _directory.mkdir(parents=True, exist_ok=True)
# Merchant search answers from an in-process trigram index (pg_trgm-identical scores, p95 ~13 ms
# at 100k merchants); True answers from PostgreSQL's pg_trgm statement instead (no per-process
# index memory, ~60 MB at 100k merchants, but p95 ~80 ms).
MERCHANT_SEARCH_SQL = env.bool("MERCHANT_SEARCH_SQL", default=False)
# Curators see an unmatched descriptor only once this many different users have it: a
# descriptor one person has ("ZELLE TO <a name>") can be personal.
UNMATCHED_MIN_USERS = env.int("UNMATCHED_MIN_USERS", default=2)
READY_MIN_FREE_DISK_BYTES = env.int("READY_MIN_FREE_DISK_BYTES", default=500 * 1024 * 1024)
# Also serve files straight from the apps' static directories: a name the manifest lacks
# (static files not collected) is then still served (core.staticfiles).
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage" if DEBUG else "core.staticfiles.StaticFilesStorage"
    },
}

# --- fast paths (issue 12) --------------------------------------------------------------
# One switch each (docs/decisions/); ledger.fast_paths is where the ledger reads them.
LEDGER_SQL_LIST_PAGES = env.bool("LEDGER_SQL_LIST_PAGES", default=FAST_PATHS)
LEDGER_SQL_BULK_CATEGORISE = env.bool("LEDGER_SQL_BULK_CATEGORISE", default=FAST_PATHS)
LEDGER_COUNT_CACHE = env.bool("LEDGER_COUNT_CACHE", default=FAST_PATHS)
LEDGER_STRICT_FILTER_PARSER = env.bool("LEDGER_STRICT_FILTER_PARSER", default=FAST_PATHS)
# Verified access tokens kept per process (accounts.authentication); 0 verifies every request.
ACCESS_TOKEN_CACHE_SIZE = env.int("ACCESS_TOKEN_CACHE_SIZE", default=10_000 if FAST_PATHS else 0)
# The throttle's Redis round trip also reads the list's cached count (core.throttling).
THROTTLE_PREFETCH = env.bool("THROTTLE_PREFETCH", default=FAST_PATHS)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Security -------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # Probes talk plain HTTP inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^health$", r"^ready$", r"^metrics$"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# --- Logging --------------------------------------------------------------------------
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "core.logging.RequestIdFilter"},
        "redact": {"()": "core.logging.RedactSecretsFilter"},
    },
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id", "redact"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
    },
}

# --- Budgets (issue 16) ---------------------------------------------------------------
# How long a user's budget figures are kept between their writes (budgets.cache); 0 = off.
BUDGETS_SPENDING_CACHE_SECONDS = env.int("BUDGETS_SPENDING_CACHE_SECONDS", default=300)
# Suggestions: never below this amount; flagged when the monthly average is above this.
BUDGET_SUGGESTION_FLOOR = env.str("BUDGET_SUGGESTION_FLOOR", default="10.00")
BUDGET_SUGGESTION_FLAG_ABOVE = env.str("BUDGET_SUGGESTION_FLAG_ABOVE", default="10000.00")
BEAT_SCHEDULES["budgets: close ended budgets, renew auto-renewing ones"] = {
    "task": "budgets.tasks.scheduled_renew_budgets",
    "crontab": {"minute": "0", "hour": "3"},
}
# --- Reports (issue #19) -----------------------------------------------------------------
# Rendered report files are kept this many days, then a nightly task deletes them.
REPORT_RETENTION_DAYS = env.int("REPORT_RETENTION_DAYS", default=30)
# DejaVu TTFs embedded in PDFs (Debian fonts-dejavu-core; `make install` and the Dockerfile install it).
REPORTS_FONT_DIR = env.str("REPORTS_FONT_DIR", default="/usr/share/fonts/truetype/dejavu")
# The editable category -> TXF tax-line mapping.
REPORTS_TAX_LINES_FILE = env.str("REPORTS_TAX_LINES_FILE", default=str(BASE_DIR / "reports" / "fixtures" / "tax_lines.json"))
# The Intuit bank id written to QBO (Web Connect) files.
REPORTS_QBO_INTU_BID = env.str("REPORTS_QBO_INTU_BID", default="3000")
# Where the API is reachable from a mail client (the one-click unsubscribe link).
REPORTS_PUBLIC_URL = env.str("REPORTS_PUBLIC_URL", default="http://127.0.0.1:8000")
# A scheduled send claimed longer ago than this is presumed lost (worker died) and sent again.
REPORTS_SEND_LEASE_SECONDS = env.int("REPORTS_SEND_LEASE_SECONDS", default=15 * 60)
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update({
    "ReportFormatEnum": "reports.models.ReportFormat",
    "ReportFileFormatEnum": "reports.models.FILE_FORMAT_CHOICES",
    "ReportScheduleKindEnum": "reports.models.ScheduleKind",
    "ReportCadenceEnum": "reports.models.Cadence",
    # Named too: with a second "kind" enum in the schema, the accounts one would get a hashed name.
    "AccountKindEnum": "ledger.models.AccountKind",
})
CELERY_TASK_ROUTES.update({
    # Named tasks win over the app's low_priority pattern: report files and emails go to default.
    "reports.tasks.render_report": {"queue": "default"},
    "reports.tasks.send_scheduled_report": {"queue": "default"},
})
BEAT_SCHEDULES.update({
    "reports: send due scheduled reports": {
        "task": "reports.tasks.scheduled_dispatch_due_schedules",
        "crontab": {"minute": "*/5"},
    },
    "reports: purge expired report files": {
        "task": "reports.tasks.scheduled_purge_expired_reports",
        "crontab": {"minute": "37", "hour": "2"},
    },
})
# Reports group dates with DATE_TRUNC on a plain timestamp on PostgreSQL (no per-row cast
# through the time zone); False uses Django's Trunc (docs/decisions/reports-date-trunc.md).
REPORTS_PG_PLAIN_DATE_TRUNC = env.bool("REPORTS_PG_PLAIN_DATE_TRUNC", default=True)
# XLSX transactions sheets: rows after the first are written as XML directly (the same cells
# openpyxl writes, ~Nx faster); False writes every row through openpyxl
# (docs/decisions/reports-xlsx-rows.md).
REPORTS_XLSX_FAST_ROWS = env.bool("REPORTS_XLSX_FAST_ROWS", default=True)
# --- categoriser (issue 15) ---------------------------------------------------------------
# Below this confidence a row stays `uncategorized`; the model's top suggestions are kept.
CATEGORISER_MIN_CONFIDENCE = env.float("CATEGORISER_MIN_CONFIDENCE", default=0.45)
# A user's personal model retrains (task on `default`) once this many corrections are newer
# than it; until then those corrections teach through rules and nearest-neighbour matching.
CATEGORISER_RETRAIN_AFTER = env.int("CATEGORISER_RETRAIN_AFTER", default=10)
CATEGORISER_PERSONAL_MAX_EXAMPLES = env.int("CATEGORISER_PERSONAL_MAX_EXAMPLES", default=20_000)
# The global artefact: empty = the committed one (ledger/categoriser/artefacts/CURRENT).
CATEGORISER_ARTEFACT = env.str("CATEGORISER_ARTEFACT", default="")
# Feature space sizes of the global model (a rebuild with `train_categoriser --global`).
CATEGORISER_CHAR_FEATURES = 1 << 15
CATEGORISER_WORD_FEATURES = 1 << 13
CATEGORISER_EMBED_FEATURES = 3072
BEAT_SCHEDULES["categoriser: retrain personal models with new corrections"] = {
    "task": "ledger.tasks.categoriser_retrain_nightly",
    "crontab": {"minute": "0", "hour": "1"},
}

# --- OpenAPI enum names shared across apps ----------------------------------------------
# Two "period" choice sets (a budget's and a detected subscription's) get stable names.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update({
    "BudgetPeriodEnum": "budgets.models.BudgetPeriodKind",
    "RecurrencePeriodEnum": "analytics.models.RecurrencePeriod",
})
