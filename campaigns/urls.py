from django.urls import path

from campaigns import views

app_name = "campaigns"

urlpatterns = [
    path("campaigns", views.CampaignListView.as_view(), name="list"),
    path("campaigns/new", views.SetupView.as_view(), name="new"),
    path("campaigns/<int:pk>/", views.CampaignDetailView.as_view(), name="detail"),
    path("campaigns/<int:pk>/setup", views.SetupView.as_view(), name="setup"),
    path("campaigns/<int:pk>/recipients", views.RecipientsView.as_view(), name="recipients"),
    path("campaigns/<int:pk>/send", views.SendView.as_view(), name="send"),
    path("campaigns/<int:pk>/rename", views.RenameView.as_view(), name="rename"),
    *[
        path(f"campaigns/<int:pk>/{action}", views.CampaignActionView.as_view(action=action), name=action)
        for action in ("pause", "resume", "cancel", "start", "delete", "repeat")
    ],
    path("campaigns/sample/<str:kind>.csv", views.SampleView.as_view(), name="sample"),
    path("campaigns/from-file", views.FileCampaignView.as_view(), name="from_file"),
    path("campaigns/<int:pk>/from-file", views.FileCampaignMapView.as_view(), name="from_file_map"),
    path("campaigns/templates/", views.TemplateListView.as_view(), name="templates"),
    path("campaigns/templates/new", views.TemplateFormView.as_view(), name="template_new"),
    path("campaigns/templates/<int:pk>/", views.TemplateFormView.as_view(), name="template_edit"),
    path("campaigns/templates/<int:pk>/delete", views.TemplateDeleteView.as_view(), name="template_delete"),
]
