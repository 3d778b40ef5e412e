"""Test data built through the services, like the product builds it.

``OBJECT_FACTORIES`` maps a model to a function that creates one row owned by a given tenant;
the isolation test uses it to build the object behind every URL that takes an id.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Model

from api.models import ApiKey, MoRoute
from billing import services as billing_services
from billing.models import Country, Pack, Rate, RatePlan, RatePlanRequest, Subscription, TopUpRequest, Transaction
from campaigns.models import Campaign, MessageTemplate
from contacts.models import Contact, ContactField, ContactImport, Group
from messaging.models import Route, Vendor
from senders import services as sender_services
from senders.models import SenderID, SenderIDDocument, SenderIDRequest
from shortener.models import ShortDomain
from shortener.services import short_domain_save
from tenancy import approvals, services
from tenancy.models import ApprovalRequest, Channel, CustomField, Partner, Portal, PortalHost, User
from tests.api import factories as api_factories
from tests.campaigns import factories as campaign_factories
from tests.contacts import factories as contact_factories
from tests.messaging import factories as messaging_factories

PASSWORD = "test-pass-2026!"
_seq = itertools.count(1)


@dataclass
class Tenant:
    """One partner tree with a portal: owner → reseller → end user, one user on each level."""

    portal: Portal
    owner: Partner
    reseller: Partner
    end_user: Partner
    owner_user: User
    reseller_user: User
    end_user_user: User


def make_partner(parent: Partner, kind: str = Partner.Kind.END_USER, **options: Any) -> Partner:
    options.setdefault("name", f"Partner {next(_seq)}")
    return services.partner_create(parent=parent, kind=kind, **options)


def make_user(partner: Partner, **fields: Any) -> User:
    fields.setdefault("email", f"user{next(_seq)}@example.test")
    fields.setdefault("password", PASSWORD)
    return services.user_create(partner=partner, **fields)


def make_portal(partner: Partner, host: str, **fields: Any) -> Portal:
    fields.setdefault("brand_name", f"Brand {next(_seq)}")
    portal = Portal.objects.create(partner=partner, **fields)
    PortalHost.objects.create(portal=portal, name=host)
    return portal


def make_tenant(label: str, host: str) -> Tenant:
    owner = services.partner_create_owner(name=f"{label} Owner")
    reseller = make_partner(owner, Partner.Kind.RESELLER, name=f"{label} Reseller")
    end_user = make_partner(reseller, Partner.Kind.END_USER, name=f"{label} Company")
    return Tenant(
        portal=make_portal(owner, host, brand_name=f"{label} Brand", allow_self_registration=True),
        owner=owner,
        reseller=reseller,
        end_user=end_user,
        owner_user=make_user(owner, email=f"owner@{label.lower()}.test"),
        reseller_user=make_user(reseller, email=f"reseller@{label.lower()}.test"),
        end_user_user=make_user(end_user, email=f"user@{label.lower()}.test"),
    )


@dataclass
class Sibling:
    """A second reseller beside ``tenant.reseller``, with an end user and a portal: neither may see the other."""

    reseller: Partner
    end_user: Partner
    reseller_user: User
    end_user_user: User
    portal: Portal


def make_sibling(tenant: Tenant) -> Sibling:
    reseller = make_partner(tenant.owner, Partner.Kind.RESELLER, name="Sibling Reseller")
    end_user = make_partner(reseller, name="Sibling Company")
    return Sibling(
        reseller=reseller,
        end_user=end_user,
        reseller_user=make_user(reseller, email="reseller@sibling.test"),
        end_user_user=make_user(end_user, email="user@sibling.test"),
        portal=make_portal(reseller, "sibling.example.test", brand_name="Sibling Brand"),
    )


def make_custom_field(partner: Partner, **fields: Any) -> CustomField:
    fields.setdefault("form", CustomField.Form.REGISTRATION)
    fields.setdefault("label", f"Field {next(_seq)}")
    fields.setdefault("key", f"field_{next(_seq)}")
    return CustomField.objects.create(partner=partner, **fields)


PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def pdf_upload(name: str = "registration.pdf", content: bytes = PDF_BYTES) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def png_upload(name: str = "logo.png") -> SimpleUploadedFile:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "#0d6efd").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def whatsapp_details(**fields: Any) -> sender_services.WhatsAppDetails:
    fields.setdefault("business_manager_id", "123456789012345")
    fields.setdefault("phone", "+14155550123")
    return sender_services.WhatsAppDetails(**fields)


def make_sender_request(
    partner: Partner, by: User | None = None, *, value: str | None = None, channel: str = Channel.SMS, **extra: Any
) -> SenderIDRequest:
    """A request from ``partner`` (by its first user unless given), waiting at the partner above."""
    if channel == Channel.WHATSAPP:
        extra.setdefault("whatsapp", whatsapp_details())
    return sender_services.sender_request_create(
        partner=partner,
        by=by or partner.users.order_by("pk").first(),
        value=value or f"Brand{next(_seq)}",
        channel=channel,
        **extra,
    )


def approve_sender_request(sender_request: SenderIDRequest, validity_months: int | None = 12) -> SenderIDRequest:
    """Forward the request up the chain (by the first user of each level) and confirm it at the owner."""
    approval = sender_request.approval
    while approval.current_partner is not None and not approvals.is_final_level(approval):
        approval = approvals.approval_forward(approval=approval, by=approval.current_partner.users.order_by("pk")[0])
    assert approval.current_partner is not None
    return sender_services.sender_request_confirm(
        sender_request=sender_request,
        by=approval.current_partner.users.order_by("pk")[0],
        validity_months=validity_months,
    )


def make_sender_id(partner: Partner, **request_fields: Any) -> SenderID:
    """An enabled sender ID of ``partner``, requested and confirmed through the whole chain."""
    validity = request_fields.pop("validity_months", 12)
    sender_request = approve_sender_request(make_sender_request(partner, **request_fields), validity)
    return SenderID.objects.get(pk=sender_request.sender_id)


def make_sender_document(partner: Partner) -> SenderIDDocument:
    return make_sender_request(partner, documents=[pdf_upload()]).documents.get()


def make_pack(partner: Partner, **fields: Any) -> Pack:
    """A pack for Spain (the reference book is loaded by a migration)."""
    fields.setdefault("name", f"Pack {next(_seq)}")
    fields.setdefault("price", Decimal("10"))
    fields.setdefault("channel", "sms")
    fields.setdefault("message_count", 100)
    return Pack.objects.create(partner=partner, country=Country.objects.get(iso_code="ES"), **fields)


def make_rate_plan(partner: Partner, **fields: Any) -> RatePlan:
    """An SMS plan with an "all networks" rate for Spain."""
    fields.setdefault("name", f"Plan {next(_seq)}")
    fields.setdefault("channel", "sms")
    plan = RatePlan.objects.create(partner=partner, **fields)
    Rate.objects.create(plan=plan, country=Country.objects.get(iso_code="ES"), price=Decimal("0.01"))
    return plan


def make_plan_subscription(tenant: Tenant) -> Subscription:
    return billing_services.plan_subscribe(
        partner=tenant.end_user, plan=make_rate_plan(tenant.reseller), by=tenant.reseller_user
    )


def make_payment(partner: Partner, amount: str = "10") -> Transaction:
    return billing_services.balance_change(partner=partner, amount=Decimal(amount), type="payment", by=None)


def make_top_up(partner: Partner) -> TopUpRequest:
    return billing_services.top_up_request(partner=partner, amount=Decimal("20"), method="bank_transfer", by=None)


def make_rate_plan_request(partner: Partner) -> RatePlanRequest:
    return billing_services.rate_plan_request_open(partner=partner, by=None, comment="Plans for Spain, please")


def make_short_domain(owner: Partner, partners: list[Partner] | None = None, **fields: Any) -> ShortDomain:
    fields.setdefault("name", f"s{next(_seq)}.example.test")
    return short_domain_save(domain=ShortDomain(partner=owner, **fields), partners=partners or [], by=None)


OBJECT_FACTORIES: dict[type[Model], Callable[[Tenant], Model]] = {
    Partner: lambda tenant: make_partner(tenant.reseller),
    User: lambda tenant: make_user(tenant.end_user),
    Portal: lambda tenant: make_portal(tenant.reseller, f"p{next(_seq)}.example.test"),
    CustomField: lambda tenant: make_custom_field(tenant.reseller),
    SenderID: lambda tenant: make_sender_id(tenant.end_user),
    SenderIDRequest: lambda tenant: make_sender_request(
        tenant.end_user, channel=Channel.WHATSAPP, whatsapp=whatsapp_details(logo=png_upload())
    ),
    SenderIDDocument: lambda tenant: make_sender_document(tenant.end_user),
    ApprovalRequest: lambda tenant: make_sender_request(tenant.end_user).approval,
    Pack: lambda tenant: make_pack(tenant.reseller),
    RatePlan: lambda tenant: make_rate_plan(tenant.reseller),
    Rate: lambda tenant: make_rate_plan(tenant.reseller).rates.get(),
    Subscription: make_plan_subscription,
    Transaction: lambda tenant: make_payment(tenant.end_user),
    TopUpRequest: lambda tenant: make_top_up(tenant.end_user),
    RatePlanRequest: lambda tenant: make_rate_plan_request(tenant.end_user),
    Contact: lambda tenant: contact_factories.make_contact(tenant.end_user),
    Group: lambda tenant: contact_factories.make_group(tenant.end_user),
    ContactField: lambda tenant: contact_factories.make_contact_field(tenant.end_user),
    ContactImport: lambda tenant: contact_factories.make_contact_import(tenant.end_user),
    Vendor: lambda tenant: messaging_factories.make_vendor(tenant.owner),
    Route: lambda tenant: messaging_factories.make_route(tenant.owner),
    ApiKey: lambda tenant: api_factories.make_api_key(tenant.end_user, tenant.end_user_user),
    MoRoute: lambda tenant: api_factories.make_mo_route(tenant.end_user),
    Campaign: lambda tenant: campaign_factories.make_campaign(tenant.end_user),
    MessageTemplate: lambda tenant: campaign_factories.make_template(tenant.end_user),
    ShortDomain: lambda tenant: make_short_domain(tenant.owner),
}
