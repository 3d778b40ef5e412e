from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = _("Campaigns")

    def ready(self) -> None:
        from campaigns.models import CAMPAIGN_KIND, TEMPLATE_KIND
        from campaigns.services import CampaignApprovalHandler, TemplateApprovalHandler
        from tenancy import approvals

        approvals.register(CAMPAIGN_KIND, CampaignApprovalHandler())
        approvals.register(TEMPLATE_KIND, TemplateApprovalHandler())

        from campaigns.services import group_use_reason
        from contacts.services.groups import register_group_use_check

        register_group_use_check(group_use_reason)
