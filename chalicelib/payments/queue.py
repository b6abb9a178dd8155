"""The payment events queue: where a verified webhook stores its event durably.

The only module of the payments domain that sends to SQS (through chalicelib.sqs, whose
client and queue URLs are built on first use).
"""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib import sqs
from chalicelib.errors import Unavailable
from chalicelib.payments.models import PaymentEvent
from chalicelib.settings import get_settings


def publish(event: PaymentEvent) -> None:
    """Send the event; Unavailable (503) if SQS does not take it, so the provider retries."""
    try:
        sqs.send(get_settings().payment_events_queue, event.model_dump_json(),
                 {"provider": event.provider, "type": event.type})
    except (BotoCoreError, ClientError) as exc:
        raise Unavailable("The payment event could not be stored; retry later.") from exc
