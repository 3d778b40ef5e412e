"""Settings read from the environment.

Without any variables set, the project runs on the embedded default: SQLite in WAL mode and a
filesystem Celery broker under ``var/``. ``DATABASE_URL`` and ``REDIS_URL`` switch to
PostgreSQL and Redis.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
env.read_env(BASE_DIR / ".env", overwrite=False)
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=False)
# Outside DEBUG there is no default: Django refuses an empty SECRET_KEY where it is first used, so commands that
# sign nothing (migrate, makemigrations --check) run without one, and config/wsgi.py refuses to serve without it.
SECRET_KEY = env.str("SECRET_KEY", default="insecure-dev-key-change-me" if DEBUG else "")

# The portal middleware accepts only hosts that belong to a configured Portal, so Django's own
# host check may stay open unless the operator narrows it.
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["*"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "treebeard",
    "axes",
    "captcha",
    "tenancy",
    "senders",
    "billing",
    "contacts",
    "messaging",
    "shortener",
    "campaigns",
    "portal",
    "adminpanel",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "tenancy.middleware.LocaleMiddleware",  # Django's, restoring the language after the request
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "shortener.middleware.ShortLinkMiddleware",
    "tenancy.middleware.PortalMiddleware",
    "tenancy.middleware.UserPreferencesMiddleware",
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
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tenancy.context_processors.portal",
            ],
        },
    },
]

SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
}
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = SQLITE_OPTIONS
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    # One redis.Redis client per pool (config/cache.py): Django builds one per call otherwise.
    CACHES = {"default": {"BACKEND": "config.cache.SharedClientRedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_USER_MODEL = "tenancy.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "portal:sign_in"
LOGOUT_REDIRECT_URL = "portal:sign_in"

# Login throttling: five failures for one e-mail from one address lock it out for 15 minutes.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "email"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "portal/auth/locked_out.html"
AXES_VERBOSE = False

OTP_TOTP_ISSUER = "Campaign Portal"
OTP_TOTP_THROTTLE_FACTOR = 1

CAPTCHA_LENGTH = 5
CAPTCHA_CHALLENGE_FUNCT = "captcha.helpers.random_char_challenge"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 3600)
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish")), ("ru", _("Russian")), ("tr", _("Turkish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Uploaded documents that need an access check (sender ID papers): never under MEDIA_ROOT, never served directly.
PRIVATE_MEDIA_ROOT = Path(env.str("PRIVATE_MEDIA_ROOT", default=str(VAR_DIR / "private")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "senders.storage.PrivateFileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT)},
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Campaign Portal <no-reply@campaign.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

CELERY_BROKER_URL = REDIS_URL or "filesystem://"
if not REDIS_URL:
    _broker_dir = str(VAR_DIR / "broker")
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": _broker_dir,
        "data_folder_out": _broker_dir,
        "processed_folder": str(VAR_DIR / "broker-processed"),
        "control_folder": str(VAR_DIR / "broker-control"),
        "store_processed": False,
        "polling_interval": 0.1,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "purge-unconfirmed-sign-ups": {
        "task": "tenancy.tasks.purge_unconfirmed_sign_ups",
        "schedule": timedelta(hours=1),
    },
    "expire-sender-ids": {
        "task": "senders.tasks.expire_sender_ids",
        "schedule": timedelta(minutes=15),
    },
}
CELERY_BEAT_SCHEDULE["expire-packs"] = {"task": "billing.tasks.expire_packs", "schedule": timedelta(minutes=5)}
# The delivery engine (messaging): queues per kind of work; beat jobs are the durable safety net.
CELERY_TASK_ROUTES = {
    "messaging.tasks.dispatch_due": {"queue": "dispatch"},
    "messaging.tasks.reconcile_claims": {"queue": "dispatch"},
    "messaging.tasks.process_timers": {"queue": "dlr"},
    "messaging.tasks.deliver_simulator_events": {"queue": "dlr"},
    "messaging.tasks.match_unmatched_receipts": {"queue": "dlr"},
    "messaging.tasks.send_callbacks": {"queue": "callbacks"},
}
# Contact imports and clean-ups read and write files: the io queue.
CELERY_TASK_ROUTES.update(
    {"contacts.tasks.import_contacts": {"queue": "io"}, "contacts.tasks.purge_field_values": {"queue": "io"}}
)
CELERY_BEAT_SCHEDULE.update(
    {
        "messaging-dispatch": {"task": "messaging.tasks.dispatch_due", "schedule": timedelta(seconds=5)},
        "messaging-simulator": {"task": "messaging.tasks.deliver_simulator_events", "schedule": timedelta(seconds=2)},
        "messaging-timers": {"task": "messaging.tasks.process_timers", "schedule": timedelta(seconds=15)},
        "messaging-reconcile": {"task": "messaging.tasks.reconcile_claims", "schedule": timedelta(seconds=30)},
        "messaging-callbacks": {"task": "messaging.tasks.send_callbacks", "schedule": timedelta(seconds=15)},
        "messaging-unmatched": {"task": "messaging.tasks.match_unmatched_receipts", "schedule": timedelta(minutes=1)},
        "messaging-purge": {"task": "messaging.tasks.purge_old_records", "schedule": timedelta(hours=6)},
    }
)
# Campaigns: expansion on its own queue; the sweeper starts due campaigns and completes finished ones.
CELERY_TASK_ROUTES["campaigns.tasks.expand_recipients"] = {"queue": "expand"}
CELERY_BEAT_SCHEDULE["campaigns-due"] = {
    "task": "campaigns.tasks.start_due_campaigns",
    "schedule": timedelta(seconds=15),
}
MESSAGING_DISPATCH_BATCH = env.int("MESSAGING_DISPATCH_BATCH", default=1000)
# A claimed batch not recorded within this time is reconciled with the vendor (its worker is presumed dead).
MESSAGING_CLAIM_TIMEOUT_SECONDS = env.int("MESSAGING_CLAIM_TIMEOUT_SECONDS", default=300)
# SENT messages without a final delivery report after this long become UNDELIVERED (expired).
MESSAGING_STATUS_WAIT_SECONDS = env.int("MESSAGING_STATUS_WAIT_SECONDS", default=24 * 3600)
MESSAGING_CALLBACK_ATTEMPTS = env.int("MESSAGING_CALLBACK_ATTEMPTS", default=10)
# How vendors reach this server (their delivery report webhook address is built from it).
MESSAGING_PUBLIC_URL = env.str("MESSAGING_PUBLIC_URL", default="http://127.0.0.1:8000")
# The instant demo payment method in the Top Up window; keep it off in production.
BILLING_DEMO_GATEWAY = env.bool("BILLING_DEMO_GATEWAY", default=DEBUG)
# Self-registered accounts whose e-mail was never confirmed are removed after this many hours.
SIGN_UP_CONFIRMATION_HOURS = env.int("SIGN_UP_CONFIRMATION_HOURS", default=72)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# REST API (api app): bearer API keys and short-lived login tokens are JWTs signed with this secret.
API_JWT_SECRET = env.str("API_JWT_SECRET", default="")  # empty: SECRET_KEY
API_TOKEN_MINUTES = env.int("API_TOKEN_MINUTES", default=60)
# Callback URLs may point at loopback / private networks only when this is on (development, tests).
API_CALLBACK_ALLOW_PRIVATE = env.bool("API_CALLBACK_ALLOW_PRIVATE", default=DEBUG)
API_SEND_SMS_MAX_BODY = env.int("API_SEND_SMS_MAX_BODY", default=1024 * 1024)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.BearerAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.IsCampaignPortalPartner"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.ApiKeyRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_key": env.str("API_KEY_RATE", default="36000/minute")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Campaign Portal API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ChannelEnum": "tenancy.models.Channel.choices",
        "BillingChannelEnum": "billing.models.BillingChannel.choices",
    },
}
