"""The payment events consumer: partial batch failures, and a poison message's way to the DLQ."""

from __future__ import annotations

import json
from datetime import timedelta

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from chalicelib.rebates import accounts, settlement
from tests.payment_helpers import (
    NOW,
    live_rule,
    payment_event,
    queue_url,
    refund_event,
    sqs_event,
)


def test_failed_records_are_reported_and_the_others_settle(api):
    live_rule(ratio_bp=500)
    bodies = [
        payment_event("pay_1", 10000).model_dump_json(),
        "not an event",                                                        # poison
        refund_event("r1", payment_id="unknown", amount=5).model_dump_json(),  # its payment is not here yet
        payment_event("pay_2", 20000).model_dump_json(),
    ]
    result = api.client.lambda_.invoke("payment_events", sqs_event(bodies)).payload
    assert result == {"batchItemFailures": [{"itemIdentifier": "m-1"}, {"itemIdentifier": "m-2"}]}
    assert accounts.get_account("alice").balance == 500 + 1000


def test_a_batch_whose_records_all_fail_fails_as_a_whole(api):
    """The invocation raises, so even without ReportBatchItemFailures nothing is deleted."""
    with pytest.raises(BatchProcessingError):
        api.client.lambda_.invoke("payment_events", sqs_event(["poison"]))


def _counts(sqs, url):
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def test_a_poison_message_ends_in_the_dlq_without_holding_back_its_batch(served_aws):
    from app import app
    from dev.pump import EventPump

    live_rule(ratio_bp=500)
    sqs, url, dlq = boto3.client("sqs"), queue_url(), queue_url("mall-test-payment-events-dlq")
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "0"})  # redeliver at once
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"provider": "generic", "type": "payment"}))
    sqs.send_message(QueueUrl=url, MessageBody=payment_event("pay_1", 10000).model_dump_json())
    pump = EventPump(app, stage="test")

    deliveries = 0
    while _counts(sqs, dlq) == 0 and deliveries < 10:
        deliveries += pump.run_once()
    assert accounts.get_account("alice").balance == 500                  # settled on its first delivery
    assert (_counts(sqs, url), _counts(sqs, dlq)) == (0, 1)
    [moved] = sqs.receive_message(QueueUrl=dlq)["Messages"]
    assert json.loads(moved["Body"]) == {"provider": "generic", "type": "payment"}
    assert deliveries == 5  # the poison was handed over maxReceiveCount (infra/resources.json) times


def test_the_instalment_schedule_handler_releases_as_of_the_event_time(api):
    """Through the app's handler with the context dev/pump.py gives (Chalice's 60 s timeout;
    chalice.test's own context leaves 3 s, less than a job's safety margin)."""
    from app import app
    from dev.pump import LambdaContext

    live_rule(kind="full_return", ratio_bp=None, installments=2, period_days=10)
    settlement.process(payment_event("pay_1", 1000), NOW)
    event = {"version": "0", "id": "e", "detail-type": "Scheduled Event", "source": "aws.events",
             "account": "123456789012", "region": "us-east-1", "resources": ["arn:rule"], "detail": {},
             "time": (NOW + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%SZ")}
    for _ in range(2):  # a redelivered firing releases nothing twice
        app.handler_map["release_instalments"](event, LambdaContext("release_instalments", "arn:aws:lambda:local"))
    assert accounts.get_account("alice").balance == 500
