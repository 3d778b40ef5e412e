from django.contrib import admin

from messaging.models import CallbackDelivery, CampaignCounter, Message, Route, Vendor


@admin.register(Vendor)
class VendorAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "partner", "connector", "tps", "enabled")
    list_filter = ("connector", "enabled")
    search_fields = ("name", "code")


@admin.register(Route)
class RouteAdmin(admin.ModelAdmin):
    list_display = ("partner", "channel", "country", "network", "vendor", "priority", "enabled")
    list_filter = ("channel", "enabled")
    raw_id_fields = ("country", "network", "vendor")


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("pk", "created_at", "partner", "channel", "recipient", "status", "cost", "campaign_id", "label")
    list_filter = ("status", "channel", "edr_type")
    search_fields = ("recipient", "vendor_message_id")
    raw_id_fields = ("partner", "country", "network", "vendor", "callback_target")
    show_full_result_count = False

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(CampaignCounter)
class CampaignCounterAdmin(admin.ModelAdmin):
    list_display = (
        "campaign_id",
        "channel",
        "total_messages",
        "sent_messages",
        "delivered_messages",
        "failed_messages",
    )


@admin.register(CallbackDelivery)
class CallbackDeliveryAdmin(admin.ModelAdmin):
    list_display = ("pk", "created_at", "event", "status", "attempts", "last_status_code")
    list_filter = ("status", "event")
    raw_id_fields = ("target", "partner", "message")
