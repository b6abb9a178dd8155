"""dev.bootstrap creates the tables and queues of a definitions file, once."""

from __future__ import annotations

import json

import boto3
import pytest

from dev.bootstrap import (
    DefinitionError,
    bootstrap,
    creation_order,
    load_definitions,
    physical_names,
)
from dev.moto_server import SerializedMotoServer
from dev.stack import PROJECT_ROOT, stage_environment

ENV = {"TABLE_NAME": "shop-test", "JOBS_QUEUE": "jobs-test", "JOBS_DLQ": "jobs-test-dlq"}


def _index(name: str) -> dict:
    return {
        "IndexName": name,
        "KeySchema": [
            {"AttributeName": f"{name}PK", "KeyType": "HASH"},
            {"AttributeName": f"{name}SK", "KeyType": "RANGE"},
        ],
        "Projection": {"ProjectionType": "ALL"},
    }


DEFINITIONS = {
    "Resources": {
        # Listed before its dead-letter queue: creation must follow the reference.
        "JobsQueue": {
            "Type": "AWS::SQS::Queue",
            "Metadata": {"mall:name-env": "JOBS_QUEUE"},
            "Properties": {
                "VisibilityTimeout": 360,
                "MessageRetentionPeriod": 86400,
                "RedrivePolicy": {
                    "deadLetterTargetArn": {"Fn::GetAtt": ["JobsDlq", "Arn"]},
                    "maxReceiveCount": 5,
                },
                "Tags": [{"Key": "app", "Value": "mall"}],
            },
        },
        "JobsDlq": {
            "Type": "AWS::SQS::Queue",
            "Metadata": {"mall:name-env": "JOBS_DLQ"},
            "Properties": {"MessageRetentionPeriod": 1209600},
        },
        "ShopTable": {
            "Type": "AWS::DynamoDB::Table",
            "Metadata": {"mall:name-env": "TABLE_NAME"},
            "Properties": {
                "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [
                    {"AttributeName": name, "AttributeType": "S"}
                    for name in ("PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK")
                ],
                "KeySchema": [
                    {"AttributeName": "PK", "KeyType": "HASH"},
                    {"AttributeName": "SK", "KeyType": "RANGE"},
                ],
                "GlobalSecondaryIndexes": [_index("GSI1"), _index("GSI2")],
                "StreamSpecification": {"StreamViewType": "NEW_AND_OLD_IMAGES"},
                "TimeToLiveSpecification": {"AttributeName": "ttl", "Enabled": True},
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                "SSESpecification": {"SSEEnabled": True},
            },
        },
        "Alarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": {}},
    }
}


@pytest.fixture(scope="module")
def server():
    with SerializedMotoServer() as server:
        yield server


@pytest.fixture
def served_env(server, monkeypatch):
    server.reset()
    monkeypatch.setenv("AWS_ENDPOINT_URL", server.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def definitions(tmp_path):
    path = tmp_path / "resources.json"
    path.write_text(json.dumps(DEFINITIONS))
    return load_definitions(path)


def test_creates_table_with_indexes_stream_and_ttl(served_env, definitions):
    changes = bootstrap(ENV, definitions)

    dynamodb = boto3.client("dynamodb")
    table = dynamodb.describe_table(TableName="shop-test")["Table"]
    assert [k["AttributeName"] for k in table["KeySchema"]] == ["PK", "SK"]
    assert sorted(i["IndexName"] for i in table["GlobalSecondaryIndexes"]) == ["GSI1", "GSI2"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    ttl = dynamodb.describe_time_to_live(TableName="shop-test")["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "ttl"}
    assert "created table shop-test (ShopTable)" in changes
    assert "enabled TTL on shop-test.ttl" in changes


def test_creates_queue_after_its_dead_letter_queue(served_env, definitions):
    bootstrap(ENV, definitions)

    sqs = boto3.client("sqs")
    dlq_url = sqs.get_queue_url(QueueName="jobs-test-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])
    url = sqs.get_queue_url(QueueName="jobs-test")["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["VisibilityTimeout"] == "360"
    assert attributes["MessageRetentionPeriod"] == "86400"
    assert json.loads(attributes["RedrivePolicy"]) == {
        "deadLetterTargetArn": dlq_arn["Attributes"]["QueueArn"],
        "maxReceiveCount": 5,
    }


def test_second_run_changes_nothing(served_env, definitions):
    assert len(bootstrap(ENV, definitions)) == 4
    dynamodb, sqs = boto3.client("dynamodb"), boto3.client("sqs")
    operations: list[str] = []
    for client in (dynamodb, sqs):
        client.meta.events.register(
            "before-call.*.*", lambda model, **_: operations.append(model.name)
        )

    assert bootstrap(ENV, definitions, dynamodb=dynamodb, sqs=sqs) == []
    assert operations  # it did look
    assert not [op for op in operations if op.startswith(("Create", "Update", "Delete"))]


def test_physical_names_map_to_logical_ids(definitions):
    assert physical_names(definitions, ENV) == {
        "shop-test": "ShopTable",
        "jobs-test": "JobsQueue",
        "jobs-test-dlq": "JobsDlq",
    }


def test_creation_order_follows_references(definitions):
    order = creation_order(definitions)
    assert order.index("JobsDlq") < order.index("JobsQueue")
    assert "Alarm" not in order


def test_missing_name_variable_is_a_clear_error(definitions):
    with pytest.raises(DefinitionError, match=r"ShopTable is named by \$TABLE_NAME"):
        physical_names(definitions, {k: v for k, v in ENV.items() if k != "TABLE_NAME"})


def test_untranslated_table_property_is_an_error(served_env, definitions):
    definitions["ShopTable"]["Properties"]["ImportSourceSpecification"] = {}
    with pytest.raises(DefinitionError, match="ImportSourceSpecification"):
        bootstrap(ENV, definitions)


def test_project_definitions_bootstrap_with_the_dev_stage_names(served_env):
    env = stage_environment(PROJECT_ROOT, "dev")
    definitions = load_definitions()

    bootstrap(env, definitions)

    dynamodb, sqs = boto3.client("dynamodb"), boto3.client("sqs")
    for name, logical_id in physical_names(definitions, env).items():
        if definitions[logical_id]["Type"] == "AWS::DynamoDB::Table":
            assert dynamodb.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE"
        else:
            assert sqs.get_queue_url(QueueName=name)["QueueUrl"]
