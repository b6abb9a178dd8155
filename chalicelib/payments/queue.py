"""The payment events queue: where a verified webhook stores its event durably.

The only module of the payments domain that knows boto3. The client and the queue's URL
are built on first use and cached (moto must be active before a client exists; a cold
start pays only for what it uses). AWS_ENDPOINT_URL(_SQS) picks the endpoint.
"""

from __future__ import annotations

from functools import lru_cache

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.errors import Unavailable
from chalicelib.payments.models import PaymentEvent
from chalicelib.settings import get_settings


@lru_cache(maxsize=1)
def client():
    return boto3.client(
        "sqs", config=Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=3, read_timeout=10)
    )


@lru_cache(maxsize=4)
def queue_url(name: str) -> str:
    return client().get_queue_url(QueueName=name)["QueueUrl"]


def publish(event: PaymentEvent) -> None:
    """Send the event; Unavailable (503) if SQS does not take it, so the provider retries."""
    try:
        client().send_message(
            QueueUrl=queue_url(get_settings().payment_events_queue),
            MessageBody=event.model_dump_json(),
            MessageAttributes={
                "provider": {"DataType": "String", "StringValue": event.provider},
                "type": {"DataType": "String", "StringValue": event.type},
            },
        )
    except (BotoCoreError, ClientError) as exc:
        raise Unavailable("The payment event could not be stored; retry later.") from exc
