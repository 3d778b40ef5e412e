"""The Groups tab: list with counts, add / edit, delete, nesting, copying or moving contacts, export."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import DetailView, FormView, ListView

from contacts import selectors, services
from contacts.downloads import contacts_xlsx
from contacts.forms import GroupFilterForm, GroupForm
from contacts.models import Contact, Group
from contacts.views.common import PartnerObjectFormView, checked_ids, query_string
from tenancy.views import (
    BadRequestOnInvalidMixin,
    CampaignPortalMixin,
    PartnerScopedMixin,
    apply_service_error,
    back_to,
    caller_partner,
    caller_user,
    report_errors,
)


class GroupListView(CampaignPortalMixin, ListView):
    template_name = "contacts/group_list.html"
    paginate_by = 20

    @cached_property
    def filter_form(self) -> GroupFilterForm:
        form = GroupFilterForm(self.request.GET or None, partner=caller_partner(self.request))
        form.is_valid()
        return form

    def get_paginate_by(self, queryset: Any) -> int:
        requested = self.request.GET.get("per_page", "")
        return int(requested) if requested in ("20", "50", "100") else 20

    def get_queryset(self) -> QuerySet[Group]:
        filters = getattr(self.filter_form, "cleaned_data", {})
        return selectors.group_list(partner=caller_partner(self.request), filters=filters)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        counts = selectors.group_counts(context["object_list"])
        for group in context["object_list"]:
            group.contact_count = counts.get(group.pk, 0)
        context.update(
            tab="groups",
            filter_form=self.filter_form,
            group_tree=selectors.group_tree(caller_partner(self.request)),
            query_string=query_string(self.request),
            current_query=self.request.GET.urlencode(),
            per_page_choices=(20, 50, 100),
        )
        return context


class GroupCreateView(BadRequestOnInvalidMixin, CampaignPortalMixin, FormView):
    template_name = "contacts/group_form.html"
    form_class = GroupForm

    def form_valid(self, form: GroupForm) -> HttpResponse:
        try:
            group = services.group_create(
                partner=caller_partner(self.request), by=caller_user(self.request), **form.cleaned_data
            )
        except ValidationError as error:
            apply_service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The group %(name)s is created.") % {"name": group.name})
        return back_to(self.request, reverse("contacts:groups"))


class GroupUpdateView(BadRequestOnInvalidMixin, PartnerObjectFormView):
    model = Group
    template_name = "contacts/group_form.html"
    form_class = GroupForm
    context_object_name = "group"

    def get_initial(self) -> dict[str, Any]:
        return {"name": self.object.name, "description": self.object.description}

    def form_valid(self, form: GroupForm) -> HttpResponse:
        try:
            services.group_update(group=self.object, by=caller_user(self.request), **form.cleaned_data)
        except ValidationError as error:
            apply_service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The group %(name)s is saved.") % {"name": self.object.name})
        return back_to(self.request, reverse("contacts:groups"))


class GroupDeleteView(PartnerScopedMixin, DetailView):
    """A confirmation that says how many contacts go with the group, then the deletion."""

    model = Group
    template_name = "contacts/group_confirm_delete.html"
    context_object_name = "group"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        group: Group = self.object
        return super().get_context_data(
            only_members=services.group_only_members(group).count(),
            members=Contact.objects.for_partner(group.partner).in_groups([group]).count(),
            blockers=services.group_in_use(group),
            **kwargs,
        )

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        group = self.get_object()
        try:
            deleted = services.group_delete(group=group, by=caller_user(request))
        except ValidationError as error:
            report_errors(request, error)
            return redirect("contacts:groups")
        text = _("The group %(name)s is deleted.") % {"name": group.name}
        if deleted:
            text += " " + ngettext(
                "%(count)d contact that was in no other group is deleted too.",
                "%(count)d contacts that were in no other group are deleted too.",
                deleted,
            ) % {"count": deleted}
        messages.success(request, text)
        return redirect("contacts:groups")


class GroupActionView(CampaignPortalMixin, View):
    """Row and mass actions on groups: export contacts, nest, copy / move contacts, delete."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        partner, user = caller_partner(request), caller_user(request)
        groups = list(Group.objects.for_partner(partner).filter(pk__in=checked_ids(request)))
        action = request.POST.get("action", "")
        if not groups:
            messages.error(request, _("Select at least one group."))
            return back_to(request, reverse("contacts:groups"))
        if action == "export":
            contacts = Contact.objects.for_partner(partner).in_groups(groups)
            name = groups[0].name if len(groups) == 1 else "groups"
            return contacts_xlsx(partner=partner, user=user, contacts=contacts, name=name)
        try:
            text = self.act(action, partner=partner, user=user, groups=groups)
        except ValidationError as error:
            report_errors(request, error)
        else:
            messages.success(request, text)
        return back_to(request, reverse("contacts:groups"))

    def _target(self, partner: Any, required: bool = True) -> Group | None:
        target = Group.objects.for_partner(partner).filter(pk=self.request.POST.get("target") or 0).first()
        if target is None and required:
            raise ValidationError(_("Choose a group."), code="no_group")
        return target

    def act(self, action: str, *, partner: Any, user: Any, groups: list[Group]) -> str:
        if action == "nest":
            parent = self._target(partner, required=False)
            for group in groups:
                services.group_move(group=group, parent=parent, by=user)
            if parent is None:
                return _("The groups are at the top level.")
            return _("The groups are inside %(group)s.") % {"group": parent.name}
        if action in ("copy_contacts", "move_contacts"):
            target = self._target(partner)
            if target is None:
                raise ValidationError(_("Choose a group."), code="no_group")
            for group in groups:
                if action == "copy_contacts":
                    services.group_copy_contacts(source=group, target=target, by=user)
                else:
                    services.group_move_contacts(source=group, target=target, by=user)
            if action == "copy_contacts":
                return _("The contacts are copied to %(group)s.") % {"group": target.name}
            return _("The contacts are moved to %(group)s.") % {"group": target.name}
        if action == "delete":
            deleted_groups, deleted_contacts, refused = 0, 0, []
            for group in groups:
                try:
                    deleted_contacts += services.group_delete(group=group, by=user)
                    deleted_groups += 1
                except ValidationError as error:
                    refused.extend(error.messages)
            for message in refused:
                messages.error(self.request, message)
            return ngettext(
                "%(groups)d group is deleted (and %(contacts)d contacts that were in no other group).",
                "%(groups)d groups are deleted (and %(contacts)d contacts that were in no other group).",
                deleted_groups,
            ) % {"groups": deleted_groups, "contacts": deleted_contacts}
        raise ValidationError(_("Choose an action."), code="no_action")
