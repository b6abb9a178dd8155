"""The serialized moto server: one request at a time, so races behave as on DynamoDB."""

from __future__ import annotations

import threading
import time

import boto3
import pytest
from botocore.config import Config

from dev.moto_server import SerializedMotoServer

THREADS = 200
STOCK = 100


@pytest.fixture(scope="module")
def server():
    with SerializedMotoServer() as server:
        yield server


@pytest.fixture
def served_env(server, monkeypatch):
    """Point boto3 at the server through the environment, as the stack does."""
    server.reset()
    monkeypatch.setenv("AWS_ENDPOINT_URL", server.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return server


def test_concurrent_conditional_decrements_never_oversell(served_env):
    # No retries: a retried UpdateItem could apply twice and blur the count.
    config = Config(
        max_pool_connections=THREADS, retries={"total_max_attempts": 1}, read_timeout=60
    )
    dynamodb = boto3.client("dynamodb", config=config)
    dynamodb.create_table(
        TableName="stock",
        AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.put_item(TableName="stock", Item={"PK": {"S": "sku"}, "stock": {"N": str(STOCK)}})
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []

    def decrement() -> None:
        barrier.wait()
        try:
            dynamodb.update_item(
                TableName="stock",
                Key={"PK": {"S": "sku"}},
                UpdateExpression="SET stock = stock - :one",
                ConditionExpression="stock > :zero",
                ExpressionAttributeValues={":one": {"N": "1"}, ":zero": {"N": "0"}},
            )
            outcomes.append("ok")
        except dynamodb.exceptions.ConditionalCheckFailedException:
            outcomes.append("sold out")

    threads = [threading.Thread(target=decrement) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(outcomes) == THREADS
    assert outcomes.count("ok") == STOCK
    item = dynamodb.get_item(TableName="stock", Key={"PK": {"S": "sku"}}, ConsistentRead=True)
    assert item["Item"]["stock"] == {"N": "0"}


def test_long_poll_does_not_block_other_requests(served_env):
    sqs = boto3.client("sqs")
    dynamodb = boto3.client("dynamodb")
    url = sqs.create_queue(QueueName="waiting")["QueueUrl"]
    received: list[dict] = []
    poller = threading.Thread(
        target=lambda: received.extend(
            sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5).get("Messages", [])
        )
    )
    started = time.monotonic()
    poller.start()
    time.sleep(0.2)
    dynamodb.list_tables()
    sqs.send_message(QueueUrl=url, MessageBody="hello")
    poller.join()

    assert [m["Body"] for m in received] == ["hello"]
    assert time.monotonic() - started < 3


def test_long_poll_waits_when_the_queue_stays_empty(served_env):
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="empty")["QueueUrl"]
    started = time.monotonic()
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)
    assert time.monotonic() - started >= 1


def test_reset_drops_everything(served_env, server):
    sqs = boto3.client("sqs")
    sqs.create_queue(QueueName="doomed")
    server.reset()
    assert sqs.list_queues().get("QueueUrls", []) == []


def test_the_server_keeps_no_copy_of_items_or_messages_it_no_longer_holds(served_env):
    """moto tracks every model object it makes (for its dashboard) unless told not to; each
    transaction deep-copies its tables for rollback, so tracked copies grew the server by
    hundreds of MB a day (dev/moto_server.stop_tracking)."""
    from moto.dynamodb.models.dynamo_type import Item
    from moto.sqs.models import Message

    dynamodb, sqs = boto3.client("dynamodb"), boto3.client("sqs")
    dynamodb.create_table(
        TableName="kept", AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")
    for i in range(20):
        dynamodb.transact_write_items(TransactItems=[
            {"Put": {"TableName": "kept", "Item": {"PK": {"S": f"item{i}"}}}},
            {"Update": {"TableName": "kept", "Key": {"PK": {"S": "counter"}}, "UpdateExpression": "ADD n :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}}}}])
    queue = sqs.create_queue(QueueName="kept")["QueueUrl"]
    for i in range(5):
        sqs.send_message(QueueUrl=queue, MessageBody=str(i))
    assert dynamodb.scan(TableName="kept", Select="COUNT")["Count"] == 21
    assert Item.instances_tracked == [] and Message.instances_tracked == []
