"""Deliver SQS messages and scheduled events to a Chalice app's handlers, as Lambda would.

`chalice local` serves HTTP routes only; without this pump nothing would consume the
queues or run the schedules locally. The pump finds the app's `on_sqs_message` and
`schedule` handlers in `app.event_sources` and calls them through `app.handler_map`, the
name -> wrapped handler table that `chalice.test.Client` uses too: the wrapped handler is
the object Lambda calls, so middleware and the event classes apply as on AWS.

SQS delivery follows Lambda's event source mapping:
- a batch holds up to `batch_size` messages, at most 10 (one ReceiveMessage; Lambda's
  batching window is not emulated);
- a handler that returns `{"batchItemFailures": [{"itemIdentifier": id}, ...]}` keeps
  those messages and the rest are deleted; an unknown identifier fails the whole batch.
  On AWS this needs `ReportBatchItemFailures` on the event source mapping, which Chalice
  cannot set: without it Lambda deletes the whole batch;
- a handler that raises keeps the whole batch: the messages come back after the
  visibility timeout and, after `maxReceiveCount` receives, the endpoint moves them to
  the dead-letter queue;
- otherwise the whole batch is deleted.

Schedules: `rate(N unit)` fires every N units divided by MALL_SCHEDULE_SPEEDUP (a float,
default 1), first one interval after the pump starts, as EventBridge does. A late firing
is not repeated to catch up. Cron expressions are approximated by an hourly firing.

Handler exceptions are logged and never stop the pump. dev.stack runs it as a child
process, `python -m dev.pump --project-dir . --stage dev`, with the stage's environment.
"""

from __future__ import annotations

import argparse
import base64
import importlib
import logging
import os
import re
import signal
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import boto3
from chalice.app import Chalice, ScheduledEventConfig, ScheduleExpression, SQSEventConfig

log = logging.getLogger(__name__)

SPEEDUP_ENV = "MALL_SCHEDULE_SPEEDUP"
LOCAL_ACCOUNT_ID = "123456789012"  # moto's account; only decorates schedule events and ARNs
LAMBDA_TIMEOUT_SECONDS = 60  # Chalice's default lambda_timeout
LAMBDA_MEMORY_MB = 128  # Chalice's default lambda_memory_size
CRON_APPROXIMATION_SECONDS = 3600.0
_RATE = re.compile(r"rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


@dataclass
class LambdaContext:
    """The parts of Lambda's context object that handlers and Powertools read."""

    function_name: str
    invoked_function_arn: str
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    memory_limit_in_mb: int = LAMBDA_MEMORY_MB
    function_version: str = "$LATEST"
    deadline: float = field(default_factory=lambda: time.monotonic() + LAMBDA_TIMEOUT_SECONDS)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


def schedule_interval(expression: str | ScheduleExpression) -> float:
    """Seconds between firings of a schedule expression (cron: hourly, approximately)."""
    text = _expression_text(expression)
    if text.startswith("cron("):
        return CRON_APPROXIMATION_SECONDS
    match = _RATE.fullmatch(text.strip())
    if not match:
        raise ValueError(f"unsupported schedule expression {text!r}")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2).rstrip("s")]


def _expression_text(expression: str | ScheduleExpression) -> str:
    return expression.to_string() if isinstance(expression, ScheduleExpression) else expression


def sqs_event(messages: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    """The event Lambda builds from ReceiveMessage results."""
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message.get("Attributes", {}),
                "messageAttributes": {
                    name: _lambda_message_attribute(value)
                    for name, value in message.get("MessageAttributes", {}).items()
                },
                "md5OfBody": message["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for message in messages
        ]
    }


