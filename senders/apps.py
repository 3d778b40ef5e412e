from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SendersConfig(AppConfig):
    name = "senders"
    verbose_name = _("Sender IDs")

    def ready(self) -> None:
        from senders.models import APPROVAL_KIND
        from senders.services import SenderIDApprovalHandler
        from tenancy import approvals

        approvals.register(APPROVAL_KIND, SenderIDApprovalHandler())
