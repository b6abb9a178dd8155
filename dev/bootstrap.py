"""Create the tables and queues of infra/resources.json wherever boto3 points.

infra/resources.json defines the service's stateful resources once, in CloudFormation
terms: the deploy merges it into Chalice's template, and the local stack creates the same
resources through this module, the single translation of those definitions into API
calls. moto (or DynamoDB Local, or a sandbox account) thus gets the keys, indexes, TTL and
redrive policies that AWS gets.

Physical names: every resource carries `Metadata: {"mall:name-env": "VAR"}`, and its name
is the value of VAR in the stage's environment, the same variable the app reads.

Properties that only matter on AWS (backups, encryption, tags, table class, protection)
are skipped; any other property this module does not know is an error, so a definition
cannot silently differ between the local stack and AWS. Resource types other than tables
and queues are deploy-only and skipped.

Idempotent: an existing table or queue is left as it is (a table only gets its TTL
switched on if that is missing), so the stack can start again against the same endpoint.
Endpoints come from the standard AWS_ENDPOINT_URL* variables, which botocore reads itself.
Run alone: `python -m dev.bootstrap` (names from the process environment).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
from collections.abc import Mapping
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any

import boto3

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DEFINITIONS = PROJECT_ROOT / "infra" / "resources.json"

NAME_ENV_KEY = "mall:name-env"
TABLE = "AWS::DynamoDB::Table"
QUEUE = "AWS::SQS::Queue"

# The physical name comes from Metadata; a name property, if the deploy adds one, must not
# compete with it.
_NAME_PROPERTIES = frozenset({"TableName", "QueueName"})
TABLE_DEPLOY_ONLY = frozenset(
    {
        "PointInTimeRecoverySpecification",
        "SSESpecification",
        "Tags",
        "TableClass",
        "DeletionProtectionEnabled",
        "ContributorInsightsSpecification",
        "KinesisStreamSpecification",
        "ResourcePolicy",
        "WarmThroughput",
    }
)
QUEUE_DEPLOY_ONLY = frozenset({"Tags"})
_TABLE_AS_IS = (
    "AttributeDefinitions",
    "KeySchema",
    "BillingMode",
    "ProvisionedThroughput",
    "LocalSecondaryIndexes",
)
_INDEX_KEYS = ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput")
_TABLE_TRANSLATED = frozenset(
    {*_TABLE_AS_IS, "GlobalSecondaryIndexes", "StreamSpecification", "TimeToLiveSpecification"}
)


class DefinitionError(ValueError):
    """infra/resources.json says something this module cannot create faithfully."""


def load_definitions(path: str | Path = DEFAULT_DEFINITIONS) -> dict[str, dict[str, Any]]:
    """The `Resources` of a CloudFormation-shaped JSON file, by logical id."""
    with open(path, encoding="utf-8") as f:
        return json.load(f)["Resources"]


def physical_name(logical_id: str, resource: Mapping[str, Any], env: Mapping[str, str]) -> str:
    variable = resource.get("Metadata", {}).get(NAME_ENV_KEY)
    if not variable:
        raise DefinitionError(f'{logical_id} has no Metadata "{NAME_ENV_KEY}" naming its variable')
    name = env.get(variable)
    if not name:
        raise DefinitionError(
            f"{logical_id} is named by ${variable}, which is not set: add it to the stage's "
            "environment_variables in .chalice/config.json (or export it)"
        )
    return name


def physical_names(
    definitions: Mapping[str, Mapping[str, Any]], env: Mapping[str, str]
) -> dict[str, str]:
    """Physical name -> logical id, for every table and queue."""
    return {
        physical_name(logical_id, resource, env): logical_id
        for logical_id, resource in definitions.items()
        if resource["Type"] in (TABLE, QUEUE)
    }


def create_table_kwargs(
    logical_id: str, resource: Mapping[str, Any], env: Mapping[str, str]
) -> dict[str, Any]:
    """DynamoDB CreateTable parameters for a table definition (TTL is a separate call)."""
    properties = resource.get("Properties", {})
    _check_known(logical_id, properties, _TABLE_TRANSLATED | TABLE_DEPLOY_ONLY)
    kwargs: dict[str, Any] = {"TableName": physical_name(logical_id, resource, env)}
    kwargs.update({key: properties[key] for key in _TABLE_AS_IS if key in properties})
    if "GlobalSecondaryIndexes" in properties:
        kwargs["GlobalSecondaryIndexes"] = [
            {key: index[key] for key in _INDEX_KEYS if key in index}
            for index in properties["GlobalSecondaryIndexes"]
        ]
    if "StreamSpecification" in properties:
        kwargs["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": properties["StreamSpecification"]["StreamViewType"],
        }
    return kwargs


def queue_attributes(
    logical_id: str, resource: Mapping[str, Any], arns: Mapping[str, str]
) -> dict[str, str]:
    """SQS CreateQueue attributes for a queue definition.

    CloudFormation's queue properties are SQS attribute names; values become strings
    (booleans as "true"/"false", policies as JSON) after `Fn::GetAtt [X, Arn]` is
    resolved through `arns` (logical id -> ARN of a resource created earlier).
    """
    properties = resource.get("Properties", {})
    attributes = {}
    for key, value in properties.items():
        if key in _NAME_PROPERTIES or key in QUEUE_DEPLOY_ONLY:
            continue
        value = _resolve(logical_id, value, arns)
        if isinstance(value, bool):
            attributes[key] = "true" if value else "false"
        elif isinstance(value, (dict, list)):
            attributes[key] = json.dumps(value)
        else:
            attributes[key] = str(value)
    return attributes


def creation_order(definitions: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Logical ids of tables and queues, each after the resources it references."""
    graph = {
        logical_id: _references(resource.get("Properties", {})) & definitions.keys()
        for logical_id, resource in definitions.items()
        if resource["Type"] in (TABLE, QUEUE)
    }
    try:
        return list(TopologicalSorter(graph).static_order())
    except CycleError as error:
        raise DefinitionError(
            f"resources reference each other in a cycle: {error.args[1]}"
        ) from None


