from django.urls import path

from senders import views

app_name = "senders"

urlpatterns = [
    path("", views.SenderListView.as_view(), name="list"),
    path("request", views.SenderRequestCreateView.as_view(), name="request"),
    path("<int:pk>/", views.SenderDetailView.as_view(), name="detail"),
    path("<int:pk>/unsubscribe", views.SenderUnsubscribeView.as_view(), name="unsubscribe"),
    path("<int:pk>/cancel", views.SenderCancelView.as_view(), name="cancel"),
    path("documents/<int:pk>", views.DocumentDownloadView.as_view(), name="document"),
    path("requests/<int:pk>/logo", views.LogoView.as_view(), name="logo"),
]
