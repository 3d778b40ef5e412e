"""Packs, rate plans and their rates, and the subscriptions of partners to them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing import selectors
from billing.models import (
    RATE_PLACES,
    ZERO,
    Country,
    Network,
    Pack,
    Rate,
    RatePlan,
    Subscription,
    TransactionType,
)
from billing.services.ledger import _check_manages, balance_change, money
from billing.services.reference import csv_errors, read_csv
from tenancy.models import Partner, User

RATE_COLUMNS = ("country", "network", "mcc", "mnc", "price", "end_date")


def _check_owner(*, by: User, owner: Partner) -> None:
    if by.partner is None or not by.partner.is_manager or by.partner.pk != owner.pk:
        raise ValidationError(_("Only the partner that created it can change it."), code="forbidden")


# Packs ---------------------------------------------------------------------------------------------------------


@transaction.atomic
def pack_save(*, pack: Pack, networks: Iterable[Network] | None, assigned: Iterable[Partner] | None, by: User) -> Pack:
    """Create or update a pack of the caller's partner."""
    _check_owner(by=by, owner=pack.partner)
    network_list = list(networks or [])
    if any(network.country_id != pack.country_id for network in network_list):
        raise ValidationError({"networks": _("Choose networks of the pack's country.")}, code="networks")
    assigned_list = _assignable(by=by, partners=assigned)
    pack.full_clean()
    pack.save()
    pack.networks.set(network_list)
    pack.assigned_partners.set(assigned_list)
    return pack


def _assignable(*, by: User, partners: Iterable[Partner] | None) -> list[Partner]:
    chosen = list(partners or [])
    for partner in chosen:
        _check_manages(by=by, partner=partner)
    return chosen


@transaction.atomic
def pack_assign(*, pack: Pack, partners: Iterable[Partner], by: User) -> Pack:
    """Offer the pack to more partners below the caller (they see it on their Purchase page)."""
    _check_owner(by=by, owner=pack.partner)
    pack.assigned_partners.add(*_assignable(by=by, partners=partners))
    return pack


@transaction.atomic
def pack_purchase(*, partner: Partner, pack: Pack, by: User | None, at: datetime | None = None) -> Subscription:
    """Buy a pack: debit its price (Pack Purchase transaction) and start the subscription."""
    now = at or timezone.now()
    if not selectors.packs_available_to(partner, at=now).filter(pk=pack.pk).exists():
        raise ValidationError(_("This pack is not available to you."), code="unavailable")
    if pack.partner.currency != partner.currency:
        raise ValidationError(
            _("This pack is priced in %(pack)s but your balance is in %(yours)s.")
            % {"pack": pack.partner.currency, "yours": partner.currency},
            code="currency",
        )
    if pack.price:
        balance_change(
            partner=partner,
            amount=-pack.price,
            type=TransactionType.PACK_PURCHASE,
            by=by,
            description=_("Pack bought: %(name)s") % {"name": pack.name},
            channel=pack.channel,
        )
    return Subscription.objects.create(
        partner=partner,
        kind=Subscription.Kind.PACK,
        pack=pack,
        channel=pack.channel,
        billing_mode=pack.billing_mode,
        country_id=pack.country_id,
        messages_total=pack.message_count,
        messages_left=pack.message_count,
        price=pack.price,
        started_at=now,
        expires_at=pack.expiry_from(now),
        created_by=by,
    )


@transaction.atomic
def pack_unsubscribe(*, subscription: Subscription, by: User, refund: bool = True) -> Subscription:
    """End a partner's pack from the AP; the unused share of its price goes back to the balance."""
    _check_manages(by=by, partner=subscription.partner)
    locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if locked.kind != Subscription.Kind.PACK or locked.status != Subscription.Status.ACTIVE:
        raise ValidationError(_("Only an active pack can be unsubscribed."), code="not_active")
    now = timezone.now()
    unused = locked.messages_left
    Subscription.objects.filter(pk=locked.pk).update(status=Subscription.Status.UNSUBSCRIBED, ended_at=now)
    share = money(locked.price * unused / locked.messages_total) if locked.messages_total else ZERO
    if refund and share > 0 and (locked.expires_at is None or locked.expires_at > now):
        balance_change(
            partner=subscription.partner,
            amount=share,
            type=TransactionType.PACK_PURCHASE,
            by=by,
            description=_("Pack unsubscribed: %(name)s (%(count)d unused messages)")
            % {"name": locked.pack.name if locked.pack else "", "count": unused},
            channel=locked.channel,
        )
    subscription.refresh_from_db()
    return subscription