def scheduled_event(rule_arn: str, region: str, account: str = LOCAL_ACCOUNT_ID) -> dict[str, Any]:
    """The event EventBridge sends to a scheduled rule's target."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [rule_arn],
        "detail": {},
    }


def _lambda_message_attribute(value: dict[str, Any]) -> dict[str, Any]:
    """SQS API attribute (StringValue, BinaryValue bytes) -> Lambda's (stringValue, base64)."""
    converted: dict[str, Any] = {
        "stringListValues": value.get("StringListValues", []),
        "binaryListValues": [_b64(item) for item in value.get("BinaryListValues", [])],
        "dataType": value["DataType"],
    }
    if "StringValue" in value:
        converted["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        converted["binaryValue"] = _b64(value["BinaryValue"])
    return converted


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@dataclass
class _Queue:
    url: str
    arn: str


@dataclass
class _Schedule:
    config: ScheduledEventConfig
    interval: float
    next_due: float


class EventPump:
    """Feeds one Chalice app's SQS and schedule handlers until `stop_event` is set."""

    def __init__(
        self,
        app: Chalice,
        stop_event: threading.Event | None = None,
        *,
        sqs: Any = None,
        stage: str = "dev",
        wait_time_seconds: int = 1,
        speedup: float | None = None,
    ) -> None:
        self.app = app
        self.stop_event = stop_event or threading.Event()
        self.stage = stage
        self.wait_time_seconds = wait_time_seconds
        self._sqs = sqs
        self._queues: dict[str, _Queue] = {}
        self._missing_logged: set[str] = set()
        if speedup is None:
            speedup = float(os.environ.get(SPEEDUP_ENV, "1"))
        if speedup <= 0:
            raise ValueError(f"{SPEEDUP_ENV} must be positive, not {speedup}")
        self.sqs_sources = [s for s in app.event_sources if isinstance(s, SQSEventConfig)]
        now = time.monotonic()
        self._schedules: list[_Schedule] = []
        for config in app.event_sources:
            if isinstance(config, ScheduledEventConfig):
                interval = schedule_interval(config.schedule_expression) / speedup
                self._schedules.append(_Schedule(config, interval, now + interval))
                self._describe_schedule(config, interval)

    @property
    def sqs(self) -> Any:
        if self._sqs is None:
            self._sqs = boto3.client("sqs")
        return self._sqs

    @property
    def region(self) -> str:
        return self.sqs.meta.region_name

    def run_once(self, wait_time_seconds: int = 0) -> int:
        """One receive for every queue, then every due schedule; returns invocations."""
        invocations = sum(
            1 for source in self.sqs_sources if self.poll_queue(source, wait_time_seconds)
        )
        return invocations + self.fire_due_schedules()

    def run_forever(self) -> None:
        """One consumer thread per queue (Lambda runs them concurrently too); schedules
        fire from the calling thread. Returns when `stop_event` is set."""
        consumers = [
            threading.Thread(target=self._consume, args=(source,), name=f"pump-{source.name}")
            for source in self.sqs_sources
        ]
        for consumer in consumers:
            consumer.start()
        log.info("%d queue handler(s), %d schedule(s)", len(self.sqs_sources), len(self._schedules))
        while not self.stop_event.wait(self._seconds_to_next_schedule()):
            self.fire_due_schedules()
        for consumer in consumers:
            consumer.join()

    def poll_queue(self, source: SQSEventConfig, wait_time_seconds: int = 0) -> int:
        """Receive one batch and hand it to the handler; returns the messages delivered."""
        queue = self._queue(source)
        if queue is None:
            return 0
        messages = self.sqs.receive_message(
            QueueUrl=queue.url,
            MaxNumberOfMessages=min(source.batch_size, 10),
            WaitTimeSeconds=wait_time_seconds,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if messages:
            self._deliver(source, queue, messages)
        return len(messages)

    def fire_due_schedules(self) -> int:
        now = time.monotonic()
        fired = 0
        for schedule in self._schedules:
            if schedule.next_due <= now:
                schedule.next_due = now + schedule.interval
                self._fire(schedule.config)
                fired += 1
        return fired

    def _consume(self, source: SQSEventConfig) -> None:
        while not self.stop_event.is_set():
            try:
                if self._queue(source) is None:
                    self.stop_event.wait(1)
                else:
                    self.poll_queue(source, self.wait_time_seconds)
            except Exception as error:  # the endpoint may be restarting; keep trying
                log.warning("sqs %s: %s", self._queue_name(source), error)
                self.stop_event.wait(1)

    def _deliver(
        self, source: SQSEventConfig, queue: _Queue, messages: list[dict[str, Any]]
    ) -> None:
        name = self._queue_name(source)
        ids = [message["MessageId"] for message in messages]
        started = time.monotonic()
        try:
            result = self._invoke(source.name, sqs_event(messages, queue.arn, self.region))
        except Exception:
            log.exception(
                "sqs %s -> %s raised: %d message(s) stay on the queue", name, source.name, len(ids)
            )
            return
        failed = _failed_ids(result, ids)
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:  # a batch holds at most 10 messages, as one DeleteMessageBatch does
            self.sqs.delete_message_batch(
                QueueUrl=queue.url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": message["ReceiptHandle"]}
                    for i, message in enumerate(done)
                ],
            )
        log.info(
            "sqs %s -> %s: %d message(s), %d deleted, %d kept (%.0f ms)",
            name,
            source.name,
            len(ids),
            len(done),
            len(failed),
            (time.monotonic() - started) * 1000,
        )

    def _fire(self, config: ScheduledEventConfig) -> None:
        started = time.monotonic()
        rule = self._function_name(config.name)
        rule_arn = f"arn:aws:events:{self.region}:{LOCAL_ACCOUNT_ID}:rule/{rule}"
        try:
            self._invoke(config.name, scheduled_event(rule_arn, self.region))
        except Exception:
            log.exception("schedule -> %s raised", config.name)
            return
        log.info("schedule -> %s (%.0f ms)", config.name, (time.monotonic() - started) * 1000)

    def _invoke(self, name: str, event: dict[str, Any]) -> Any:
        function_name = self._function_name(name)
        context = LambdaContext(
            function_name=function_name,
            invoked_function_arn=(
                f"arn:aws:lambda:{self.region}:{LOCAL_ACCOUNT_ID}:function:{function_name}"
            ),
        )
        return self.app.handler_map[name](event, context)

    def _function_name(self, handler_name: str) -> str:
        """Chalice names a handler's Lambda function `{app}-{stage}-{handler}`."""
        return f"{self.app.app_name}-{self.stage}-{handler_name}"

    def _queue(self, source: SQSEventConfig) -> _Queue | None:
        name = self._queue_name(source)
        if name not in self._queues:
            try:
                url = self.sqs.get_queue_url(QueueName=name)["QueueUrl"]
            except self.sqs.exceptions.QueueDoesNotExist:
                if name not in self._missing_logged:
                    self._missing_logged.add(name)
                    log.warning("sqs %s: queue does not exist yet; waiting for it", name)
                return None
            arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
            self._queues[name] = _Queue(url, arn["Attributes"]["QueueArn"])
        return self._queues[name]

    @staticmethod
    def _queue_name(source: SQSEventConfig) -> str:
        return source.queue or (source.queue_arn or "").rsplit(":", 1)[-1]

    def _seconds_to_next_schedule(self) -> float:
        if not self._schedules:
            return 1.0
        due = min(schedule.next_due for schedule in self._schedules)
        return min(1.0, max(0.0, due - time.monotonic()))

    def _describe_schedule(self, config: ScheduledEventConfig, interval: float) -> None:
        text = _expression_text(config.schedule_expression)
        note = " (cron approximated as hourly)" if text.startswith("cron(") else ""
        log.info("schedule %s: %s -> every %.3g s%s", config.name, text, interval, note)


def _failed_ids(result: Any, ids: list[str]) -> set[str]:
    """Message ids a partial batch response reports as failed."""
    if not isinstance(result, dict) or "batchItemFailures" not in result:
        return set()
    failed = {item.get("itemIdentifier") for item in result["batchItemFailures"] or []}
    if not failed <= set(ids):
        log.warning("batchItemFailures names unknown ids %s: whole batch failed", failed - set(ids))
        return set(ids)
    return failed


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Feed a Chalice app's SQS and schedule handlers.")
    parser.add_argument("--project-dir", type=Path, default=Path.cwd())
    parser.add_argument("--stage", default="dev")
    args = parser.parse_args(argv)
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="pump: %(message)s")
    logging.getLogger("botocore").setLevel(logging.WARNING)

    project_dir = str(args.project_dir.resolve())
    sys.path.insert(0, project_dir)
    os.chdir(project_dir)  # Lambda runs handlers from the code root, as chalice local does
    app = importlib.import_module("app").app

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    EventPump(app, stop, stage=args.stage).run_forever()


if __name__ == "__main__":
    main()
