from django.contrib import admin

from senders.models import SenderID, SenderIDDocument, SenderIDRequest


@admin.register(SenderID)
class SenderIDAdmin(admin.ModelAdmin):
    list_display = ("value", "channel", "status", "partner", "expires_at")
    list_filter = ("channel", "status")
    search_fields = ("value", "partner__name")
    raw_id_fields = ("partner", "latest_request")


class SenderIDDocumentInline(admin.TabularInline):
    model = SenderIDDocument
    extra = 0
    fields = ("name", "size", "uploaded_at")
    readonly_fields = fields


@admin.register(SenderIDRequest)
class SenderIDRequestAdmin(admin.ModelAdmin):
    list_display = ("value", "channel", "status", "partner", "created_at")
    list_filter = ("channel", "status")
    search_fields = ("value", "partner__name")
    raw_id_fields = ("partner", "sender", "approval", "requested_by")
    exclude = ("wa_logo",)
    inlines = [SenderIDDocumentInline]
