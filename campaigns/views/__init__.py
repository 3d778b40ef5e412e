"""Campaign Portal pages: Campaigns List and details, the Campaign Wizard (Setup, Recipients, Complete & Send),
Campaign from File and Campaign Templates. Views validate with forms; campaigns.services changes state."""

from campaigns.views.details import CampaignActionView, CampaignDetailView
from campaigns.views.from_file import FileCampaignMapView, FileCampaignView, SampleView
from campaigns.views.lists import CampaignListView
from campaigns.views.setup import SetupView
from campaigns.views.templates import TemplateDeleteView, TemplateFormView, TemplateListView
from campaigns.views.wizard import RecipientsView, RenameView, SendView

__all__ = [
    "CampaignActionView",
    "CampaignDetailView",
    "CampaignListView",
    "FileCampaignMapView",
    "FileCampaignView",
    "RecipientsView",
    "RenameView",
    "SampleView",
    "SendView",
    "SetupView",
    "TemplateDeleteView",
    "TemplateFormView",
    "TemplateListView",
]
