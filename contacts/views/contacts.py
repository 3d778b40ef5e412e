"""The Contacts and Stop List tabs: tables with filters and per-user columns, the contact form, mass actions,
table settings and custom fields."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import FormView, ListView
from django.views.generic.detail import SingleObjectMixin

from contacts import selectors, services
from contacts.downloads import contacts_xlsx
from contacts.forms import ContactForm, FieldCreateForm, FieldEditForm, StopListAddForm
from contacts.models import Contact, ContactField, Group, Membership, TableSettings
from contacts.services import PER_PAGE_CHOICES
from contacts.values import Column
from contacts.views.common import (
    ContactPaginator,
    PartnerObjectFormView,
    contact_fields,
    filtered_contacts,
    query_string,
    selected_contacts,
)
from tenancy.views import (
    BadRequestOnInvalidMixin,
    CampaignPortalMixin,
    ObjectActionMixin,
    PartnerScopedMixin,
    apply_service_error,
    back_to,
    caller_partner,
    caller_user,
    report_errors,
)


class ContactTableView(CampaignPortalMixin, ListView):
    """A table of contacts with the user's columns, filters, page size and mass actions."""

    template_name = "contacts/contact_list.html"
    table = TableSettings.Table.CONTACTS
    stop_list = False
    tab = "contacts"

    @cached_property
    def fields(self) -> list[ContactField]:
        return contact_fields(caller_partner(self.request))

    @cached_property
    def tree(self) -> list[tuple[Group, int]]:
        return selectors.group_tree(caller_partner(self.request))

    @cached_property
    def filtered(self) -> tuple[Any, QuerySet[Contact]]:
        partner = caller_partner(self.request)
        return filtered_contacts(partner, self.request.GET, self.fields, stop_list=self.stop_list, tree=self.tree)

    @cached_property
    def saved_settings(self) -> TableSettings | None:
        return selectors.table_settings(user=caller_user(self.request), table=self.table)

    @cached_property
    def columns(self) -> list[Column]:
        user = caller_user(self.request)
        return selectors.table_columns(user=user, table=self.table, fields=self.fields, saved=self.saved_settings)

    def get_paginate_by(self, queryset: Any) -> int:
        saved = self.saved_settings.per_page if self.saved_settings else PER_PAGE_CHOICES[0]
        requested = self.request.GET.get("per_page", "")
        if requested.isdigit() and int(requested) in PER_PAGE_CHOICES:
            if int(requested) != saved:
                services.table_settings_page_size(
                    user=caller_user(self.request), table=self.table, per_page=int(requested)
                )
            return int(requested)
        return saved

    def get_queryset(self) -> QuerySet[Contact]:
        return selectors.with_table_data(self.filtered[1], stop_entries=self.stop_list)

    def get_paginator(self, queryset: Any, per_page: int, *args: Any, **kwargs: Any) -> ContactPaginator:
        cleaned = getattr(self.filtered[0], "cleaned_data", {})
        filters = {key: value for key, value in cleaned.items() if value not in (None, "")}
        exact = None
        if not self.stop_list and list(filters) == ["group"]:
            # Every member of a group is the partner's contact: counting memberships is exact and cheap.
            group = filters["group"]
            exact = lambda: Membership.objects.filter(group=group).count()  # noqa: E731
        return ContactPaginator(queryset, per_page, *args, exact_count=exact, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        partner = caller_partner(self.request)
        tree = self.tree
        context = super().get_context_data(**kwargs)
        context.update(
            tab=self.tab,
            table=self.table,
            stop_list=self.stop_list,
            filter_form=self.filtered[0],
            columns=[column for column in self.columns if column.visible],
            all_columns=self.columns,
            fields=self.fields,
            group_tree=tree,
            senders=list(selectors.partner_senders(partner)),
            query_string=query_string(self.request),
            current_query=self.request.GET.urlencode(),
            per_page_choices=PER_PAGE_CHOICES,
            field_form=FieldCreateForm(),
        )
        return context


class ContactListView(ContactTableView):
    pass


class StopListView(ContactTableView):
    table = TableSettings.Table.STOP_LIST
    stop_list = True
    tab = "stop_list"


class _ContactFormMixin(BadRequestOnInvalidMixin, CampaignPortalMixin):
    template_name: str | None = "contacts/contact_form.html"
    request: HttpRequest

    @cached_property
    def fields(self) -> list[ContactField]:
        return contact_fields(caller_partner(self.request))

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "partner": caller_partner(self.request), "fields": self.fields}  # type: ignore[misc]

    def details(self, form: ContactForm) -> dict[str, Any]:
        data = form.cleaned_data
        return {
            "phone": data["phone"],
            "groups": list(data["groups"]),
            "first_name": data["first_name"],
            "last_name": data["last_name"],
            "birth_date": data["birth_date"],
            "gender": data["gender"],
            "comment": data["comment"],
            "custom_values": form.custom_values(),
            "blocked_sender_ids": list(data["blocked_sender_ids"]),
            "blocked_all": data["blocked_all"],
        }