def bootstrap(
    env: Mapping[str, str],
    definitions: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    dynamodb: Any = None,
    sqs: Any = None,
) -> list[str]:
    """Create what is missing; return one line per change made (empty: nothing to do).

    Clients default to boto3's, configured by the process environment; `env` only
    supplies the physical names.
    """
    if definitions is None:
        definitions = load_definitions()
    dynamodb = dynamodb or boto3.client("dynamodb")
    sqs = sqs or boto3.client("sqs")
    changes: list[str] = []
    arns: dict[str, str] = {}
    for logical_id in creation_order(definitions):
        resource = definitions[logical_id]
        if resource["Type"] == TABLE:
            arns[logical_id] = _ensure_table(dynamodb, logical_id, resource, env, changes)
        else:
            arns[logical_id] = _ensure_queue(sqs, logical_id, resource, env, arns, changes)
    for change in changes:
        log.info("%s", change)
    return changes


def _ensure_table(
    client: Any,
    logical_id: str,
    resource: Mapping[str, Any],
    env: Mapping[str, str],
    changes: list[str],
) -> str:
    kwargs = create_table_kwargs(logical_id, resource, env)
    name = kwargs["TableName"]
    try:
        arn = client.describe_table(TableName=name)["Table"]["TableArn"]
    except client.exceptions.ResourceNotFoundException:
        arn = client.create_table(**kwargs)["TableDescription"]["TableArn"]
        client.get_waiter("table_exists").wait(
            TableName=name, WaiterConfig={"Delay": 2, "MaxAttempts": 60}
        )
        changes.append(f"created table {name} ({logical_id})")
    ttl = resource.get("Properties", {}).get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        _ensure_ttl(client, name, ttl["AttributeName"], changes)
    return arn


def _ensure_ttl(client: Any, table: str, attribute: str, changes: list[str]) -> None:
    current = client.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    if current.get("TimeToLiveStatus") in ("ENABLED", "ENABLING"):
        if current.get("AttributeName") != attribute:
            log.warning(
                "table %s has TTL on %r, the definition says %r: left as it is",
                table,
                current.get("AttributeName"),
                attribute,
            )
        return
    client.update_time_to_live(
        TableName=table,
        TimeToLiveSpecification={"AttributeName": attribute, "Enabled": True},
    )
    changes.append(f"enabled TTL on {table}.{attribute}")


def _ensure_queue(
    client: Any,
    logical_id: str,
    resource: Mapping[str, Any],
    env: Mapping[str, str],
    arns: Mapping[str, str],
    changes: list[str],
) -> str:
    name = physical_name(logical_id, resource, env)
    try:
        url = client.get_queue_url(QueueName=name)["QueueUrl"]
    except client.exceptions.QueueDoesNotExist:
        attributes = queue_attributes(logical_id, resource, arns)
        url = client.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        changes.append(f"created queue {name} ({logical_id})")
    return client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]


def _check_known(logical_id: str, properties: Mapping[str, Any], known: frozenset[str]) -> None:
    unknown = sorted(properties.keys() - known - _NAME_PROPERTIES)
    if unknown:
        raise DefinitionError(
            f"{logical_id} has properties the local stack does not translate: "
            f"{', '.join(unknown)}; teach dev/bootstrap.py or list them as deploy-only there"
        )


def _references(value: Any) -> set[str]:
    if isinstance(value, dict):
        if "Fn::GetAtt" in value:
            return {_get_att_target(value["Fn::GetAtt"])[0]}
        return set().union(*(_references(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_references(v) for v in value))
    return set()


def _resolve(logical_id: str, value: Any, arns: Mapping[str, str]) -> Any:
    if isinstance(value, dict):
        if "Fn::GetAtt" in value:
            target, attribute = _get_att_target(value["Fn::GetAtt"])
            if attribute != "Arn" or target not in arns:
                raise DefinitionError(
                    f"{logical_id}: cannot resolve Fn::GetAtt {target}.{attribute} "
                    "(only the Arn of a table or queue in the same file)"
                )
            return arns[target]
        intrinsic = next((key for key in value if key == "Ref" or key.startswith("Fn::")), None)
        if intrinsic:
            raise DefinitionError(f"{logical_id}: {intrinsic} is not supported locally")
        return {key: _resolve(logical_id, v, arns) for key, v in value.items()}
    if isinstance(value, list):
        return [_resolve(logical_id, v, arns) for v in value]
    return value


def _get_att_target(argument: Any) -> tuple[str, str]:
    """`Fn::GetAtt` takes ["Logical", "Attr"] or, in short form, "Logical.Attr"."""
    if isinstance(argument, str):
        argument = argument.split(".", 1)
    target, attribute = argument
    return target, attribute


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Create the tables and queues of the stack.")
    parser.add_argument("--definitions", type=Path, default=DEFAULT_DEFINITIONS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="bootstrap: %(message)s")
    logging.getLogger("botocore").setLevel(logging.WARNING)
    changes = bootstrap(os.environ, load_definitions(args.definitions))
    if not changes:
        log.info("every table and queue already exists")


if __name__ == "__main__":
    main()
