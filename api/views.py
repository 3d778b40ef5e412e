"""``/api/auth/token``, ``/api/send_sms`` and the API key endpoints of v1."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import BaseParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import send_sms, services
from api.authentication import api_auth
from api.errors import error_body, error_response
from api.models import ApiKey
from api.permissions import ApiKeyOnly
from api.serializers import ApiKeySerializer, NewApiKeySerializer, RefreshSerializer, TokenSerializer
from tenancy.views import caller_user


def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    return JsonResponse(error_body("not_found", _("There is no such API method.")), status=404)


class TokenView(APIView):
    """E-mail and password (HTTP Basic) → a short-lived JWT for managing API keys."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes: list[Any] = []

    @extend_schema(
        request=None,
        responses={200: TokenSerializer},
        parameters=[OpenApiParameter("X-OTP", str, OpenApiParameter.HEADER, description="The 2FA code, when on.")],
    )
    def post(self, request: Request) -> Response:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _sep, encoded = header.partition(" ")
        if scheme.lower() != "basic" or not encoded:
            return error_response(
                "credentials_required", _("Send your e-mail and password with HTTP Basic authentication."), 401
            )
        try:
            email, sep, password = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            sep = ""
        if not sep:
            return error_response("credentials_required", _("The Basic credentials are not readable."), 401)
        django_request: HttpRequest = request._request
        try:
            token, expires_at = services.login_token(
                request=django_request, email=email, password=password, otp=request.META.get("HTTP_X_OTP", "")
            )
        except services.AuthError as error:
            return error_response(error.code, error.message, 401)
        return Response({"token": token, "expiresAt": expires_at}, headers={"Cache-Control": "no-store"})


class ApiKeyViewSet(
    mixins.ListModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet[ApiKey]
):
    """The account's API keys, newest first. The secret is in the creation response only."""

    serializer_class = ApiKeySerializer
    queryset = ApiKey.objects.none()

    def get_queryset(self) -> QuerySet[ApiKey]:
        return ApiKey.objects.live().for_partner(api_auth(self.request).partner).order_by("-created_at", "-pk")

    @extend_schema(responses={201: NewApiKeySerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incoming = ApiKeySerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        user = caller_user(request)
        issued = services.api_key_create(
            partner=api_auth(request).partner,
            by=user,
            name=data["name"],
            expiration=data["expiration"],
            callback_url=data.get("callback_url", ""),
        )
        body = dict(NewApiKeySerializer(issued.api_key).data)
        body["key"] = issued.secret
        return Response(body, status=status.HTTP_201_CREATED, headers={"Cache-Control": "no-store"})

    @extend_schema(request=RefreshSerializer, responses={200: ApiKeySerializer})
    @action(detail=True, methods=["post"])
    def refresh(self, request: Request, pk: str | None = None) -> Response:
        key = self.get_object()
        incoming = RefreshSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        services.api_key_refresh(api_key=key, expiration=incoming.validated_data.get("expiration"))
        return Response(ApiKeySerializer(key).data)

    def perform_destroy(self, instance: ApiKey) -> None:
        services.api_key_remove(api_key=instance)


class RawJSONParser(BaseParser):
    """Keeps the body as text: send_sms parses it itself so that every malformed body gets its own 400."""

    media_type = "*/*"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict[str, Any] | None = None) -> Any:
        return stream


SEND_SMS_RESULTS = inline_serializer(
    "SendSmsResults", {"results": serializers.ListField(child=serializers.CharField())}
)


class SendSmsView(APIView):
    """Send one message to up to 700 numbers per request (POST: a JSON array of messages; GET: query parameters)."""

    permission_classes = [ApiKeyOnly]
    parser_classes = [RawJSONParser]

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: SEND_SMS_RESULTS})
    def post(self, request: Request) -> Response:
        limit = int(settings.API_SEND_SMS_MAX_BODY)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            return self._too_long(limit)
        raw = request._request.read(limit + 1)
        if len(raw) > limit:
            return self._too_long(limit)
        try:
            payload = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return error_response("malformed_json", _("The request body is not valid JSON."))
        return self._send(request, payload)

    @extend_schema(
        parameters=[OpenApiParameter(name, str) for name in send_sms.QUERY_FIELDS], responses={200: SEND_SMS_RESULTS}
    )
    def get(self, request: Request) -> Response:
        return self._send(request, send_sms.from_query(request.query_params))

    def _send(self, request: Request, payload: Any) -> Response:
        auth = api_auth(request)
        assert auth.api_key is not None  # noqa: S101  (ApiKeyOnly)
        try:
            results = send_sms.send(partner=auth.partner, api_key=auth.api_key, payload=payload)
        except send_sms.RequestError as error:
            return error_response(error.code, error.message, details=error.details)
        return Response({"results": results})

    def _too_long(self, limit: int) -> Response:
        return error_response(
            "body_too_long", _("The request body is longer than %(limit)d bytes.") % {"limit": limit}, 400
        )
