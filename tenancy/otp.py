"""TOTP secrets in the forms authenticator apps read: base32 text, otpauth URI and QR code."""

from __future__ import annotations

import base64
import io
from urllib.parse import quote, urlencode

import segno
from django_otp.plugins.otp_totp.models import TOTPDevice

from tenancy.models import Portal


def secret_text(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode("ascii").rstrip("=")


def provisioning_uri(device: TOTPDevice, portal: Portal | None) -> str:
    issuer = portal.brand_name if portal else "Campaign Portal"
    label = quote(f"{issuer}:{device.user.email}")
    query = urlencode({"secret": secret_text(device), "issuer": issuer, "digits": device.digits, "period": device.step})
    return f"otpauth://totp/{label}?{query}"


def qr_svg_data_uri(uri: str) -> str:
    return segno.make(uri, error="m").svg_data_uri(scale=4)


def qr_png(uri: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="png", scale=5)
    return buffer.getvalue()
