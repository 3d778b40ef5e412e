"""Mounted at ``/api/``: login tokens, send_sms, the v1 API and its OpenAPI schema and docs."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from api import v1, v1_billing, v1_campaigns, v1_contacts, v1_imports, v1_templates, views

app_name = "api"

router = SimpleRouter(trailing_slash=False)
router.register("api-keys", views.ApiKeyViewSet, basename="api-keys")
router.register("sender-ids", v1.SenderIdViewSet, basename="sender-ids")
router.register("messages", v1.MessageViewSet, basename="messages")
router.register("transactions", v1.TransactionViewSet, basename="transactions")
router.register("contacts", v1_contacts.ContactViewSet, basename="contacts")
router.register("groups", v1_contacts.GroupViewSet, basename="groups")
router.register("stop-list", v1_contacts.StopListViewSet, basename="stop-list")
router.register("imports", v1_imports.ImportViewSet, basename="imports")
router.register("templates", v1_templates.TemplateViewSet, basename="templates")
router.register("campaigns", v1_campaigns.CampaignViewSet, basename="campaigns")
router.register("packs", v1_billing.PackViewSet, basename="packs")
router.register("rate-plans", v1_billing.RatePlanViewSet, basename="rate-plans")
router.register("subscriptions", v1_billing.SubscriptionViewSet, basename="subscriptions")

urlpatterns = [
    path("auth/token", views.TokenView.as_view(), name="token"),
    path("send_sms", views.SendSmsView.as_view(), name="send_sms"),
    path("v1/balance", v1.BalanceView.as_view(), name="balance"),
    path("v1/", include(router.urls)),
    path("v1/schema", SpectacularAPIView.as_view(), name="schema"),
    path("schema/", SpectacularAPIView.as_view(), name="schema_alias"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    re_path(r"^.*$", views.not_found, name="not_found"),  # unknown API paths answer JSON, not an HTML page
]
