"""The deployable template: least privilege, partial batch failures, one source of truth
for tables and queues, and a clean cfn-lint. The last tests run `chalice package` for real."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from chalicelib.errors import NO_SUCH_ROUTE, error_body
from dev.bootstrap import bootstrap
from infra.package import (
    RESOURCES, TIMEOUTS, build_merge_template, check_visibility, package, stage_environment,
)

DEFINITIONS = json.loads(RESOURCES.read_text())
PROD = stage_environment("prod")

GENERATED = {"Resources": {
    "APIHandler": {"Type": "AWS::Serverless::Function", "Properties": {"Role": {"Fn::GetAtt": ["DefaultRole", "Arn"]}}},
    "HandlePayments": {"Type": "AWS::Serverless::Function", "Properties": {"Events": {"HandlePaymentsSqsEventSource": {
        "Type": "SQS", "Properties": {"Queue": {"Fn::Sub": f"arn:${{AWS::Partition}}:sqs:${{AWS::Region}}:${{AWS::AccountId}}:{PROD['PAYMENT_EVENTS_QUEUE']}"},
                                      "BatchSize": 10}}}}},
    "ExpireCoupons": {"Type": "AWS::Serverless::Function", "Properties": {"Events": {"ExpireCouponsEvent": {
        "Type": "Schedule", "Properties": {"Schedule": "rate(1 hour)"}}}}},
    "RestAPI": {"Type": "AWS::Serverless::Api", "Properties": {}},
}}


def merged():
    return build_merge_template(GENERATED, DEFINITIONS, PROD, "prod")["Resources"]


def statements(resources, role):
    return [s for p in resources[role]["Properties"]["Policies"] for s in p["PolicyDocument"]["Statement"]]


def test_every_sqs_event_source_reports_partial_batch_failures():
    events = merged()["HandlePayments"]["Properties"]["Events"]
    assert events["HandlePaymentsSqsEventSource"]["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_each_kind_of_function_has_its_own_role():
    resources = merged()
    roles = {name: resources[name]["Properties"]["Role"]["Fn::GetAtt"][0]
             for name in ("APIHandler", "HandlePayments", "ExpireCoupons")}
    assert roles == {"APIHandler": "DefaultRole", "HandlePayments": "HandlePaymentsRole",
                     "ExpireCoupons": "ExpireCouponsRole"}


def test_no_wildcard_actions_and_no_wildcard_data_resources():
    resources = merged()
    for role in ("DefaultRole", "HandlePaymentsRole", "ExpireCouponsRole"):
        for statement in statements(resources, role):
            assert all("*" not in action for action in statement["Action"]), statement
            if any(a.startswith(("dynamodb:", "sqs:")) for a in statement["Action"]):
                assert statement["Resource"] != "*" and "*" not in json.dumps(statement["Resource"]).replace("/index/*", "")


def test_only_the_consumer_may_receive_and_only_from_its_queue():
    resources = merged()
    receivers = {role: s["Resource"] for role in ("DefaultRole", "HandlePaymentsRole", "ExpireCouponsRole")
                 for s in statements(resources, role) if "sqs:ReceiveMessage" in s["Action"]}
    assert receivers == {"HandlePaymentsRole": [{"Fn::GetAtt": ["PaymentEventsQueue", "Arn"]}]}


def test_each_kind_of_function_sends_only_to_the_queues_it_writes():
    resources = merged()
    senders = {role: s["Resource"] for role in ("DefaultRole", "HandlePaymentsRole", "ExpireCouponsRole")
               for s in statements(resources, role) if "sqs:SendMessage" in s["Action"]}
    assert senders == {"DefaultRole": [{"Fn::GetAtt": ["PaymentEventsQueue", "Arn"]}],
                       "ExpireCouponsRole": [{"Fn::GetAtt": ["CouponRemindersQueue", "Arn"]}]}


def test_tables_and_queues_are_named_as_the_stage_config_names_them():
    resources = merged()
    assert resources["MallTable"]["Properties"]["TableName"] == PROD["MALL_TABLE"]
    assert resources["PaymentEventsQueue"]["Properties"]["QueueName"] == PROD["PAYMENT_EVENTS_QUEUE"]
    assert resources["MallTable"]["DeletionPolicy"] == "Retain"


def test_queue_visibility_covers_six_consumer_timeouts_and_redrive_after_five():
    check_visibility(DEFINITIONS)
    queue = DEFINITIONS["Resources"]["PaymentEventsQueue"]["Properties"]
    assert queue["VisibilityTimeout"] >= 6 * TIMEOUTS["consumer"]
    assert queue["RedrivePolicy"]["maxReceiveCount"] == 5


def test_unknown_routes_and_throttling_answer_in_the_api_error_shape():
    responses = merged()["RestAPI"]["Properties"]["GatewayResponses"]
    body = json.loads(responses["MISSING_AUTHENTICATION_TOKEN"]["ResponseTemplates"]["application/json"])
    assert body["error"]["code"] == "NOT_FOUND" and responses["MISSING_AUTHENTICATION_TOKEN"]["StatusCode"] == "404"


def test_an_unknown_route_gets_the_same_answer_on_aws_as_locally():
    """dev/local_gateway.py answers `chalice local` and chalice.test.Client with this body too."""
    responses = merged()["RestAPI"]["Properties"]["GatewayResponses"]
    for kind in ("MISSING_AUTHENTICATION_TOKEN", "INVALID_SIGNATURE"):  # without and with a bearer token
        body = json.loads(responses[kind]["ResponseTemplates"]["application/json"])
        assert (responses[kind]["StatusCode"], body) == ("404", error_body("NOT_FOUND", NO_SUCH_ROUTE))


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    package("prod", out)  # raises if cfn-lint finds anything
    return json.loads((out / "sam.json").read_text()), out


@pytest.mark.package
def test_make_package_writes_a_template_and_zip_that_cfn_lint_accepts(shipped):
    template, out = shipped
    assert (out / "deployment.zip").stat().st_size > 0
    assert template["Transform"] == "AWS::Serverless-2016-10-31"


@pytest.mark.package
def test_the_shipped_tables_and_queues_are_the_ones_the_local_stack_creates(shipped):
    """One source of truth: bootstrap (what `make run` does) and compare with the template."""
    template, _ = shipped
    with mock_aws():
        bootstrap(PROD, dynamodb=boto3.client("dynamodb", region_name="us-east-1"),
                  sqs=boto3.client("sqs", region_name="us-east-1"))
        dynamodb, sqs = boto3.client("dynamodb", region_name="us-east-1"), boto3.client("sqs", region_name="us-east-1")
        for logical, resource in template["Resources"].items():
            props = resource["Properties"]
            if resource["Type"] == "AWS::DynamoDB::Table":
                local = dynamodb.describe_table(TableName=props["TableName"])["Table"]
                assert local["KeySchema"] == props["KeySchema"]
                assert sorted(local["AttributeDefinitions"], key=str) == sorted(props["AttributeDefinitions"], key=str)
                assert {i["IndexName"]: (i["KeySchema"], i["Projection"]) for i in local["GlobalSecondaryIndexes"]} == \
                       {i["IndexName"]: (i["KeySchema"], i["Projection"]) for i in props["GlobalSecondaryIndexes"]}
                ttl = dynamodb.describe_time_to_live(TableName=props["TableName"])["TimeToLiveDescription"]
                assert ttl["AttributeName"] == props["TimeToLiveSpecification"]["AttributeName"]
            elif resource["Type"] == "AWS::SQS::Queue":
                url = sqs.get_queue_url(QueueName=props["QueueName"])["QueueUrl"]
                attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
                if "VisibilityTimeout" in props:
                    assert int(attributes["VisibilityTimeout"]) == props["VisibilityTimeout"]
                if "RedrivePolicy" in props:
                    redrive = json.loads(attributes["RedrivePolicy"])
                    dlq = template["Resources"][props["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]]
                    assert redrive["deadLetterTargetArn"].endswith(":" + dlq["Properties"]["QueueName"])
                    assert int(redrive["maxReceiveCount"]) == props["RedrivePolicy"]["maxReceiveCount"]


def test_no_function_may_change_or_delete_an_audit_entry():
    resources = merged()
    for role in ("DefaultRole", "HandlePaymentsRole", "ExpireCouponsRole"):
        [deny] = [s for s in statements(resources, role) if s["Effect"] == "Deny"]
        allowed = {a for s in statements(resources, role) if s["Effect"] == "Allow" for a in s["Action"]}
        assert {"dynamodb:UpdateItem"} <= set(deny["Action"])
        assert set(deny["Action"]) == allowed & {"dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}
        assert deny["Condition"] == {"ForAnyValue:StringLike": {"dynamodb:LeadingKeys": ["AUDIT#*"]}}
        assert deny["Resource"] == [{"Fn::GetAtt": ["MallTable", "Arn"]}]
