"""v1 packs, rate plans and subscriptions: what is offered to the account, buying, subscribing, isolation."""

from __future__ import annotations

import json
from decimal import Decimal

from billing.models import Subscription
from tests.api.conftest import api_client, new_key
from tests.factories import Tenant, make_pack, make_payment, make_rate_plan, make_tenant


def test_buy_an_offered_pack_and_see_it_in_subscriptions(tenant: Tenant) -> None:
    pack = make_pack(tenant.reseller, price=Decimal("5"))
    make_payment(tenant.end_user, "20")
    client = api_client(new_key(tenant).secret)
    listed = client.get("/api/v1/packs").json()["results"]
    assert [row["id"] for row in listed] == [pack.pk] and listed[0]["country"] == "ES"
    bought = client.post(f"/api/v1/packs/{pack.pk}/purchase")
    assert bought.status_code == 201, bought.content
    assert bought.json()["packId"] == pack.pk and bought.json()["messagesLeft"] == 100
    assert [row["packId"] for row in client.get("/api/v1/subscriptions").json()["results"]] == [pack.pk]
    assert client.get("/api/v1/balance").json()["balance"] == "15.00000"


def test_a_pack_without_money_is_refused_with_a_json_error(tenant: Tenant) -> None:
    pack = make_pack(tenant.reseller, price=Decimal("5"))
    refused = api_client(new_key(tenant).secret).post(f"/api/v1/packs/{pack.pk}/purchase")
    assert refused.status_code == 400 and refused.json()["error"]["message"]
    assert not Subscription.objects.exists()


def test_subscribe_to_a_plan_and_replace_it(tenant: Tenant) -> None:
    first, second = make_rate_plan(tenant.reseller), make_rate_plan(tenant.reseller)
    client = api_client(new_key(tenant).secret)
    assert {row["id"] for row in client.get("/api/v1/rate-plans").json()["results"]} == {first.pk, second.pk}
    assert client.post(f"/api/v1/rate-plans/{first.pk}/subscribe").status_code == 201
    again = client.post(f"/api/v1/rate-plans/{second.pk}/subscribe")
    assert again.status_code == 400
    replaced = client.post(f"/api/v1/rate-plans/{second.pk}/subscribe", json.dumps({"replace": True}),
                           content_type="application/json")  # fmt: skip
    assert replaced.status_code == 201 and replaced.json()["ratePlanId"] == second.pk


def test_packs_plans_and_subscriptions_of_other_trees_are_404(tenant: Tenant) -> None:
    other = make_tenant("Gamma", "c.testserver")
    their_pack, their_plan = make_pack(other.reseller), make_rate_plan(other.reseller)
    make_payment(tenant.end_user, "100")
    client = api_client(new_key(tenant).secret)
    assert client.get(f"/api/v1/packs/{their_pack.pk}").status_code == 404
    assert client.post(f"/api/v1/packs/{their_pack.pk}/purchase").status_code == 404
    assert client.get(f"/api/v1/rate-plans/{their_plan.pk}").status_code == 404
    assert client.post(f"/api/v1/rate-plans/{their_plan.pk}/subscribe").status_code == 404
    theirs = api_client(new_key(other, "theirs").secret)
    own = make_pack(tenant.reseller)
    subscription_id = client.post(f"/api/v1/packs/{own.pk}/purchase").json()["id"]
    assert client.get(f"/api/v1/subscriptions/{subscription_id}").status_code == 200
    assert theirs.get(f"/api/v1/subscriptions/{subscription_id}").status_code == 404
    assert not Subscription.objects.filter(partner=tenant.end_user, pack=their_pack).exists()
