"""v1 contact imports over the contacts services: upload, configure (mapping and options), start, status, files."""

from __future__ import annotations

import os
from typing import Any

import django_filters
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from api.authentication import api_auth
from api.errors import api_field_names
from api.serializers import PartnerPrimaryKeyField
from billing.models import Country
from contacts import files
from contacts import services as contact_services
from contacts.downloads import FORMAT_TYPES, serve_private
from contacts.models import MAX_UPLOAD_BYTES, ContactImport, Group
from contacts.services.imports import PREVIEW_ROWS
from contacts.values import text
from senders.models import SenderID
from tenancy.views import caller_user

# The service's field names → the API's, so a refusal names the parameter the client sent.
API_NAMES = {
    "existing_action": "existingAction",
    "stop_list_action": "stopListAction",
    "sender_ids": "senderIds",
    "has_header": "hasHeader",
    "default_country": "defaultCountry",
    "group": "groupId",
}


class ImportSerializer(serializers.ModelSerializer):
    fileName = serializers.CharField(source="file_name", read_only=True)  # noqa: N815
    fileSize = serializers.IntegerField(source="file_size", read_only=True)  # noqa: N815
    fileFormat = serializers.CharField(source="file_format", read_only=True)  # noqa: N815
    hasHeader = serializers.BooleanField(source="has_header", read_only=True)  # noqa: N815
    mapping = serializers.ListField(child=serializers.CharField(allow_blank=True), read_only=True)
    existingAction = serializers.CharField(source="existing_action", read_only=True)  # noqa: N815
    stopListAction = serializers.CharField(source="stop_list_action", read_only=True)  # noqa: N815
    allSenderIds = serializers.BooleanField(source="all_sender_ids", read_only=True)  # noqa: N815
    senderIds = serializers.PrimaryKeyRelatedField(source="sender_ids", many=True, read_only=True)  # noqa: N815
    defaultCountry = serializers.SlugRelatedField(  # noqa: N815
        source="default_country", slug_field="iso_code", read_only=True
    )
    groupId = serializers.IntegerField(source="group_id", read_only=True)  # noqa: N815
    groupName = serializers.SerializerMethodField()  # noqa: N815
    progress = serializers.IntegerField(source="progress_percent", read_only=True)
    totalRows = serializers.IntegerField(source="total_rows", read_only=True)  # noqa: N815
    processedRows = serializers.IntegerField(source="processed_rows", read_only=True)  # noqa: N815
    created = serializers.IntegerField(source="created_count", read_only=True)
    updated = serializers.IntegerField(source="updated_count", read_only=True)
    skipped = serializers.IntegerField(source="skipped_count", read_only=True)
    invalid = serializers.IntegerField(source="invalid_count", read_only=True)
    hasErrorFile = serializers.SerializerMethodField()  # noqa: N815
    failureReason = serializers.CharField(source="failure_reason", read_only=True)  # noqa: N815
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)  # noqa: N815
    startedAt = serializers.DateTimeField(source="started_at", read_only=True)  # noqa: N815
    finishedAt = serializers.DateTimeField(source="finished_at", read_only=True)  # noqa: N815

    class Meta:
        model = ContactImport
        fields = ["id", "status", "fileName", "fileSize", "fileFormat", "encoding", "delimiter", "hasHeader",
                  "mapping", "existingAction", "stopListAction", "allSenderIds", "senderIds", "defaultCountry",
                  "groupId", "groupName", "progress", "totalRows", "processedRows", "created", "updated", "skipped",
                  "invalid", "hasErrorFile", "failureReason", "createdAt", "startedAt", "finishedAt"]  # fmt: skip
        read_only_fields = ["status", "encoding", "delimiter"]

    def get_groupName(self, job: ContactImport) -> str:  # noqa: N802
        return job.group.name if job.group else job.group_name

    def get_hasErrorFile(self, job: ContactImport) -> bool:  # noqa: N802
        return bool(job.error_file)


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="CSV, XLS or XLSX, up to 10 MB.")

    def validate_file(self, upload: Any) -> Any:
        if upload.size > MAX_UPLOAD_BYTES:
            raise serializers.ValidationError(
                _("The file is %(size)s MB; the limit is 10 MB. Split it and import the parts one by one.")
                % {"size": f"{upload.size / 1024 / 1024:.1f}"}
            )
        return upload


