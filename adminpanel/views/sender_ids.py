"""Sender IDs in the Admin Panel: the approval events of sender ID requests, the sender IDs of the subtree
(change of validity period, unsubscribe) and the documents of a request."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseBase
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import FormView
from django.views.generic.detail import SingleObjectMixin

from adminpanel.forms import ListFilterForm
from adminpanel.views.approvals import ApprovalKindUI, register_kind
from adminpanel.views.base import FilteredListView, SectionMixin, ServiceFormMixin, SetActiveView
from senders import selectors, services
from senders.forms import ValidityForm
from senders.models import APPROVAL_KIND, SenderID, SenderIDDocument, SenderIDRequest
from senders.views import serve_document, serve_logo
from tenancy.models import ApprovalRequest, Channel, Partner
from tenancy.views import ObjectFormMixin, SubtreeScopedMixin, caller_partner, caller_user


def sender_subject(approval: ApprovalRequest, viewer: Partner) -> dict[str, Any]:
    """The sender ID request behind an approval, for the shared approval detail page."""
    requests = selectors.requests_with_details(SenderIDRequest.objects.filter(approval=approval))
    return {"cards": selectors.request_cards(requests=requests, viewer=viewer)}


register_kind(
    ApprovalKindUI(
        kind=APPROVAL_KIND,
        title=gettext_lazy("Sender ID Events"),
        section="sender_events",
        events_url_name="adminpanel:sender_events",
        subject_template="adminpanel/sender_ids/_approval_subject.html",
        subject_context=sender_subject,
        approve_form=ValidityForm,
        approve_label=gettext_lazy("Confirm"),
    )
)


class SenderIDFilterForm(ListFilterForm):
    channel = forms.ChoiceField(
        label=gettext_lazy("Channel"), required=False, choices=[("", gettext_lazy("All channels")), *Channel.choices]
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("Any status")), *SenderID.Status.choices],
    )
    field_order = ["q", "channel", "status", "per_page"]

    def __init__(self, *args: Any, partner: Partner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs["placeholder"] = gettext_lazy("Sender ID or partner")


class SenderIDListView(FilteredListView):
    model = SenderID
    section = "sender_ids"
    template_name = "adminpanel/sender_ids/list.html"
    filter_form_class = SenderIDFilterForm
    search_fields = ("value", "partner__name")

    def filter_queryset(self, queryset: QuerySet[Any], filters: dict[str, Any]) -> QuerySet[Any]:
        return (
            selectors.sender_list(queryset=queryset, filters=filters)
            .select_related("partner")
            .order_by("partner__path", "value", "pk")
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        is_owner = caller_partner(self.request).kind == Partner.Kind.OWNER
        return super().get_context_data(is_owner=is_owner, **kwargs)


class SenderPeriodChangeView(SectionMixin, SubtreeScopedMixin, ServiceFormMixin, ObjectFormMixin, FormView):
    """The system owner sets a new validity period for an enabled sender ID of its subtree."""

    model = SenderID
    section = "sender_ids"
    template_name = "adminpanel/sender_ids/period_form.html"
    form_class = ValidityForm
    context_object_name = "sender"
    success_message = gettext_lazy("The validity period of %(object)s is changed.")

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().select_related("partner")

    def get_initial(self) -> dict[str, Any]:
        return {"validity_months": self.object.validity_months or 0}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        is_owner = caller_partner(self.request).kind == Partner.Kind.OWNER
        return super().get_context_data(is_owner=is_owner, **kwargs)

    def get_success_url(self) -> str:
        return reverse("adminpanel:sender_list")

    def perform(self, form: ValidityForm) -> SenderID:
        return services.sender_period_change(
            sender=self.object, validity_months=form.cleaned_data["validity_months"], by=caller_user(self.request)
        )


class SenderUnsubscribeView(SetActiveView):
    """Unsubscribe a partner below from an enabled sender ID (it becomes disabled)."""

    model = SenderID
    active = False

    fallback_url = reverse_lazy("adminpanel:sender_list")

    def change(self, obj: SenderID) -> None:
        services.sender_unsubscribe(sender=obj, by=caller_user(self.request))

    def message(self, obj: SenderID) -> str:
        return _("%(partner)s is unsubscribed from %(value)s.") % {"partner": obj.partner.name, "value": obj.value}


class SenderDocumentView(SubtreeScopedMixin, SingleObjectMixin, View):
    model = SenderIDDocument

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return serve_document(self.get_object())


class SenderLogoView(SubtreeScopedMixin, SingleObjectMixin, View):
    model = SenderIDRequest

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return serve_logo(self.get_object())
