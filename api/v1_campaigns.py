"""v1 campaigns over the campaigns services: create (DRAFT), launch, pause, resume, cancel, stats, list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from api.authentication import api_auth
from api.serializers import PartnerPrimaryKeyField
from campaigns import selectors as campaign_selectors
from campaigns import services as campaign_services
from campaigns.models import Campaign
from contacts.models import Group
from tenancy.models import Channel
from tenancy.views import caller_user


class StepSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices)
    sender = serializers.CharField(max_length=30)
    text = serializers.CharField(required=False, allow_blank=True, default="")
    ttl = serializers.IntegerField(required=False, min_value=1)
    purpose = serializers.CharField(required=False, allow_blank=True)
    flash = serializers.BooleanField(required=False, default=False)
    image_url = serializers.URLField(required=False, allow_blank=True)
    button_caption = serializers.CharField(required=False, allow_blank=True, max_length=30)
    button_url = serializers.URLField(required=False, allow_blank=True)
    template_name = serializers.CharField(required=False, allow_blank=True)
    template_params = serializers.ListField(child=serializers.CharField(), required=False)


class CampaignSerializer(serializers.ModelSerializer):
    steps = StepSerializer(many=True)
    acceptMO = serializers.BooleanField(source="accept_mo", required=False, default=False)  # noqa: N815
    source = serializers.ChoiceField(choices=[Campaign.Source.GROUPS, Campaign.Source.MANUAL])
    numbers = serializers.CharField(source="manual_numbers", required=False, allow_blank=True, default="")
    groupIds = PartnerPrimaryKeyField(  # noqa: N815
        source="groups", many=True, queryset=Group.objects.none(), required=False
    )
    sendAt = serializers.DateTimeField(source="send_at", required=False, allow_null=True)  # noqa: N815
    timeZone = serializers.CharField(source="time_zone", required=False, default="UTC")  # noqa: N815
    notifyEmails = serializers.CharField(source="notify_emails", required=False, allow_blank=True, default="")  # noqa: N815
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)  # noqa: N815
    startedAt = serializers.DateTimeField(source="started_at", read_only=True)  # noqa: N815
    finishedAt = serializers.DateTimeField(source="finished_at", read_only=True)  # noqa: N815

    class Meta:
        model = Campaign
        fields = ["id", "name", "status", "steps", "acceptMO", "source", "numbers", "groupIds", "sendAt", "timeZone",
                  "notifyEmails", "error", "createdAt", "startedAt", "finishedAt"]  # fmt: skip
        read_only_fields = ["status", "error"]
        extra_kwargs = {"name": {"required": False}}


class StatsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    final = serializers.IntegerField()
    delivered = serializers.IntegerField()
    cost = serializers.DecimalField(max_digits=16, decimal_places=5)
    byStatus = serializers.DictField(child=serializers.IntegerField())  # noqa: N815


class CampaignFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Campaign.Status.choices)
    name = django_filters.CharFilter(lookup_expr="icontains")
    createdFrom = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")  # noqa: N815
    createdTo = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")  # noqa: N815

    class Meta:
        model = Campaign
        fields: list[str] = []


class CampaignViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet[Campaign]):
    """Campaigns of the account, newest first. Create makes a DRAFT; ``launch`` sends it (or schedules it)."""

    serializer_class = CampaignSerializer
    filterset_class = CampaignFilter
    queryset = Campaign.objects.none()

    def get_queryset(self) -> QuerySet[Campaign]:
        return (
            Campaign.objects.for_partner(api_auth(self.request).partner)
            .filter(is_deleted=False)
            .prefetch_related("groups")
            .order_by("-created_at", "-pk")
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incoming = self.get_serializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        data["steps"] = [dict(step) for step in data["steps"]]
        if data.get("send_at") is None:
            data.pop("send_at", None)
        user = caller_user(request)
        campaign = campaign_services.campaign_create(
            partner=api_auth(request).partner, by=user, origin=Campaign.Origin.API, **data
        )
        return Response(self.get_serializer(campaign).data, status=status.HTTP_201_CREATED)

    def _act(self, service: Callable[..., Campaign]) -> Response:
        user = caller_user(self.request)
        campaign = service(campaign=self.get_object(), by=user)
        return Response(self.get_serializer(campaign).data)

    @extend_schema(request=None, responses={200: CampaignSerializer})
    @action(detail=True, methods=["post"])
    def launch(self, request: Request, pk: str | None = None) -> Response:
        return self._act(campaign_services.campaign_launch)

    @extend_schema(request=None, responses={200: CampaignSerializer})
    @action(detail=True, methods=["post"])
    def pause(self, request: Request, pk: str | None = None) -> Response:
        return self._act(campaign_services.campaign_pause)

    @extend_schema(request=None, responses={200: CampaignSerializer})
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str | None = None) -> Response:
        return self._act(campaign_services.campaign_resume)

    @extend_schema(request=None, responses={200: CampaignSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        return self._act(campaign_services.campaign_cancel)

    @extend_schema(responses={200: StatsSerializer})
    @action(detail=True, methods=["get"])
    def stats(self, request: Request, pk: str | None = None) -> Response:
        campaign = self.get_object()
        progress = campaign_selectors.campaign_progress([campaign])[campaign.pk]
        return Response(
            StatsSerializer(
                {"total": progress.total, "final": progress.final, "delivered": progress.delivered,
                 "cost": progress.cost, "byStatus": progress.by_status or {}}
            ).data
        )  # fmt: skip
