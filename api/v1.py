"""Native v1 resources over the other apps: sender IDs (and requests), messages (EDRs), balance and transactions."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.http import FileResponse
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.authentication import api_auth
from api.schema import XLSX_RESPONSE
from api.serializers import (
    BalanceSerializer,
    MessageSerializer,
    SenderIdRequestSerializer,
    SenderIdSerializer,
    TransactionSerializer,
)
from billing.exports import transaction_details_response
from billing.models import Transaction, TransactionType
from messaging.models import EdrType, Message, MessageStatus
from senders import services as sender_services
from senders.models import SenderID
from tenancy.models import Channel
from tenancy.views import caller_user


class SenderIdFilter(django_filters.FilterSet):
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    status = django_filters.ChoiceFilter(choices=SenderID.Status.choices)

    class Meta:
        model = SenderID
        fields = ["channel", "status"]


class SenderIdViewSet(viewsets.ReadOnlyModelViewSet[SenderID]):
    """The account's sender IDs; ``POST /sender-ids/request`` asks the partners above for a new one."""

    serializer_class = SenderIdSerializer
    filterset_class = SenderIdFilter
    queryset = SenderID.objects.none()

    def get_queryset(self) -> QuerySet[SenderID]:
        return SenderID.objects.for_partner(api_auth(self.request).partner).order_by("-created_at", "-pk")

    @extend_schema(request=SenderIdRequestSerializer, responses={201: SenderIdSerializer})
    @action(detail=False, methods=["post"], url_path="request")
    def request_new(self, request: Request) -> Response:
        incoming = SenderIdRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        user = caller_user(request)
        created = sender_services.sender_request_create(
            partner=api_auth(request).partner, by=user, **incoming.validated_data
        )
        return Response(SenderIdSerializer(created.sender).data, status=status.HTTP_201_CREATED)


class MessageFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=MessageStatus.choices)
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    edrType = django_filters.ChoiceFilter(field_name="edr_type", choices=EdrType.choices)  # noqa: N815
    label = django_filters.CharFilter()
    recipient = django_filters.CharFilter()
    sender = django_filters.CharFilter(lookup_expr="iexact")
    transactionId = django_filters.UUIDFilter(field_name="transaction_id")  # noqa: N815
    campaignId = django_filters.NumberFilter(field_name="campaign_id")  # noqa: N815
    dateFrom = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")  # noqa: N815
    dateTo = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")  # noqa: N815

    class Meta:
        model = Message
        fields: list[str] = []


class MessageViewSet(viewsets.ReadOnlyModelViewSet[Message]):
    """Messages (EDRs), newest first, filtered by status, channel, label, dates and more."""

    serializer_class = MessageSerializer
    filterset_class = MessageFilter
    queryset = Message.objects.none()

    def get_queryset(self) -> QuerySet[Message]:
        return Message.objects.for_partner(api_auth(self.request).partner).order_by("-created_at", "-pk")


class TransactionFilter(django_filters.FilterSet):
    type = django_filters.ChoiceFilter(choices=TransactionType.choices)
    dateFrom = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")  # noqa: N815
    dateTo = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")  # noqa: N815

    class Meta:
        model = Transaction
        fields: list[str] = []


class TransactionViewSet(viewsets.ReadOnlyModelViewSet[Transaction]):
    """The balance ledger of the account, newest first."""

    serializer_class = TransactionSerializer
    filterset_class = TransactionFilter
    queryset = Transaction.objects.none()

    def get_queryset(self) -> QuerySet[Transaction]:
        return Transaction.objects.for_partner(api_auth(self.request).partner).order_by("-created_at", "-pk")

    @extend_schema(responses=XLSX_RESPONSE)
    @action(detail=True, methods=["get"])
    def export(self, request: Request, pk: str | None = None) -> FileResponse:
        """The transaction's details per MCCMNC as XLSX (Finance → Export Details)."""
        user = caller_user(request)
        return transaction_details_response(self.get_object(), user=user, partner=api_auth(request).partner)


class BalanceView(APIView):
    @extend_schema(responses={200: BalanceSerializer})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partner = api_auth(request).partner
        partner.refresh_from_db(fields=["balance", "credit_limit", "currency"])
        return Response(
            BalanceSerializer(
                {"balance": partner.balance, "creditLimit": partner.credit_limit, "currency": partner.currency}
            ).data
        )
