"""The import wizard (upload → mapping → group → progress) and the Import History tab."""

from __future__ import annotations

import os
from functools import cached_property
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, FormView, ListView
from django.views.generic.detail import SingleObjectMixin

from contacts import files, selectors, services
from contacts.downloads import FORMAT_TYPES, serve_private, xlsx_response
from contacts.forms import GroupForm, ImportFilterForm, ImportGroupForm, MappingForm, UploadForm
from contacts.models import ContactImport
from contacts.values import text
from contacts.views.common import checked_ids, local_date, query_string
from tenancy.views import (
    BadRequestOnInvalidMixin,
    CampaignPortalMixin,
    PartnerScopedMixin,
    apply_service_error,
    back_to,
    caller_partner,
    caller_user,
)


class ImportStartView(BadRequestOnInvalidMixin, CampaignPortalMixin, FormView):
    """Step 1 with no file yet."""

    template_name = "contacts/import_upload.html"
    form_class = UploadForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(step=1, contact_import=None, **kwargs)

    def form_valid(self, form: UploadForm) -> HttpResponse:
        try:
            contact_import = services.contact_import_upload(
                partner=caller_partner(self.request), by=caller_user(self.request), upload=form.cleaned_data["file"]
            )
        except ValidationError as error:
            apply_service_error(form, error)
            return self.form_invalid(form)
        return redirect("contacts:import_mapping", pk=contact_import.pk)


class _DraftStep(BadRequestOnInvalidMixin, PartnerScopedMixin, SingleObjectMixin, FormView):
    """A wizard step on an import of the signed-in partner; a started import shows its progress instead."""

    model = ContactImport
    context_object_name = "contact_import"
    request: HttpRequest
    object: ContactImport

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.load() or super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.load() or super().post(request, *args, **kwargs)

    def load(self) -> HttpResponse | None:
        """Load the import (once per request); a redirect to its progress when it is no longer a draft."""
        if not hasattr(self, "object"):
            self.object = self.get_object()
        if self.object.status != ContactImport.Status.DRAFT:
            return redirect("contacts:import_progress", pk=self.object.pk)
        return None


class ImportUploadView(_DraftStep):
    """Step 1 for a draft: replace the file, or remove it and start again."""

    template_name = "contacts/import_upload.html"
    form_class = UploadForm

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.load() is None and request.POST.get("discard"):
            services.contact_import_discard(contact_import=self.object)
            return redirect("contacts:import")
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(step=1, **kwargs)

    def form_valid(self, form: UploadForm) -> HttpResponse:
        try:
            services.contact_import_replace_file(contact_import=self.object, upload=form.cleaned_data["file"])
        except ValidationError as error:
            apply_service_error(form, error)
            return self.form_invalid(form)
        return redirect("contacts:import_mapping", pk=self.object.pk)


class ImportMappingView(_DraftStep):
    """Step 2: preview, column mapping, what to do with known and stop-listed numbers."""

    template_name = "contacts/import_mapping.html"
    form_class = MappingForm

    @cached_property
    def preview(self) -> list[list[Any]]:
        try:
            return files.preview_rows(self.object, 8)
        except (ValidationError, UnicodeError, ValueError):
            return []

    @cached_property
    def choices(self) -> list[tuple[str, str]]:
        return services.mapping_choices(caller_partner(self.request))

    def get_form_kwargs(self) -> dict[str, Any]:
        columns = max((len(row) for row in self.preview), default=0)
        return {
            **super().get_form_kwargs(),
            "partner": caller_partner(self.request),
            "columns": columns,
            "choices": self.choices,
        }

    def get_initial(self) -> dict[str, Any]:
        job = self.object
        initial: dict[str, Any] = {
            "encoding": job.encoding,
            "delimiter": job.delimiter,
            "has_header": job.has_header,
            "existing_action": job.existing_action,
            "stop_list_action": job.stop_list_action,
            "sender_ids": list(job.sender_ids.all()),
            "all_sender_ids": job.all_sender_ids,
            "default_country": job.default_country,
        }
        for index, key in enumerate(job.mapping or []):
            initial[f"column_{index}"] = key
        return initial

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        job = self.object
        rows = [[text(cell) for cell in row] for row in self.preview]
        header = rows[0] if rows and job.has_header else []
        body = rows[1:] if header else rows
        return super().get_context_data(
            step=2, header=header, rows=body, is_csv=job.file_format == ContactImport.FileFormat.CSV, **kwargs
        )

    def form_valid(self, form: MappingForm) -> HttpResponse:
        data = form.cleaned_data
        job = self.object
        is_csv = job.file_format == ContactImport.FileFormat.CSV
        if self.request.POST.get("refresh"):
            # The file settings changed: save them and show the preview again before mapping.
            if is_csv:
                job.encoding = data.get("encoding") or job.encoding
                job.delimiter = data.get("delimiter") or job.delimiter
            job.has_header = data["has_header"]
            job.save(update_fields=["encoding", "delimiter", "has_header"])
            return redirect("contacts:import_mapping", pk=job.pk)
        try:
            services.contact_import_configure(
                contact_import=job,
                by=caller_user(self.request),
                mapping=form.mapping(),
                existing_action=data["existing_action"],
                stop_list_action=data["stop_list_action"],
                sender_ids=list(data["sender_ids"]),
                all_sender_ids=data["all_sender_ids"],
                encoding=(data.get("encoding") or None) if is_csv else None,
                delimiter=(data.get("delimiter") or None) if is_csv else None,
                has_header=data["has_header"],
                default_country=data["default_country"],
            )
        except ValidationError as error:
            apply_service_error(form, error)
            return self.form_invalid(form)
        return redirect("contacts:import_group", pk=job.pk)


