"""Counting the DynamoDB capacity units and SQS requests of everything the service's clients send.

A botocore hook asks every DynamoDB request for `ReturnConsumedCapacity=INDEXES` and adds up
what the answer reports. DynamoDB Local reports single-item reads and writes as AWS charges
them, but answers 4.0 units for every `TransactWriteItems`, whether it writes one item or
seven (measured: 1 put, 1 update, 4 puts, 4 updates: 4.0 each). For a transaction the meter so
applies AWS's published rule to the items themselves: each item 2 write units per KB of the
larger of its old and new image (a ConditionCheck likewise, of the item it checks), plus, per
global secondary index (projection ALL) the item is or was in, 1 unit per KB of the new image
written there and 1 for an old entry removed when the index key changed. The images are read
around the transaction with a client of its own, which nothing meters.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import boto3

READS = {"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}


def item_size(item: dict[str, Any] | None) -> int:
    """An item's size in bytes as DynamoDB counts it: each attribute's name plus its value."""
    return sum(len(name.encode()) + _value_size(value) for name, value in (item or {}).items())


def _value_size(value: dict[str, Any]) -> int:
    (kind, v), = value.items()
    if kind == "S":
        return len(v.encode())
    if kind == "N":
        digits = len(Decimal(v).normalize().as_tuple().digits)  # leading and trailing zeros trimmed
        return math.ceil(digits / 2) + 1
    if kind == "B":
        return len(v)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + _value_size(x) + 1 for k, x in v.items())
    if kind == "L":
        return 3 + sum(_value_size(x) + 1 for x in v)
    if kind in ("SS", "NS", "BS"):
        return sum(_value_size({kind[0]: x}) for x in v)
    raise ValueError(f"unknown attribute type {kind}")


@dataclass
class Meter:
    """Read and write units and call counts since the last `reset()`."""

    read: float = 0.0
    write: float = 0.0
    calls: Counter = field(default_factory=Counter)
    sqs: Counter = field(default_factory=Counter)
    _images: list[tuple[str, dict[str, Any], str, dict[str, Any] | None]] = field(default_factory=list)
    _indexes: dict[str, list[list[str]]] = field(default_factory=dict)
    _raw: Any = None

    def attach(self, dynamodb: Any, sqs: Any) -> None:
        self._raw = boto3.client("dynamodb", endpoint_url=dynamodb.meta.endpoint_url,
                                 region_name=dynamodb.meta.region_name)
        dynamodb.meta.events.register("before-parameter-build.dynamodb", self._ask)
        dynamodb.meta.events.register("after-call.dynamodb", self._count)
        sqs.meta.events.register("after-call.sqs", self._count_sqs)

    def reset(self) -> None:
        self.read = self.write = 0.0
        self.calls.clear()
        self.sqs.clear()

    def _ask(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name in READS | WRITES:
            params["ReturnConsumedCapacity"] = "INDEXES"
        if model.name == "TransactWriteItems":
            self._images = [self._before(op, body) for entry in params["TransactItems"] for op, body in entry.items()]

    def _count(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        self.calls[model.name] += 1
        if model.name == "TransactWriteItems":
            if "Error" not in parsed:
                self.write += sum(self._transacted(*image) for image in self._images)
            return
        consumed = parsed.get("ConsumedCapacity") or []
        units = sum(c.get("CapacityUnits", 0.0) for c in (consumed if isinstance(consumed, list) else [consumed]))
        if model.name in READS:
            self.read += units
        else:
            self.write += units

    def _count_sqs(self, model: Any, **_: Any) -> None:
        self.sqs[model.name] += 1

    def _before(self, op: str, body: dict[str, Any]) -> tuple[str, dict[str, Any], str, dict[str, Any] | None]:
        table = body["TableName"]
        key = body.get("Key") or {k: body["Item"][k] for k in ("PK", "SK")}
        return table, key, op, self._get(table, key)

    def _get(self, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        item: dict[str, Any] | None = self._raw.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
        return item

    def _transacted(self, table: str, key: dict[str, Any], op: str, before: dict[str, Any] | None) -> float:
        after = None if op in ("Delete",) else self._get(table, key)
        if op == "ConditionCheck":
            return 2 * math.ceil(max(item_size(before), 1) / 1024)
        units = 2 * math.ceil(max(item_size(before), item_size(after), 1) / 1024)
        for index_key in self._index_keys(table):
            new = after is not None and all(k in after for k in index_key)
            old = before is not None and all(k in before for k in index_key)
            if new:
                units += math.ceil(item_size(after) / 1024)
            if old and (not new or any(before[k] != after[k] for k in index_key)):  # type: ignore[index]
                units += 1
        return units

    def _index_keys(self, table: str) -> list[list[str]]:
        if table not in self._indexes:
            described = self._raw.describe_table(TableName=table)["Table"]
            self._indexes[table] = [[k["AttributeName"] for k in index["KeySchema"]]
                                    for index in described.get("GlobalSecondaryIndexes", [])]
        return self._indexes[table]
