"""Every write to partners, portals, users and custom fields goes through these functions."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from tenancy import emails, otp
from tenancy.models import CustomField, Partner, Portal, PortalHost, User
from tenancy.tokens import email_confirmation_token

PARTNER_OPTION_FIELDS = (
    "name",
    "premoderate_campaigns",
    "premoderate_templates",
    "mo_enabled",
    "flash_enabled",
    "allowed_channels",
    "credit_limit",
    "currency",
    "support_email",
)


def _check_can_manage(*, by: User, partner: Partner) -> None:
    if by.partner is None or not by.partner.is_manager or not partner.is_within(by.partner):
        raise ValidationError(_("You cannot manage this partner."), code="forbidden")


@transaction.atomic
def partner_create(*, parent: Partner, kind: str, name: str, by: User | None = None, **options: Any) -> Partner:
    """Create a reseller or end user directly under ``parent``."""
    if by is not None:
        _check_can_manage(by=by, partner=parent)
    if not parent.is_manager:
        raise ValidationError(_("Only the system owner or a reseller can have partners below it."), code="parent")
    if kind not in (Partner.Kind.RESELLER, Partner.Kind.END_USER):
        raise ValidationError(_("A new partner is either a reseller or an end user."), code="kind")
    unknown = set(options) - set(PARTNER_OPTION_FIELDS)
    if unknown:
        raise TypeError(f"unknown partner options: {sorted(unknown)}")
    parent = Partner.objects.select_for_update().get(pk=parent.pk)
    partner: Partner = Partner.objects.add_child(parent, {"name": name, "kind": kind, **options})
    return partner


@transaction.atomic
def partner_create_owner(*, name: str, **options: Any) -> Partner:
    """Create the root of a partner tree (the System Owner)."""
    owner: Partner = Partner.objects.add_root({"name": name, "kind": Partner.Kind.OWNER, **options})
    return owner


@transaction.atomic
def partner_update(*, partner: Partner, by: User, **options: Any) -> Partner:
    _check_can_manage(by=by, partner=partner)
    if partner.pk == by.partner_id:
        raise ValidationError(_("Your own options are set by the partner above you."), code="self")
    for field, value in options.items():
        if field not in PARTNER_OPTION_FIELDS:
            raise TypeError(f"unknown partner option: {field}")
        setattr(partner, field, value)
    partner.full_clean()
    # Only the options: the balance on this instance may be stale and is changed by billing's ledger alone.
    partner.save(update_fields=list(options))
    return partner


@transaction.atomic
def partner_set_active(*, partner: Partner, active: bool, by: User) -> Partner:
    _check_can_manage(by=by, partner=partner)
    if partner.pk == by.partner_id:
        raise ValidationError(_("You cannot disable your own partner."), code="self")
    Partner.objects.filter(pk=partner.pk).update(is_active=active)
    partner.is_active = active
    return partner


def partner_can_sign_in(partner: Partner) -> bool:
    """A partner works only while it and every partner above it are active."""
    return not partner.chain().filter(is_active=False).exists()


def _new_password() -> str:
    return secrets.token_urlsafe(12)


@transaction.atomic
def user_create(
    *,
    partner: Partner,
    email: str,
    first_name: str = "",
    last_name: str = "",
    language: str = "en",
    portal: Portal | None = None,
    by: User | None = None,
    password: str | None = None,
) -> User:
    """Create a user; without ``password`` one is generated and e-mailed to the user."""
    if by is not None:
        _check_can_manage(by=by, partner=partner)
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": _("A user with this e-mail already exists.")}, code="duplicate")
    generated = password is None
    plain = password or _new_password()
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email, plain, partner=partner, first_name=first_name, last_name=last_name, language=language
            )
    except IntegrityError as error:  # a concurrent request took the e-mail after the check above
        raise ValidationError({"email": _("A user with this e-mail already exists.")}, code="duplicate") from error
    if generated:
        emails.send(portal=portal, to=user, template="account_created", context={"password": plain, "email": email})
    if portal is not None and portal.require_2fa:
        totp_provision(user=user, portal=portal)
    return user


@transaction.atomic
def user_set_active(*, user: User, active: bool, by: User) -> User:
    if user.partner is None:
        raise ValidationError(_("You cannot manage this user."), code="forbidden")
    _check_can_manage(by=by, partner=user.partner)
    if user.pk == by.pk:
        raise ValidationError(_("You cannot disable yourself."), code="self")
    User.objects.filter(pk=user.pk).update(is_active=active)
    user.is_active = active
    return user


@transaction.atomic
def user_update_profile(*, user: User, **fields: Any) -> User:
    allowed = {"first_name", "last_name", "date_format", "time_zone", "language", "theme", "profile_fields"}
    for field, value in fields.items():
        if field not in allowed:
            raise TypeError(f"not a profile field: {field}")
        setattr(user, field, value)
    user.save(update_fields=list(fields))
    return user


@transaction.atomic
def sign_up(
    *,
    portal: Portal,
    first_name: str,
    last_name: str,
    company_name: str,
    email: str,
    password: str,
    language: str,
    profile_fields: dict[str, Any],
    confirm_url: Callable[[str, str], str],
) -> User:
    """Self-registration: a new END_USER partner under the portal's partner, inactive until confirmed.

    ``confirm_url`` builds the absolute confirmation link from (uidb64, token).
    """
    if not portal.allow_self_registration:
        raise ValidationError(_("This portal does not accept new registrations."), code="closed")
    partner = partner_create(parent=portal.partner, kind=Partner.Kind.END_USER, name=company_name)
    user = user_create(
        partner=partner,
        email=email,
        first_name=first_name,
        last_name=last_name,
        language=language,
        password=password,
    )
    user.email_confirmed = False
    user.profile_fields = profile_fields
    user.save(update_fields=["email_confirmed", "profile_fields"])
    uid, token = email_confirmation_token.for_user(user)
    emails.send(portal=portal, to=user, template="confirm_email", context={"confirm_url": confirm_url(uid, token)})
    return user


@transaction.atomic
def sign_up_confirm(*, user: User, portal: Portal) -> User:
    updated = User.objects.filter(pk=user.pk, email_confirmed=False).update(email_confirmed=True)
    user.email_confirmed = True
    if updated and portal.require_2fa:
        totp_provision(user=user, portal=portal)
    return user


@transaction.atomic
def totp_provision(*, user: User, portal: Portal | None) -> TOTPDevice:
    """Give the user a fresh TOTP secret (replacing any old one) and e-mail it with its QR code."""
    TOTPDevice.objects.filter(user=user).delete()
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    emails.send(
        portal=portal,
        to=user,
        template="two_factor_secret",
        context={"secret": otp.secret_text(device), "otpauth_uri": otp.provisioning_uri(device, portal)},
    )
    return device


def totp_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


@transaction.atomic
def portal_save(*, portal: Portal, hosts: Iterable[str], by: User, logo_cleared: bool = False) -> Portal:
    """Create or update a portal and its host names; switching 2FA on sends secrets to its users."""
    if by.partner is None or not portal.partner.is_manager or not portal.partner.is_within(by.partner):
        raise ValidationError(_("A portal belongs to you or to a reseller below you."), code="forbidden")
    names = sorted({host.strip().lower() for host in hosts if host.strip()})
    if not names:
        raise ValidationError({"hosts": _("Give the portal at least one host name.")}, code="hosts")
    taken = PortalHost.objects.filter(name__in=names).exclude(portal_id=portal.pk).values_list("name", flat=True)
    if taken:
        raise ValidationError({"hosts": _("Already used by another portal: %s") % ", ".join(taken)}, code="hosts")
    was_2fa = bool(portal.pk) and Portal.objects.filter(pk=portal.pk, require_2fa=True).exists()
    if logo_cleared:
        portal.logo = None  # type: ignore[assignment]
    portal.full_clean()
    portal.save()
    portal.hosts.exclude(name__in=names).delete()
    PortalHost.objects.bulk_create([PortalHost(portal=portal, name=name) for name in names], ignore_conflicts=True)
    if portal.require_2fa and not was_2fa:
        from tenancy.tasks import provision_portal_2fa

        transaction.on_commit(lambda: provision_portal_2fa.delay(portal.pk))
    return portal


def portal_provision_2fa(*, portal: Portal) -> int:
    """Send a TOTP secret to every active user of the portal's subtree who has none yet."""
    users = (
        User.objects.visible_to(portal.partner)
        .filter(is_active=True)
        .exclude(totpdevice__confirmed=True)
        .order_by("pk")
    )
    count = 0
    for user in users.iterator(chunk_size=500):
        totp_provision(user=user, portal=portal)
        count += 1
    return count


