from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = _("API")

    def ready(self) -> None:
        from api import schema, signals  # noqa: F401  (OpenAPI auth extension; MO callbacks to the routes)
