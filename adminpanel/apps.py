from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AdminPanelConfig(AppConfig):
    name = "adminpanel"
    verbose_name = _("Admin Panel")
