"""Setup, the first stage of the Campaign Wizard: channels, sender IDs, texts, templates and the short link."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.generic import FormView

from campaigns import services, shortlinks
from campaigns.forms import SetupForm
from campaigns.models import Campaign, MessageTemplate
from campaigns.shortlinks import find_link
from campaigns.views.common import _errors, short_link_data, variable_context
from campaigns.views.wizard import WizardMixin
from senders.services import active_sender_ids
from tenancy.models import Channel
from tenancy.views import caller_partner, caller_user


class SetupView(WizardMixin, FormView):
    template_name = "campaigns/wizard_setup.html"
    form_class = SetupForm
    stage = "setup"

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "partner": caller_partner(self.request)}

    def get_initial(self) -> dict[str, Any]:
        if self.campaign is not None:
            return SetupForm.initial_from(self.campaign)
        initial: dict[str, Any] = {"placeholders": Campaign.Placeholders.KEEP}
        template_id = self.request.GET.get("template", "")
        template = (
            services.usable_templates(partner=caller_partner(self.request)).filter(pk=template_id).first()
            if template_id.isdigit()
            else None
        )
        if template is not None:
            channel = template.channel
            initial.update({"channels": [channel], f"{channel}_template": template.pk})
            if template.sender is not None:
                initial[f"{channel}_sender"] = template.sender.value
            if template.short_domain_id:
                initial["short_domain"] = template.short_domain_id
            if channel != Channel.WHATSAPP:
                initial[f"{channel}_text"] = template.text
            if channel == Channel.SMS:
                initial["sms_flash"] = template.flash
            if channel == Channel.VIBER:
                initial.update(
                    viber_image_url=template.image_url,
                    viber_button_caption=template.button_caption,
                    viber_button_url=template.button_url,
                    viber_purpose=template.purpose,
                )
        else:
            initial["channels"] = (
                [Channel.SMS] if Channel.SMS in (caller_partner(self.request).allowed_channels or []) else []
            )
        return initial

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        partner = caller_partner(self.request)
        templates = list(services.usable_templates(partner=partner).select_related("sender"))
        fixed_links = shortlinks.template_short_links(partner=partner, templates=templates)
        template_data = {
            str(t.pk): {
                "text": t.text,
                "sender": t.sender.value if t.sender else "",
                "image_url": t.image_url,
                "button_caption": t.button_caption,
                "button_url": t.button_url,
                "purpose": t.purpose,
                "footer": t.footer,
                "header": t.header_text,
                "header_type": t.header_type,
                "header_url": t.header_url,
                "header_location": t.header_location,
                "buttons": [button.get("text", "") for button in t.buttons or []],
                "short_domain": str(t.short_domain_id or ""),
                "short_link": {"url": fixed_links[t.pk].url, "original": fixed_links[t.pk].original_url}
                if t.pk in fixed_links
                else None,
            }  # fmt: skip
            for t in templates
        }
        if "form" not in kwargs:
            kwargs["form"] = self.get_form()
        form = kwargs["form"]
        whatsapp = str(form["whatsapp_template"].value() or "")
        chosen = Channel.WHATSAPP in (form["channels"].value() or [])
        fixed_link = template_data.get(whatsapp, {}).get("short_link") if chosen else None
        if fixed_link and "short_domain" in form.fields:
            form.fields["short_domain"].widget.attrs["disabled"] = True  # not posted (the script keeps this up)
        return super().get_context_data(
            **variable_context(partner),
            template_data=template_data,
            short_links=short_link_data(partner, self.campaign.short_link if self.campaign is not None else None),
            whatsapp_short_link=fixed_link,
            **self.wizard_context(),
            **kwargs,
        )

    def form_valid(self, form: SetupForm) -> HttpResponse:
        partner, user = caller_partner(self.request), caller_user(self.request)
        name = (self.request.POST.get("name") or "").strip()
        fields: dict[str, Any] = {
            "steps": form.steps(self.campaign.steps if self.campaign else None),
            "accept_mo": bool(form.cleaned_data.get("accept_mo")),
            "placeholders": form.cleaned_data["placeholders"],
        }
        if name:
            fields["name"] = name
        try:
            with transaction.atomic():
                if self.campaign is None:
                    campaign = services.campaign_create(partner=partner, by=user, **fields)
                else:
                    campaign = services.campaign_update(campaign=self.campaign, by=user, **fields)
                if "short_domain" in form.fields:
                    shortlinks.campaign_set_short_link(
                        campaign=campaign, domain=form.cleaned_data.get("short_domain"), by=user
                    )
                if "save_template" in self.request.POST:
                    self._save_template(form, campaign)
        except ValidationError as error:
            _errors(self.request, error, form)
            return self.form_invalid(form)
        if "save_template" in self.request.POST:
            return redirect("campaigns:setup", pk=campaign.pk)
        return self.next_stage(campaign, "recipients")

    def _save_template(self, form: SetupForm, campaign: Campaign) -> None:
        name = form.cleaned_data.get("save_as", "").strip()
        step = next((s for s in campaign.steps if s["channel"] != Channel.WHATSAPP), None)
        if step is None or not name:
            raise ValidationError({"save_as": _("Give the template a name (SMS or Viber content is saved).")})
        sender = (
            active_sender_ids(partner=campaign.partner, channel=step["channel"]).filter(value=step["sender"]).first()
        )
        template = MessageTemplate(
            partner=campaign.partner,
            name=name,
            channel=step["channel"],
            sender=sender,
            text=step.get("text", ""),
            flash=step.get("flash", False),
            image_url=step.get("image_url", ""),
            button_caption=step.get("button_caption", ""),
            button_url=step.get("button_url", ""),
            purpose=step.get("purpose", ""),
            short_domain=campaign.short_link.domain
            if campaign.short_link and find_link(step.get("text", ""))
            else None,
        )
        services.template_save(template=template, by=caller_user(self.request))
        messages.success(self.request, _("The template “%(name)s” is saved.") % {"name": name})
