"""URL shortener: short domains in the AP, the wizard's short link, the redirect with click counting, the list."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from campaigns import services, shortlinks
from campaigns.models import Campaign, MessageTemplate, Moderation
from shortener import middleware
from shortener.models import ShortDomain, ShortLink, ShortLinkClick
from shortener.services import short_domain_save, short_link_create
from tenancy.models import Channel
from tests.campaigns.conftest import World, draft, sms_step
from tests.campaigns.factories import make_template
from tests.conftest import HOST_B, signed_in
from tests.factories import Tenant, make_sender_id, make_short_domain

LINK_TEXT = "Sale today: https://shop.example.com/sale?x=1. Hi {first_name}"


@pytest.fixture
def domain(world: World) -> ShortDomain:
    """A short domain the system owner gave to the reseller above the end user."""
    return make_short_domain(world.tenant.owner, partners=[world.tenant.reseller], name="go.example.test")


def test_owner_adds_and_edits_a_short_domain(tenant: Tenant, owner_client: Client) -> None:
    assert owner_client.get("/ap/short-domains/").status_code == 200
    response = owner_client.post(
        "/ap/short-domains/new", {"name": " Go.Example.TEST ", "is_active": "on", "partners": [tenant.reseller.pk]}
    )
    assert response.status_code == 302
    domain = ShortDomain.objects.get()
    assert domain.name == "go.example.test" and domain.partner == tenant.owner
    assert list(domain.partners.all()) == [tenant.reseller]
    listing = owner_client.get("/ap/short-domains/").content.decode()
    assert "go.example.test" in listing
    response = owner_client.post(f"/ap/short-domains/{domain.pk}/", {"name": "go.example.test", "partners": []})
    assert response.status_code == 302
    domain.refresh_from_db()
    assert not domain.is_active and not domain.partners.exists()


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("not a domain", "Enter a domain name such as go.example.com."),
        ("TestServer.Example", None),  # the same name in other letters
    ],
)
def test_short_domain_validation_changes_nothing(
    tenant: Tenant, owner_client: Client, name: str, error: str | None
) -> None:
    make_short_domain(tenant.owner, name="testserver.example")
    response = owner_client.post("/ap/short-domains/new", {"name": name, "is_active": "on"})
    assert response.status_code == 400
    assert (error or "This short domain already exists.") in response.content.decode()
    assert ShortDomain.objects.count() == 1


def test_short_domain_may_not_be_a_portal_host(tenant: Tenant, owner_client: Client) -> None:
    tenant.portal.hosts.create(name="portal.example.test")
    response = owner_client.post("/ap/short-domains/new", {"name": "portal.example.test", "is_active": "on"})
    assert "A portal already uses this host name." in response.content.decode()
    assert not ShortDomain.objects.exists()


def test_resellers_do_not_manage_short_domains(ap_client: Client) -> None:
    assert ap_client.get("/ap/short-domains/").status_code == 403
    assert ap_client.get("/ap/short-domains/new").status_code == 403


def test_domains_are_usable_below_the_partners_they_are_given_to(
    world: World, domain: ShortDomain, tenant_b: Tenant
) -> None:
    assert list(ShortDomain.objects.usable_by(world.tenant.end_user)) == [domain]
    assert not ShortDomain.objects.usable_by(tenant_b.end_user).exists()
    domain.is_active = False
    domain.save()
    assert not ShortDomain.objects.usable_by(world.tenant.end_user).exists()
    with pytest.raises(ValidationError):
        short_link_create(partner=tenant_b.end_user, domain=domain, original_url="https://a.example", by=None)


def test_setup_offers_the_short_domains_only_when_there_are_some(world: World, cp_client: Client) -> None:
    assert "data-short-link-box" not in cp_client.get("/campaigns/new").content.decode()
    make_short_domain(world.tenant.owner, partners=[world.tenant.end_user], name="go.example.test")
    page = cp_client.get("/campaigns/new").content.decode()
    assert "data-short-link-box" in page and "go.example.test" in page


def setup_data(domain: ShortDomain, **extra: Any) -> dict[str, Any]:
    return {"channels": ["sms"], "sms_sender": "Shop", "sms_text": LINK_TEXT, "placeholders": "keep",
            "short_domain": domain.pk, **extra}  # fmt: skip


def test_wizard_shortens_the_first_link(world: World, domain: ShortDomain, cp_client: Client) -> None:
    response = cp_client.post("/campaigns/new", setup_data(domain))
    assert response.status_code == 302
    campaign = Campaign.objects.get()
    link = campaign.short_link
    assert link is not None and link.domain == domain and link.partner == world.tenant.end_user
    assert link.original_url == "https://shop.example.com/sale?x=1"
    assert len(link.code) == 5 and link.url == f"https://go.example.test/{link.code}"
    # Saving again with the same link keeps the short code; choosing "do not shorten" drops it.
    cp_client.post(f"/campaigns/{campaign.pk}/setup", setup_data(domain))
    campaign.refresh_from_db()
    assert campaign.short_link == link
    page = cp_client.get(f"/campaigns/{campaign.pk}/setup").content.decode()
    assert link.url in page  # the preview data knows the short link
    cp_client.post(f"/campaigns/{campaign.pk}/setup", setup_data(domain, short_domain=""))
    campaign.refresh_from_db()
    assert campaign.short_link is None


def test_a_short_domain_without_a_link_is_refused(world: World, domain: ShortDomain, cp_client: Client) -> None:
    response = cp_client.post("/campaigns/new", setup_data(domain, sms_text="No link here"))
    assert response.status_code == 200
    assert "Put a link into the SMS or Viber text to shorten it." in response.content.decode()
    assert not Campaign.objects.exists() and not ShortLink.objects.exists()


def test_cascade_steps_share_one_short_link(world: World, domain: ShortDomain) -> None:
    viber = {"channel": Channel.VIBER, "sender": "Shop", "text": "See https://shop.example.com/sale?x=1"}
    campaign = draft(world, steps=[viber, sms_step(LINK_TEXT)])
    shortlinks.campaign_set_short_link(campaign=campaign, domain=domain, by=None)
    link = campaign.short_link
    assert link is not None
    texts = [shortlinks.shortened(step["text"], link) for step in campaign.steps]
    assert texts == [f"See {link.url}", f"Sale today: {link.url}. Hi {{first_name}}"]


def test_short_link_redirects_and_counts_clicks(world: World, domain: ShortDomain) -> None:
    link = short_link_create(
        partner=world.tenant.end_user, domain=domain, original_url="https://shop.example.com/sale", by=None
    )
    visitor = Client(HTTP_HOST="go.example.test", HTTP_USER_AGENT="Mozilla/5.0 (Android)")
    response = visitor.get(f"/{link.code}")
    assert response.status_code == 302 and response["Location"] == "https://shop.example.com/sale"
    visitor.get(f"/{link.code}")
    link.refresh_from_db()
    assert link.clicks == 2
    assert ShortLinkClick.objects.filter(link=link, user_agent="Mozilla/5.0 (Android)").count() == 2
    assert visitor.get("/zzzzz").status_code == 404
    assert visitor.get("/campaigns/new").status_code == 404
    # The portal's own host does not answer short codes.
    assert Client().get(f"/{link.code}").status_code != 302
    domain.is_active = False
    short_domain_save(domain=domain, partners=list(domain.partners.all()), by=None)
    assert visitor.get(f"/{link.code}").status_code == 404
    link.refresh_from_db()
    assert link.clicks == 2


def test_list_and_details_show_the_short_url(world: World, domain: ShortDomain, cp_client: Client) -> None:
    campaign = draft(world, steps=[sms_step(LINK_TEXT)])
    shortlinks.campaign_set_short_link(campaign=campaign, domain=domain, by=None)
    services.campaign_update(campaign=campaign, by=None, name="Linked")
    campaign.refresh_from_db()
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.COMPLETED)
    url = campaign.short_link.url  # type: ignore[union-attr]
    assert url in cp_client.get("/campaigns").content.decode()
    assert url in cp_client.get(f"/campaigns/{campaign.pk}/").content.decode()


def test_short_domain_list_query_count(
    tenant: Tenant, owner_client: Client, django_assert_max_num_queries: Any
) -> None:
    for index in range(5):
        make_short_domain(tenant.owner, partners=[tenant.reseller, tenant.end_user], name=f"s{index}.example.test")
    with django_assert_max_num_queries(12):
        listing = owner_client.get("/ap/short-domains/?status=active&q=example").content.decode()
    assert listing.count('data-testid="short-domain-row"') == 5


def test_sms_templates_keep_a_short_domain_for_their_campaigns(
    world: World, domain: ShortDomain, cp_client: Client
) -> None:
    data = {"channel": "sms", "name": "Sale", "sender": world.sender.pk, "text": "No link", "short_domain": domain.pk}
    response = cp_client.post("/campaigns/templates/new", data)
    assert "Put a link into the message text to shorten it." in response.content.decode()
    assert not MessageTemplate.objects.exists()
    cp_client.post("/campaigns/templates/new", {**data, "text": LINK_TEXT})
    template = MessageTemplate.objects.get()
    assert template.short_domain == domain
    setup = cp_client.get(f"/campaigns/new?template={template.pk}").content.decode()
    assert f'<option value="{domain.pk}" selected>go.example.test</option>' in setup
    response = cp_client.post("/campaigns/new", {**setup_data(domain), "save_template": "1", "save_as": "Again"})
    assert MessageTemplate.objects.get(name="Again").short_domain == domain


def test_hosts_are_checked_against_the_process_copy_of_the_short_domains(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Other hosts read the short domains from the database once, not per request; a saved domain is seen at once."""
    real_names = middleware.short_domain_names
    reads: list[frozenset[str]] = []

    def counted() -> frozenset[str]:
        reads.append(real_names())
        return reads[-1]

    monkeypatch.setattr(middleware, "short_domain_names", counted)
    middleware.forget_local_short_domain_names()
    for _request in range(3):
        assert Client().get("/healthz").status_code == 200
    assert len(reads) == 1
    domain = make_short_domain(world.tenant.owner, partners=[world.tenant.reseller], name="go2.example.test")
    link = short_link_create(partner=world.tenant.end_user, domain=domain, original_url="https://a.example", by=None)
    visitor = Client(HTTP_HOST="go2.example.test")
    assert visitor.get(f"/{link.code}").status_code == 302
    assert visitor.get(f"/{link.code}").status_code == 302
    assert len(reads) == 2 and "go2.example.test" in reads[-1]
    domain.is_active = False
    short_domain_save(domain=domain, partners=[], by=None)
    assert visitor.get(f"/{link.code}").status_code == 404


