"""
The one settings module of the OCA giving site.

Everything that differs between a laptop, CI and production comes from environment
variables (or a `.env` file beside manage.py); `.env.example` documents each one. A fresh
checkout runs with none of them set: DEBUG on via `make run`, SQLite, mail to the console,
and the offline Stripe stand-in.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# The .env beside manage.py holds a developer's settings (`make run` writes one on its
# first run, so that manage.py commands get the same). The test suite reads none: it
# checks what production runs, whatever the checkout holds. (pytest sets PYTEST_VERSION,
# for the processes its tests start too.)
if "PYTEST_VERSION" not in os.environ:
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (see .env.example).")
    # Only ever used on a developer's machine: DEBUG must be switched on explicitly.
    SECRET_KEY = "insecure-development-key-never-use-in-production"

SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
_site_host = urlsplit(SITE_URL).hostname

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS",
    default=["127.0.0.1", "localhost", _site_host] if DEBUG else [_site_host],
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_tasks_db",
    "axes",
    "oca_site",
    "campaigns",
    "donations",
    "fundraising",
    "devtools",
]

MIDDLEWARE = [
    # The load balancer's probe, before the host check and the https redirect.
    "oca_site.middleware.health_check",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside everything that makes a response, so that it sees every error page.
    "oca_site.middleware.errors_not_cached",
    # Public pages for anonymous visitors, from the cache, before the work below.
    "campaigns.http_cache.PublicPageCacheMiddleware",
    # Other pages go out gzipped (whitenoise compresses static files ahead of time, and
    # public pages keep a compressed copy: campaigns.http_cache). Django pads each
    # compressed response with random bytes against BREACH, and CSRF tokens are masked
    # anew for every response.
    "django.middleware.gzip.GZipMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "oca_site.middleware.permissions_policy",
    "oca_site.middleware.DatabaseUnavailableMiddleware",
    # Last, as django-axes asks: it watches the outcome of login attempts.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "oca_site.urls"
WSGI_APPLICATION = "oca_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "campaigns.context_processors.site",
                "campaigns.context_processors.organization",
            ],
        },
    },
]

# Database: SQLite in the project folder unless DATABASE_URL says otherwise.
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Persistent connections, checked before reuse so that a database restart is
    # survived without restarting the app servers.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=600)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = 5
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The rate limits (donations.ratelimit) count in the default cache, so every app server
# must share it: Redis from CACHE_URL, or else, with DEBUG off, a table in the database
# (`migrate` creates it, see oca_site.cache). Only development, served by one process,
# keeps it in that process's memory.
_cache_url = env("CACHE_URL", default="")
if _cache_url:
    CACHES = {"default": env.cache_url_config(_cache_url)}
    if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
        # The same, keeping its Redis client between calls (see oca_site.cache).
        CACHES["default"]["BACKEND"] = "oca_site.cache.RedisCache"
elif DEBUG:
    CACHES = {"default": env.cache_url_config("locmemcache://oca")}
else:
    CACHES = {
        "default": {
            "BACKEND": "oca_site.cache.DatabaseCache",
            "LOCATION": "oca_cache",
            # Culling (past MAX_ENTRIES) drops live entries too, rate-limit counters
            # included: room for one counter per address for an hour of heavy traffic.
            "OPTIONS": {"MAX_ENTRIES": 50_000},
        }
    }

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]

# Admin login throttling: after AXES_FAILURE_LIMIT failures from one address for one
# username, further attempts are refused for AXES_COOLOFF_HOURS.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=1.0)
AXES_LOCKOUT_PARAMETERS = [["ip_address", "username"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
AXES_IPWARE_PROXY_COUNT = env.int("PROXY_COUNT", default=0)
# The client's address as the rate limits find it, PROXY_COUNT hops from the end of
# X-Forwarded-For. Without it django-axes (with no django-ipware installed) takes
# REMOTE_ADDR, nginx's own address behind deploy/nginx.conf, the same for every
# visitor: five wrong passwords from anywhere would lock a staff member out for all.
AXES_CLIENT_IP_CALLABLE = "donations.ratelimit.client_ip"

ADMIN_PATH = env("ADMIN_PATH", default="admin/").strip("/") + "/"

# Internationalisation: English now, Spanish to follow. Every user-facing string goes
# through gettext, and money and dates through campaigns.formatting.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Spanish numbers as the US writes them, $1,250.50 (oca_site/formats/es).
FORMAT_MODULE_PATH = ["oca_site.formats"]
TIME_ZONE = "America/New_York"
USE_I18N = True
USE_TZ = True

# Static files: whitenoise serves them with compressed, content-hashed names.
STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploads (campaigns' share images): files in MEDIA_ROOT, a volume that outlives the
# container, served by the app itself at MEDIA_URL (oca_site.media), DEBUG or not.
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "oca_site.storage.StaticStorage"},
}

# Mail: one default mailer from MAIL_URL (smtp://user:password@host:587 with +tls or
# +ssl, or consolemail:// on a laptop).
_mail = env.email_url_config(
    env("MAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25")
)
_mail_options = {"timeout": env.int("MAIL_TIMEOUT", default=10)}
if _mail["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend":
    _mail_options |= {
        "host": _mail["EMAIL_HOST"],
        "port": _mail["EMAIL_PORT"],
        "username": _mail["EMAIL_HOST_USER"] or "",
        "password": _mail["EMAIL_HOST_PASSWORD"] or "",
        "use_tls": bool(_mail.get("EMAIL_USE_TLS")),
        "use_ssl": bool(_mail.get("EMAIL_USE_SSL")),
    }
elif _mail["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend":
    _mail_options = {}
    if DEBUG:
        # `make run`: each message printed decoded, links whole, and kept for
        # /dev/mail/ (devtools.devmail) instead of Django's quoted-printable source.
        _mail["EMAIL_BACKEND"] = "devtools.devmail.ReadableConsoleBackend"
MAILERS = {"default": {"BACKEND": _mail["EMAIL_BACKEND"], "OPTIONS": _mail_options}}
DEFAULT_FROM_EMAIL = env(
    "DEFAULT_FROM_EMAIL",
    default="Open Communities Alliance <giving@ctoca.org>",
)
SERVER_EMAIL = env("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)

# Background work through Django's Tasks API: run at once in development and tests,
# queued in the database (django-tasks-db's db_worker) in production.
TASKS = {
    "default": {
        "BACKEND": env("TASKS_BACKEND", default="django.tasks.backends.immediate.ImmediateBackend")
    }
}

# Stripe. An empty STRIPE_API_BASE means Stripe itself; in development it points at
# the offline stand-in (`make run` starts it).
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_PRODUCT_ID = env("STRIPE_PRODUCT_ID", default="")
STRIPE_API_BASE = env("STRIPE_API_BASE", default="")
_stripe_origins = ["https://checkout.stripe.com", "https://billing.stripe.com"]
if STRIPE_API_BASE:
    _stripe_origins.append("{0.scheme}://{0.netloc}".format(urlsplit(STRIPE_API_BASE)))
# Three tries of 8 seconds and the client's backoff between them (0.5 s, then 1 s):
# a Stripe that never answers is given up on within 26 seconds, and the donor told
# nothing was charged, before gunicorn kills the worker at its 30.
STRIPE_TIMEOUT = env.float("STRIPE_TIMEOUT", default=8.0)
STRIPE_MAX_RETRIES = env.int("STRIPE_MAX_RETRIES", default=2)

# The chart-of-accounts names of the month's journal export (donations.accounting);
# each must match an account in QuickBooks Online exactly (Parent:Child for a
# sub-account).
_contributions_account = env("ACCOUNT_CONTRIBUTIONS", default="Contributions Income")
ACCOUNTING_ACCOUNTS = {
    "stripe": env("ACCOUNT_STRIPE", default="Stripe Clearing"),
    "bank": env("ACCOUNT_BANK", default="Checking"),
    "contributions": _contributions_account,
    "fees": env("ACCOUNT_STRIPE_FEES", default="Merchant Fees"),
    "refunds": env("ACCOUNT_REFUNDS", default="Contributions Refunded"),
    "disputes": env("ACCOUNT_DISPUTES", default="Chargebacks"),
    "securities": env("ACCOUNT_DONATED_SECURITIES", default="Donated Securities"),
    "stock_contributions": env("ACCOUNT_STOCK_CONTRIBUTIONS", default=_contributions_account),
    "in_kind": env("ACCOUNT_IN_KIND", default="In-kind Goods and Services"),
    "in_kind_contributions": env("ACCOUNT_IN_KIND_CONTRIBUTIONS", default="In-kind Contributions"),
}

# What other apps add to a campaign's page (campaigns.views.render_campaign).
CAMPAIGN_PAGE_CONTEXT = ["donations.views.campaign_page_context"]

# Processing fee a donor may choose to cover: FEE_PERCENT of the gift plus FEE_FIXED_CENTS.
DONATION_FEE_PERCENT = env.float("DONATION_FEE_PERCENT", default=2.2)
DONATION_FEE_FIXED_CENTS = env.int("DONATION_FEE_FIXED_CENTS", default=30)
DONATION_MIN_CENTS = 500
DONATION_MAX_CENTS = 2_500_000
# Paying from a US bank account (ACH Direct Debit): Stripe takes BANK_FEE_PERCENT of
# the charge, at most BANK_FEE_CAP_CENTS, so large gifts lose far less than by card.
# The form offers it first from BANK_SUGGESTED_CENTS; BANK_MAX_CENTS is its online cap.
DONATION_BANK_FEE_PERCENT = env.float("DONATION_BANK_FEE_PERCENT", default=0.8)
DONATION_BANK_FEE_CAP_CENTS = env.int("DONATION_BANK_FEE_CAP_CENTS", default=500)
DONATION_BANK_SUGGESTED_CENTS = env.int("DONATION_BANK_SUGGESTED_CENTS", default=50_000)
DONATION_BANK_MAX_CENTS = env.int("DONATION_BANK_MAX_CENTS", default=10_000_000)
PLEDGE_RATE_LIMIT = env("PLEDGE_RATE_LIMIT", default="10/h")
# Public pages (campaigns.http_cache): how long a shared cache (nginx, a CDN) may serve
# one without asking, how long it may serve it stale while it asks, and how long the
# app keeps a render (a change to the campaign retires it at once).
PUBLIC_PAGE_MAX_AGE = env.int("PUBLIC_PAGE_MAX_AGE", default=15)
PUBLIC_PAGE_STALE_SECONDS = env.int("PUBLIC_PAGE_STALE_SECONDS", default=60)
PUBLIC_PAGE_CACHE_SECONDS = env.int("PUBLIC_PAGE_CACHE_SECONDS", default=600)
# Thank-you page lookups of checkout sessions that are no pledge of ours, per address.
THANK_YOU_UNKNOWN_RATE_LIMIT = env("THANK_YOU_UNKNOWN_RATE_LIMIT", default="30/h")
# Thank-you page lookups of our own checkout sessions (each asks Stripe), per address:
# generous, as many donors may give from one office or event network.
THANK_YOU_RATE_LIMIT = env("THANK_YOU_RATE_LIMIT", default="120/h")

# Request bodies: the donation form and Stripe's events are small.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)

# Security. Production runs behind a TLS-terminating proxy that sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# The sites that may frame a campaign's donate button (campaigns.embed), as origins
# (https://www.ctoca.org), comma-separated; a system check refuses anything else. Every
# other page, and the button too while this is empty, may be framed by no site.
EMBED_ALLOWED_ORIGINS = [
    origin.strip() for origin in env.list("EMBED_ALLOWED_ORIGINS", default=[]) if origin.strip()
]
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)
SECURE_CSP = {
    "default-src": [CSP.SELF],
    # No nonce: no page has an inline script, and a public page's headers are the
    # same for every visitor (campaigns.http_cache keeps them with the page).
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    # The donation form answers with a redirect to Stripe's hosted pages, and browsers
    # apply form-action to that redirect too.
    "form-action": [CSP.SELF, *_stripe_origins],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # No donor's address in the log, whatever an error's text quotes (oca_site.redaction).
    "filters": {"no_addresses": {"()": "oca_site.redaction.RedactAddresses"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["no_addresses"],
        }
    },
    # "warning" as well as "WARNING": logging knows the names in capitals only.
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO").upper()},
    "loggers": {
        # Django logs every 4xx with the request path; quiet the noise of bots.
        "django.request": {"level": "ERROR"},
        "axes": {"level": "WARNING"},
        "stripe": {"level": "WARNING"},
    },
}
