"""10,000 messages through real Celery workers, Redis and PostgreSQL, with a worker killed mid-run.

Half the messages are Viber → SMS cascades, half SMS only, through the simulator (deterministic
outcomes, reports after 0–5 s, a few rejections). A first worker is killed with SIGKILL while it
dispatches; a second one takes over. The test plays the part of celery beat (it sends the periodic
tasks), with a short claim timeout so the reconciler takes over the dead worker's claims quickly.
Afterwards every message is final, the simulator received every message exactly once, each cascade
has at most one attempt per channel, the campaign counters match the messages, and the balance
equals the ledger.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count

from billing import services as billing_services
from billing.models import BillingChannel, BillingMode, Country, Rate, RatePlan, Subscription
from config.celery import app as celery_app
from messaging import tasks
from messaging.models import (
    FINAL_STATUSES,
    CampaignCounter,
    ConnectorType,
    Message,
    MessageStatus,
    Route,
    SimulatorEvent,
    Vendor,
)
from messaging.services import ChannelContent, OutgoingMessage, enqueue_messages
from senders.models import SenderID
from tenancy.models import Channel
from tests.factories import make_tenant
from tests.integration.conftest import BASE_DIR, QUEUES, _database_url, _flush_broker

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

MESSAGES = 10_000
CAMPAIGN_ID = 1
CLAIM_TIMEOUT = 5
RUN_TIMEOUT = 300.0


class Workers:
    """Start and kill ``celery worker`` processes on the test database."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, name: str) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE,
            "DATABASE_URL": _database_url(connection.settings_dict),
            "REDIS_URL": settings.REDIS_URL,
            "CONN_MAX_AGE": "0",
            "MESSAGING_CLAIM_TIMEOUT_SECONDS": str(CLAIM_TIMEOUT),
            "PYTHONPATH": os.pathsep.join(filter(None, [os.environ.get("PYTHONPATH"), str(BASE_DIR)])),
        }
        log = (self.folder / f"{name}.log").open("wb")
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=WARNING", "--concurrency=2",
             "-Q", QUEUES, "-n", f"{name}-{os.getpid()}@localhost", "--without-gossip", "--without-mingle",
             "--without-heartbeat"],
            cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        self.processes.append(process)
        deadline = time.monotonic() + 60
        while not celery_app.control.ping(destination=[f"{name}-{os.getpid()}@localhost"], timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"worker {name} did not start:\n{(self.folder / f'{name}.log').read_text()[-3000:]}")
        return process

    @staticmethod
    def kill(process: subprocess.Popen[bytes]) -> None:
        os.killpg(process.pid, signal.SIGKILL)  # no warm shutdown: a crash in the middle of a batch
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture
def workers(django_db_setup: None, tmp_path: Path) -> Iterator[Workers]:
    if settings.CELERY_TASK_ALWAYS_EAGER or not settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.fail("integration tests need a Redis broker and no eager mode: run them with `make test-integration`")
    _flush_broker()
    started = Workers(tmp_path)
    try:
        yield started
    finally:
        started.stop_all()
        _flush_broker()


def _setup() -> Any:
    if not Country.objects.filter(iso_code="ES").exists():  # an earlier transactional test flushed the book
        billing_services.reference_book_load_shipped()
    tenant = make_tenant("Load", "load.testserver")
    spain = Country.objects.get(iso_code="ES")
    for product, price in ((BillingChannel.SMS, "0.02"), (BillingChannel.VIBER_TRANSACTION, "0.01")):
        plan = RatePlan.objects.create(partner=tenant.reseller, name=f"Load {product}", channel=product)
        Rate.objects.create(plan=plan, country=spain, price=Decimal(price))
        billing_services.plan_subscribe(partner=tenant.end_user, plan=plan, by=None)
    # by-delivered: undelivered and failed messages are refunded, so the ledger sees every outcome
    Subscription.objects.filter(partner=tenant.end_user).update(billing_mode=BillingMode.BY_DELIVERED)
    billing_services.balance_change(partner=tenant.end_user, amount=Decimal("1000"), type="payment", by=None)
    for value, channel in (("LoadSMS", Channel.SMS), ("LoadViber", Channel.VIBER)):
        SenderID.objects.create(partner=tenant.end_user, value=value, channel=channel, status=SenderID.Status.ENABLED)
    vendor = Vendor.objects.create(
        partner=tenant.owner,
        name="Load simulator",
        code="load-sim",
        connector=ConnectorType.SIMULATOR,
        tps=1500,  # long enough a run to kill the worker in the middle of it
        settings={"seed": 11, "latency": [0, 5], "delivery_ratio": 0.7, "reject_ratio": 0.02, "seen_ratio": 0.5,
                  "seen_delay": 1},
    )  # fmt: skip
    for channel in (Channel.SMS, Channel.VIBER):
        Route.objects.create(partner=tenant.owner, channel=channel, vendor=vendor)
    return tenant