def test_another_tenants_short_domain_cannot_be_chosen(world: World, domain: ShortDomain, tenant_b: Tenant) -> None:
    """The domain's id is posted by the client: the wizard and the template form only accept the caller's own."""
    own = make_short_domain(tenant_b.owner, partners=[tenant_b.reseller], name="go.beta.test")
    client = signed_in(tenant_b.end_user_user, HOST_B)
    data = {**setup_data(domain), "sms_sender": "Shop"}
    response = client.post("/campaigns/new", data)
    assert "short_domain" in response.context["form"].errors
    template = {"channel": "sms", "name": "Sale", "text": LINK_TEXT, "short_domain": domain.pk}
    response = client.post("/campaigns/templates/new", template)
    assert "short_domain" in response.context["form"].errors
    assert not ShortLink.objects.exists() and not MessageTemplate.objects.exists()
    assert list(ShortDomain.objects.usable_by(tenant_b.end_user)) == [own]


def test_an_owner_gives_short_domains_to_its_own_tree_only(tenant: Tenant, tenant_b: Tenant) -> None:
    client = signed_in(tenant_b.owner_user, HOST_B)
    response = client.post(
        "/ap/short-domains/new", {"name": "go.beta.test", "is_active": "on", "partners": [tenant.reseller.pk]}
    )
    assert "partners" in response.context["form"].errors
    assert not ShortDomain.objects.exists()


