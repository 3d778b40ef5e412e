"""Every write of the campaigns app: templates, campaigns and their lifecycle, premoderation.

Lifecycle (DESIGN.md §6): DRAFT → ``campaign_launch`` → WAITING (premoderation) / SCHEDULED / IN_PROGRESS →
``campaign_expand`` (campaigns/expansion.py) streams the recipients into the messaging engine → COMPLETED
(``campaigns_check_completed``) or FAILED. Every transition is a conditional update, so a repeated task or click
changes nothing twice.

The modules: ``texts`` (estimate and filling of texts), ``templates`` (message templates), ``drafts`` (create,
change, repeat), ``files`` (Campaign from File), ``contents`` (the checked cascade), ``estimate``, ``launch``
(with premoderation) and ``lifecycle`` (the status changes after it).
"""

from campaigns.services.contents import campaign_contents
from campaigns.services.drafts import (
    FIELDS,
    STEP_KEYS,
    campaign_copy,
    campaign_create,
    campaign_rename,
    campaign_update,
    clean_step,
    default_name,
    order_steps,
)
from campaigns.services.estimate import Destination, Estimate, campaign_estimate
from campaigns.services.files import campaign_set_file, check_mapping, file_preview, guess_mapping, split_digits
from campaigns.services.launch import CampaignApprovalHandler, campaign_launch
from campaigns.services.lifecycle import (
    campaign_cancel,
    campaign_delete,
    campaign_pause,
    campaign_resume,
    campaign_start_now,
    campaigns_check_completed,
    campaigns_stalled,
    campaigns_start_due,
    group_use_reason,
    messaging_counters,
)
from campaigns.services.templates import (
    BUTTON_TYPES,
    TemplateApprovalHandler,
    template_delete,
    template_save,
    usable_templates,
)
from campaigns.services.texts import (
    ALIASES,
    VARIABLE_WIDTH,
    MissingValue,
    estimate_parts,
    estimate_text,
    parse_emails,
    render,
    split_numbers,
)

__all__ = [
    "ALIASES",
    "BUTTON_TYPES",
    "FIELDS",
    "STEP_KEYS",
    "VARIABLE_WIDTH",
    "CampaignApprovalHandler",
    "Destination",
    "Estimate",
    "MissingValue",
    "TemplateApprovalHandler",
    "campaign_cancel",
    "campaign_contents",
    "campaign_copy",
    "campaign_create",
    "campaign_delete",
    "campaign_estimate",
    "campaign_launch",
    "campaign_pause",
    "campaign_rename",
    "campaign_resume",
    "campaign_set_file",
    "campaign_start_now",
    "campaign_update",
    "campaigns_check_completed",
    "campaigns_stalled",
    "campaigns_start_due",
    "check_mapping",
    "clean_step",
    "default_name",
    "estimate_parts",
    "estimate_text",
    "file_preview",
    "group_use_reason",
    "guess_mapping",
    "messaging_counters",
    "order_steps",
    "parse_emails",
    "render",
    "split_digits",
    "split_numbers",
    "template_delete",
    "template_save",
    "usable_templates",
]
