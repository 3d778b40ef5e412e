from django.contrib import admin

from shortener.models import ShortDomain, ShortLink


@admin.register(ShortDomain)
class ShortDomainAdmin(admin.ModelAdmin):
    list_display = ("name", "partner", "is_active", "created_at")
    search_fields = ("name",)


@admin.register(ShortLink)
class ShortLinkAdmin(admin.ModelAdmin):
    list_display = ("code", "domain", "original_url", "clicks", "created_at")
    search_fields = ("code", "original_url")
    list_select_related = ("domain",)
