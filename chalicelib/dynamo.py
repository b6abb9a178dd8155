"""DynamoDB access shared by every repository: the client, item conversion, conditional
writes and transactions that fail with the item that failed, paged queries (their cursors:
chalicelib/cursors.py).

Only repositories import this module. It is the one place that turns botocore errors into
the service's vocabulary: a failed condition becomes `ConditionFailed` (with the old item
when DynamoDB returns it), throttling becomes `Throttled`, an unreachable endpoint
`Unavailable`. Numbers leave as `int` (boto3 reads them as `Decimal`); floats never enter.
"""

from __future__ import annotations

import random
import time
import uuid
from decimal import Decimal
from functools import lru_cache
from typing import Any, Iterable, Iterator, Mapping, overload

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config

from chalicelib.indexes import TABLE
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.cursors import CursorBinding, bad_cursor, decode_cursor, encode_cursor
from chalicelib.errors import Throttled, Unavailable
from chalicelib.settings import get_settings

THROTTLING_CODES = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}
)
TRANSACTION_RETRIES = 4

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


@lru_cache(maxsize=1)
def client() -> Any:  # botocore builds its client classes at run time: nothing to name
    """The DynamoDB client, built on first use. AWS_ENDPOINT_URL(_DYNAMODB) picks the endpoint."""
    return boto3.client(
        "dynamodb",
        config=Config(
            retries={"mode": "standard", "total_max_attempts": 3},
            max_pool_connections=64,
            connect_timeout=3,
            read_timeout=10,
        ),
    )


def table_name() -> str:
    return get_settings().table_name


class ConditionFailed(Exception):
    """A conditional write (or some items of a transaction) failed its condition.

    `failed` maps the name of each failed item of a transaction (see `transact`) to the item
    as it was (`None` when it did not exist or DynamoDB did not return it). A single write
    (`put`, `update`) reports its one item as `old`.
    """

    SINGLE = "item"

    def __init__(self, failed: dict[str, dict[str, Any] | None]) -> None:
        super().__init__(f"condition failed: {', '.join(failed)}")
        self.failed = failed

    @property
    def old(self) -> dict[str, Any] | None:
        """The item as it was, for a single write; for a transaction, the first failed item's."""
        return next(iter(self.failed.values()), None)


def to_item(data: dict[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in data.items() if v is not None}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, set, tuple)):
        return [_plain(v) for v in value]
    return value


@overload
def from_item(item: dict[str, Any]) -> dict[str, Any]: ...


@overload
def from_item(item: None) -> None: ...


def from_item(item: dict[str, Any] | None) -> dict[str, Any] | None:
    if item is None:
        return None
    return {k: _plain(_deserializer.deserialize(v)) for k, v in item.items()}


def values(**named: Any) -> dict[str, Any]:
    """ExpressionAttributeValues from keyword arguments: values(now=...) -> {':now': ...}."""
    return {f":{k}": _serializer.serialize(v) for k, v in named.items()}


def _call(operation: str, **kwargs: Any) -> dict[str, Any]:
    try:
        response: dict[str, Any] = getattr(client(), operation)(**kwargs)
        return response
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in THROTTLING_CODES:
            raise Throttled() from exc
        raise
    except BotoCoreError as exc:
        raise Unavailable("The database cannot be reached; retry later.") from exc


def get(key: dict[str, str], consistent: bool = False) -> dict[str, Any] | None:
    response = _call("get_item", TableName=table_name(), Key=to_item(key), ConsistentRead=consistent)
    return from_item(response.get("Item"))


def batch_get(keys: list[dict[str, str]], consistent: bool = False) -> list[dict[str, Any]]:
    """Read up to any number of items by key, following UnprocessedKeys."""
    found: list[dict[str, Any]] = []
    for start in range(0, len(keys), 100):
        pending = {table_name(): {"Keys": [to_item(k) for k in keys[start:start + 100]], "ConsistentRead": consistent}}
        attempt = 0
        while pending:
            response = _call("batch_get_item", RequestItems=pending)
            found.extend(from_item(i) for i in response.get("Responses", {}).get(table_name(), []))
            pending = response.get("UnprocessedKeys") or {}
            attempt += 1
            if pending:
                time.sleep(min(0.05 * 2**attempt, 1.0))
    return found


def put(item: dict[str, Any], condition: str | None = None, names: dict[str, str] | None = None,
        vals: dict[str, Any] | None = None) -> None:
    kwargs: dict[str, Any] = {"TableName": table_name(), "Item": to_item(item)}
    _add_condition(kwargs, condition, names, vals)
    try:
        _call("put_item", **kwargs, ReturnValuesOnConditionCheckFailure="ALL_OLD")
    except ClientError as exc:
        _raise_condition_failed(exc)


