import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()


def _require_secret_key() -> None:
    """Refuse to start serving without a SECRET_KEY (Django itself would refuse only at its first use)."""
    from django.conf import settings

    try:
        settings.SECRET_KEY  # noqa: B018 (reading an empty one raises)
    except ImproperlyConfigured as error:
        raise ImproperlyConfigured("Set SECRET_KEY (or DEBUG=1 for a development key).") from error


_require_secret_key()
