"""Settings for tests/integration and the Celery worker they start: real PostgreSQL, Redis and worker.

``DATABASE_URL`` and ``REDIS_URL`` choose the servers (defaults: the local PostgreSQL and Redis
database 15); e-mails are written as files into ``INTEGRATION_MAIL_DIR``. Nothing runs eagerly.
"""

import os

os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("SECRET_KEY", "integration-only-secret-key")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/campaign_portal")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")

from config.settings import *  # noqa: E402, F403

if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":  # noqa: F405
    raise environ.ImproperlyConfigured("The integration settings need a PostgreSQL DATABASE_URL.")  # noqa: F405
if not REDIS_URL:  # noqa: F405
    raise environ.ImproperlyConfigured("The integration settings need REDIS_URL.")  # noqa: F405

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = env.str("INTEGRATION_MAIL_DIR", default=str(VAR_DIR / "integration-mail"))  # noqa: F405
# WhiteNoise warns about a missing STATIC_ROOT; the runserver-style static handling needs none.
STATIC_ROOT = None  # type: ignore[assignment]
CELERY_TASK_ALWAYS_EAGER = False
CAPTCHA_TEST_MODE = True
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
