from django.urls import path

from adminpanel.views import custom_fields, home, partners, portals, users

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
]
