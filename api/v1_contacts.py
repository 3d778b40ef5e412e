"""v1 contacts and groups over the contacts app's services."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from api.authentication import api_auth
from contacts import services as contact_services
from contacts.models import Contact, Group
from tenancy.models import User


class GroupSerializer(serializers.ModelSerializer):
    parentId = serializers.PrimaryKeyRelatedField(  # noqa: N815
        source="parent", queryset=Group.objects.none(), required=False, allow_null=True
    )
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)  # noqa: N815

    class Meta:
        model = Group
        fields = ["id", "name", "description", "parentId", "createdAt"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and request.auth is not None:
            self.fields["parentId"].queryset = Group.objects.for_partner(api_auth(request).partner)  # type: ignore[attr-defined]


class ContactSerializer(serializers.ModelSerializer):
    firstName = serializers.CharField(source="first_name", required=False, allow_blank=True)  # noqa: N815
    lastName = serializers.CharField(source="last_name", required=False, allow_blank=True)  # noqa: N815
    birthDate = serializers.DateField(source="birth_date", required=False, allow_null=True)  # noqa: N815
    customValues = serializers.DictField(source="custom_values", required=False)  # noqa: N815
    groupIds = serializers.PrimaryKeyRelatedField(  # noqa: N815
        source="groups", many=True, queryset=Group.objects.none()
    )
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)  # noqa: N815

    class Meta:
        model = Contact
        fields = ["id", "phone", "firstName", "lastName", "birthDate", "gender", "comment", "customValues",
                  "groupIds", "createdAt"]  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and request.auth is not None:
            field = self.fields["groupIds"]
            field.child_relation.queryset = Group.objects.for_partner(api_auth(request).partner)  # type: ignore[attr-defined]


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
        user: User = request.user  # type: ignore[assignment]
        group = contact_services.group_create(
            partner=api_auth(request).partner, by=user, name=data["name"],
            description=data.get("description", ""), parent=data.get("parent"),
        )  # fmt: skip
        return Response(self.get_serializer(group).data, status=status.HTTP_201_CREATED)


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
        user: User = request.user  # type: ignore[assignment]
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