class ConfigureSerializer(serializers.Serializer):
    mapping = serializers.ListField(
        child=serializers.CharField(allow_blank=True),
        help_text='One field key per file column ("" skips the column); see the preview for the keys.',
    )
    existingAction = serializers.ChoiceField(  # noqa: N815
        choices=ContactImport.ExistingAction.choices, default=ContactImport.ExistingAction.ADD_AND_UPDATE
    )
    stopListAction = serializers.ChoiceField(  # noqa: N815
        choices=ContactImport.StopListAction.choices, default=ContactImport.StopListAction.EXCLUDE
    )
    senderIds = PartnerPrimaryKeyField(  # noqa: N815
        many=True, queryset=SenderID.objects.none(), required=False, help_text="For the block and unblock actions."
    )
    allSenderIds = serializers.BooleanField(required=False, default=False)  # noqa: N815
    encoding = serializers.ChoiceField(choices=ContactImport.ENCODINGS, required=False, help_text="CSV files only.")
    delimiter = serializers.ChoiceField(
        choices=[(value, value) for value, _label in ContactImport.DELIMITERS], required=False, help_text="CSV only."
    )
    hasHeader = serializers.BooleanField(required=False, allow_null=True, default=None)  # noqa: N815
    defaultCountry = serializers.SlugRelatedField(  # noqa: N815
        slug_field="iso_code",
        queryset=Country.objects.all(),
        required=False,
        allow_null=True,
        help_text="ISO code of the country of numbers written without a country code.",
    )


class StartSerializer(serializers.Serializer):
    groupId = PartnerPrimaryKeyField(  # noqa: N815
        queryset=Group.objects.none(), required=False, allow_null=True, help_text="The group the contacts go to."
    )
    newGroup = serializers.CharField(  # noqa: N815
        required=False, allow_blank=False, max_length=100, help_text="Or: the name of a new group to create."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if bool(attrs.get("groupId")) == bool(attrs.get("newGroup")):
            raise serializers.ValidationError({"groupId": _("Give either groupId or newGroup.")})
        return attrs


PREVIEW = inline_serializer(
    "ImportPreview",
    {
        "header": serializers.ListField(child=serializers.CharField()),
        "rows": serializers.ListField(child=serializers.ListField(child=serializers.CharField())),
        "fields": serializers.ListField(child=inline_serializer("ImportField", {"key": serializers.CharField(),
                                                                               "label": serializers.CharField()})),
    },
)  # fmt: skip


class ImportFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ContactImport.Status.choices)
    fileName = django_filters.CharFilter(field_name="file_name", lookup_expr="icontains")  # noqa: N815
    createdFrom = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")  # noqa: N815
    createdTo = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")  # noqa: N815

    class Meta:
        model = ContactImport
        fields: list[str] = []