def pack_expire_due(*, at: datetime | None = None) -> int:
    """Mark packs whose validity ran out as expired (charging already ignores them); returns how many."""
    now = at or timezone.now()
    return Subscription.objects.filter(
        kind=Subscription.Kind.PACK, status=Subscription.Status.ACTIVE, expires_at__lte=now
    ).update(status=Subscription.Status.EXPIRED, ended_at=now)


# Rate plans ----------------------------------------------------------------------------------------------------


@transaction.atomic
def rate_plan_save(*, plan: RatePlan, assigned: Iterable[Partner] | None, by: User) -> RatePlan:
    _check_owner(by=by, owner=plan.partner)
    assigned_list = _assignable(by=by, partners=assigned)
    if plan.is_reseller_plan:
        from billing.models import Audience

        plan.audience = Audience.ASSIGNED
        not_resellers = [p.name for p in assigned_list if p.kind != Partner.Kind.RESELLER]
        if not_resellers:
            raise ValidationError(
                {"assigned_partners": _("A reseller plan is for resellers only: %s") % ", ".join(not_resellers)},
                code="resellers_only",
            )
    if plan.pk and plan.subscriptions.filter(status=Subscription.Status.ACTIVE).exclude(channel=plan.channel).exists():
        raise ValidationError({"channel": _("Partners use this plan: its channel cannot change.")}, code="in_use")
    plan.full_clean()
    try:
        with transaction.atomic():
            plan.save()
    except IntegrityError as error:
        raise ValidationError({"name": _("You already have a plan with this name.")}, code="duplicate") from error
    plan.assigned_partners.set(assigned_list)
    return plan


@transaction.atomic
def rate_plan_assign(
    *, plan: RatePlan, partners: Iterable[Partner], by: User, subscribe: bool = False
) -> list[Subscription]:
    """Offer the plan to partners below the caller; with ``subscribe`` also switch them to it."""
    _check_owner(by=by, owner=plan.partner)
    chosen = _assignable(by=by, partners=partners)
    if plan.is_reseller_plan and any(partner.kind != Partner.Kind.RESELLER for partner in chosen):
        raise ValidationError(_("A reseller plan can only be assigned to resellers."), code="resellers_only")
    plan.assigned_partners.add(*chosen)
    if not subscribe:
        return []
    if plan.is_reseller_plan:
        raise ValidationError(_("Resellers build their own plans from a reseller plan."), code="reseller_plan")
    return [plan_subscribe(partner=partner, plan=plan, by=by, replace=True) for partner in chosen]


@transaction.atomic
def plan_subscribe(*, partner: Partner, plan: RatePlan, by: User | None, replace: bool = False) -> Subscription:
    """Put the partner on a plan. One plan per channel: ``replace`` ends the current one, else it is an error."""
    if by is not None and by.partner is not None and by.partner.pk != partner.pk:  # a partner above assigns it
        _check_manages(by=by, partner=partner)
        if not partner.is_within(plan.partner) or partner.pk == plan.partner_id:
            raise ValidationError(_("This plan is not offered to that partner."), code="unavailable")
    elif not selectors.rate_plans_available_to(partner).filter(pk=plan.pk).exists():
        raise ValidationError(_("This plan is not available to you."), code="unavailable")
    if plan.is_reseller_plan or not plan.is_active:
        raise ValidationError(_("This plan cannot be selected."), code="unavailable")
    Partner.objects.select_for_update().filter(pk=partner.pk).order_by().values_list("pk").get()
    current = Subscription.objects.filter(
        partner=partner, kind=Subscription.Kind.PLAN, status=Subscription.Status.ACTIVE, channel=plan.channel
    ).first()
    if current is not None:
        if current.rate_plan_id == plan.pk:
            return current
        if not replace:
            raise ValidationError(
                _("You already have a plan for %(channel)s: %(plan)s. A partner has one plan per channel.")
                % {"channel": plan.get_channel_display(), "plan": current.rate_plan},
                code="one_plan_per_channel",
            )
        _end(current, Subscription.Status.UNSUBSCRIBED)
    try:
        with transaction.atomic():
            return Subscription.objects.create(
                partner=partner,
                kind=Subscription.Kind.PLAN,
                rate_plan=plan,
                channel=plan.channel,
                billing_mode=plan.billing_mode,
                created_by=by,
            )
    except IntegrityError as error:  # a concurrent request subscribed first
        raise ValidationError(_("A partner has one plan per channel."), code="one_plan_per_channel") from error


