"""dev.stack end to end, on a tiny project of its own: moto, bootstrap, api and pump."""

from __future__ import annotations

import json
import socket
import textwrap
import time
import urllib.error
import urllib.request

import boto3
import pytest

from dev.defaults import LOCAL_DEFAULTS
from dev.stack import StackError, needs_moto, stack_environment, start_stack

APP = """
import os

import boto3
from chalice import Chalice

app = Chalice(app_name="stacktest")


@app.route("/health")
def health():
    return {"ok": True}


@app.route("/env")
def env():
    return {k: os.environ.get(k) for k in ("MALL_TABLE", "MALL_JWT_SECRET", "FROM_TEST")}


@app.on_sqs_message(queue="stacktest-jobs")
def job(event):
    table = boto3.resource("dynamodb").Table(os.environ["MALL_TABLE"])
    for record in event:
        table.put_item(Item={"PK": record.body})
"""

CONFIG = {
    "version": "2.0",
    "app_name": "stacktest",
    "stages": {
        "dev": {"environment_variables": {"MALL_TABLE": "stacktest", "JOBS": "stacktest-jobs"}}
    },
}

RESOURCES = {
    "Resources": {
        "Table": {
            "Type": "AWS::DynamoDB::Table",
            "Metadata": {"mall:name-env": "MALL_TABLE"},
            "Properties": {
                "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "PK", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "PK", "KeyType": "HASH"}],
            },
        },
        "Jobs": {
            "Type": "AWS::SQS::Queue",
            "Metadata": {"mall:name-env": "JOBS"},
            "Properties": {"VisibilityTimeout": 30},
        },
    }
}


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / ".chalice").mkdir()
    (tmp_path / ".chalice" / "config.json").write_text(json.dumps(CONFIG))
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "resources.json").write_text(json.dumps(RESOURCES))
    (tmp_path / "app.py").write_text(textwrap.dedent(APP))
    for name in (
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_DYNAMODB",
        "AWS_ENDPOINT_URL_SQS",
        "AWS_PROFILE",
        "MALL_JWT_SECRET",
        "MALL_TABLE",
    ):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def _get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


@pytest.mark.e2e
def test_stack_serves_the_api_and_pumps_the_queue(project, tmp_path_factory):
    log_dir = tmp_path_factory.mktemp("logs")
    with start_stack(
        project_dir=project, log_dir=log_dir, extra_env={"FROM_TEST": "yes", "MALL_TABLE": "no"}
    ) as stack:
        assert _get_json(f"{stack.api_url}/env") == {
            "MALL_TABLE": "stacktest",  # the stage's config wins, as under chalice local
            "MALL_JWT_SECRET": LOCAL_DEFAULTS["MALL_JWT_SECRET"],
            "FROM_TEST": "yes",
        }
        with pytest.raises(urllib.error.HTTPError) as unknown:
            urllib.request.urlopen(f"{stack.api_url}/no-such-route", timeout=5)
        assert (unknown.value.code, json.load(unknown.value)["error"]["code"]) == (404, "NOT_FOUND")
        clients = {
            "endpoint_url": stack.moto_url,
            "region_name": "us-east-1",
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
        }
        sqs = boto3.client("sqs", **clients)
        dynamodb = boto3.client("dynamodb", **clients)
        url = sqs.get_queue_url(QueueName="stacktest-jobs")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="job-1")

        deadline = time.monotonic() + 15
        item = {}
        while not item and time.monotonic() < deadline:
            item = dynamodb.get_item(TableName="stacktest", Key={"PK": {"S": "job-1"}})
            item = item.get("Item", {})
            time.sleep(0.2)
        assert item == {"PK": {"S": "job-1"}}, (log_dir / "pump.log").read_text()
        children = [child.process for child in stack.children]

    assert all(process.poll() is not None for process in children)


@pytest.mark.e2e
def test_busy_port_fails_fast(project):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(StackError, match=f"port {port} .* in use"):
            start_stack(api_port=port, project_dir=project)
    assert time.monotonic() - started < 2


@pytest.mark.e2e
def test_startup_failure_shows_the_log_tail(project, tmp_path_factory):
    (project / "app.py").write_text("raise ImportError('app.py is broken on purpose')\n")
    with pytest.raises(StackError, match="broken on purpose"):
        start_stack(project_dir=project, log_dir=tmp_path_factory.mktemp("logs"))


def test_environment_precedence(project):
    base = {
        "AWS_ACCESS_KEY_ID": "real-key",
        "MALL_JWT_SECRET": "mine",
        "MALL_TABLE": "from-shell",
        "AWS_REGION": "eu-west-1",
    }

    env = stack_environment(base, project, "dev")

    assert env["AWS_ACCESS_KEY_ID"] == "real-key"  # never overridden
    assert env["AWS_SECRET_ACCESS_KEY"] == "testing"
    assert env["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert env["MALL_JWT_SECRET"] == "mine"
    assert env["PAYMENT_WEBHOOK_SECRET"] == LOCAL_DEFAULTS["PAYMENT_WEBHOOK_SECRET"]
    assert env["MALL_TABLE"] == "stacktest"  # config.json wins, as under chalice local
    assert "AWS_ACCESS_KEY_ID" not in stack_environment({"AWS_PROFILE": "work"}, project, "dev")


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({}, True),
        ({"AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:8001"}, True),
        ({"AWS_ENDPOINT_URL": "http://127.0.0.1:4566"}, False),
        ({"AWS_ENDPOINT_URL_DYNAMODB": "http://a", "AWS_ENDPOINT_URL_SQS": "http://b"}, False),
    ],
)
def test_needs_moto(variables, expected):
    assert needs_moto(variables) is expected
