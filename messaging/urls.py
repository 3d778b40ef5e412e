from django.urls import path

from messaging import views

app_name = "messaging"

urlpatterns = [
    path("vendors/<slug:code>/dlr", views.vendor_dlr, name="vendor_dlr"),
    path("vendors/<slug:code>/mo", views.vendor_mo, name="vendor_mo"),
]
