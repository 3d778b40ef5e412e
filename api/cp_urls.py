"""Campaign Portal pages, mounted at ``/api-connections`` (the menu link opens the API keys tab)."""

from django.urls import include, path

from api import cp_views

app_name = "api_connections"

pages = [
    path("keys/new", cp_views.ApiKeyCreateView.as_view(), name="key_create"),
    path("keys/<int:pk>/refresh", cp_views.ApiKeyRefreshView.as_view(), name="key_refresh"),
    path("keys/<int:pk>/remove", cp_views.ApiKeyRemoveView.as_view(), name="key_remove"),
    path("callbacks", cp_views.CallbackSettingsView.as_view(), name="callbacks"),
    path("callbacks/routes/new", cp_views.MoRouteFormView.as_view(), name="route_create"),
    path("callbacks/routes/<int:pk>", cp_views.MoRouteEditView.as_view(), name="route_edit"),
    path("callbacks/routes/<int:pk>/delete", cp_views.MoRouteDeleteView.as_view(), name="route_delete"),
    path("methods", cp_views.ApiMethodsView.as_view(), name="methods"),
]

urlpatterns = [
    path("", cp_views.ApiKeyListView.as_view(), name="keys"),
    path("/", include(pages)),
]
