"""Expiry reminders: the event a notifier (SMS, push, WeChat template message) consumes.

One message per coupon on the reminders queue (REMINDERS_QUEUE), sent by the reminder sweep
(sweeps.remind_due) at most once per coupon. `reminder_id` is the coupon id, so a notifier
that also keeps what it sent can drop a duplicate should one ever reach it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from chalicelib import sqs
from chalicelib.coupons.models import Kind
from chalicelib.settings import get_settings


class CouponReminder(BaseModel):
    model_config = ConfigDict(defer_build=True)

    type: Literal["coupon.expiring"] = "coupon.expiring"
    reminder_id: str
    user_id: str
    coupon_id: str
    template_id: str
    name: str
    kind: Kind
    value: int
    balance: int | None = None
    status: Literal["unused", "locked"]
    valid_until: datetime
    reminded_at: datetime


def message(item: dict[str, Any], now: datetime) -> CouponReminder:
    """The reminder of a stored coupon item (as the reminder index returns it)."""
    return CouponReminder(
        reminder_id=item["id"], user_id=item["user_id"], coupon_id=item["id"], template_id=item["template_id"],
        name=item["name"], kind=item["kind"], value=item["value"], balance=item.get("balance"),
        status=item["status"], valid_until=item["valid_until"], reminded_at=now,
    )


def publish(reminder: CouponReminder) -> None:
    """Send one reminder; botocore errors propagate (the sweep takes its mark back)."""
    sqs.send(get_settings().reminders_queue, reminder.model_dump_json(),
             {"type": reminder.type, "kind": reminder.kind})
