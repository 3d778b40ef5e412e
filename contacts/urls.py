from django.urls import path

from contacts.views import contacts, groups, imports

app_name = "contacts"

urlpatterns = [
    path("", contacts.ContactListView.as_view(), name="list"),
    path("new", contacts.ContactCreateView.as_view(), name="create"),
    path("<int:pk>/edit", contacts.ContactUpdateView.as_view(), name="edit"),
    path("actions", contacts.ContactActionView.as_view(), name="actions"),
    path("table-settings", contacts.TableSettingsView.as_view(), name="table_settings"),
    path("fields/new", contacts.FieldCreateView.as_view(), name="field_create"),
    path("fields/<int:pk>/edit", contacts.FieldUpdateView.as_view(), name="field_edit"),
    path("fields/<int:pk>/delete", contacts.FieldDeleteView.as_view(), name="field_delete"),
    path("stop-list/", contacts.StopListView.as_view(), name="stop_list"),
    path("stop-list/add", contacts.StopListAddView.as_view(), name="stop_list_add"),
    path("stop-list/actions", contacts.ContactActionView.as_view(stop_list=True), name="stop_list_actions"),
    path("groups/", groups.GroupListView.as_view(), name="groups"),
    path("groups/new", groups.GroupCreateView.as_view(), name="group_create"),
    path("groups/<int:pk>/edit", groups.GroupUpdateView.as_view(), name="group_edit"),
    path("groups/<int:pk>/delete", groups.GroupDeleteView.as_view(), name="group_delete"),
    path("groups/actions", groups.GroupActionView.as_view(), name="group_actions"),
    path("import/", imports.ImportStartView.as_view(), name="import"),
    path("import/<int:pk>/upload", imports.ImportUploadView.as_view(), name="import_upload"),
    path("import/<int:pk>/mapping", imports.ImportMappingView.as_view(), name="import_mapping"),
    path("import/<int:pk>/group", imports.ImportGroupView.as_view(), name="import_group"),
    path("import/<int:pk>/", imports.ImportProgressView.as_view(), name="import_progress"),
    path("import/<int:pk>/status", imports.ImportStatusView.as_view(), name="import_status"),
    path("imports/", imports.ImportHistoryView.as_view(), name="imports"),
    path("imports/export", imports.ImportExportView.as_view(), name="imports_export"),
    path("imports/<int:pk>/file", imports.ImportFileView.as_view(), name="import_file"),
    path("imports/<int:pk>/errors", imports.ImportErrorsView.as_view(), name="import_errors"),
]
