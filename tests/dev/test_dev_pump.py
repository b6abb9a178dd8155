"""dev.pump delivers SQS batches and scheduled events to a Chalice app as Lambda would."""

from __future__ import annotations

import threading
import time

import boto3
import pytest
from chalice import Chalice, Cron, Rate

from dev.moto_server import SerializedMotoServer
from dev.pump import EventPump, schedule_interval


@pytest.fixture(scope="module")
def server():
    with SerializedMotoServer() as server:
        yield server


@pytest.fixture
def sqs(server, monkeypatch):
    server.reset()
    monkeypatch.setenv("AWS_ENDPOINT_URL", server.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("MALL_SCHEDULE_SPEEDUP", raising=False)
    return boto3.client("sqs")


def _counts(sqs, url: str) -> tuple[int, int]:
    """(visible, in flight) messages."""
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return (
        int(attributes["ApproximateNumberOfMessages"]),
        int(attributes["ApproximateNumberOfMessagesNotVisible"]),
    )


def _partial_failure_app(calls: list) -> Chalice:
    app = Chalice(app_name="pumptest")

    @app.on_sqs_message(queue="work", batch_size=10)
    def work(event):
        calls.append((event.to_dict(), event.context))
        return {
            "batchItemFailures": [
                {"itemIdentifier": record.to_dict()["messageId"]}
                for record in event
                if "fail" in record.body
            ]
        }

    return app


def test_partial_batch_failure_keeps_only_the_failed_messages(sqs):
    url = sqs.create_queue(QueueName="work", Attributes={"VisibilityTimeout": "1"})["QueueUrl"]
    for body in ("ok-1", "fail-1", "ok-2", "fail-2", "ok-3"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    calls: list = []
    pump = EventPump(_partial_failure_app(calls))

    assert pump.run_once() == 1

    [(event, _)] = calls
    bodies = sorted(record["body"] for record in event["Records"])
    assert bodies == ["fail-1", "fail-2", "ok-1", "ok-2", "ok-3"]
    assert _counts(sqs, url) == (0, 2)
    time.sleep(1.2)  # the visibility timeout
    again = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    assert sorted(m["Body"] for m in again["Messages"]) == ["fail-1", "fail-2"]


def test_event_and_context_have_lambdas_shape(sqs):
    url = sqs.create_queue(QueueName="work")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    sqs.send_message(
        QueueUrl=url,
        MessageBody="ok",
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "coupon"}},
    )
    calls: list = []

    EventPump(_partial_failure_app(calls)).run_once()

    [(event, context)] = calls
    [record] = event["Records"]
    assert record["body"] == "ok"
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == arn["QueueArn"]
    assert record["awsRegion"] == "us-east-1"
    assert record["md5OfBody"] and record["receiptHandle"] and record["messageId"]
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert "SentTimestamp" in record["attributes"]
    assert record["messageAttributes"] == {
        "kind": {
            "stringValue": "coupon",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "String",
        }
    }
    assert context.function_name == "pumptest-dev-work"
    assert context.invoked_function_arn.endswith(":function:pumptest-dev-work")
    assert context.aws_request_id and context.memory_limit_in_mb == 128
    assert 0 < context.get_remaining_time_in_millis() <= 60_000
    assert _counts(sqs, url) == (0, 0)


def test_raising_handler_deletes_nothing_and_redrive_applies(sqs):
    dlq_url = sqs.create_queue(QueueName="boom-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])
    url = sqs.create_queue(
        QueueName="boom",
        Attributes={
            "VisibilityTimeout": "0",
            "RedrivePolicy": (
                f'{{"deadLetterTargetArn": "{dlq_arn["Attributes"]["QueueArn"]}", '
                '"maxReceiveCount": 2}'
            ),
        },
    )["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="a")
    sqs.send_message(QueueUrl=url, MessageBody="b")
    app = Chalice(app_name="pumptest")
    attempts: list[int] = []

    @app.on_sqs_message(queue="boom", batch_size=10)
    def boom(event):
        attempts.append(len(list(event)))
        raise RuntimeError("handler failed")

    pump = EventPump(app)
    pump.run_once()
    assert attempts == [2]
    assert sum(_counts(sqs, url)) == 2  # nothing deleted

    pump.run_once()
    pump.run_once()  # third receive: past maxReceiveCount, the endpoint moves them
    assert attempts == [2, 2]
    assert sum(_counts(sqs, url)) == 0
    assert _counts(sqs, dlq_url)[0] == 2


def test_schedule_fires_when_due_with_speedup(sqs, monkeypatch):
    monkeypatch.setenv("MALL_SCHEDULE_SPEEDUP", "600")  # rate(1 minute) -> every 0.1 s
    app = Chalice(app_name="pumptest")
    events: list = []

    @app.schedule("rate(1 minute)")
    def tick(event):
        events.append(event.to_dict())

    @app.schedule(Rate(1, unit=Rate.HOURS))
    def hourly(event):
        raise AssertionError("not due yet")

    pump = EventPump(app)
    assert pump.run_once() == 0  # first firing one interval after start, as on AWS
    time.sleep(0.15)
    assert pump.run_once() == 1

    [event] = events
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["detail"] == {}
    assert event["region"] == "us-east-1"
    assert event["time"].endswith("Z")
    assert event["resources"][0].endswith(":rule/pumptest-dev-tick")


def test_failing_schedule_does_not_stop_the_pump(sqs):
    app = Chalice(app_name="pumptest")

    @app.schedule("rate(1 minute)")
    def broken(event):
        raise RuntimeError("broken")

    pump = EventPump(app, speedup=6000)
    time.sleep(0.02)
    assert pump.run_once() == 1


def test_run_forever_waits_for_the_queue_and_stops(sqs):
    calls: list = []
    stop = threading.Event()
    pump = EventPump(_partial_failure_app(calls), stop, wait_time_seconds=1)
    runner = threading.Thread(target=pump.run_forever)
    runner.start()
    try:
        time.sleep(0.3)  # the pump starts before the queue exists
        url = sqs.create_queue(QueueName="work")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="ok")
        deadline = time.monotonic() + 10
        while not calls and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
        runner.join(10)
    assert not runner.is_alive()
    assert [r["body"] for r in calls[0][0]["Records"]] == ["ok"]


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [
        ("rate(1 minute)", 60),
        ("rate(5 minutes)", 300),
        ("rate(1 hour)", 3600),
        ("rate(2 days)", 172800),
        (Rate(10, unit=Rate.MINUTES), 600),
        ("cron(0 3 * * ? *)", 3600),
        (Cron(0, 3, "*", "*", "?", "*"), 3600),
    ],
)
def test_schedule_interval(expression, seconds):
    assert schedule_interval(expression) == seconds


def test_schedule_interval_rejects_nonsense():
    with pytest.raises(ValueError, match="unsupported"):
        schedule_interval("every tuesday")