def _beat() -> None:
    """What celery beat sends periodically, sent more often to keep the test short."""
    for task in (tasks.dispatch_due, tasks.deliver_simulator_events, tasks.reconcile_claims, tasks.process_timers):
        task.delay()


def test_ten_thousand_messages_survive_a_killed_worker(workers: Workers) -> None:
    tenant = _setup()
    cascade = [
        ChannelContent(Channel.VIBER, "LoadViber", "Your parcel is on its way", ttl=3),
        ChannelContent(Channel.SMS, "LoadSMS", "Your parcel is on its way"),
    ]
    sms_only = [ChannelContent(Channel.SMS, "LoadSMS", "Código 1234 — válido 5 minutos")]
    for start in range(0, MESSAGES, 2_000):
        enqueue_messages(
            partner=tenant.end_user,
            messages=[
                OutgoingMessage(f"346{index:08d}", cascade if index % 2 else sms_only)
                for index in range(start, start + 2_000)
            ],
            campaign_id=CAMPAIGN_ID,
        )

    first = workers.start("first")
    _beat()
    deadline = time.monotonic() + RUN_TIMEOUT
    while Message.objects.exclude(status__in=[MessageStatus.PREPARED]).count() < MESSAGES // 4:
        assert time.monotonic() < deadline, "the first worker sent nothing"
        time.sleep(0.05)
    workers.kill(first)
    claimed_at_kill = Message.objects.filter(status=MessageStatus.BILLED).exclude(claim="").count()

    workers.start("second")
    while True:
        _beat()
        time.sleep(1)
        waiting = Message.objects.exclude(status__in=FINAL_STATUSES).count()
        if not waiting and not Message.objects.filter(fallback__isnull=False, status=MessageStatus.SENT).exists():
            break
        assert time.monotonic() < deadline, f"{waiting} messages not final in {RUN_TIMEOUT:.0f} s"

    # Every message is final; each cascade has at most one attempt per channel, SMS only after Viber.
    attempts = Message.objects.filter(campaign_id=CAMPAIGN_ID)
    assert not attempts.exclude(status__in=FINAL_STATUSES).exists()
    per_transaction = Counter(attempts.values_list("transaction_id", flat=True))
    assert len(per_transaction) == MESSAGES
    assert max(per_transaction.values()) <= 2
    assert not attempts.values("transaction_id", "channel").annotate(n=Count("pk")).filter(n__gt=1).exists()
    viber_outcomes = dict(attempts.filter(channel=Channel.VIBER).values_list("transaction_id", "status"))
    sms_after_viber = set(attempts.filter(channel=Channel.SMS, step=1).values_list("transaction_id", flat=True))
    for transaction_id, status in viber_outcomes.items():
        if status in (MessageStatus.UNDELIVERED, MessageStatus.FAILED):
            assert transaction_id in sms_after_viber

    # The vendor got every message it accepted exactly once, even those in flight when the worker died.
    submitted = Counter(
        SimulatorEvent.objects.filter(kind=SimulatorEvent.Kind.DLR)
        .exclude(status=MessageStatus.SEEN)
        .values_list("client_ref", flat=True)
    )
    assert max(submitted.values()) == 1
    reached_vendor = set(attempts.exclude(status=MessageStatus.FAILED).values_list("pk", flat=True))
    assert set(submitted) == reached_vendor  # the failed ones are those the vendor rejected

    # Counters kept incrementally agree with the messages, and the money with the ledger.
    actual = Counter(attempts.values_list("channel", "status"))
    for counter in CampaignCounter.objects.filter(campaign_id=CAMPAIGN_ID):
        for status in MessageStatus.values:
            assert getattr(counter, f"{status}_messages") == actual[(counter.channel, status)], (
                counter.channel,
                status,
            )
    tenant.end_user.refresh_from_db()
    assert tenant.end_user.balance == billing_services.ledger_total(tenant.end_user)
    delivered = attempts.filter(status__in=[MessageStatus.DELIVERED, MessageStatus.SEEN])
    assert Decimal("1000") - tenant.end_user.balance == sum(delivered.values_list("cost", flat=True))
    statuses = dict(Counter(attempts.values_list("status", flat=True)))
    print(f"claimed by the killed worker: {claimed_at_kill}; statuses: {statuses}")
