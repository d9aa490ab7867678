"""The one settings file. Everything that differs between machines comes from the environment.

SQLite under var/ is the default so that a fresh clone runs with no services; set DATABASE_URL
(`postgres://user:pass@host:port/name` or `sqlite:////absolute/path.sqlite3`) for anything else.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
PACKAGE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("GOVTRUST_VAR_DIR", BASE_DIR / "var"))


def envbool(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def envsecret(name: str, default: str = "") -> str:
    """A secret from NAME, or from the file named by NAME_FILE (systemd / container secrets)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


DEBUG = envbool("GOVTRUST_DEBUG", False)
TESTING = envbool("GOVTRUST_TESTING", False)
SECRET_KEY = envsecret("GOVTRUST_SECRET_KEY", "dev-only-insecure-key-change-me-in-production-0123456789")
ALLOWED_HOSTS = [h for h in os.environ.get("GOVTRUST_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("GOVTRUST_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",
    "template_partials",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    # Domain apps, lowest first: dependencies point up this list, never down.
    "govtrust.core",
    "govtrust.registry",
    "govtrust.accounts",
    "govtrust.records",
    "govtrust.remedies",
    "govtrust.sanctions",
    "govtrust.screening",
    "govtrust.evaluation",
    "govtrust.disclosure",
    "govtrust.demo",
]

MIDDLEWARE = [
    "govtrust.core.middleware.ServerTimingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "govtrust.core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "govtrust.core.middleware.ChineseByDefaultMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "govtrust.accounts.middleware.OperationLogMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "govtrust.core.middleware.CSPMiddleware",  # django-csp, policy built once
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "govtrust.urls"
WSGI_APPLICATION = "govtrust.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "govtrust.core.context_processors.console",
                "govtrust.remedies.context_processors.objections",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'govtrust.sqlite3'}")
# Persistent connections by default: a new connection per request costs more than the portal's queries (SQLite
# parses the schema and starts with a cold page cache; PostgreSQL forks a backend) — 130 → 170 requests/s in
# benchmarks/portal.py. 60 s, not forever, so a worker lets go of an idle connection; the health check replaces a
# connection the server closed (PostgreSQL restart) before a request uses it. 0 restores one per request.
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=envint("GOVTRUST_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
GOVTRUST_SQLITE_CACHE_KB = envint("GOVTRUST_SQLITE_CACHE_KB", 65536)
# The page cache of the one connection that publishes an import, for its big INSERT … SELECT only (records.formats).
GOVTRUST_SQLITE_PUBLISH_CACHE_KB = envint("GOVTRUST_SQLITE_PUBLISH_CACHE_KB", 262144)
# A publication of at least this many rows into a SQLite table holding at most half as many drops the table's indexes
# and creates them again after its INSERT (core.ingest.bulk.sqlite_indexes_rebuilt); 0 turns that off.
GOVTRUST_SQLITE_INDEX_REBUILD_MIN_ROWS = envint("GOVTRUST_SQLITE_INDEX_REBUILD_MIN_ROWS", 100_000)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the worker read while one of them writes; IMMEDIATE takes the
    # write lock at BEGIN so two writers queue on busy_timeout instead of failing mid-transaction.
    # cache_size: a 64 MB page cache per connection (default 2 MB); bulk imports insert into a dozen
    # indexes with random keys and were bound by page misses (a million records: 3x faster).
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
            f"PRAGMA cache_size=-{GOVTRUST_SQLITE_CACHE_KB};"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # Tests use a file, not the shared-cache in-memory database: concurrency tests (two sweeps,
    # two deliverers) need SQLite's real file locking, WAL and busy timeout, as in production.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-govtrust.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# The throttle backend goes first: it refuses a locked username or address before any password check.
AUTHENTICATION_BACKENDS = [
    "govtrust.accounts.login_throttle.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "console:home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# GB/T 22239 8.1.4.1 b): end idle sessions.
SESSION_COOKIE_AGE = envint("GOVTRUST_SESSION_SECONDS", 30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
# GB/T 22239 8.1.4.1 b): login-failure handling. N failures for one username within the window lock it
# for the lockout period; an address gets a higher cap (many users may share one NAT address).
GOVTRUST_LOGIN_FAILURE_LIMIT = envint("GOVTRUST_LOGIN_FAILURE_LIMIT", 5)
GOVTRUST_LOGIN_FAILURE_WINDOW_SECONDS = envint("GOVTRUST_LOGIN_FAILURE_WINDOW_SECONDS", 15 * 60)
GOVTRUST_LOGIN_LOCKOUT_SECONDS = envint("GOVTRUST_LOGIN_LOCKOUT_SECONDS", 15 * 60)
GOVTRUST_LOGIN_IP_FAILURE_LIMIT = envint("GOVTRUST_LOGIN_IP_FAILURE_LIMIT", 30)
# How many reverse proxies of ours sit in front (their X-Forwarded-For entries are trusted); 0 = none.
GOVTRUST_TRUSTED_PROXIES = envint("GOVTRUST_TRUSTED_PROXIES", 0)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = envbool("GOVTRUST_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# --- i18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Manifest storage needs collectstatic; tests and dev run without it (whitenoise #130).
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if envbool("GOVTRUST_MANIFEST_STATIC", False)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every request otherwise
MEDIA_ROOT = VAR_DIR / "media"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("GOVTRUST_MAX_UPLOAD_BYTES", 50 * 1024 * 1024)

# --- Security headers -----------------------------------------------------------------------
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Background work ------------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": os.environ.get(
            "GOVTRUST_TASK_BACKEND",
            "django_tasks.backends.immediate.ImmediateBackend" if TESTING else "django_tasks_db.DatabaseBackend",
        ),
    }
}

# --- Import machinery (归集, core.ingest) ------------------------------------------------------
# Rows per committed chunk (at most 5,000: a crash loses at most one chunk) and the XLSX row cap.
GOVTRUST_INGEST_CHUNK_ROWS = envint("GOVTRUST_INGEST_CHUNK_ROWS", 5000)
GOVTRUST_INGEST_XLSX_MAX_ROWS = envint("GOVTRUST_INGEST_XLSX_MAX_ROWS", 200_000)
# Commit staged chunks in a second thread while the next chunk is validated (core.ingest.services._ChunkWriter).
GOVTRUST_INGEST_WRITER_THREAD = envint("GOVTRUST_INGEST_WRITER_THREAD", 1) == 1
# Validate rows in a forked child process while this one reads and writes (core.ingest.parallel), for the
# kinds that allow it.
GOVTRUST_INGEST_PARALLEL = envint("GOVTRUST_INGEST_PARALLEL", 1) == 1
# A CSV file of such a kind is staged by two forked processes that validate and write alternate chunks
# (core.ingest.parallel.staged_in_parts); 0: one validating child as above.
GOVTRUST_INGEST_SPLIT = envint("GOVTRUST_INGEST_SPLIT", 1) == 1
# On SQLite, stage an import's typed rows in a database file of the batch's own, attached at publication and unlinked
# after it (core.ingest.stagingfile); 0 stages them in the kind's table in the platform's database.
GOVTRUST_INGEST_STAGING_FILE = envint("GOVTRUST_INGEST_STAGING_FILE", 1) == 1
# How long a second runner of a batch waits for the first to finish staging before it stops (core.ingest.services).
GOVTRUST_INGEST_LOCK_WAIT_S = envint("GOVTRUST_INGEST_LOCK_WAIT_S", 60)

# --- Mail -----------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("GOVTRUST_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("GOVTRUST_EMAIL_HOST", "localhost")
EMAIL_PORT = envint("GOVTRUST_EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("GOVTRUST_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = envsecret("GOVTRUST_EMAIL_PASSWORD")
EMAIL_USE_TLS = envbool("GOVTRUST_EMAIL_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("GOVTRUST_FROM_EMAIL", "govtrust@localhost")
# Where emailed notification links point, e.g. https://govtrust.example.gov.cn (no trailing slash).
GOVTRUST_SITE_URL = os.environ.get("GOVTRUST_SITE_URL", "http://127.0.0.1:8000")

# --- Cryptography (商用密码) ------------------------------------------------------------------
# SM4 key for personal data at rest and the HMAC-SM3 key for look-up hashes, hex, 16 and 32 bytes.
# Production must set both (or *_FILE); the dev defaults are derived from SECRET_KEY.
GOVTRUST_SM4_KEY = envsecret("GOVTRUST_SM4_KEY")
GOVTRUST_LOOKUP_HASH_KEY = envsecret("GOVTRUST_LOOKUP_HASH_KEY")
# SM2 private key (hex) that signs audit checkpoints; generated into var/keys/ when absent.
GOVTRUST_SM2_PRIVATE_KEY = envsecret("GOVTRUST_SM2_PRIVATE_KEY")
GOVTRUST_SM2_SIGNER_ID = os.environ.get("GOVTRUST_SM2_SIGNER_ID", "1234567812345678")
# Public keys (x||y hex, comma-separated) whose audit checkpoints `govtrust audit verify` accepts:
# pins the key and keeps retired keys valid after a rotation. Empty: the current key only.
GOVTRUST_AUDIT_TRUSTED_KEYS = [k for k in os.environ.get("GOVTRUST_AUDIT_TRUSTED_KEYS", "").split(",") if k.strip()]

# --- Public portal (disclosure) --------------------------------------------------------------
# Seconds the home, region and statistics aggregates stay cached (per day); 0 turns the cache off.
GOVTRUST_PORTAL_STATS_CACHE_SECONDS = envint("GOVTRUST_PORTAL_STATS_CACHE_SECONDS", 0 if TESTING else 300)

# --- Screening ---------------------------------------------------------------------------------
# A batch of at least this many subjects is checked on two cores (the second half in a forked child of the
# worker, screening/parallel.py); 0 turns that off. Off on a single-core machine.
GOVTRUST_SCREENING_PARALLEL_MIN = envint("GOVTRUST_SCREENING_PARALLEL_MIN", 1000 if (os.cpu_count() or 1) > 1 else 0)

# --- Credit reports (disclosure) -------------------------------------------------------------
# A TrueType CJK font that ReportLab embeds (subsetted) in every report; .ttc files need the face index.
GOVTRUST_REPORT_FONT = os.environ.get("GOVTRUST_REPORT_FONT", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
GOVTRUST_REPORT_FONT_INDEX = envint("GOVTRUST_REPORT_FONT_INDEX", 0)
# Days a report stays valid after it is issued (printed on it and checked by the verification page).
GOVTRUST_REPORT_VALID_DAYS = envint("GOVTRUST_REPORT_VALID_DAYS", 30)
# Largest PDF the public verification page accepts.
GOVTRUST_REPORT_UPLOAD_MAX_BYTES = envint("GOVTRUST_REPORT_UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
# Optional second signature: an Ed25519 private key (32 bytes hex). Empty: reports are signed with SM2 only.
GOVTRUST_REPORT_ED25519_KEY = envsecret("GOVTRUST_REPORT_ED25519_KEY")

# --- API ------------------------------------------------------------------------------------
NINJA_PAGINATION_PER_PAGE = 20

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("GOVTRUST_LOG_LEVEL", "WARNING")},
}

if TESTING:
    # Tests create many users; a slow password hash would dominate their run time.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
