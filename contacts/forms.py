"""Forms of the Contacts pages; the services repeat every check that matters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from billing.models import Country
from contacts.models import MAX_UPLOAD_BYTES, ContactField, ContactImport, Gender, Group
from contacts.selectors import group_tree, partner_senders, partner_users
from senders.models import SenderID
from tenancy.models import Partner, User

DATE_WIDGET = {"type": "date"}


class GroupChoiceField(forms.ModelChoiceField):
    """Groups with their nesting shown by indentation (``tree``: the partner's group tree, when already read)."""

    def __init__(self, partner: Partner, tree: list[tuple[Group, int]] | None = None, **kwargs: Any) -> None:
        super().__init__(queryset=Group.objects.for_partner(partner), **kwargs)
        tree = group_tree(partner) if tree is None else tree
        ordered = [(group.pk, "\u2003" * depth + group.name) for group, depth in tree]
        empty: list[tuple[Any, Any]] = [("", self.empty_label or "")] if self.empty_label is not None else []
        self.choices = empty + ordered


class GroupMultipleChoiceField(forms.ModelMultipleChoiceField):
    def __init__(self, partner: Partner, **kwargs: Any) -> None:
        super().__init__(queryset=Group.objects.for_partner(partner), **kwargs)
        self.choices = [(group.pk, "\u2003" * depth + group.name) for group, depth in group_tree(partner)]


def custom_form_field(field: ContactField, *, for_filter: bool = False) -> forms.Field:
    """A form field for a custom contact field (in the contact form, or as a filter)."""
    required = field.required and not for_filter
    label = field.name
    if field.data_type == ContactField.DataType.NUMBER:
        return forms.DecimalField(label=label, required=required, max_digits=30, decimal_places=10)
    if field.data_type == ContactField.DataType.DATE:
        return forms.DateField(label=label, required=required, widget=forms.DateInput(attrs=DATE_WIDGET))
    if field.data_type == ContactField.DataType.BOOLEAN:
        return forms.ChoiceField(
            label=label, required=required, choices=[("", "—"), ("yes", _("Yes")), ("no", _("No"))]
        )
    if field.data_type == ContactField.DataType.LIST:
        return forms.ChoiceField(
            label=label, required=required, choices=[("", "—")] + [(o, o) for o in field.option_list]
        )
    return forms.CharField(label=label, required=required, max_length=500)


class ContactFilterForm(forms.Form):
    phone = forms.CharField(label=_("Phone starts with"), required=False, max_length=30)
    first_name = forms.CharField(label=_("First name"), required=False, max_length=100)
    last_name = forms.CharField(label=_("Last name"), required=False, max_length=100)
    group = forms.ModelChoiceField(label=_("Group"), required=False, queryset=Group.objects.none())
    created_from = forms.DateField(label=_("Created from"), required=False, widget=forms.DateInput(attrs=DATE_WIDGET))
    created_to = forms.DateField(label=_("Created to"), required=False, widget=forms.DateInput(attrs=DATE_WIDGET))
    updated_from = forms.DateField(label=_("Updated from"), required=False, widget=forms.DateInput(attrs=DATE_WIDGET))
    updated_to = forms.DateField(label=_("Updated to"), required=False, widget=forms.DateInput(attrs=DATE_WIDGET))
    user = forms.ModelChoiceField(label=_("User"), required=False, queryset=User.objects.none())
    birth_from = forms.DateField(label=_("Born from"), required=False, widget=forms.DateInput(attrs=DATE_WIDGET))
    birth_to = forms.DateField(label=_("Born to"), required=False, widget=forms.DateInput(attrs=DATE_WIDGET))
    gender = forms.ChoiceField(label=_("Gender"), required=False, choices=[("", _("Any")), *Gender.choices])
    comment = forms.CharField(label=_("Comment contains"), required=False, max_length=100)

    def __init__(
        self,
        *args: Any,
        partner: Partner,
        fields: list[ContactField],
        stop_list: bool = False,
        tree: list[tuple[Group, int]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"] = GroupChoiceField(
            partner, tree, label=_("Group"), required=False, empty_label=_("Any group")
        )
        user_field: Any = self.fields["user"]
        user_field.queryset = partner_users(partner)
        user_field.empty_label = _("Any user")
        if stop_list:
            senders = [(str(sender.pk), str(sender)) for sender in partner_senders(partner)]
            self.fields["sender"] = forms.ChoiceField(
                label=_("Blocked sender ID"),
                required=False,
                choices=[("", _("Any")), ("all", _("All sender IDs")), *senders],
            )
        for field in fields:
            self.fields[f"field_{field.variable}"] = custom_form_field(field, for_filter=True)

    @property
    def active(self) -> bool:
        return any(value not in (None, "") for value in getattr(self, "cleaned_data", {}).values())


class ContactForm(forms.Form):
    phone = forms.CharField(
        label=_("Phone"),
        max_length=30,
        help_text=_("International format with the country code, e.g. +34 612 345 678."),
    )
    groups = forms.ModelMultipleChoiceField(label=_("Groups"), queryset=Group.objects.none())
    first_name = forms.CharField(label=_("First name"), required=False, max_length=100)
    last_name = forms.CharField(label=_("Last name"), required=False, max_length=100)
    birth_date = forms.DateField(label=_("Date of birth"), required=False, widget=forms.DateInput(attrs=DATE_WIDGET))
    gender = forms.ChoiceField(label=_("Gender"), required=False, choices=[("", "—"), *Gender.choices])
    blocked_sender_ids = forms.ModelMultipleChoiceField(
        label=_("Blocked sender IDs"),
        required=False,
        queryset=SenderID.objects.none(),
        help_text=_("Messages from these sender IDs will not be sent to this contact."),
    )
    blocked_all = forms.BooleanField(label=_("Block all sender IDs"), required=False)
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, partner: Partner, fields: list[ContactField], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["groups"] = GroupMultipleChoiceField(partner, label=_("Groups"))
        self.fields["groups"].widget.attrs["size"] = 6
        senders: Any = self.fields["blocked_sender_ids"]
        senders.queryset = partner_senders(partner)
        self.custom_fields = fields
        for field in fields:
            self.fields[f"field_{field.variable}"] = custom_form_field(field)

    def custom_values(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for field in self.custom_fields:
            value = self.cleaned_data.get(f"field_{field.variable}")
            if value is not None and field.data_type == ContactField.DataType.DATE:
                value = value.isoformat()
            values[field.variable] = "" if value is None else value
        return values


class GroupForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(
        label=_("Description"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


class GroupFilterForm(forms.Form):
    name = forms.CharField(label=_("Name contains"), required=False, max_length=100)
    description = forms.CharField(label=_("Description contains"), required=False, max_length=100)
    created_from = forms.DateField(label=_("Created from"), required=False, widget=forms.DateInput(attrs=DATE_WIDGET))
    created_to = forms.DateField(label=_("Created to"), required=False, widget=forms.DateInput(attrs=DATE_WIDGET))

    def __init__(self, *args: Any, partner: Partner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"] = GroupChoiceField(partner, label=_("Inside"), required=False, empty_label=_("Any"))


class FieldCreateForm(forms.Form):
    name = forms.CharField(label=_("Field name"), max_length=60)
    data_type = forms.ChoiceField(label=_("Data type"), choices=ContactField.DataType.choices)
    options = forms.CharField(
        label=_("List options"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For a list field: one option per line."),
    )
    required = forms.BooleanField(label=_("Required when creating or editing a contact"), required=False)


class FieldEditForm(forms.Form):
    name = forms.CharField(label=_("Field name"), max_length=60)
    required = forms.BooleanField(label=_("Required"), required=False)


class StopListAddForm(forms.Form):
    phone = forms.CharField(label=_("Phone"), max_length=30)
    sender_ids = forms.ModelMultipleChoiceField(
        label=_("Sender IDs to block"), required=False, queryset=SenderID.objects.none()
    )
    all_senders = forms.BooleanField(label=_("All sender IDs"), required=False)
    group = forms.ModelChoiceField(label=_("Group"), required=False, queryset=Group.objects.none())
    first_name = forms.CharField(label=_("First name"), required=False, max_length=100)
    last_name = forms.CharField(label=_("Last name"), required=False, max_length=100)

    def __init__(self, *args: Any, partner: Partner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        senders: Any = self.fields["sender_ids"]
        senders.queryset = partner_senders(partner)
        self.fields["group"] = GroupChoiceField(
            partner,
            label=_("Group"),
            required=False,
            empty_label="—",
            help_text=_("Needed only when the number is not in your contacts yet."),
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("all_senders") and not data.get("sender_ids"):
            raise ValidationError(_("Choose the sender IDs to block, or all sender IDs."))
        return data


class ImportFilterForm(forms.Form):
    file_name = forms.CharField(label=_("File name"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status"))] + [c for c in ContactImport.Status.choices if c[0] != "draft"],
    )
    user = forms.ModelChoiceField(label=_("User"), required=False, queryset=User.objects.none())
    created_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs=DATE_WIDGET))
    created_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs=DATE_WIDGET))

    def __init__(self, *args: Any, partner: Partner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user_field: Any = self.fields["user"]
        user_field.queryset = partner_users(partner)
        user_field.empty_label = _("Any user")


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Contacts file"),
        help_text=_("CSV, XLS or XLSX, up to 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xls,.xlsx"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(
                _("The file is %(size)s MB; the limit is 10 MB. Split it and import the parts one by one.")
                % {"size": f"{upload.size / 1024 / 1024:.1f}"}
            )
        return upload


class MappingForm(forms.Form):
    encoding = forms.ChoiceField(label=_("Text encoding"), choices=ContactImport.ENCODINGS, required=False)
    delimiter = forms.ChoiceField(label=_("Delimiter"), choices=ContactImport.DELIMITERS, required=False)
    has_header = forms.BooleanField(label=_("The first row holds column names"), required=False)
    existing_action = forms.ChoiceField(
        label=_("Contacts you already have"),
        choices=ContactImport.ExistingAction.choices,
        widget=forms.RadioSelect,
    )
    stop_list_action = forms.ChoiceField(
        label=_("Contacts in your stop list"),
        choices=ContactImport.StopListAction.choices,
        widget=forms.RadioSelect,
    )
    sender_ids = forms.ModelMultipleChoiceField(label=_("Sender IDs"), required=False, queryset=SenderID.objects.none())
    all_sender_ids = forms.BooleanField(label=_("All sender IDs"), required=False)
    default_country = forms.ModelChoiceField(
        label=_("Country of numbers written without a country code"),
        required=False,
        queryset=Country.objects.all(),
        empty_label=_("None: every number has its country code"),
    )

    def __init__(self, *args: Any, partner: Partner, columns: int, choices: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        senders: Any = self.fields["sender_ids"]
        senders.queryset = partner_senders(partner)
        self.columns = columns
        options = [("", _("— unused —")), *choices]
        for index in range(columns):
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=_("Column %(number)d") % {"number": index + 1}, required=False, choices=options
            )

    def mapping(self) -> list[str]:
        return [self.cleaned_data.get(f"column_{index}") or "" for index in range(self.columns)]

    def column_fields(self) -> list[forms.BoundField]:
        return [self[f"column_{index}"] for index in range(self.columns)]


class ImportGroupForm(forms.Form):
    group = forms.ModelChoiceField(label=_("Group"), queryset=Group.objects.none(), required=False)

    def __init__(self, *args: Any, partner: Partner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"] = GroupChoiceField(partner, label=_("Group"), required=False, empty_label=None)

    def clean_group(self) -> Group:
        group = self.cleaned_data.get("group")
        if group is None:
            raise ValidationError(_("Choose the group to import the contacts into, or add one."))
        return group  # type: ignore[no-any-return]
