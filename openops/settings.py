"""OpenOps settings: one file, read from the environment (README lists every variable).

Every variable has a safe default for the embedded setup (`make run`: SQLite under var/, Celery
eager, local-memory cache, console mail). A present but unusable value stops start-up with a
message naming the variable.
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from openops.env import (
    cache_url,
    db_url,
    email_url,
    env_bool,
    env_int,
    env_list,
    env_oidc_providers,
    env_rate,
    env_str,
    env_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

# Off unless asked for: a forgotten variable must never serve debug pages to the world.
DEBUG = env_bool("DEBUG", False)

# The key from SECRET_KEY, else from the file `make run` writes once (so `manage.py` commands
# work in a fresh shell beside it); with neither, only DEBUG=true may use a throwaway key.
SECRET_KEY_FILE = Path(env_str("OPENOPS_SECRET_KEY_FILE", str(VAR_DIR / "secret_key")))
SECRET_KEY = env_str("SECRET_KEY") or (
    SECRET_KEY_FILE.read_text().strip() if SECRET_KEY_FILE.is_file() else ""
)
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            f"SECRET_KEY must be set when DEBUG=false (or written to {SECRET_KEY_FILE}, "
            "as `make run` does)."
        )
    SECRET_KEY = "insecure-openops-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1"])

# Absolute links (API `url` fields, the runbook_url hint) use OPENOPS_BASE_URL; without it, the
# address the request came to (ALLOWED_HOSTS guards the Host header), so `make run` on any port
# gives working links.
BASE_URL = env_str("OPENOPS_BASE_URL", "").rstrip("/")
CSRF_TRUSTED_ORIGINS = []
if BASE_URL:
    _base = urlsplit(BASE_URL)
    if _base.scheme not in ("http", "https") or not _base.netloc:
        raise ImproperlyConfigured(
            f"OPENOPS_BASE_URL={BASE_URL!r} is not valid: expected an absolute http(s) URL."
        )
    CSRF_TRUSTED_ORIGINS = [f"{_base.scheme}://{_base.netloc}"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "csp",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "runbooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "runbooks.api.errors.RequestLimitsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Above: what shapes every response without a session. Here, requests that carry no
    # session may be answered at once (runbooks/fastpath.py), which writes no audit entry;
    # below, who is asking and from where, sessions and users.
    "runbooks.fastpath.SignedOutFastPath",
    "runbooks.audit.AuditContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "openops.urls"
WSGI_APPLICATION = "openops.wsgi.application"

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
                "runbooks.views.notifications.unread_count",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite is the embedded default: WAL so readers never wait for the writer, a busy timeout so
# concurrent writers queue instead of failing, and IMMEDIATE transactions so a write transaction
# takes the lock up front (no upgrade deadlocks between two read-then-write transactions).
DATABASES = {
    "default": env_url(
        "DATABASE_URL",
        f"sqlite:///{VAR_DIR / 'openops.sqlite3'}",
        {"sqlite", "postgres", "postgresql", "pgsql"},
        db_url,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    if DATABASES["default"]["NAME"].startswith(str(VAR_DIR)):
        VAR_DIR.mkdir(exist_ok=True)
# Keep a worker's connection between requests (SQLite too: opening one and setting its pragmas
# cost more than a cached page); checked before reuse.
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# SQLite cannot enforce "one miss row per (name, provider)" when provider is NULL; there its
# IMMEDIATE write transactions serialise the update-then-create in services.record_miss.
SILENCED_SYSTEM_CHECKS = ["models.W047"]

# --- Cache ----------------------------------------------------------------------------------
CACHES = {
    "default": env_url(
        "CACHE_URL", "locmemcache://", {"locmemcache", "redis", "rediss", "dummycache"}, cache_url
    )
}

# --- Mail -----------------------------------------------------------------------------------
vars().update(
    env_url(
        "EMAIL_URL",
        "consolemail://",
        {"consolemail", "smtp", "smtps", "memorymail", "filemail"},
        email_url,
    )
)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "openops@localhost")

# --- Security -------------------------------------------------------------------------------
TLS = env_bool("OPENOPS_TLS", not DEBUG)
SECURE_SSL_REDIRECT = TLS
# Probes (load balancers, compose, Kubernetes) ask over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz/$", r"^readyz/$"]
SESSION_COOKIE_SECURE = TLS
CSRF_COOKIE_SECURE = TLS
SECURE_HSTS_SECONDS = 31536000 if TLS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = TLS
# Preload is on by default (`check --deploy` clean); a domain not meant for browsers' preload
# list (it is hard to leave) sets OPENOPS_HSTS_PRELOAD=false.
SECURE_HSTS_PRELOAD = TLS and env_bool("OPENOPS_HSTS_PRELOAD", True)
if env_bool("OPENOPS_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
# --- Sign-in with OpenID Connect (runbooks/oidc.py; README "Federated sign-in") ---------------
OIDC_PROVIDERS = env_oidc_providers("OPENOPS_OIDC_PROVIDERS")
_OIDC_ORIGINS = sorted({"/".join(p.issuer.split("/", 3)[:3]) for p in OIDC_PROVIDERS})
# The claim whose `openops:<provider>:<role>` groups make memberships at every sign-in.
OPENOPS_OIDC_GROUPS_CLAIM = env_str("OPENOPS_OIDC_GROUPS_CLAIM", "groups")
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [
            {
                "provider_id": p.id,
                "name": p.name,
                "client_id": p.client_id,
                "secret": p.client_secret,
                "settings": {"server_url": p.issuer},
            }
            for p in OIDC_PROVIDERS
        ],
    }
}
SOCIALACCOUNT_ADAPTER = "runbooks.oidc.SocialAccountAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = True  # no sign-up form: the issuer's username or e-mail is enough
SOCIALACCOUNT_LOGIN_ON_GET = False  # a sign-in starts with a POST (CSRF-protected)
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # never sign into a local account by e-mail
ACCOUNT_EMAIL_VERIFICATION = "none"
# An issuer's user may share an e-mail address with a local account: they stay two users (with
# unique addresses allauth would send the second to a sign-up form, which OpenOps has not).
ACCOUNT_UNIQUE_EMAIL = False
ACCOUNT_ADAPTER = "runbooks.oidc.AccountAdapter"

# Content Security Policy on every response (django-csp): scripts and styles only from our own
# static files — no inline script, no style attribute, no eval — and nothing may frame a page,
# load a plugin, rebase links or post a form elsewhere. Images may come from https (runbooks
# show diagrams kept elsewhere; the sanitiser already allows only http/https sources). The API
# docs page alone relaxes style-src (openops/urls.py says why). Violations are reported to
# /csp-report/, which logs them (rate-limited).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "https:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        # A sign-in form posts here and is redirected to the user's issuer.
        "form-action": ["'self'", *_OIDC_ORIGINS],
        "report-uri": "/csp-report/",
    }
}
OPENOPS_CSP_REPORT_RATE = 60  # reports a minute from one client address
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Bodies are refused by their Content-Length before they are parsed (DESIGN §8): 2 MB, alert
# webhooks 10 MB. Django's own cap stays as the backstop for bodies sent without a length.
OPENOPS_MAX_BODY_BYTES = 2 * 1024 * 1024
OPENOPS_WEBHOOK_MAX_BYTES = 10 * 1024 * 1024
OPENOPS_WEBHOOK_PATHS = {
    f"/api/v1/alerts/{name}/" for name in ("alertmanager", "grafana", "events", "mail")
}
DATA_UPLOAD_MAX_MEMORY_SIZE = OPENOPS_WEBHOOK_MAX_BYTES
CSRF_FAILURE_VIEW = "runbooks.api.errors.csrf_failure"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# --- Sign-in --------------------------------------------------------------------------------
# Failed sign-ins are counted by django-axes in the database, so every worker and instance
# shares the counts (DESIGN §2). The username and the client address each lock on their own
# (two single parameters; a nested ["username", "ip_address"] pair would lock only the pair).
LOGIN_RATE = env_rate("OPENOPS_LOGIN_RATE", "10/15m")
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out sign-in, right or not
    "django.contrib.auth.backends.ModelBackend",
    # Signs in users who come back from an OpenID Connect issuer (runbooks/oidc.py).
    "allauth.account.auth_backends.AuthenticationBackend",
]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = LOGIN_RATE.count
AXES_COOLOFF_TIME = LOGIN_RATE.period
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# Counted under a storable username: a hostile one (NUL, 300 KB) must not break the sign-in.
AXES_USERNAME_CALLABLE = "runbooks.signin.counted_username"
# A success must not clear the counts: it would clear the address's failures on other users
# too, so an attacker could sign in to their own account to reset the budget.
AXES_RESET_ON_SUCCESS = False
# Each refused attempt restarts the wait, so "try again in <window>" on the page is exact.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
# Failures are what we count; a row per successful sign-in would grow with nothing to sweep it.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False  # no start-up banner: it ended up in every command's output (MTA bounces)
# The client address is the socket's. Behind the proxy it is the right-most X-Forwarded-For
# entry (python-ipware's modern engine: left-most order, zero proxies listed, not strict):
# the one the proxy appended; anything left of it came from the client and can be forged.
AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)
if env_bool("OPENOPS_BEHIND_PROXY", False):
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    AXES_IPWARE_PROXY_ORDER = "left-most"
    AXES_IPWARE_PROXY_COUNT = 0
    IPWARE_STRICT = False

# --- Locale and static files ------------------------------------------------------------------
LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Celery ---------------------------------------------------------------------------------
# No broker configured means tasks run inline (eager): the embedded default needs no services.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_DEFAULT_QUEUE = env_str("OPENOPS_CELERY_QUEUE", "openops")
# Publishing must never make a webhook hang: short socket timeouts and no publish retries.
# An unpublished body stays in the inbox and the sweep enqueues it again.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_MAX_RETRIES = 0
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_timeout": 2,
    "socket_connect_timeout": 2,
    "max_retries": 0,
    "visibility_timeout": 600,
}
# `make run`'s broker folders and beat's schedule file (compose's beat names its own with
# --schedule), never in the working directory.
OPENOPS_CELERY_DIR = Path(env_str("OPENOPS_CELERY_DIR", str(VAR_DIR / "celery")))
if CELERY_BROKER_URL.startswith("filesystem://"):
    # `make run`: a broker that is just folders (kombu's filesystem transport, made to write
    # each message atomically by openops.broker). All on one file system: messages are renamed.
    for _folder in ("queue", "processed", "control"):
        (OPENOPS_CELERY_DIR / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(OPENOPS_CELERY_DIR / "queue"),
        "data_folder_out": str(OPENOPS_CELERY_DIR / "queue"),
        "processed_folder": str(OPENOPS_CELERY_DIR / "processed"),
        "control_folder": str(OPENOPS_CELERY_DIR / "control"),  # not ./control in the cwd
        "store_processed": False,
        # kombu waits this long whenever it finds the folder empty between messages; at its
        # default (1 s) a backlog (seed_demo's mails) held an offline copy up for a minute.
        "polling_interval": 0.1,
    }
OPENOPS_SWEEP_AFTER = timedelta(seconds=env_int("OPENOPS_SWEEP_AFTER_SECONDS", 60, minimum=1))
OPENOPS_CELERY_DIR.mkdir(parents=True, exist_ok=True)
CELERY_BEAT_SCHEDULE_FILENAME = str(OPENOPS_CELERY_DIR / "beat-schedule")
# The worker's heartbeat: beat sends a task this often, and the worker records when it ran (and
# when it last finished any task); /readyz/ answers 503 when the last one is older than
# OPENOPS_HEARTBEAT_MAX_AGE_SECONDS (0: reported, never 503).
OPENOPS_HEARTBEAT_SECONDS = env_int("OPENOPS_HEARTBEAT_SECONDS", 30, minimum=1)
OPENOPS_HEARTBEAT_MAX_AGE_SECONDS = env_int("OPENOPS_HEARTBEAT_MAX_AGE_SECONDS", 180)
CELERY_BEAT_SCHEDULE = {
    "sweep-inbox": {"task": "runbooks.tasks.sweep_inbox", "schedule": 30.0},
    "sweep-events": {"task": "runbooks.tasks.sweep_events", "schedule": 60.0},
    # Digests and reminders: daily at 06:00 UTC, before most operators' day starts.
    "daily-mail": {"task": "runbooks.tasks.daily_mail", "schedule": crontab(hour=6, minute=0)},
    "prune-audit": {"task": "runbooks.tasks.prune_audit", "schedule": crontab(hour=3, minute=30)},
    "sweep-offline-copies": {"task": "runbooks.tasks.sweep_offline_copies", "schedule": 300.0},
    "heartbeat": {
        "task": "runbooks.tasks.heartbeat",
        "schedule": float(OPENOPS_HEARTBEAT_SECONDS),
        "options": {"expires": OPENOPS_HEARTBEAT_SECONDS},  # a missed one is not worth running
    },
}

# --- Product limits -------------------------------------------------------------------------
OPENOPS_DEMO_PASSWORD = env_str("OPENOPS_DEMO_PASSWORD", "openops-demo")
OPENOPS_WEBHOOK_RATE = env_int("OPENOPS_WEBHOOK_RATE", 1200, minimum=1)
# API writes a minute per token, else per signed-in user (429 with Retry-After over it).
OPENOPS_API_WRITE_RATE = env_int("OPENOPS_API_WRITE_RATE", 600, minimum=1)
# Failed token authentications a minute per client address; over it every token is refused.
OPENOPS_TOKEN_FAILURE_RATE = env_int("OPENOPS_TOKEN_FAILURE_RATE", 30, minimum=1)
# Days the audit log keeps an entry (a daily beat task deletes older ones).
OPENOPS_AUDIT_DAYS = env_int("OPENOPS_AUDIT_DAYS", 365, minimum=1)
# Hours an offline copy (the user menu's zip) may be downloaded before it is removed.
OPENOPS_OFFLINE_COPY_HOURS = env_int("OPENOPS_OFFLINE_COPY_HOURS", 24, minimum=1)
OPENOPS_MAX_MARKDOWN_BYTES = 256 * 1024
# Chat rooms and webhooks on private addresses (an internal homeserver; tests on loopback).
OPENOPS_CHAT_ALLOW_PRIVATE = env_bool("OPENOPS_CHAT_ALLOW_PRIVATE", False)

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["runbooks.api.parsers.SafeJSONParser"],
    # Bearer first: its WWW-Authenticate header is what a 401 carries.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "runbooks.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "runbooks.api.permissions.TokenScopes",
        "runbooks.api.permissions.SignedInToWrite",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["runbooks.api.throttles.WriteRate"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "runbooks.api.pagination.Pagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "runbooks.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "OpenOps API",
    "DESCRIPTION": "Runbooks, post-mortems, experience reports and alerts shared by operators.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "DocumentStatusEnum": "runbooks.choices.Status",
        "AlertStatusEnum": "runbooks.models.alerts.AlertStatus",
        "ActionItemStatusEnum": "runbooks.models.postmortems.ActionItem.Status",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "runbooks.api.schema.add_error_responses",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO").upper()},
}
