"""Campaign Templates: the list, the form and deleting a template."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, ListView
from django.views.generic.detail import SingleObjectMixin

from campaigns import services
from campaigns.forms import TemplateFilterForm, TemplateForm
from campaigns.models import MessageTemplate, Moderation
from campaigns.views.common import _errors, short_link_data, variable_context
from tenancy.models import Channel
from tenancy.views import PartnerScopedMixin, caller_partner, caller_user


class TemplateListView(PartnerScopedMixin, ListView):
    model = MessageTemplate
    template_name = "campaigns/templates.html"
    paginate_by = 24

    @cached_property
    def filter_form(self) -> TemplateFilterForm:
        form = TemplateFilterForm(self.request.GET or None)
        form.is_valid()
        return form

    def get_queryset(self) -> QuerySet[MessageTemplate]:
        queryset = super().get_queryset().select_related("sender")
        filters = getattr(self.filter_form, "cleaned_data", {})
        if filters.get("channel"):
            queryset = queryset.filter(channel=filters["channel"])
        if filters.get("moderation"):
            queryset = queryset.filter(moderation=filters["moderation"])
        return queryset.order_by("-updated_at", "-pk")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(filter_form=self.filter_form, **kwargs)


class TemplateFormView(PartnerScopedMixin, FormView):
    model = MessageTemplate
    template_name = "campaigns/template_form.html"
    form_class = TemplateForm

    @cached_property
    def instance(self) -> MessageTemplate:
        pk = self.kwargs.get("pk")
        if pk is None:
            channel = self.request.GET.get("channel", Channel.SMS)
            return MessageTemplate(
                partner=caller_partner(self.request), channel=channel if channel in Channel.values else Channel.SMS
            )
        template = self.get_queryset().filter(pk=pk).first()
        if template is None:
            raise Http404
        return template

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "partner": caller_partner(self.request), "instance": self.instance}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        form = kwargs.get("form") or self.get_form()
        rows = form.button_rows or []
        return super().get_context_data(
            template=self.instance,
            button_rows=rows + [{"type": "", "text": "", "value": ""}] * max(0, 3 - len(rows)),
            **variable_context(caller_partner(self.request)),
            short_links=short_link_data(caller_partner(self.request), None),
            needs_request=self.instance.channel == Channel.WHATSAPP
            or caller_partner(self.request).premoderate_templates,
            **kwargs,
        )

    def form_valid(self, form: TemplateForm) -> HttpResponse:
        template: MessageTemplate = form.save(commit=False)
        template.partner = caller_partner(self.request)
        template.buttons = form.buttons_from(self.request.POST)
        try:
            services.template_save(template=template, by=caller_user(self.request))
        except ValidationError as error:
            _errors(self.request, error, form)
            return self.form_invalid(form)
        if template.moderation == Moderation.PENDING:
            messages.success(self.request, _("The template is sent for approval."))
        else:
            messages.success(self.request, _("The template is saved."))
        return redirect("campaigns:templates")


class TemplateDeleteView(PartnerScopedMixin, SingleObjectMixin, View):
    model = MessageTemplate
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        template = self.get_object()
        services.template_delete(template=template, by=caller_user(request))
        messages.success(request, _("The template is deleted."))
        return redirect("campaigns:templates")