def test_list_reads_the_short_links_with_the_campaigns(
    world: World, domain: ShortDomain, cp_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Short URL column costs no query per row."""
    monkeypatch.setattr(middleware, "local_short_domain_names", frozenset)  # its refresh would count by timing

    def listing_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert cp_client.get("/campaigns").status_code == 200
        return len(queries)

    def linked_campaign(name: str) -> None:
        campaign = draft(world, name=name, steps=[sms_step(LINK_TEXT)])
        shortlinks.campaign_set_short_link(campaign=campaign, domain=domain, by=None)
        Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.COMPLETED)

    linked_campaign("First")
    one = listing_queries()
    for index in range(4):
        linked_campaign(f"More {index}")
    listing = cp_client.get("/campaigns").content.decode()
    assert listing.count(f"https://{domain.name}/") == 10  # link text and href of each of the five rows
    assert listing_queries() == one


@pytest.fixture
def whatsapp(world: World) -> None:
    """An enabled WhatsApp sender ID "ShopW"."""
    make_sender_id(world.tenant.end_user, value="ShopW", channel=Channel.WHATSAPP)


def approved_whatsapp_template(world: World, button_url: str, name: str = "promo") -> MessageTemplate:
    template = make_template(
        world.tenant.end_user, name=name, channel=Channel.WHATSAPP, purpose="marketing", language="en",
        text="Our sale is on: {{1}}", buttons=[{"type": "url", "text": "Shop", "value": button_url}],
    )  # fmt: skip
    MessageTemplate.objects.filter(pk=template.pk).update(moderation=Moderation.APPROVED)
    return template


def whatsapp_step(template: MessageTemplate, params: list[str] | None = None) -> dict[str, Any]:
    return {"channel": Channel.WHATSAPP, "sender": "ShopW", "template_id": template.pk, "text": template.text,
            "template_params": params or ["today"], "ttl": 3600}  # fmt: skip


def cascade_data(domain: ShortDomain | None, template: MessageTemplate, **extra: Any) -> dict[str, Any]:
    return {"channels": ["whatsapp", "sms"], "sms_sender": "Shop", "sms_text": LINK_TEXT, "placeholders": "keep",
            "whatsapp_template": template.pk, "whatsapp_sender": "ShopW", "whatsapp_params": "today",
            "short_domain": domain.pk if domain else "", **extra}  # fmt: skip


@pytest.mark.usefixtures("whatsapp")
def test_a_short_link_in_the_whatsapp_template_serves_every_channel(
    world: World, domain: ShortDomain, cp_client: Client
) -> None:
    link = short_link_create(
        partner=world.tenant.end_user, domain=domain, original_url="https://shop.example.com/sale?x=1", by=None
    )
    template = approved_whatsapp_template(world, link.url)
    # The service (what the API uses too): the campaign takes the template's link; no other can be shortened.
    campaign = draft(world, steps=[whatsapp_step(template), sms_step(LINK_TEXT)])
    assert campaign.short_link == link
    with pytest.raises(ValidationError) as refused:
        shortlinks.campaign_set_short_link(campaign=campaign, domain=domain, by=None)
    assert refused.value.error_dict["short_domain"][0].code == "whatsapp_short_link"
    shortlinks.campaign_set_short_link(campaign=campaign, domain=None, by=None)
    assert campaign.short_link == link
    texts = {content.channel: content.text for content in services.campaign_contents(campaign)}
    assert texts == {"whatsapp": "Our sale is on: {{1}}", "sms": f"Sale today: {link.url}. Hi {{first_name}}"}
    # Another WhatsApp template drops the link it gave; a repeated campaign keeps the template's link.
    copy = services.campaign_copy(campaign=campaign, by=None)
    assert copy.short_link == link
    other = approved_whatsapp_template(world, "https://shop.example.com/sale?x=1", name="plain")
    services.campaign_update(campaign=campaign, by=None, steps=[whatsapp_step(other), sms_step(LINK_TEXT)])
    campaign.refresh_from_db()
    assert campaign.short_link is None

    # The wizard: the shortener is not offered, the template's link is shown, and a posted domain is refused.
    page = cp_client.get(f"/campaigns/{copy.pk}/setup").content.decode()
    assert 'data-testid="whatsapp-short-link">' in page and f"<code data-short-link-fixed-url>{link.url}</code>" in page
    assert f'<option value="{domain.pk}" selected>go.example.test</option>' not in page
    assert f'"url": "{link.url}", "original": "https://shop.example.com/sale?x=1"' in page  # the template data
    links = ShortLink.objects.count()
    response = cp_client.post("/campaigns/new", cascade_data(domain, template))
    assert response.status_code == 200
    assert "The WhatsApp template already has the short link" in response.content.decode()
    select = re.search(r"<select name=\"short_domain\"[^>]*>", response.content.decode())
    assert select is not None and " disabled " in select[0]  # not posted again
    assert ShortLink.objects.count() == links and Campaign.objects.count() == 2
    response = cp_client.post("/campaigns/new", cascade_data(None, template))
    assert response.status_code == 302
    assert Campaign.objects.latest("pk").short_link == link and ShortLink.objects.count() == links


@pytest.mark.usefixtures("whatsapp")
def test_a_link_shortened_for_sms_is_not_added_to_whatsapp(
    world: World, domain: ShortDomain, cp_client: Client
) -> None:
    template = approved_whatsapp_template(world, "https://shop.example.com/sale?x=1")
    page = cp_client.get("/campaigns/new").content.decode()
    assert "data-short-link-whatsapp-note hidden" in page and 'data-testid="whatsapp-short-link" hidden' in page
    data = cascade_data(domain, template, whatsapp_params="https://shop.example.com/sale?x=1")
    assert cp_client.post("/campaigns/new", data).status_code == 302
    campaign = Campaign.objects.get()
    link = campaign.short_link
    assert link is not None and link.domain == domain and link.original_url == "https://shop.example.com/sale?x=1"
    contents = {content.channel: content for content in services.campaign_contents(campaign)}
    assert contents["sms"].text == f"Sale today: {link.url}. Hi {{first_name}}"
    assert (contents["whatsapp"].text, contents["whatsapp"].template_params) == (
        "Our sale is on: {{1}}",
        ["https://shop.example.com/sale?x=1"],
    )
