"""Vendors and routes of a system owner: every write goes through here."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from messaging import connectors, ratelimit, routing
from messaging.models import Route, Vendor, new_token
from tenancy.models import Partner, User


def _check_owner(*, by: User, partner: Partner) -> None:
    caller = by.partner
    if caller is None or caller.kind != Partner.Kind.OWNER or caller.pk != partner.pk:
        raise ValidationError(_("Only the system owner manages vendors and routes."), code="forbidden")


@transaction.atomic
def vendor_save(*, vendor: Vendor, by: User) -> Vendor:
    """Create or change a vendor after checking its connector settings."""
    _check_owner(by=by, partner=vendor.partner)
    try:
        vendor.settings = connectors.check_settings(vendor.connector, vendor.settings or {})
    except ValueError as error:
        raise ValidationError({"connector": str(error)}, code="connector") from error
    except ValidationError as error:
        raise ValidationError({"settings": error.messages}, code="settings") from error
    try:
        with transaction.atomic():
            vendor.save()
    except IntegrityError as error:
        raise ValidationError({"name": _("Another vendor has this name or code.")}, code="duplicate") from error
    ratelimit.reset(f"vendor:{vendor.pk}")
    routing.clear_cache()
    return vendor


@transaction.atomic
def vendor_new_token(*, vendor: Vendor, by: User) -> Vendor:
    """A new secret for the vendor's delivery report webhook (the old one stops working)."""
    _check_owner(by=by, partner=vendor.partner)
    vendor.dlr_token = new_token()
    vendor.save(update_fields=["dlr_token"])
    routing.clear_cache()
    return vendor


@transaction.atomic
def route_save(*, route: Route, by: User) -> Route:
    _check_owner(by=by, partner=route.partner)
    if route.vendor.partner_id != route.partner.pk:
        raise ValidationError({"vendor": _("Choose one of your vendors.")}, code="vendor")
    if route.network is not None:
        if route.country is None:
            route.country = route.network.country
        elif route.network.country_id != route.country.pk:
            raise ValidationError({"network": _("The network is not in the chosen country.")}, code="network")
    route.save()
    routing.clear_cache()
    return route


@transaction.atomic
def route_delete(*, route: Route, by: User) -> None:
    _check_owner(by=by, partner=route.partner)
    route.delete()
    routing.clear_cache()
