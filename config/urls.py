from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz),
    path("captcha/", include("captcha.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("ap/", include("adminpanel.urls")),
    path("sender-ids/", include("senders.urls")),
    path("hooks/", include("messaging.urls")),
    path("api/", include("api.urls")),
    path("api-connections", include("api.cp_urls")),
    path("contacts/", include("contacts.urls")),
    path("", include("campaigns.urls")),
    path("", include("billing.urls")),
    path("", include("portal.urls")),
]