def _end(subscription: Subscription, status: str) -> None:
    Subscription.objects.filter(pk=subscription.pk, status=Subscription.Status.ACTIVE).update(
        status=status, ended_at=timezone.now()
    )


@transaction.atomic
def plan_unsubscribe(*, subscription: Subscription, by: User) -> Subscription:
    """Only a partner above can take a plan away (end users cannot unsubscribe themselves)."""
    _check_manages(by=by, partner=subscription.partner)
    if subscription.kind != Subscription.Kind.PLAN or subscription.status != Subscription.Status.ACTIVE:
        raise ValidationError(_("Only an active plan can be unsubscribed."), code="not_active")
    _end(subscription, Subscription.Status.UNSUBSCRIBED)
    subscription.refresh_from_db()
    return subscription


@transaction.atomic
def subscription_end(*, subscription: Subscription, by: User) -> Subscription:
    if subscription.kind == Subscription.Kind.PACK:
        return pack_unsubscribe(subscription=subscription, by=by)
    return plan_unsubscribe(subscription=subscription, by=by)


def _marked_up(price: Decimal, markup_percent: Decimal) -> Decimal:
    return (price * (1 + markup_percent / 100)).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


@transaction.atomic
def rate_plan_derive(
    *,
    parent_plan: RatePlan,
    by: User,
    name: str,
    markup_percent: Decimal,
    is_reseller_plan: bool = False,
    billing_mode: str | None = None,
) -> RatePlan:
    """A reseller's own plan built from a reseller plan assigned to it: every rate plus its markup."""
    partner = by.partner
    if partner is None or not partner.is_manager:
        raise ValidationError(_("Only owners and resellers build plans."), code="forbidden")
    if not selectors.reseller_plans_for(partner).filter(pk=parent_plan.pk).exists():
        raise ValidationError(_("This reseller plan is not assigned to you."), code="unavailable")
    if markup_percent < 0:
        raise ValidationError({"markup_percent": _("The markup cannot be negative.")}, code="markup")
    plan = RatePlan(
        partner=partner,
        name=name,
        channel=parent_plan.channel,
        billing_mode=billing_mode or parent_plan.billing_mode,
        is_reseller_plan=is_reseller_plan,
        parent_plan=parent_plan,
        markup_percent=markup_percent,
        description=parent_plan.description,
    )
    rate_plan_save(plan=plan, assigned=[], by=by)
    Rate.objects.bulk_create(
        Rate(
            plan=plan,
            country_id=rate.country_id,
            network_id=rate.network_id,
            price=_marked_up(rate.price, markup_percent),
            end_date=rate.end_date,
        )
        for rate in parent_plan.rates.all()
    )
    return plan


@transaction.atomic
def rate_plan_refresh_from_parent(*, plan: RatePlan, by: User) -> int:
    """Rebuild a derived plan's rates from its reseller plan's current rates; returns the number of rates."""
    _check_owner(by=by, owner=plan.partner)
    if plan.parent_plan is None:
        raise ValidationError(_("This plan is not built from a reseller plan."), code="not_derived")
    plan.rates.all().delete()
    rates = Rate.objects.bulk_create(
        Rate(
            plan=plan,
            country_id=rate.country_id,
            network_id=rate.network_id,
            price=_marked_up(rate.price, plan.markup_percent),
            end_date=rate.end_date,
        )
        for rate in plan.parent_plan.rates.all()
    )
    return len(rates)


# Rates ---------------------------------------------------------------------------------------------------------


@transaction.atomic
def rate_save(*, rate: Rate, by: User) -> Rate:
    _check_owner(by=by, owner=rate.plan.partner)
    if rate.network_id is not None and rate.network is not None and rate.network.country_id != rate.country_id:
        raise ValidationError({"network": _("Choose a network of the rate's country.")}, code="network")
    rate.full_clean(validate_constraints=False)
    duplicate = Rate.objects.filter(plan=rate.plan, country=rate.country, network=rate.network).exclude(pk=rate.pk)
    if duplicate.exists():
        raise ValidationError(_("The plan already has a rate for this country and network."), code="duplicate")
    rate.save()
    return rate


@transaction.atomic
def rate_delete(*, rate: Rate, by: User) -> None:
    _check_owner(by=by, owner=rate.plan.partner)
    rate.delete()


def _parse_price(text: str) -> Decimal:
    try:
        price = Decimal(text.replace(",", "."))
    except InvalidOperation as error:
        raise ValueError(_("the price “%(text)s” is not a number") % {"text": text}) from error
    if not price.is_finite() or price < 0:
        raise ValueError(_("the price must be zero or more"))
    if price != price.quantize(RATE_PLACES):
        raise ValueError(_("the price has more than 5 decimal places"))
    if price >= 10**7:
        raise ValueError(_("the price is too large"))
    return price.quantize(RATE_PLACES)