@transaction.atomic
def custom_field_save(*, field: CustomField, by: User) -> CustomField:
    if by.partner is None or field.partner_id != by.partner_id:
        raise ValidationError(_("You can only change your own form fields."), code="forbidden")
    field.full_clean()
    field.save()
    return field


@transaction.atomic
def custom_field_delete(*, field: CustomField, by: User) -> None:
    if by.partner is None or field.partner_id != by.partner_id:
        raise ValidationError(_("You can only change your own form fields."), code="forbidden")
    field.delete()


def custom_fields_for(*, partner: Partner, form: str) -> list[CustomField]:
    """Fields that apply to ``partner``'s forms: those defined by it and every partner above it."""
    return list(CustomField.objects.filter(partner__in=partner.chain(), form=form).order_by("position", "id"))


@transaction.atomic
def purge_unconfirmed_sign_ups(*, older_than: timedelta | None = None) -> int:
    """Remove self-registered accounts whose e-mail was not confirmed in time, with their empty partners."""
    cutoff = timezone.now() - (older_than or timedelta(hours=settings.SIGN_UP_CONFIRMATION_HOURS))
    stale = User.objects.filter(email_confirmed=False, date_joined__lt=cutoff)
    partner_ids = set(stale.values_list("partner_id", flat=True))
    count, _details = stale.delete()
    for partner in Partner.objects.filter(pk__in=partner_ids, users__isnull=True, kind=Partner.Kind.END_USER):
        if not Partner.objects.below(partner).exists():
            partner.delete()
    return count
