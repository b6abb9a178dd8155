"""The SQS client every sender shares (payment events, expiry reminders).

The client and each queue's URL are built on first use and cached: moto must be active
before a client exists, and a cold start pays only for what it uses. AWS_ENDPOINT_URL(_SQS)
picks the endpoint.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config


@lru_cache(maxsize=1)
def client() -> Any:  # botocore builds its client classes at run time: nothing to name
    return boto3.client(
        "sqs", config=Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=3, read_timeout=10)
    )


@lru_cache(maxsize=8)
def queue_url(name: str) -> str:
    url: str = client().get_queue_url(QueueName=name)["QueueUrl"]
    return url


def send(queue_name: str, body: str, attributes: dict[str, str]) -> None:
    """SendMessage with string message attributes; botocore errors propagate to the caller."""
    client().send_message(
        QueueUrl=queue_url(queue_name), MessageBody=body,
        MessageAttributes={k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()},
    )