def update(key: dict[str, str], expression: str, condition: str | None = None,
           names: dict[str, str] | None = None, vals: dict[str, Any] | None = None) -> dict[str, Any]:
    """UpdateItem; returns the item after the update, or raises ConditionFailed (its `old`)."""
    kwargs: dict[str, Any] = {
        "TableName": table_name(), "Key": to_item(key), "UpdateExpression": expression,
        "ReturnValues": "ALL_NEW", "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }
    _add_condition(kwargs, condition, names, vals)
    try:
        new: dict[str, Any] = _call("update_item", **kwargs)["Attributes"]
        return from_item(new)
    except ClientError as exc:
        _raise_condition_failed(exc)
        raise  # unreachable: _raise_condition_failed always raises


def _add_condition(kwargs: dict[str, Any], condition: str | None, names: dict[str, str] | None,
                   vals: dict[str, Any] | None) -> None:
    if condition:
        kwargs["ConditionExpression"] = condition
    if names:
        kwargs["ExpressionAttributeNames"] = names
    if vals:
        kwargs["ExpressionAttributeValues"] = vals


def _raise_condition_failed(exc: ClientError) -> None:
    if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
        raise ConditionFailed({ConditionFailed.SINGLE: from_item(exc.response.get("Item"))}) from exc
    raise exc


# --- transactions -------------------------------------------------------------------------

def tx_put(item: dict[str, Any], condition: str | None = None, names: dict[str, str] | None = None,
           vals: dict[str, Any] | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {"TableName": table_name(), "Item": to_item(item)}
    _add_condition(op, condition, names, vals)
    return {"Put": op}


def tx_update(key: dict[str, str], expression: str, condition: str | None = None,
              names: dict[str, str] | None = None, vals: dict[str, Any] | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {"TableName": table_name(), "Key": to_item(key), "UpdateExpression": expression}
    _add_condition(op, condition, names, vals)
    return {"Update": op}


def tx_delete(key: dict[str, str], condition: str | None = None, names: dict[str, str] | None = None,
              vals: dict[str, Any] | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {"TableName": table_name(), "Key": to_item(key)}
    _add_condition(op, condition, names, vals)
    return {"Delete": op}


def tx_check(key: dict[str, str], condition: str, names: dict[str, str] | None = None,
             vals: dict[str, Any] | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {"TableName": table_name(), "Key": to_item(key)}
    _add_condition(op, condition, names, vals)
    return {"ConditionCheck": op}


def transact(items: Mapping[str, dict[str, Any]]) -> None:
    """TransactWriteItems, all or nothing, of named items (`{"stock": tx_update(...), ...}`).

    Every item asks for its old image on a failed condition. A cancellation caused by
    conditions raises `ConditionFailed` whose `failed` maps the names of the failed items to
    their old images (read from `CancellationReasons`, which come in request order). A
    cancellation caused only by a concurrent transaction on the same items
    (`TransactionConflict`) is retried with jittered backoff, then reported as `Throttled`.
    """
    names = list(items)
    request = [items[name] for name in names]
    for op in request:
        next(iter(op.values()))["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    for attempt in range(TRANSACTION_RETRIES):
        try:
            # One token per attempt: botocore's own retries of this call (a timeout after DynamoDB
            # committed) resend it, and DynamoDB answers a repeat of a committed transaction with
            # success instead of running it again (idempotent for 10 minutes).
            _call("transact_write_items", TransactItems=request, ClientRequestToken=uuid.uuid4().hex)
            return
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            reasons = exc.response.get("CancellationReasons") or []
            failed = {
                names[i]: from_item(r.get("Item"))
                for i, r in enumerate(reasons)
                if r.get("Code") == "ConditionalCheckFailed"
            }
            if failed:
                raise ConditionFailed(failed) from exc
            if not any(r.get("Code") in ("TransactionConflict", "ThrottlingError") for r in reasons):
                raise
            if attempt == TRANSACTION_RETRIES - 1:
                raise Throttled("Too many concurrent requests for the same item; retry shortly.") from exc
            time.sleep(random.uniform(0, 0.02 * 2**attempt))


def numbered(prefix: str, items: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Name a run of like items (`shard0`, `shard1`, ...) for `transact`."""
    return {f"{prefix}{i}": item for i, item in enumerate(items)}


# --- queries ------------------------------------------------------------------------------


def query_page(
    *,
    partition_attr: str,
    partition_value: str,
    key_attrs: tuple[str, ...],
    limit: int,
    cursor: str | None,
    index: str | None = None,
    sort_condition: str | None = None,
    filter_expression: str | None = None,
    names: dict[str, str] | None = None,
    vals: dict[str, Any] | None = None,
    newest_first: bool = True,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of `limit` items of one partition, following DynamoDB pages as needed.

    A filter applies after DynamoDB reads, so a DynamoDB page can hold fewer matches than
    asked: this keeps reading until it has `limit` items or the partition ends. The cursor
    is the key of the last item returned (so no item is skipped or repeated), signed and
    bound to this list (see `decode_cursor`).
    """
    key_condition = "#pk = :pk" + (f" AND {sort_condition}" if sort_condition else "")
    all_names = {"#pk": partition_attr, **(names or {})}
    all_vals = {**values(pk=partition_value), **(vals or {})}
    kwargs: dict[str, Any] = {
        "TableName": table_name(), "KeyConditionExpression": key_condition,
        "ExpressionAttributeNames": all_names, "ExpressionAttributeValues": all_vals,
        "ScanIndexForward": not newest_first,
    }
    if index:
        kwargs["IndexName"] = index
    if filter_expression:
        kwargs["FilterExpression"] = filter_expression
    scope: CursorBinding = {"index": index, "partition_attr": partition_attr, "partition_value": partition_value,
                             "key_attrs": key_attrs, "sort_condition": sort_condition}
    start = decode_cursor(cursor, **scope) if cursor else None
    from_client = start is not None
    found: list[dict[str, Any]] = []
    while True:
        kwargs["Limit"] = limit + 1 - len(found)
        if start:
            kwargs["ExclusiveStartKey"] = start
        try:
            response = _call("query", **kwargs)
        except ClientError as exc:
            # A genuine cursor DynamoDB finds outside the key condition (its item's sort key is
            # past a bound that moved with `now`, or another prefix's): stale, not a fault.
            if from_client and exc.response.get("Error", {}).get("Code") == "ValidationException":
                raise bad_cursor("no longer fits this list") from exc
            raise
        from_client = False
        found.extend(response.get("Items", []))
        start = response.get("LastEvaluatedKey")
        if len(found) > limit or not start:
            break
    page, more = found[:limit], len(found) > limit
    next_cursor = (encode_cursor({a: page[-1][a]["S"] for a in key_attrs}, **scope) if more and page else None)
    return [from_item(i) for i in page], next_cursor


def query_once(*, index: str | None, key_condition: str, names: dict[str, str], vals: dict[str, Any], limit: int,
               start: dict[str, Any] | None = None,
               forward: bool = True) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Exactly one DynamoDB Query request: its items and its LastEvaluatedKey (raw, for the next
    call). For jobs that must count what DynamoDB read, which `query_page` hides (it reads one
    item ahead to know whether a next page exists)."""
    kwargs: dict[str, Any] = {
        "TableName": table_name(), "KeyConditionExpression": key_condition, "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": vals, "ScanIndexForward": forward, "Limit": limit,
    }
    if index:
        kwargs["IndexName"] = index
    if start:
        kwargs["ExclusiveStartKey"] = start
    response = _call("query", **kwargs)
    return [from_item(i) for i in response.get("Items", [])], response.get("LastEvaluatedKey")


def items_between(partition: str, first: str, last: str) -> Iterator[dict[str, Any]]:
    """Every item of table partition `partition` whose sort key is from `first` to `last` (both
    included), page after page (eventually consistent): a range of day or hour counters."""
    start = None
    while True:
        items, start = query_once(index=None, key_condition="#pk = :pk AND #sk BETWEEN :first AND :last",
                                  names={"#pk": TABLE.pk, "#sk": TABLE.sk},
                                  vals=values(pk=partition, first=first, last=last), limit=1000, start=start)
        yield from items
        if not start:
            return


# --- whole-table reads and deletes (privacy export and erasure only) -----------------------

def scan_once(*, filter_expression: str, names: dict[str, str], vals: dict[str, Any], limit: int,
              start: dict[str, Any] | None = None) -> tuple[list[dict[str, Any]], dict[str, Any] | None, int]:
    """Exactly one DynamoDB Scan request: the items its filter kept, its LastEvaluatedKey (raw,
    for the next call) and how many items it read. It reads the whole table a page at a time:
    only for rare operator work (chalicelib/privacy), never on a request path."""
    kwargs: dict[str, Any] = {"TableName": table_name(), "Limit": limit}
    _add_condition(kwargs, None, names, vals)
    kwargs["FilterExpression"] = filter_expression
    if start:
        kwargs["ExclusiveStartKey"] = start
    response = _call("scan", **kwargs)
    return ([from_item(i) for i in response.get("Items", [])], response.get("LastEvaluatedKey"),
            int(response.get("ScannedCount", 0)))


def delete(key: dict[str, str]) -> None:
    """DeleteItem (no condition: deleting what is gone is done)."""
    _call("delete_item", TableName=table_name(), Key=to_item(key))