class ImportGroupView(_DraftStep):
    """Step 3: the group the contacts go to (an existing one, or one added here), then the import starts."""

    template_name = "contacts/import_group.html"
    form_class = ImportGroupForm

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.load() is None and not services.contact_import_ready(self.object):
            messages.info(request, _("Map a column to Phone first."))
            return redirect("contacts:import_mapping", pk=self.object.pk)
        return super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.load() is None and request.POST.get("add_group"):
            group_form = GroupForm(request.POST, prefix="new")
            if group_form.is_valid():
                try:
                    group = services.group_create(
                        partner=caller_partner(request), by=caller_user(request), **group_form.cleaned_data
                    )
                except ValidationError as error:
                    apply_service_error(group_form, error)
                else:
                    messages.success(request, _("The group %(name)s is created.") % {"name": group.name})
                    return redirect(reverse("contacts:import_group", args=[self.object.pk]) + f"?group={group.pk}")
            context = self.get_context_data(form=self.get_form(), group_form=group_form, show_group_form=True)
            return self.render_to_response(context, status=400)
        return super().post(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "partner": caller_partner(self.request)}

    def get_initial(self) -> dict[str, Any]:
        chosen = self.request.GET.get("group", "")
        return {"group": int(chosen)} if chosen.isdigit() else {"group": self.object.group_id}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        kwargs.setdefault("group_form", GroupForm(prefix="new"))
        return super().get_context_data(step=3, **kwargs)

    def form_valid(self, form: ImportGroupForm) -> HttpResponse:
        try:
            services.contact_import_start(
                contact_import=self.object, by=caller_user(self.request), group=form.cleaned_data["group"]
            )
        except ValidationError as error:
            apply_service_error(form, error)
            return self.form_invalid(form)
        return redirect("contacts:import_progress", pk=self.object.pk)


class ImportProgressView(PartnerScopedMixin, DetailView):
    """The running (or finished) import; the status card refreshes itself while the task works."""

    model = ContactImport
    template_name = "contacts/import_progress.html"
    context_object_name = "contact_import"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.object = self.get_object()
        if self.object.status == ContactImport.Status.DRAFT:
            return redirect("contacts:import_mapping", pk=self.object.pk)
        return self.render_to_response(self.get_context_data(object=self.object))


class ImportStatusView(ImportProgressView):
    template_name = "contacts/_import_status.html"


class ImportHistoryView(CampaignPortalMixin, ListView):
    template_name = "contacts/import_list.html"
    paginate_by = 20

    @cached_property
    def filter_form(self) -> ImportFilterForm:
        form = ImportFilterForm(self.request.GET or None, partner=caller_partner(self.request))
        form.is_valid()
        return form

    def get_queryset(self) -> QuerySet[ContactImport]:
        filters = getattr(self.filter_form, "cleaned_data", {})
        return selectors.import_list(partner=caller_partner(self.request), filters=filters)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(
            tab="imports", filter_form=self.filter_form, query_string=query_string(self.request), **kwargs
        )


class ImportExportView(CampaignPortalMixin, View):
    """Mass action on Import History: the selected imports as a spreadsheet."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        imports = selectors.import_list(partner=caller_partner(request), filters={}).filter(pk__in=checked_ids(request))
        if not imports.exists():
            messages.error(request, _("Select at least one import."))
            return back_to(request, reverse("contacts:imports"))
        header = [
            str(_("File")),
            str(_("Group")),
            str(_("User")),
            str(_("Date")),
            str(_("Status")),
            str(_("Rows")),
            str(_("Created")),
            str(_("Updated")),
            str(_("Skipped")),
            str(_("Invalid")),
        ]
        rows = (
            [
                job.file_name,
                job.group.name if job.group else job.group_name,
                job.created_by.email if job.created_by else "",
                local_date(job.created_at),
                str(job.get_status_display()),
                job.total_rows,
                job.created_count,
                job.updated_count,
                job.skipped_count,
                job.invalid_count,
            ]
            for job in imports
        )
        return xlsx_response(header, rows, "imports", "Imports")


class ImportFileView(PartnerScopedMixin, SingleObjectMixin, View):
    """The original file of an import."""

    model = ContactImport

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        job = self.get_object()
        return serve_private(job.file, job.file_name, FORMAT_TYPES.get(job.file_format))


class ImportErrorsView(PartnerScopedMixin, SingleObjectMixin, View):
    """The invalid rows of an import (row number, phone, reason) as CSV."""

    model = ContactImport

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        job = self.get_object()
        return serve_private(job.error_file, os.path.basename(job.error_file.name or "errors.csv"), "text/csv")
