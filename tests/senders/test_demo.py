from __future__ import annotations

from senders import demo as sender_demo
from senders.models import SenderID, SenderIDRequest
from tenancy import approvals
from tenancy import demo as tenancy_demo


def test_demo_sender_ids_are_seeded_once(db: None) -> None:
    tenants = tenancy_demo.seed()
    sender_demo.seed(tenants)
    sender_demo.seed(tenancy_demo.seed())
    senders = {(s.value, s.channel): s.status for s in SenderID.objects.for_partner(tenants.end_user)}
    assert senders == {
        ("DemoSMS", "sms"): SenderID.Status.ENABLED,
        ("DemoViber", "viber"): SenderID.Status.ENABLED,
        ("DemoWA", "whatsapp"): SenderID.Status.ENABLED,
        ("DemoPromo", "sms"): SenderID.Status.WAITING,
    }
    assert SenderIDRequest.objects.count() == 4
    waiting = approvals.approval_queue(partner=tenants.reseller, kind="sender_id")
    assert [approval.title for approval in waiting] == ["SMS: DemoPromo"]