class ContactCreateView(_ContactFormMixin, FormView):
    form_class = ContactForm

    def get_initial(self) -> dict[str, Any]:
        group = self.request.GET.get("group", "")
        if group.isdigit():
            return {"groups": Group.objects.for_partner(caller_partner(self.request)).filter(pk=int(group))}
        return {}

    def form_valid(self, form: ContactForm) -> HttpResponse:
        try:
            contact = services.contact_create(
                partner=caller_partner(self.request), by=caller_user(self.request), **self.details(form)
            )
        except ValidationError as error:
            apply_service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Contact %(phone)s is added.") % {"phone": contact.display_phone})
        return redirect("contacts:list")


class ContactUpdateView(_ContactFormMixin, PartnerObjectFormView):
    model = Contact
    form_class = ContactForm
    context_object_name = "contact"

    def get_initial(self) -> dict[str, Any]:
        contact: Contact = self.object
        senders = [entry.sender for entry in contact.stop_entries.select_related("sender") if entry.sender]
        initial: dict[str, Any] = {
            "phone": contact.display_phone,
            "groups": list(contact.groups.all()),
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "birth_date": contact.birth_date,
            "gender": contact.gender,
            "comment": contact.comment,
            "blocked_sender_ids": senders,
            "blocked_all": contact.stop_entries.filter(sender__isnull=True).exists(),
        }
        for field in self.fields:
            value = contact.custom_values.get(field.variable)
            if field.data_type == ContactField.DataType.BOOLEAN and value is not None:
                value = "yes" if value else "no"
            initial[f"field_{field.variable}"] = value
        return initial

    def form_valid(self, form: ContactForm) -> HttpResponse:
        try:
            contact = services.contact_update(contact=self.object, by=caller_user(self.request), **self.details(form))
        except ValidationError as error:
            apply_service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Contact %(phone)s is saved.") % {"phone": contact.display_phone})
        return back_to(self.request, reverse("contacts:list"))


class ContactActionView(CampaignPortalMixin, View):
    """Row and mass actions on contacts (checked rows, or every row the filters select)."""

    http_method_names = ["post"]
    stop_list = False

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        partner, user = caller_partner(request), caller_user(request)
        fields = contact_fields(partner)
        stop_list = self.stop_list or request.POST.get("table") == TableSettings.Table.STOP_LIST
        contacts = selected_contacts(request, partner, fields, stop_list=stop_list)
        fallback = reverse("contacts:stop_list" if stop_list else "contacts:list")
        action = request.POST.get("action", "")
        try:
            if action == "export":
                name = "stop-list" if stop_list else "contacts"
                return contacts_xlsx(partner=partner, user=user, contacts=contacts, name=name, stop_list=stop_list)
            text = self.act(action, partner=partner, user=user, contacts=contacts)
        except ValidationError as error:
            report_errors(request, error)
        else:
            messages.success(request, text)
        return back_to(request, fallback)

    def _group(self, partner: Any) -> Group:
        group = Group.objects.for_partner(partner).filter(pk=self.request.POST.get("group") or 0).first()
        if group is None:
            raise ValidationError(_("Choose a group."), code="no_group")
        return group

    def _senders(self, partner: Any) -> list[Any] | None:
        if self.request.POST.get("all_senders"):
            return None
        ids = [value for value in self.request.POST.getlist("sender_ids") if value.isdigit()]
        return list(selectors.partner_senders(partner).filter(pk__in=ids))

    def act(self, action: str, *, partner: Any, user: Any, contacts: Any) -> str:
        if action == "delete":
            count = services.contacts_delete(partner=partner, contacts=contacts)
            return ngettext("%(count)d contact is deleted.", "%(count)d contacts are deleted.", count) % {
                "count": count
            }
        if action == "add_to_group":
            group = self._group(partner)
            services.contacts_add_to_group(partner=partner, contacts=contacts, group=group, by=user)
            return _("The contacts are added to %(group)s.") % {"group": group.name}
        if action == "move_to_group":
            group = self._group(partner)
            count = services.contacts_move_to_group(partner=partner, contacts=contacts, group=group, by=user)
            return ngettext(
                "%(count)d contact is moved to %(group)s.", "%(count)d contacts are moved to %(group)s.", count
            ) % {"count": count, "group": group.name}
        if action == "remove_from_group":
            group = self._group(partner)
            removed, kept = services.contacts_remove_from_group(
                partner=partner, contacts=contacts, group=group, by=user
            )
            text = ngettext(
                "%(count)d contact is removed from %(group)s.",
                "%(count)d contacts are removed from %(group)s.",
                removed,
            ) % {"count": removed, "group": group.name}
            if kept:
                text += " " + ngettext(
                    "%(count)d contact stays: it has no other group.",
                    "%(count)d contacts stay: they have no other group.",
                    kept,
                ) % {"count": kept}
            return text
        if action == "block":
            services.stop_list_block(partner=partner, contacts=contacts, sender_ids=self._senders(partner), by=user)
            return _("The contacts are in the stop list for the chosen sender IDs.")
        if action == "unblock":
            count = services.stop_list_unblock(
                partner=partner, contacts=contacts, sender_ids=self._senders(partner), by=user
            )
            return ngettext(
                "%(count)d block is removed from the stop list.",
                "%(count)d blocks are removed from the stop list.",
                count,
            ) % {"count": count}
        raise ValidationError(_("Choose an action."), code="no_action")


