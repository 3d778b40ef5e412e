"""The first journey in a real browser: sign up, confirm the e-mail, sign in with a TOTP code, theme, sign out."""

from __future__ import annotations

import base64
import re
import time
from typing import Any

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from tenancy.models import Portal, User
from tests.e2e.conftest import TERMS, Shots, outbox_to
from tests.factories import PASSWORD, make_partner, make_user

pytestmark = pytest.mark.e2e

EMAIL = "ann@sky.test"
NEW_PASSWORD = "blue-Harbour-77"


def _confirm_link(email: str) -> str:
    messages = outbox_to(email)
    assert len(messages) == 1, [m.subject for m in messages]
    match = re.search(r"https?://\S+/sign-up/confirm/\S+", str(messages[0].body))
    assert match, messages[0].body
    return match.group(0)


def _secret_from_email(email: str) -> str:
    bodies = [str(m.body) for m in outbox_to(email) if "Secret key" in m.body]
    assert bodies, [m.subject for m in outbox_to(email)]
    match = re.search(r"Secret key: ([A-Z2-7]+)", bodies[-1])
    assert match, bodies[-1]
    return match.group(1)


def _totp(secret: str, device: TOTPDevice, drift: int = 0) -> str:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    assert key == device.bin_key, "the e-mailed secret is not the device's key"
    totp = TOTP(key, device.step, device.t0, device.digits)
    totp.time = time.time() + drift * device.step
    return f"{totp.token():0{device.digits}d}"


def _sign_in(page: Page, base_url: str, email: str, password: str) -> None:
    page.goto(f"{base_url}/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Two-factor authentication")).to_be_visible()


def test_sign_up_confirm_sign_in_with_2fa_switch_theme_and_sign_out(
    page: Page, live_server: Any, portal: Portal, shot: Shots
) -> None:
    base = live_server.url

    page.goto(f"{base}/sign-up")
    expect(page.get_by_role("heading", name="Create an account")).to_be_visible()
    page.get_by_role("link", name="Terms of Service").click()
    terms = page.get_by_role("dialog")
    expect(terms).to_contain_text(TERMS)
    # Bootstrap focuses the modal when its opening transition ends; before that it ignores Escape.
    expect(terms).to_be_focused()
    shot("terms")
    page.keyboard.press("Escape")
    expect(terms).to_be_hidden()

    page.get_by_label("First name").fill("Ann")
    page.get_by_label("Last name").fill("Lee")
    page.get_by_label("Company name").fill("Sky Ltd")
    page.get_by_label("E-mail").fill(EMAIL)
    page.get_by_label(re.compile(r"^Password")).fill(NEW_PASSWORD)
    page.get_by_label("Confirm password").fill(NEW_PASSWORD)
    page.locator("input[name=captcha_1]").fill("PASSED")
    page.get_by_label("I accept the Terms of Service").check()
    shot("sign-up-form")
    page.get_by_role("button", name="Sign Up").click()

    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    expect(page.get_by_text(EMAIL)).to_be_visible()
    shot("sign-up-done")
    user = User.objects.get(email=EMAIL)
    assert not user.email_confirmed
    assert user.partner is not None and user.partner.name == "Sky Ltd"

    page.goto(_confirm_link(EMAIL))
    expect(page.get_by_text("Your e-mail is confirmed")).to_be_visible()
    expect(page.get_by_role("heading", name="Sign In")).to_be_visible()
    shot("e-mail-confirmed")

    _sign_in(page, base, EMAIL, NEW_PASSWORD)
    shot("one-time-code")
    device = TOTPDevice.objects.get(user__email=EMAIL)
    page.get_by_label("One-time code").fill(_totp(_secret_from_email(EMAIL), device))
    page.get_by_role("button", name="Verify").click()

    expect(page).to_have_url(f"{base}/dashboard")
    expect(page.get_by_test_id("balance")).to_be_visible()
    html = page.locator("html")
    expect(html).to_have_attribute("data-bs-theme", "light")
    shot("dashboard")

    page.get_by_test_id("user-menu").click()
    expect(page.get_by_test_id("theme-toggle")).to_be_visible()
    shot("user-menu")
    page.get_by_test_id("theme-toggle").click()
    expect(html).to_have_attribute("data-bs-theme", "dark")
    page.reload()
    expect(html).to_have_attribute("data-bs-theme", "dark")
    expect(page.get_by_test_id("balance")).to_be_visible()
    shot("dark-theme")
    assert User.objects.get(email=EMAIL).theme == User.Theme.DARK

    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("sign-out").click()
    expect(page.get_by_role("heading", name="Sign In")).to_be_visible()
    shot("signed-out")
    page.goto(f"{base}/dashboard")
    expect(page.get_by_role("heading", name="Sign In")).to_be_visible()
    expect(page.get_by_test_id("balance")).to_have_count(0)


def test_wrong_one_time_code_is_refused(page: Page, live_server: Any, portal: Portal, shot: Shots) -> None:
    base = live_server.url
    user = make_user(make_partner(portal.partner, name="Code Ltd"), email="code@sky.test", portal=portal)
    device = TOTPDevice.objects.get(user=user)
    secret = _secret_from_email(user.email)
    valid = {_totp(secret, device, drift) for drift in (-1, 0, 1)}
    wrong = next(code for code in ("000000", "111111", "222222") if code not in valid)

    _sign_in(page, base, user.email, PASSWORD)
    page.get_by_label("One-time code").fill(wrong)
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("This code is not valid")).to_be_visible()
    expect(page).to_have_url(f"{base}/sign-in/code")
    shot("wrong-code")

    page.goto(f"{base}/dashboard")
    expect(page.get_by_role("heading", name="Sign In")).to_be_visible()
    expect(page.get_by_test_id("balance")).to_have_count(0)

    # One wrong code locks the device for OTP_TOTP_THROTTLE_FACTOR (1 s); after that the right code works.
    page.wait_for_timeout(1100)
    _sign_in(page, base, user.email, PASSWORD)
    page.get_by_label("One-time code").fill(_totp(secret, device))
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(f"{base}/dashboard")
    shot("right-code")