class ImportViewSet(mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet[ContactImport]):
    """Contact imports, newest first: upload a file, set the mapping, start, then follow the progress."""

    serializer_class = ImportSerializer
    filterset_class = ImportFilter
    queryset = ContactImport.objects.none()
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self) -> QuerySet[ContactImport]:
        return (
            ContactImport.objects.for_partner(api_auth(self.request).partner)
            .select_related("group", "default_country")
            .prefetch_related("sender_ids")
            .order_by("-created_at", "-pk")
        )

    def _answer(self, job: ContactImport, http_status: int = status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=job.pk)).data, status=http_status)

    @extend_schema(request={"multipart/form-data": UploadSerializer}, responses={201: ImportSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incoming = UploadSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        job = contact_services.contact_import_upload(
            partner=api_auth(request).partner, by=caller_user(request), upload=incoming.validated_data["file"]
        )
        return self._answer(job, status.HTTP_201_CREATED)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Discard an import that has not started, with its file."""
        contact_services.contact_import_discard(contact_import=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request={"multipart/form-data": UploadSerializer}, responses={200: ImportSerializer})
    @action(detail=True, methods=["put"], parser_classes=[MultiPartParser, FormParser])
    def file(self, request: Request, pk: str | None = None) -> Response:
        """Replace the file of an import that has not started; the mapping is guessed again."""
        job = self.get_object()
        incoming = UploadSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        contact_services.contact_import_replace_file(contact_import=job, upload=incoming.validated_data["file"])
        return self._answer(job)

    @extend_schema(responses={200: PREVIEW})
    @action(detail=True, methods=["get"])
    def preview(self, request: Request, pk: str | None = None) -> Response:
        """The first rows of the file and the fields a column can be mapped to."""
        job = self.get_object()
        try:
            rows = [[text(cell) for cell in row] for row in files.preview_rows(job, PREVIEW_ROWS)]
        except (ValidationError, UnicodeError, ValueError) as error:
            messages = error.messages if isinstance(error, ValidationError) else [str(error)]
            raise ValidationError({"file": messages}, code="unreadable") from error
        header = rows[0] if rows and job.has_header else []
        choices = contact_services.mapping_choices(api_auth(request).partner)  # the job's own partner, already loaded
        return Response(
            {
                "header": header,
                "rows": rows[1:] if header else rows,
                "fields": [{"key": key, "label": label} for key, label in choices],
            }
        )

    @extend_schema(request=ConfigureSerializer, responses={200: ImportSerializer})
    @action(detail=True, methods=["post"])
    def configure(self, request: Request, pk: str | None = None) -> Response:
        """The mapping step: columns to fields, and what to do with known and stop-listed contacts."""
        job = self.get_object()
        incoming = ConfigureSerializer(data=request.data, context={"request": request})
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        is_csv = job.file_format == ContactImport.FileFormat.CSV
        try:
            contact_services.contact_import_configure(
                contact_import=job,
                by=caller_user(request),
                mapping=data["mapping"],
                existing_action=data["existingAction"],
                stop_list_action=data["stopListAction"],
                sender_ids=data.get("senderIds") or [],
                all_sender_ids=data["allSenderIds"],
                encoding=data.get("encoding") if is_csv else None,
                delimiter=data.get("delimiter") if is_csv else None,
                has_header=data["hasHeader"],
                default_country=data.get("defaultCountry"),
            )
        except ValidationError as error:
            raise api_field_names(error, API_NAMES) from error
        return self._answer(job)

    @extend_schema(request=StartSerializer, responses={200: ImportSerializer})
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk: str | None = None) -> Response:
        """Queue the import into an existing group or a new one; a worker does the rest."""
        job = self.get_object()
        incoming = StartSerializer(data=request.data, context={"request": request})
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        try:
            with transaction.atomic():  # a new group is kept only when the import starts
                group = data.get("groupId") or contact_services.group_create(
                    partner=api_auth(request).partner, by=caller_user(request), name=data["newGroup"]
                )
                contact_services.contact_import_start(contact_import=job, by=caller_user(request), group=group)
        except ValidationError as error:
            raise api_field_names(error, {**API_NAMES, "name": "newGroup"}) from error
        return self._answer(job)

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def errors(self, request: Request, pk: str | None = None) -> FileResponse:
        """The invalid rows (row number, phone, reason) as CSV; 404 while there is none."""
        job = self.get_object()
        return serve_private(job.error_file, os.path.basename(job.error_file.name or "errors.csv"), "text/csv")

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def original(self, request: Request, pk: str | None = None) -> FileResponse:
        """The uploaded file as it was sent."""
        job = self.get_object()
        return serve_private(job.file, job.file_name, FORMAT_TYPES.get(job.file_format))