class TableSettingsView(CampaignPortalMixin, View):
    """Save the column order and visibility from the Table settings window."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        table = request.POST.get("table", TableSettings.Table.CONTACTS)
        visible = set(request.POST.getlist("visible"))
        columns = [(key, key in visible) for key in request.POST.getlist("column")]
        try:
            services.table_settings_save(user=caller_user(request), table=table, columns=columns)
        except ValidationError as error:
            report_errors(request, error)
        else:
            messages.success(request, _("Your table settings are saved."))
        return back_to(request, reverse("contacts:list"))


class FieldCreateView(CampaignPortalMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        form = FieldCreateForm(request.POST)
        if form.is_valid():
            try:
                field = services.contact_field_create(
                    partner=caller_partner(request), by=caller_user(request), **form.cleaned_data
                )
            except ValidationError as error:
                apply_service_error(form, error)
            else:
                messages.success(
                    request,
                    _("The field %(name)s is created; use %(variable)s in campaign texts.")
                    % {"name": field.name, "variable": field.placeholder},
                )
                return back_to(request, reverse("contacts:list"))
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, str(message))
        return back_to(request, reverse("contacts:list"))


class _FieldAction(ObjectActionMixin, PartnerScopedMixin, SingleObjectMixin, View):
    model = ContactField
    fallback_url = reverse_lazy("contacts:list")


class FieldUpdateView(_FieldAction):
    def act(self, field: ContactField) -> str:
        form = FieldEditForm(self.request.POST)
        if not form.is_valid():
            raise ValidationError([message for errors in form.errors.values() for message in errors])
        services.contact_field_update(
            field=field,
            by=caller_user(self.request),
            name=form.cleaned_data["name"],
            required=form.cleaned_data["required"],
        )
        return _("The field %(name)s is saved.") % {"name": field.name}


class FieldDeleteView(_FieldAction):
    def act(self, field: ContactField) -> str:
        services.contact_field_delete(field=field, by=caller_user(self.request))
        return _("The field %(name)s is deleted.") % {"name": field.name}


class StopListAddView(BadRequestOnInvalidMixin, CampaignPortalMixin, FormView):
    template_name = "contacts/stop_list_add.html"
    form_class = StopListAddForm

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "partner": caller_partner(self.request)}

    def form_valid(self, form: StopListAddForm) -> HttpResponse:
        data = form.cleaned_data
        try:
            contact, created = services.stop_list_add_number(
                partner=caller_partner(self.request),
                by=caller_user(self.request),
                phone=data["phone"],
                sender_ids=None if data["all_senders"] else list(data["sender_ids"]),
                group=data["group"],
                first_name=data["first_name"],
                last_name=data["last_name"],
            )
        except ValidationError as error:
            apply_service_error(form, error)
            return self.form_invalid(form)
        if created:
            text = _("%(phone)s is added to your contacts and to the stop list.")
        else:
            text = _("%(phone)s is in the stop list for the chosen sender IDs.")
        messages.success(self.request, text % {"phone": contact.display_phone})
        return redirect("contacts:stop_list")
