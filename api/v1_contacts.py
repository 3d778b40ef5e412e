"""v1 contacts and groups over the contacts app's services."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.http import FileResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from api.authentication import api_auth
from api.schema import XLSX_RESPONSE
from api.serializers import PartnerPrimaryKeyField
from contacts import services as contact_services
from contacts.downloads import contacts_xlsx
from contacts.models import Contact, Group, StopEntry
from senders.models import SenderID
from tenancy.views import caller_user


class GroupSerializer(serializers.ModelSerializer):
    parentId = PartnerPrimaryKeyField(  # noqa: N815
        source="parent", queryset=Group.objects.none(), required=False, allow_null=True
    )
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)  # noqa: N815

    class Meta:
        model = Group
        fields = ["id", "name", "description", "parentId", "createdAt"]


class ContactSerializer(serializers.ModelSerializer):
    firstName = serializers.CharField(source="first_name", required=False, allow_blank=True)  # noqa: N815
    lastName = serializers.CharField(source="last_name", required=False, allow_blank=True)  # noqa: N815
    birthDate = serializers.DateField(source="birth_date", required=False, allow_null=True)  # noqa: N815
    customValues = serializers.DictField(source="custom_values", required=False)  # noqa: N815
    groupIds = PartnerPrimaryKeyField(  # noqa: N815
        source="groups", many=True, queryset=Group.objects.none()
    )
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)  # noqa: N815

    class Meta:
        model = Contact
        fields = ["id", "phone", "firstName", "lastName", "birthDate", "gender", "comment", "customValues",
                  "groupIds", "createdAt"]  # fmt: skip


class ContactFilter(django_filters.FilterSet):
    phone = django_filters.CharFilter(lookup_expr="startswith")
    group = django_filters.NumberFilter(field_name="groups__id")

    class Meta:
        model = Contact
        fields: list[str] = []


class GroupViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet[Group]):
    serializer_class = GroupSerializer
    queryset = Group.objects.none()

    def get_queryset(self) -> QuerySet[Group]:
        return Group.objects.for_partner(api_auth(self.request).partner).order_by("name", "pk")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incoming = self.get_serializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        user = caller_user(request)
        group = contact_services.group_create(
            partner=api_auth(request).partner, by=user, name=data["name"],
            description=data.get("description", ""), parent=data.get("parent"),
        )  # fmt: skip
        return Response(self.get_serializer(group).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=XLSX_RESPONSE)
    @action(detail=True, methods=["get"])
    def export(self, request: Request, pk: str | None = None) -> FileResponse:
        """The group's contacts as XLSX."""
        group = self.get_object()
        partner = api_auth(request).partner
        contacts = Contact.objects.for_partner(partner).in_groups([group])
        user = caller_user(request)
        return contacts_xlsx(partner=partner, user=user, contacts=contacts, name=group.name)


class ContactViewSet(mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet[Contact]):
    serializer_class = ContactSerializer
    filterset_class = ContactFilter
    queryset = Contact.objects.none()

    def get_queryset(self) -> QuerySet[Contact]:
        return (
            Contact.objects.for_partner(api_auth(self.request).partner)
            .prefetch_related("groups")
            .order_by("-created_at", "-pk")
        )

    @extend_schema(responses={201: ContactSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incoming = self.get_serializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        user = caller_user(request)
        contact = contact_services.contact_create(
            partner=api_auth(request).partner, by=user, phone=data["phone"], groups=data["groups"],
            first_name=data.get("first_name", ""), last_name=data.get("last_name", ""),
            birth_date=data.get("birth_date"), gender=data.get("gender", ""), comment=data.get("comment", ""),
            custom_values=data.get("custom_values") or {},
        )  # fmt: skip
        return Response(self.get_serializer(contact).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        contact = self.get_object()
        partner = api_auth(request).partner
        contact_services.contacts_delete(
            partner=partner, contacts=Contact.objects.for_partner(partner).filter(pk=contact.pk)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        responses=XLSX_RESPONSE,
        parameters=[
            OpenApiParameter("phone", str, description="Numbers starting with these digits."),
            OpenApiParameter("group", int, description="Contacts of this group."),
        ],
    )
    @action(detail=False, methods=["get"])
    def export(self, request: Request) -> FileResponse:
        """The contacts the filters select, as XLSX."""
        user = caller_user(request)
        partner = api_auth(request).partner
        contacts = self.filter_queryset(Contact.objects.for_partner(partner))  # export_rows does its own prefetching
        return contacts_xlsx(partner=partner, user=user, contacts=contacts, name="contacts")


class StopEntrySerializer(serializers.ModelSerializer):
    contactId = serializers.IntegerField(source="contact_id", read_only=True)  # noqa: N815
    phone = serializers.CharField(source="contact.phone", read_only=True)
    senderId = serializers.CharField(source="sender.value", default=None, read_only=True)  # noqa: N815
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)  # noqa: N815

    class Meta:
        model = StopEntry
        fields = ["id", "contactId", "phone", "senderId", "createdAt"]


class StopListAddSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=32)
    senderIds = PartnerPrimaryKeyField(  # noqa: N815
        many=True, queryset=SenderID.objects.none(), required=False, help_text="Leave out to block every sender ID."
    )
    groupId = PartnerPrimaryKeyField(  # noqa: N815
        queryset=Group.objects.none(), required=False, allow_null=True, help_text="For a number not in contacts."
    )


class StopListViewSet(viewsets.ReadOnlyModelViewSet[StopEntry]):
    """Blocked numbers (per sender ID, or for all sender IDs when ``senderId`` is null)."""

    serializer_class = StopEntrySerializer
    queryset = StopEntry.objects.none()

    def get_queryset(self) -> QuerySet[StopEntry]:
        return (
            StopEntry.objects.for_partner(api_auth(self.request).partner)
            .select_related("contact", "sender")
            .order_by("-created_at", "-pk")
        )

    @extend_schema(request=StopListAddSerializer, responses={201: StopEntrySerializer(many=True)})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incoming = StopListAddSerializer(data=request.data, context={"request": request})
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        partner = api_auth(request).partner
        user = caller_user(request)
        contact, _created = contact_services.stop_list_add_number(
            partner=partner, by=user, phone=data["phone"], sender_ids=data.get("senderIds") or None,
            group=data.get("groupId"),
        )  # fmt: skip
        entries = self.get_queryset().filter(contact=contact)
        return Response(StopEntrySerializer(entries, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=XLSX_RESPONSE)
    @action(detail=False, methods=["get"])
    def export(self, request: Request) -> FileResponse:
        """The stop-listed contacts with their blocked sender IDs, as XLSX."""
        partner = api_auth(request).partner
        user = caller_user(request)
        contacts = Contact.objects.for_partner(partner).stop_listed()
        return contacts_xlsx(partner=partner, user=user, contacts=contacts, name="stop-list", stop_list=True)
