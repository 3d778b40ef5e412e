from django.urls import path

from adminpanel.billing_urls import urlpatterns as billing_urlpatterns
from adminpanel.messaging_urls import urlpatterns as messaging_urlpatterns
from adminpanel.views import (
    approvals,
    custom_fields,
    home,
    partners,
    portals,
    premoderation,
    sender_ids,
    short_domains,
    users,
)
from senders.models import APPROVAL_KIND as SENDER_ID_KIND

app_name = "adminpanel"

urlpatterns = [
    path("", home.HomeView.as_view(), name="home"),
    path("partners/", partners.PartnerListView.as_view(), name="partner_list"),
    path("partners/new", partners.PartnerCreateView.as_view(), name="partner_create"),
    path("partners/<int:pk>/", partners.PartnerEditView.as_view(), name="partner_edit"),
    path("partners/<int:pk>/disable", partners.PartnerSetActiveView.as_view(active=False), name="partner_disable"),
    path("partners/<int:pk>/enable", partners.PartnerSetActiveView.as_view(active=True), name="partner_enable"),
    path("users/", users.UserListView.as_view(), name="user_list"),
    path("users/new", users.UserCreateView.as_view(), name="user_create"),
    path("users/<int:pk>/disable", users.UserSetActiveView.as_view(active=False), name="user_disable"),
    path("users/<int:pk>/enable", users.UserSetActiveView.as_view(active=True), name="user_enable"),
    path("portals/", portals.PortalListView.as_view(), name="portal_list"),
    path("portals/new", portals.PortalCreateView.as_view(), name="portal_create"),
    path("portals/<int:pk>/", portals.PortalEditView.as_view(), name="portal_edit"),
    path("form-customization/", custom_fields.CustomFieldListView.as_view(), name="custom_field_list"),
    path("form-customization/new", custom_fields.CustomFieldCreateView.as_view(), name="custom_field_create"),
    path("form-customization/<int:pk>/", custom_fields.CustomFieldEditView.as_view(), name="custom_field_edit"),
    path(
        "form-customization/<int:pk>/delete",
        custom_fields.CustomFieldDeleteView.as_view(),
        name="custom_field_delete",
    ),
    path("approvals/<int:pk>/", approvals.ApprovalDetailView.as_view(), name="approval_detail"),
    path("approvals/<int:pk>/forward", approvals.ApprovalActionView.as_view(action="forward"), name="approval_forward"),
    path("approvals/<int:pk>/decline", approvals.ApprovalActionView.as_view(action="decline"), name="approval_decline"),
    path("approvals/<int:pk>/approve", approvals.ApprovalActionView.as_view(action="approve"), name="approval_approve"),
    path("sender-ids/", sender_ids.SenderIDListView.as_view(), name="sender_list"),
    path("sender-ids/events/", approvals.ApprovalEventsView.as_view(kind=SENDER_ID_KIND), name="sender_events"),
    path(
        "premoderation/campaigns/",
        approvals.ApprovalEventsView.as_view(kind=premoderation.CAMPAIGN_KIND),
        name="campaign_premoderation",
    ),
    path(
        "premoderation/templates/",
        approvals.ApprovalEventsView.as_view(kind=premoderation.TEMPLATE_KIND),
        name="template_premoderation",
    ),
    path("sender-ids/<int:pk>/period", sender_ids.SenderPeriodChangeView.as_view(), name="sender_period"),
    path("sender-ids/<int:pk>/unsubscribe", sender_ids.SenderUnsubscribeView.as_view(), name="sender_unsubscribe"),
    path("sender-ids/documents/<int:pk>", sender_ids.SenderDocumentView.as_view(), name="sender_document"),
    path("sender-ids/requests/<int:pk>/logo", sender_ids.SenderLogoView.as_view(), name="sender_logo"),
    path("short-domains/", short_domains.ShortDomainListView.as_view(), name="short_domain_list"),
    path("short-domains/new", short_domains.ShortDomainCreateView.as_view(), name="short_domain_create"),
    path("short-domains/<int:pk>/", short_domains.ShortDomainEditView.as_view(), name="short_domain_edit"),
]
urlpatterns += billing_urlpatterns
urlpatterns += messaging_urlpatterns
