"""The ledger under concurrency on PostgreSQL: 8 threads charge, refund, top up and debit one partner at once.

Afterwards the balance equals the sum of the partner's transactions, never went below minus the credit
limit, the campaign has exactly one transaction, and every pack message is accounted for.
"""

from __future__ import annotations

import random
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.db.models import Sum

from billing import services
from billing.models import Country, Network, Pack, Rate, RatePlan, Subscription, Transaction, TransactionType
from billing.services import Charge
from tests.factories import make_tenant

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

THREADS = 8
ROUNDS = 30
BATCH = 40
CREDIT_LIMIT = Decimal("5.00")
START = Decimal("40.00")
PACK_MESSAGES = 600


def _reference_book() -> None:
    """Transactional tests empty the tables between tests; bring the shipped book back when needed."""
    if not Country.objects.filter(iso_code="ES").exists():
        services.reference_book_load(rows=services.parse_book_csv(services.reference.SHIPPED_BOOK.read_bytes()))


def test_balance_equals_the_ledger_after_concurrent_charging() -> None:
    assert connection.vendor == "postgresql", "run with `make test-integration`"
    _reference_book()
    tenant = make_tenant("Load", "load.testserver")
    company = tenant.end_user
    type(company).objects.filter(pk=company.pk).update(credit_limit=CREDIT_LIMIT)
    spain = Country.objects.get(iso_code="ES")
    movistar = Network.objects.get(mcc="214", mnc="07")
    plan = RatePlan.objects.create(partner=tenant.reseller, name="Load SMS", channel="sms", billing_mode="delivered")
    Rate.objects.create(plan=plan, country=spain, network=None, price=Decimal("0.01000"))
    Rate.objects.create(plan=plan, country=spain, network=movistar, price=Decimal("0.01250"))
    services.plan_subscribe(partner=company, plan=plan, by=None)
    services.balance_change(partner=company, amount=START, type="payment", by=None, description="start")
    pack = Pack.objects.create(
        partner=tenant.reseller, name="Load pack", price=Decimal("6"), channel="sms", country=spain,
        message_count=PACK_MESSAGES, billing_mode="delivered",
    )  # fmt: skip
    services.pack_purchase(partner=company, pack=pack, by=None)
    company_id = company.pk

    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []
    stats = {"charged": 0, "rejected": 0, "refused_debits": 0}
    lock = threading.Lock()

    def work(seed: int) -> None:
        rng = random.Random(seed)
        partner = type(company).objects.get(pk=company_id)
        try:
            barrier.wait()
            for round_number in range(ROUNDS):
                items = [(rng.choice(["21407", "21401", "214"]), rng.choice([1, 1, 2, 3])) for _ in range(BATCH)]
                results = services.charge_batch(
                    partner=partner, channel="sms", items=items, reference="campaign:load", description="Load"
                )
                charges = [result for result in results if isinstance(result, Charge)]
                failed = [(charge, rng.random() > 0.3) for charge in charges]
                services.settle(partner=partner, outcomes=failed)
                if round_number % 5 == 0:
                    services.balance_change(partner=partner, amount=Decimal("0.75"), type="payment", by=None)
                if round_number % 7 == 0:
                    try:
                        services.balance_change(partner=partner, amount=Decimal("-1.10"), type="payment", by=None)
                    except ValidationError:
                        with lock:
                            stats["refused_debits"] += 1
                with lock:
                    stats["charged"] += len(charges)
                    stats["rejected"] += len(results) - len(charges)
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    assert not any(thread.is_alive() for thread in threads)

    company.refresh_from_db()
    ledger = Transaction.objects.filter(partner=company).aggregate(total=Sum("amount"))["total"]
    assert company.balance == ledger
    assert company.balance >= -CREDIT_LIMIT
    assert stats["charged"] > 0 and stats["rejected"] > 0, stats  # the credit limit was reached under load
    campaign = Transaction.objects.get(partner=company, type=TransactionType.CAMPAIGN, reference="campaign:load")
    assert -campaign.amount == campaign.details.aggregate(total=Sum("total"))["total"]
    subscription = Subscription.objects.get(partner=company, kind="pack")
    assert PACK_MESSAGES - subscription.messages_left == campaign.messages_from_packs
    assert campaign.messages_from_packs == campaign.details.filter(from_pack=True).aggregate(n=Sum("quantity"))["n"]
