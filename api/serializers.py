"""Request and response shapes of the v1 API (camelCase, like the send_sms method)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import serializers

from api.authentication import api_auth
from api.models import ApiKey, Expiration
from billing.models import Transaction
from messaging.models import Message
from senders.models import SenderID
from tenancy.models import Channel


class PartnerPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """The id of a row of the API key's partner; ``queryset`` (empty) names the model, rows of others do not exist."""

    def get_queryset(self) -> QuerySet[Any]:
        model = self.queryset.model
        request = self.context.get("request")
        if request is None or request.auth is None:
            return model.objects.none()
        return model.objects.for_partner(api_auth(request).partner)


class ApiKeySerializer(serializers.ModelSerializer):
    callbackUrl = serializers.CharField(source="callback_url", required=False, allow_blank=True, max_length=500)  # noqa: N815
    expiration = serializers.ChoiceField(choices=Expiration.choices, default=Expiration.MONTH)
    expiresAt = serializers.DateTimeField(source="expires_at", read_only=True)  # noqa: N815
    lastUsedAt = serializers.DateTimeField(source="last_used_at", read_only=True)  # noqa: N815
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)  # noqa: N815
    status = serializers.SerializerMethodField()

    class Meta:
        model = ApiKey
        fields = ["id", "name", "callbackUrl", "expiration", "expiresAt", "status", "lastUsedAt", "createdAt"]
        extra_kwargs = {"name": {"max_length": 60}}

    def get_status(self, key: ApiKey) -> str:
        return "EXPIRED" if key.is_expired() else "ACTIVE"


class NewApiKeySerializer(ApiKeySerializer):
    key = serializers.CharField(read_only=True, help_text="The secret: shown in this response only.")
    callbackSecret = serializers.CharField(  # noqa: N815
        source="callback_secret", read_only=True, help_text="Verifies the X-Signature header of callbacks."
    )

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key", "callbackSecret"]


class RefreshSerializer(serializers.Serializer):
    expiration = serializers.ChoiceField(choices=Expiration.choices, required=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
    expiresAt = serializers.DateTimeField()  # noqa: N815


class SenderIdSerializer(serializers.ModelSerializer):
    expiresAt = serializers.DateTimeField(source="expires_at", read_only=True)  # noqa: N815
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)  # noqa: N815

    class Meta:
        model = SenderID
        fields = ["id", "value", "channel", "status", "expiresAt", "createdAt"]


class SenderIdRequestSerializer(serializers.Serializer):
    value = serializers.CharField(max_length=30)
    channel = serializers.ChoiceField(choices=Channel.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class MessageSerializer(serializers.ModelSerializer):
    transactionId = serializers.UUIDField(source="transaction_id", read_only=True)  # noqa: N815
    edrType = serializers.CharField(source="edr_type", read_only=True)  # noqa: N815
    campaignId = serializers.IntegerField(source="campaign_id", read_only=True)  # noqa: N815
    errorCode = serializers.CharField(source="error_code", read_only=True)  # noqa: N815
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)  # noqa: N815
    sentAt = serializers.DateTimeField(source="sent_at", read_only=True)  # noqa: N815
    deliveredAt = serializers.DateTimeField(source="delivered_at", read_only=True)  # noqa: N815
    statusAt = serializers.DateTimeField(source="status_at", read_only=True)  # noqa: N815
    acceptMO = serializers.BooleanField(source="accept_mo", read_only=True)  # noqa: N815
    autoReply = serializers.BooleanField(source="auto_reply", read_only=True)  # noqa: N815

    class Meta:
        model = Message
        fields = ["id", "transactionId", "edrType", "campaignId", "label", "channel", "sender", "recipient", "mccmnc",
                  "text", "parts", "status", "errorCode", "error", "cost", "acceptMO", "autoReply", "createdAt",
                  "sentAt", "deliveredAt", "statusAt"]  # fmt: skip


class TransactionSerializer(serializers.ModelSerializer):
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)  # noqa: N815

    class Meta:
        model = Transaction
        fields = ["id", "type", "amount", "description", "reference", "createdAt"]


class BalanceSerializer(serializers.Serializer):
    balance = serializers.DecimalField(max_digits=14, decimal_places=5)
    creditLimit = serializers.DecimalField(max_digits=14, decimal_places=5)  # noqa: N815
    currency = serializers.CharField()


def as_dict(data: Any) -> dict[str, Any]:
    return dict(data)
