"""v1 message templates (Templates → Campaign Templates) over the campaigns services, with their premoderation."""

from __future__ import annotations

from typing import Any

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from api.authentication import api_auth
from api.errors import api_field_names
from api.serializers import PartnerPrimaryKeyField
from campaigns import services as campaign_services
from campaigns.models import MAX_WA_BUTTONS, MessageTemplate, Moderation
from senders.models import SenderID
from tenancy.models import Channel, Partner
from tenancy.views import caller_user

# The model's field names → the API's, so a refusal names the parameter the client sent.
API_NAMES = {
    "sender": "senderId",
    "image_url": "imageUrl",
    "button_caption": "buttonCaption",
    "button_url": "buttonUrl",
    "wa_type": "waType",
    "header_type": "headerType",
    "header_text": "headerText",
    "header_url": "headerUrl",
    "header_location": "headerLocation",
    "code_variable": "codeVariable",
    "code_expiry_minutes": "codeExpiryMinutes",
    "scheduled_for": "scheduledFor",
}


class ButtonSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=[(kind, kind) for kind in campaign_services.BUTTON_TYPES])
    text = serializers.CharField()
    value = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class TemplateSerializer(serializers.ModelSerializer):
    senderId = PartnerPrimaryKeyField(  # noqa: N815
        source="sender", queryset=SenderID.objects.none(), required=False, allow_null=True
    )
    imageUrl = serializers.URLField(source="image_url", required=False, allow_blank=True, max_length=500)  # noqa: N815
    buttonCaption = serializers.CharField(  # noqa: N815
        source="button_caption", required=False, allow_blank=True, max_length=30
    )
    buttonUrl = serializers.URLField(source="button_url", required=False, allow_blank=True, max_length=500)  # noqa: N815
    waType = serializers.ChoiceField(  # noqa: N815
        source="wa_type", choices=MessageTemplate.WhatsAppType.choices, required=False, allow_blank=True
    )
    headerType = serializers.ChoiceField(  # noqa: N815
        source="header_type", choices=MessageTemplate.HeaderType.choices, required=False, allow_blank=True
    )
    headerText = serializers.CharField(source="header_text", required=False, allow_blank=True, max_length=60)  # noqa: N815
    headerUrl = serializers.URLField(source="header_url", required=False, allow_blank=True, max_length=500)  # noqa: N815
    headerLocation = serializers.CharField(  # noqa: N815
        source="header_location", required=False, allow_blank=True, max_length=200
    )
    buttons = ButtonSerializer(many=True, required=False)
    codeVariable = serializers.CharField(source="code_variable", required=False, allow_blank=True, max_length=64)  # noqa: N815
    codeExpiryMinutes = serializers.IntegerField(  # noqa: N815
        source="code_expiry_minutes", required=False, allow_null=True, min_value=1
    )
    scheduledFor = serializers.DateField(source="scheduled_for", required=False, allow_null=True)  # noqa: N815
    moderation = serializers.ChoiceField(
        choices=Moderation.choices, read_only=True, help_text="Premoderation: only not_required or approved are usable."
    )
    declineReason = serializers.CharField(source="decline_reason", read_only=True)  # noqa: N815
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)  # noqa: N815
    updatedAt = serializers.DateTimeField(source="updated_at", read_only=True)  # noqa: N815

    class Meta:
        model = MessageTemplate
        fields = ["id", "name", "channel", "senderId", "flash", "text", "imageUrl", "buttonCaption", "buttonUrl",
                  "purpose", "waType", "language", "headerType", "headerText", "headerUrl", "headerLocation", "footer",
                  "buttons", "codeVariable", "codeExpiryMinutes", "scheduledFor", "moderation", "declineReason",
                  "createdAt", "updatedAt"]  # fmt: skip
        extra_kwargs = {"text": {"required": False}, "purpose": {"required": False}, "language": {"required": False}}

    def validate_channel(self, channel: str) -> str:
        request = self.context.get("request")
        partner: Partner | None = api_auth(request).partner if request is not None else None
        if partner is not None and channel not in (partner.allowed_channels or []):
            raise serializers.ValidationError(
                _("The %(channel)s channel is not enabled for this account.") % {"channel": Channel(channel).label}
            )
        return channel

    def validate_buttons(self, buttons: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if len(buttons) > MAX_WA_BUTTONS:
            raise serializers.ValidationError(_("A template has at most ten buttons."))
        return [dict(button) for button in buttons]


class TemplateFilter(django_filters.FilterSet):
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    moderation = django_filters.ChoiceFilter(choices=Moderation.choices)
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = MessageTemplate
        fields: list[str] = []


class TemplateViewSet(
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.ReadOnlyModelViewSet[MessageTemplate],
):
    """Campaign templates, last updated first. WhatsApp templates (and all of them under premoderation) wait
    for approval after each change: ``moderation`` says where they are."""

    serializer_class = TemplateSerializer
    filterset_class = TemplateFilter
    queryset = MessageTemplate.objects.none()

    def get_queryset(self) -> QuerySet[MessageTemplate]:
        return MessageTemplate.objects.for_partner(api_auth(self.request).partner).order_by("-updated_at", "-pk")

    def _save(self, template: MessageTemplate, data: dict[str, Any]) -> MessageTemplate:
        for name, value in data.items():
            setattr(template, name, value)
        user = caller_user(self.request)
        try:
            return campaign_services.template_save(template=template, by=user)
        except ValidationError as error:
            raise api_field_names(error, API_NAMES) from error

    @extend_schema(responses={201: TemplateSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incoming = self.get_serializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        template = self._save(MessageTemplate(partner=api_auth(request).partner), dict(incoming.validated_data))
        return Response(self.get_serializer(template).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        template = self.get_object()
        incoming = self.get_serializer(template, data=request.data, partial=kwargs.pop("partial", False))
        incoming.is_valid(raise_exception=True)
        template = self._save(template, dict(incoming.validated_data))
        return Response(self.get_serializer(template).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = caller_user(request)
        campaign_services.template_delete(template=self.get_object(), by=user)
        return Response(status=status.HTTP_204_NO_CONTENT)
