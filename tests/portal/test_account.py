from __future__ import annotations

from datetime import UTC, datetime

from django.test import Client
from django.utils import timezone, translation

from tenancy.models import CustomField, User
from tests.factories import Tenant, make_custom_field


def test_my_account_saves_name_date_format_time_zone_and_custom_fields(tenant: Tenant, cp_client: Client) -> None:
    make_custom_field(tenant.reseller, label="VAT number", key="vat", required=True)
    make_custom_field(tenant.reseller, label="Employees", key="employees", data_type=CustomField.DataType.NUMBER)
    page = cp_client.get("/account").content.decode()
    assert "VAT number" in page and "Employees" in page
    data = {
        "first_name": "Ursula",
        "last_name": "Major",
        "date_format": "DD.MM.YYYY",
        "time_zone": "Asia/Tokyo",
        "cf_vat": "ES1",
        "cf_employees": "12",
    }
    assert cp_client.post("/account", data)["Location"] == "/account"
    user = User.objects.get(pk=tenant.end_user_user.pk)
    assert (user.last_name, user.date_format, user.time_zone) == ("Major", "DD.MM.YYYY", "Asia/Tokyo")
    assert user.profile_fields == {"vat": "ES1", "employees": "12"}


def test_my_account_rejects_bad_input_and_changes_nothing(tenant: Tenant, cp_client: Client) -> None:
    make_custom_field(tenant.reseller, label="VAT number", key="vat", required=True)
    response = cp_client.post("/account", {"first_name": "X", "date_format": "nonsense", "time_zone": "Mars/Base"})
    page = response.content.decode()
    assert "Select a valid choice" in page and "This field is required" in page
    user = User.objects.get(pk=tenant.end_user_user.pk)
    assert user.first_name != "X" and user.date_format == "YYYY-MM-DD"


def test_dates_follow_the_users_format_and_time_zone(tenant: Tenant, cp_client: Client) -> None:
    joined = datetime(2026, 3, 31, 22, 30, tzinfo=UTC)
    User.objects.filter(pk=tenant.end_user_user.pk).update(
        date_joined=joined, date_format="DD.MM.YYYY", time_zone="Asia/Tokyo"
    )
    assert "joined 01.04.2026" in cp_client.get("/account").content.decode()
    User.objects.filter(pk=tenant.end_user_user.pk).update(date_format="MM/DD/YYYY", time_zone="UTC")
    assert "joined 03/31/2026" in cp_client.get("/account").content.decode()


def test_password_change_in_security(tenant: Tenant, cp_client: Client) -> None:
    bad = cp_client.post("/account/security", {"old_password": "wrong", "new_password1": "x", "new_password2": "x"})
    assert bad.status_code == 400
    assert "Your old password was entered incorrectly" in bad.content.decode()
    new = "quiet-Meadow-58"
    ok = cp_client.post(
        "/account/security",
        {"old_password": "test-pass-2026!", "new_password1": new, "new_password2": new},
    )
    assert ok.status_code == 302
    assert User.objects.get(pk=tenant.end_user_user.pk).check_password(new)
    assert cp_client.get("/dashboard").status_code == 200  # the session survives its own password change


def test_theme_toggle_is_remembered_per_user(tenant: Tenant, cp_client: Client) -> None:
    assert 'data-bs-theme="light"' in cp_client.get("/dashboard").content.decode()
    cp_client.post("/account/theme", {"next": "/dashboard"})
    assert 'data-bs-theme="dark"' in cp_client.get("/dashboard").content.decode()
    assert User.objects.get(pk=tenant.end_user_user.pk).theme == "dark"
    cp_client.post("/account/theme")
    assert User.objects.get(pk=tenant.end_user_user.pk).theme == "light"


def test_language_switch_translates_the_shell(tenant: Tenant, cp_client: Client) -> None:
    cp_client.post("/account/language", {"language": "es", "next": "/dashboard"})
    assert User.objects.get(pk=tenant.end_user_user.pk).language == "es"
    page = cp_client.get("/dashboard").content.decode()
    assert 'lang="es"' in page
    assert "Contactos" in page
    assert translation.get_language() == "en"  # the language cookie's language ended with the request too
    cp_client.post("/account/language", {"language": "xx"})
    assert User.objects.get(pk=tenant.end_user_user.pk).language == "es"


def test_a_users_language_and_time_zone_end_with_the_request(tenant: Tenant, cp_client: Client) -> None:
    User.objects.filter(pk=tenant.end_user_user.pk).update(language="es", time_zone="Asia/Tokyo")
    response = cp_client.get("/dashboard")
    assert "Contactos" in response.content.decode()
    assert response.headers["Content-Language"] == "es"
    assert translation.get_language() == "en"
    assert str(timezone.get_current_timezone()) == "UTC"


def test_user_menu_shows_terms_privacy_help_and_version_only_when_set(tenant: Tenant, cp_client: Client) -> None:
    page = cp_client.get("/dashboard").content.decode()
    assert "Terms of Service" not in page and "Get Help" not in page
    assert "Version 0.1.0" in page
    tenant.portal.terms_of_service = "Our terms."
    tenant.portal.privacy_policy = "Our privacy."
    tenant.portal.support_email = "help@alpha.test"
    tenant.portal.save()
    page = cp_client.get("/dashboard").content.decode()
    assert "Our terms." in page and "Our privacy." in page and "mailto:help@alpha.test" in page


def test_every_menu_section_is_reachable(cp_client: Client) -> None:
    for path, title in (
        ("/campaigns", "Campaigns"),
        ("/statistics", "Statistics"),
        ("/purchase", "Purchase"),
        ("/url-shortener", "URL Shortener"),
        ("/finance", "Finance"),
        ("/api-connections", "API Connections"),
    ):
        response = cp_client.get(path)
        assert response.status_code == 200 and f'<h1 class="h3 mb-4">{title}</h1>' in response.content.decode()


def test_header_shows_balance_and_top_up(tenant: Tenant, cp_client: Client) -> None:
    tenant.end_user.balance = 12.5
    tenant.end_user.save()
    page = cp_client.get("/dashboard").content.decode()
    assert "12.50 EUR" in page and "Top Up" in page
