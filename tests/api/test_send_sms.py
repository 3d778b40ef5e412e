"""``/api/send_sms``: every parameter, the 700 cap, duplicates, per-number errors and each request-level 400."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from api import tokens
from billing.models import Transaction, TransactionType
from messaging import services as messaging_services
from messaging.models import CallbackTarget, Message
from messaging.services import triggers
from tenancy.models import Channel, Partner
from tests.api.conftest import api_client, new_key
from tests.factories import make_sender_id
from tests.messaging.conftest import Setup

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def post(client: Client, payload: Any) -> Any:
    body = payload if isinstance(payload, (str, bytes)) else json.dumps(payload)
    return client.post("/api/send_sms", body, content_type="application/json")


def message(**fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"channels": ["SMS"], "from": "Shop", "to": "34600000001", "message": "Hello"}
    data.update(fields)
    return data


def split(result: str) -> tuple[str, str]:
    number, text = result.split(":", 1)
    return number, text.strip()


@pytest.fixture
def client(setup: Setup) -> Client:
    return api_client(new_key(setup.tenant, callback_url="https://hooks.example.com/dlr").secret)


def test_post_sends_each_number_and_answers_in_request_order(setup: Setup, client: Client) -> None:
    response = post(client, [message(to=["34600000002", "34600000001"], label="promo")])
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [split(line)[0] for line in results] == ["34600000002", "34600000001"]
    ids = [split(line)[1] for line in results]
    assert all(UUID.match(value) for value in ids)
    rows = {str(row.transaction_id): row for row in Message.objects.all()}
    assert set(rows) == set(ids)
    row = rows[ids[0]]
    assert (row.recipient, row.channel, row.sender, row.text, row.label) == ("34600000002", "sms", "Shop", "Hello",
                                                                            "promo")  # fmt: skip
    assert CallbackTarget.objects.get(pk=row.callback_target_id).url == "https://hooks.example.com/dlr"
    messaging_services.dispatch_batch()
    entry = Transaction.objects.get(partner=setup.tenant.end_user, type=TransactionType.API)
    assert entry.reference.endswith(":promo") and entry.amount < 0


def test_get_takes_query_parameters_and_the_label_defaults_to_today(setup: Setup, client: Client) -> None:
    response = client.get("/api/send_sms", {"channels": "SMS", "from": "Shop", "to": "34600000001,34600000002",
                                            "message": "Hi there"})  # fmt: skip
    assert response.status_code == 200, response.content
    assert len(response.json()["results"]) == 2
    assert set(Message.objects.values_list("label", flat=True)) == {timezone.now().date().isoformat()}


def test_several_message_objects_in_one_request(setup: Setup, client: Client) -> None:
    response = post(client, [message(to="34600000001", message="One"), message(to="34600000002", message="Two")])
    assert response.status_code == 200
    assert sorted(Message.objects.values_list("text", flat=True)) == ["One", "Two"]


def test_duplicates_are_ignored_and_said_so(setup: Setup, client: Client) -> None:
    response = post(client, [message(to=["34600000001", "+34600000001", "34600000002", "34600000001"])])
    results = response.json()["results"]
    assert len(results) == 4
    assert UUID.match(split(results[0])[1]) and UUID.match(split(results[2])[1])
    assert "duplicate" in results[1] and "duplicate" in results[3]
    assert Message.objects.count() == 2


def test_at_most_700_recipients_are_sent_and_the_rest_are_reported(setup: Setup, client: Client) -> None:
    numbers = [f"346{i:08d}" for i in range(705)]
    response = post(client, [message(to=numbers[:400]), message(to=numbers[400:], message="Second")])
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert len(results) == 705
    assert all(UUID.match(split(line)[1]) for line in results[:700])
    assert all("700" in line for line in results[700:])
    assert [split(line)[0] for line in results[700:]] == numbers[700:]
    assert Message.objects.count() == 700


def test_a_sender_id_that_is_not_enabled_is_reported_per_number_and_nothing_is_sent(
    setup: Setup, client: Client
) -> None:
    response = post(client, [message(**{"from": "Unknown", "to": ["34600000001", "34600000002"]})])
    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == 2 and all("Unknown" in line for line in results)
    assert not Message.objects.exists()


def test_a_bad_number_is_reported_and_the_others_are_sent(setup: Setup, client: Client) -> None:
    response = post(client, [message(to=["34600000001", "12"])])
    first, second = response.json()["results"]
    assert UUID.match(split(first)[1]) and not UUID.match(split(second)[1]) and split(second)[0] == "12"
    assert Message.objects.count() == 1


def test_cascade_with_fallback_ttl_and_viber_parameters(setup: Setup, client: Client) -> None:
    make_sender_id(setup.tenant.end_user, value="Shop", channel=Channel.VIBER)
    response = post(client, [message(
        channels="Viber,SMS", fallbackTtl=120, trafficType="TRANSACTION", imageUrl="https://example.com/a.png",
        buttonActionUrl="https://example.com/go", buttonCaption="Open", viberTemplateName="welcome",
        viberTemplateParams=["Ann"],
    )])  # fmt: skip
    assert response.status_code == 200, response.content
    row = Message.objects.get()
    assert row.channel == "viber" and row.purpose == "promotion"  # an image makes it promotional
    assert (row.image_url, row.button_url, row.button_caption) == ("https://example.com/a.png",
                                                                   "https://example.com/go", "Open")  # fmt: skip
    assert (row.template_name, row.template_params) == ("welcome", ["Ann"])
    assert row.fallback is not None
    assert row.fallback["ttl"] == 120 and row.fallback["next"][0]["channel"] == "sms"


def test_flash_mo_and_sms_templates(setup: Setup, client: Client) -> None:
    Partner.objects.filter(pk=setup.tenant.end_user.pk).update(flash_enabled=True, mo_enabled=True)
    response = post(client, [message(isFlashed=True, smsTemplateName="otp", smsTemplateParams=["1234"]),
                             message(to="34600000002", acceptMO="true", autoReply=True)])  # fmt: skip
    assert response.status_code == 200, response.content
    flash, mo = Message.objects.order_by("recipient")
    assert flash.flash and (flash.template_name, flash.template_params) == ("otp", ["1234"])
    assert mo.accept_mo and not mo.flash


def test_auto_reply_is_stored_on_every_edr_of_the_send(setup: Setup, client: Client) -> None:
    Partner.objects.filter(pk=setup.tenant.end_user.pk).update(mo_enabled=True)
    make_sender_id(setup.tenant.end_user, value="Shop", channel=Channel.VIBER)
    response = post(client, [message(channels="Viber,SMS", to=["34600000001", "34600000002"], autoReply="true"),
                             message(to="34600000003")])  # fmt: skip
    assert response.status_code == 200, response.content
    messaging_services.dispatch_batch()  # no Viber rate plan: the Viber attempts fail and SMS takes over
    messaging_services.dispatch_batch()
    flags = sorted(Message.objects.values_list("recipient", "channel", "auto_reply"))
    assert flags == [("34600000001", "sms", True), ("34600000001", "viber", True), ("34600000002", "sms", True),
                     ("34600000002", "viber", True), ("34600000003", "sms", False)]  # fmt: skip
    shown = client.get("/api/v1/messages?recipient=34600000001&channel=sms").json()["results"]
    assert [row["autoReply"] for row in shown] == [True]


def test_whatsapp_takes_the_template(setup: Setup, client: Client) -> None:
    make_sender_id(setup.tenant.end_user, value="Shop", channel=Channel.WHATSAPP)
    response = post(client, [{"channels": "WhatsApp", "from": "Shop", "to": "34600000001", "templateName": "order",
                              "templateParams": ["42"]}])  # fmt: skip
    assert response.status_code == 200, response.content
    row = Message.objects.get()
    assert (row.channel, row.template_name, row.template_params) == ("whatsapp", "order", ["42"])


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ([message(message="")], "no_message"),
        ([{k: v for k, v in message().items() if k != "message"}], "no_message"),
        ([message(isFlashed=True, acceptMO=True)], "flash_mo"),
        ([message(acceptMO=True)], "mo_off"),
        ("[{not json", "malformed_json"),
        ('{"a": 1', "malformed_json"),
        ("[]", "no_messages"),
        ('"text"', "malformed_request"),
        ([message(channels="Pigeon")], "unknown_channel"),
        ([message(channels="")], "no_channels"),
        ([message(to=[])], "no_recipients"),
        ([message(**{"from": ""})], "no_sender"),
        ([message(isFlashed="maybe")], "invalid_boolean"),
        ([message(fallbackTtl="soon")], "invalid_ttl"),
        ([message(trafficType="SPAM")], "invalid_traffic_type"),
        ([message(channels="SMS,Viber")], "sms_not_last"),
        ([message(to=[{"n": 1}])], "invalid_parameter"),
        ([message(), "x"], "invalid_message"),
    ],
)
def test_request_level_errors_are_400_json_and_send_nothing(
    setup: Setup, client: Client, payload: Any, code: str
) -> None:
    Partner.objects.filter(pk=setup.tenant.end_user.pk).update(flash_enabled=True)
    response = post(client, payload)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    assert not Message.objects.exists()


def test_an_over_long_body_is_400(setup: Setup, client: Client, settings: Any) -> None:
    settings.API_SEND_SMS_MAX_BODY = 1000
    response = post(client, [message(message="x" * 2000)])
    assert response.status_code == 400 and response.json()["error"]["code"] == "body_too_long"
    assert not Message.objects.exists()


def test_the_flash_option_of_the_partner_is_checked(setup: Setup, client: Client) -> None:
    response = post(client, [message(isFlashed=True)])
    assert response.status_code == 400 and response.json()["error"]["code"] == "flash_off"


def test_send_needs_a_live_api_key(setup: Setup) -> None:
    token, _ = tokens.issue_login_token(user_id=setup.tenant.end_user_user.pk)
    assert post(api_client(token), [message()]).status_code == 403
    assert post(api_client(), [message()]).status_code == 401
    removed = new_key(setup.tenant, "Removed")
    api_client(removed.secret).delete(f"/api/v1/api-keys/{removed.api_key.pk}")
    assert post(api_client(removed.secret), [message()]).status_code == 401
    assert post(api_client(str(uuid.uuid4())), [message()]).status_code == 401
    assert not Message.objects.exists()


def test_another_tenants_sender_id_cannot_be_used(setup: Setup, tenant_b: Any) -> None:
    make_sender_id(tenant_b.end_user, value="Theirs", channel=Channel.SMS)
    client = api_client(new_key(setup.tenant).secret)
    results = post(client, [message(**{"from": "Theirs"})]).json()["results"]
    assert "Theirs" in results[0] and not Message.objects.exists()


def test_get_accepts_repeated_parameters_and_post_a_single_object(setup: Setup, client: Client) -> None:
    response = client.get("/api/send_sms?channels=SMS&from=Shop&to=34600000001&to=34600000002&message=Hi")
    assert response.status_code == 200 and len(response.json()["results"]) == 2
    single = post(client, message(to="34600000003"))
    assert single.status_code == 200 and len(single.json()["results"]) == 1
    assert Message.objects.count() == 3


def test_auto_reply_needs_mo_messages_on_for_the_account(setup: Setup, client: Client) -> None:
    response = post(client, [message(autoReply=True)])
    assert response.status_code == 400 and response.json()["error"]["code"] == "mo_off"


def test_a_single_recipient_send_reads_little(setup: Setup, client: Client, django_assert_max_num_queries: Any) -> None:
    """The hot path: the key with its partner and user in one query, the sender ID, the callback target, the
    insert (and the test's savepoint around it); the number from the process's copy of the reference book; no
    portal lookup, no session."""
    post(client, [message()])
    with django_assert_max_num_queries(6) as captured:
        response = post(client, [message(to="34600000002")])
    assert response.status_code == 200
    unwanted = ("tenancy_portal", "django_session", "billing_country", "billing_numberprefix")
    assert not any(table in query["sql"] for query in captured for table in unwanted)


def test_sends_within_the_triggers_second_make_no_cache_round_trip_for_it(
    setup: Setup, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first send takes the dispatch trigger's key; until it expires this process knows the answer."""
    calls: list[str] = []

    class CountingCache:
        def add(self, *args: Any, **kwargs: Any) -> bool:
            calls.append("add")
            return bool(cache.add(*args, **kwargs))

        def get(self, *args: Any, **kwargs: Any) -> Any:
            calls.append("get")
            return cache.get(*args, **kwargs)

    cache.delete("cp:trigger:dispatch")
    monkeypatch.setattr(triggers, "_taken_until", {})
    monkeypatch.setattr(triggers, "cache", CountingCache())
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for number in ("34600000001", "34600000002", "34600000003"):
            assert post(client, [message(to=number)]).status_code == 200
        assert calls == ["add"]
        clock.shift(triggers.TRIGGER_SECONDS + 0.1)
        assert post(client, [message(to="34600000004")]).status_code == 200
        assert calls == ["add", "add"]
        # Another process took the key: one look at when it expires, then quiet until then.
        triggers._taken_until.clear()
        for number in ("34600000005", "34600000006"):
            assert post(client, [message(to=number)]).status_code == 200
        assert calls == ["add", "add", "add", "get"]
