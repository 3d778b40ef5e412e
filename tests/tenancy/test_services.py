from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from tenancy import services
from tenancy.models import CustomField, Partner, Portal, User
from tests.factories import Tenant, make_custom_field, make_partner, make_user


def test_visible_to_is_the_subtree_and_for_partner_is_the_partner_only(tenant: Tenant, tenant_b: Tenant) -> None:
    sibling = make_partner(tenant.owner, Partner.Kind.RESELLER, name="Sibling")
    assert set(Partner.objects.visible_to(tenant.reseller)) == {tenant.reseller, tenant.end_user}
    assert set(Partner.objects.below(tenant.owner)) == {tenant.reseller, tenant.end_user, sibling}
    assert set(User.objects.visible_to(tenant.reseller)) == {tenant.reseller_user, tenant.end_user_user}
    assert list(User.objects.for_partner(tenant.end_user)) == [tenant.end_user_user]
    assert list(Portal.objects.visible_to(tenant_b.owner)) == [tenant_b.portal]
    assert list(tenant.end_user.chain()) == [tenant.owner, tenant.reseller, tenant.end_user]


def test_partner_tree_rules(tenant: Tenant) -> None:
    with pytest.raises(ValidationError, match="Only the system owner or a reseller"):
        services.partner_create(parent=tenant.end_user, kind=Partner.Kind.END_USER, name="Nested")
    with pytest.raises(ValidationError, match="either a reseller or an end user"):
        services.partner_create(parent=tenant.reseller, kind=Partner.Kind.OWNER, name="Second root")
    with pytest.raises(ValidationError, match="cannot manage"):
        services.partner_create(
            parent=tenant.owner, kind=Partner.Kind.RESELLER, name="Above me", by=tenant.reseller_user
        )
    assert not Partner.objects.filter(name__in=["Nested", "Second root", "Above me"]).exists()


def test_a_reseller_cannot_change_its_own_options_or_disable_itself(tenant: Tenant) -> None:
    with pytest.raises(ValidationError):
        services.partner_update(partner=tenant.reseller, by=tenant.reseller_user, credit_limit=10**6)
    with pytest.raises(ValidationError):
        services.partner_set_active(partner=tenant.reseller, active=False, by=tenant.reseller_user)
    tenant.reseller.refresh_from_db()
    assert tenant.reseller.credit_limit == 0 and tenant.reseller.is_active


def test_partner_update_validates_options(tenant: Tenant) -> None:
    with pytest.raises(ValidationError, match="ISO 4217"):
        services.partner_update(partner=tenant.end_user, by=tenant.reseller_user, currency="euro")
    assert Partner.objects.get(pk=tenant.end_user.pk).currency == "EUR"
    services.partner_update(partner=tenant.end_user, by=tenant.reseller_user, mo_enabled=True, currency="USD")
    assert Partner.objects.get(pk=tenant.end_user.pk).currency == "USD"


def test_custom_fields_apply_down_the_chain(tenant: Tenant, tenant_b: Tenant) -> None:
    own = make_custom_field(tenant.owner, label="Owner field")
    reseller = make_custom_field(tenant.reseller, label="Reseller field")
    make_custom_field(tenant_b.owner, label="Other tree")
    make_custom_field(tenant.owner, form=CustomField.Form.SENDER_ID_REQUEST, label="SID field")
    found = services.custom_fields_for(partner=tenant.end_user, form=CustomField.Form.REGISTRATION)
    assert found == [own, reseller]
    assert services.custom_fields_for(partner=tenant.owner, form=CustomField.Form.REGISTRATION) == [own]


def test_portal_hosts_are_unique_across_portals(tenant: Tenant, tenant_b: Tenant) -> None:
    with pytest.raises(ValidationError, match="Already used by another portal: b.testserver"):
        services.portal_save(portal=tenant.portal, hosts=["new.test", "b.testserver"], by=tenant.owner_user)
    assert tenant.portal.host_names == ["testserver"]
    services.portal_save(portal=tenant.portal, hosts=["Brand.Test", "testserver"], by=tenant.owner_user)
    assert Portal.objects.get(pk=tenant.portal.pk).host_names == ["brand.test", "testserver"]


def test_unconfirmed_sign_ups_are_purged_with_their_partner(tenant: Tenant) -> None:
    partner = make_partner(tenant.owner, name="Never confirmed")
    stale = make_user(partner)
    User.objects.filter(pk=stale.pk).update(email_confirmed=False, date_joined=timezone.now() - timedelta(days=5))
    fresh = make_user(make_partner(tenant.owner))
    User.objects.filter(pk=fresh.pk).update(email_confirmed=False)
    from tenancy.tasks import purge_unconfirmed_sign_ups

    assert purge_unconfirmed_sign_ups.delay().get() == 1
    assert not User.objects.filter(pk=stale.pk).exists()
    assert not Partner.objects.filter(pk=partner.pk).exists()
    assert User.objects.filter(pk=fresh.pk).exists()


def test_seed_demo_is_idempotent(db: None) -> None:
    call_command("seed_demo")
    counts = (Partner.objects.count(), User.objects.count(), Portal.objects.count())
    call_command("seed_demo")
    assert (Partner.objects.count(), User.objects.count(), Portal.objects.count()) == counts == (3, 3, 1)
    user = User.objects.get(email="user@demo.local")
    assert user.check_password("demo-pass-2026")
    assert user.partner.kind == Partner.Kind.END_USER
    assert Portal.objects.get().host_names == ["127.0.0.1", "localhost"]


def test_user_create_turns_a_lost_race_for_the_email_into_a_validation_error(
    tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The duplicate check passes, then another request inserts the same e-mail first."""
    monkeypatch.setattr(User.objects, "filter", lambda **kwargs: User.objects.none())
    with pytest.raises(ValidationError, match="already exists"):
        services.user_create(partner=tenant.end_user, email=tenant.end_user_user.email, password="x-Long-pass-1")
    assert User.objects.all().count() == 3