def _parse_end_date(text: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise ValueError(_("the end date “%(text)s” is not YYYY-MM-DD") % {"text": text}) from error


def parse_rates_csv(data: bytes | str) -> list[Rate]:
    """Unsaved rates from a price list; a bad line raises a ValidationError naming it (and every other bad line).

    Columns: country (ISO code or name; optional when mcc is given), network (informative), mcc, mnc
    (empty: all networks), price (up to 5 decimal places), end_date (YYYY-MM-DD, empty: never expires).
    """
    header, rows = read_csv(data)
    if "price" not in header or not ({"mcc", "country"} & set(header)):
        raise ValidationError(
            _("Missing columns: the file needs price and mcc or country. Expected: %(expected)s.")
            % {"expected": ",".join(RATE_COLUMNS)},
            code="columns",
        )
    countries = {country.iso_code: country for country in Country.objects.all()}
    by_name = {country.name.casefold(): country for country in countries.values()}
    by_mcc = {country.mcc: country for country in countries.values()}
    networks = {(network.mcc, network.mnc): network for network in Network.objects.all()}
    id_to_country = countries_by_id(countries)
    for (network_mcc, _mnc), known in networks.items():
        by_mcc.setdefault(network_mcc, id_to_country[known.country_id])
    errors: list[str] = []
    rates: list[Rate] = []
    seen: dict[tuple[int, int | None], int] = {}
    for line, row in rows:
        try:
            mcc, mnc = row.get("mcc", ""), row.get("mnc", "")
            country_text = row.get("country", "")
            if mcc:
                if not re.fullmatch(r"\d{3}", mcc):
                    raise ValueError(_("the MCC must be 3 digits"))
                country = by_mcc.get(mcc)
                if country is None:
                    raise ValueError(_("MCC %(mcc)s is not in the reference book") % {"mcc": mcc})
            else:
                if mnc:
                    raise ValueError(_("an MNC needs its MCC"))
                country = countries.get(country_text.upper()) or by_name.get(country_text.casefold())
                if country is None:
                    raise ValueError(_("unknown country “%(text)s”") % {"text": country_text})
            network: Network | None = None
            if mnc:
                network = networks.get((mcc, mnc))
                if network is None:
                    raise ValueError(
                        _("MCC %(mcc)s MNC %(mnc)s is not in the reference book") % {"mcc": mcc, "mnc": mnc}
                    )
                country = id_to_country[network.country_id]
            price = _parse_price(row.get("price", ""))
            end_date = _parse_end_date(row.get("end_date", ""))
            key = (country.pk, network.pk if network else None)
            if key in seen:
                raise ValueError(_("the same country and network as line %(line)d") % {"line": seen[key]})
            seen[key] = line
            rates.append(Rate(country=country, network=network, price=price, end_date=end_date))
        except ValueError as problem:
            errors.append(_("Line %(line)d: %(problem)s.") % {"line": line, "problem": problem})
    if errors:
        raise csv_errors(errors)
    if not rates:
        raise ValidationError(_("The file has no rates."), code="empty")
    return rates


def countries_by_id(countries: dict[str, Country]) -> dict[int, Country]:
    return {country.pk: country for country in countries.values()}


@transaction.atomic
def rates_upload(*, plan: RatePlan, data: bytes | str, by: User) -> int:
    """Replace the plan's rates with a CSV price list: all lines load, or none (the error names the bad lines)."""
    _check_owner(by=by, owner=plan.partner)
    rates = parse_rates_csv(data)
    plan.rates.all().delete()
    for rate in rates:
        rate.plan = plan
    Rate.objects.bulk_create(rates, batch_size=1000)
    return len(rates)


@transaction.atomic
def rates_update(*, plan: RatePlan, changes: dict[int, tuple[Decimal, date | None]], by: User) -> int:
    """Edit prices and end dates of several rates of the plan at once (the rates table)."""
    _check_owner(by=by, owner=plan.partner)
    rates = list(plan.rates.filter(pk__in=changes))
    for rate in rates:
        price, end_date = changes[rate.pk]
        if price < 0:
            raise ValidationError(_("A price cannot be negative."), code="price")
        rate.price, rate.end_date = price.quantize(RATE_PLACES), end_date
    Rate.objects.bulk_update(rates, ["price", "end_date"])
    return len(rates)
