from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from tenancy.models import CustomField, Partner, Portal, PortalHost, User


@admin.register(Partner)
class PartnerAdmin(TreeAdmin):
    form = movenodeform_factory(Partner)
    list_display = ("name", "kind", "is_active", "currency", "balance")
    list_filter = ("kind", "is_active")
    search_fields = ("name",)


class PortalHostInline(admin.TabularInline):
    model = PortalHost
    extra = 1


@admin.register(Portal)
class PortalAdmin(admin.ModelAdmin):
    list_display = ("brand_name", "partner", "allow_self_registration", "require_2fa")
    inlines = [PortalHostInline]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "partner", "is_active", "email_confirmed")
    list_filter = ("is_active", "is_staff", "email_confirmed")
    search_fields = ("email", "first_name", "last_name")
    fieldsets = (
        (None, {"fields": ("email", "password", "partner")}),
        ("Profile", {"fields": ("first_name", "last_name", "language", "time_zone", "date_format", "theme")}),
        ("Access", {"fields": ("is_active", "email_confirmed", "is_staff", "is_superuser")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "partner", "password1", "password2")}),)


@admin.register(CustomField)
class CustomFieldAdmin(admin.ModelAdmin):
    list_display = ("label", "key", "form", "data_type", "partner")
    list_filter = ("form", "data_type")
