"""Admin Panel URLs of the delivery set-up: vendors, routes and queues (included by ``adminpanel.urls``)."""

from django.urls import path

from adminpanel.views import messaging

urlpatterns = [
    path("vendors/", messaging.VendorListView.as_view(), name="vendor_list"),
    path("vendors/new", messaging.VendorCreateView.as_view(), name="vendor_create"),
    path("vendors/<int:pk>/", messaging.VendorEditView.as_view(), name="vendor_edit"),
    path("vendors/<int:pk>/token", messaging.VendorTokenView.as_view(), name="vendor_token"),
    path("routes/", messaging.RouteListView.as_view(), name="route_list"),
    path("routes/new", messaging.RouteCreateView.as_view(), name="route_create"),
    path("routes/<int:pk>/", messaging.RouteEditView.as_view(), name="route_edit"),
    path("routes/<int:pk>/delete", messaging.RouteDeleteView.as_view(), name="route_delete"),
    path("queues/", messaging.QueueView.as_view(), name="queues"),
]
