"""v1 packs and rate plans offered to the account (with purchase / subscribe) and its subscriptions."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from api.authentication import api_auth
from billing import selectors as billing_selectors
from billing import services as billing_services
from billing.models import Pack, RatePlan, Subscription
from tenancy.views import caller_user


class PackSerializer(serializers.ModelSerializer):
    country = serializers.CharField(source="country.iso_code", default=None, read_only=True)
    messageCount = serializers.IntegerField(source="message_count", read_only=True)  # noqa: N815
    billingMode = serializers.CharField(source="billing_mode", read_only=True)  # noqa: N815
    validityCount = serializers.IntegerField(source="validity_count", read_only=True)  # noqa: N815
    validityUnit = serializers.CharField(source="validity_unit", read_only=True)  # noqa: N815

    class Meta:
        model = Pack
        fields = ["id", "name", "channel", "country", "price", "messageCount", "billingMode", "validityCount",
                  "validityUnit"]  # fmt: skip


class RatePlanSerializer(serializers.ModelSerializer):
    billingMode = serializers.CharField(source="billing_mode", read_only=True)  # noqa: N815

    class Meta:
        model = RatePlan
        fields = ["id", "name", "channel", "billingMode", "description"]


class SubscriptionSerializer(serializers.ModelSerializer):
    packId = serializers.IntegerField(source="pack_id", read_only=True)  # noqa: N815
    ratePlanId = serializers.IntegerField(source="rate_plan_id", read_only=True)  # noqa: N815
    messagesTotal = serializers.IntegerField(source="messages_total", read_only=True)  # noqa: N815
    messagesLeft = serializers.IntegerField(source="messages_left", read_only=True)  # noqa: N815
    startedAt = serializers.DateTimeField(source="started_at", read_only=True)  # noqa: N815
    expiresAt = serializers.DateTimeField(source="expires_at", read_only=True)  # noqa: N815

    class Meta:
        model = Subscription
        fields = ["id", "kind", "channel", "status", "packId", "ratePlanId", "messagesTotal", "messagesLeft", "price",
                  "startedAt", "expiresAt"]  # fmt: skip


class ReplaceSerializer(serializers.Serializer):
    replace = serializers.BooleanField(default=False, help_text="End the current plan of the channel first.")


class PackViewSet(viewsets.ReadOnlyModelViewSet[Pack]):
    """Packs you may buy now; ``POST /packs/{id}/purchase`` buys one from the balance."""

    serializer_class = PackSerializer
    queryset = Pack.objects.none()

    def get_queryset(self) -> QuerySet[Pack]:
        return billing_selectors.packs_available_to(api_auth(self.request).partner).select_related("country")

    @extend_schema(request=None, responses={201: SubscriptionSerializer})
    @action(detail=True, methods=["post"])
    def purchase(self, request: Request, pk: str | None = None) -> Response:
        user = caller_user(request)
        subscription = billing_services.pack_purchase(
            partner=api_auth(request).partner, pack=self.get_object(), by=user
        )
        return Response(SubscriptionSerializer(subscription).data, status=status.HTTP_201_CREATED)


class RatePlanViewSet(viewsets.ReadOnlyModelViewSet[RatePlan]):
    """Rate plans you may select; ``POST /rate-plans/{id}/subscribe`` puts you on one."""

    serializer_class = RatePlanSerializer
    queryset = RatePlan.objects.none()

    def get_queryset(self) -> QuerySet[RatePlan]:
        return billing_selectors.rate_plans_available_to(api_auth(self.request).partner).order_by("name", "pk")

    @extend_schema(request=ReplaceSerializer, responses={201: SubscriptionSerializer})
    @action(detail=True, methods=["post"])
    def subscribe(self, request: Request, pk: str | None = None) -> Response:
        incoming = ReplaceSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        user = caller_user(request)
        subscription = billing_services.plan_subscribe(
            partner=api_auth(request).partner, plan=self.get_object(), by=user,
            replace=incoming.validated_data["replace"],
        )  # fmt: skip
        return Response(SubscriptionSerializer(subscription).data, status=status.HTTP_201_CREATED)


class SubscriptionViewSet(viewsets.ReadOnlyModelViewSet[Subscription]):
    """Your packs and rate plans in force."""

    serializer_class = SubscriptionSerializer
    queryset = Subscription.objects.none()

    def get_queryset(self) -> QuerySet[Subscription]:
        return billing_selectors.active_subscriptions(api_auth(self.request).partner)
