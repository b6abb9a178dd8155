"""DynamoDB storage of the audit trail: the entry a change adds to its own transaction (named
`AUDIT`), and the three listings. Entries are only ever put, never overwritten
(`attribute_not_exists`), updated or deleted: nothing here can, and IAM denies it (keys.py)."""

from __future__ import annotations

import json
from typing import Any

from chalicelib import dynamo, idempotency
from chalicelib.audit import keys
from chalicelib.audit.models import AuditEntry, Change
from chalicelib.clock import iso
from chalicelib.idempotency import Idempotency
from chalicelib.ids import new_id
from chalicelib.indexes import ITEM_ABSENT

AUDIT = "audit"  # the entry's name among a transaction's items


def _json(state: dict[str, Any] | None) -> str | None:
    return None if state is None else json.dumps(state, separators=(",", ":"), ensure_ascii=False, sort_keys=True,
                                                  default=str)


def entry_item(change: Change) -> dict[str, Any]:
    entry_id, at = new_id(), iso(change.at)  # the id orders entries of the same second as they were made
    return {
        **keys.entry(change.target_type, change.target_id, change.actor, at, entry_id),
        "entity": "audit_entry", "id": entry_id, "at": at, "actor": change.actor, "action": change.action,
        "target_type": change.target_type, "target_id": change.target_id,
        "before": _json(change.before), "after": _json(change.after),
    }


def items(change: Change | None) -> dict[str, dict[str, Any]]:
    """The transaction item that records `change` (`{AUDIT: put}`), or none without a change."""
    return {} if change is None else {AUDIT: dynamo.tx_put(entry_item(change), ITEM_ABSENT)}


def record(change: Change | None, idem: Idempotency | None = None, response: Any = None) -> None:
    """The entry of an operation made of many transactions (grants, code batches), written after
    them with the operation's result as `after`, in one transaction with the Idempotency-Key
    record of `response` when the request has a key: a retry that replays the first answer
    (idempotency.Replay) records nothing again. Nothing to write without a change or a key."""
    if change is not None or idem is not None:
        idempotency.transact(items(change), idem, response)


def _entry(item: dict[str, Any]) -> AuditEntry:
    return AuditEntry.model_validate({
        **{name: item.get(name) for name in ("id", "at", "actor", "action", "target_type", "target_id")},
        "before": json.loads(item["before"]) if item.get("before") else None,
        "after": json.loads(item["after"]) if item.get("after") else None,
    })


def list_entries(target_type: str | None, target_id: str | None, actor: str | None, limit: int,
                 cursor: str | None) -> tuple[list[AuditEntry], str | None]:
    """Newest first: by target (optionally of one actor), by actor (optionally of one target
    type), or all; a target type alone filters the by-time listing."""
    filters: list[str] = []
    vals: dict[str, Any] = {}
    if target_type is not None and target_id is not None:
        index, partition = keys.BY_TARGET, keys.target_partition(target_type, target_id)
    elif actor is not None:
        index, partition = keys.BY_ACTOR, keys.actor_partition(actor)
    else:
        index, partition = keys.BY_TIME, keys.LOG_PARTITION
    if actor is not None and index is not keys.BY_ACTOR:
        filters.append("actor = :actor")
        vals["actor"] = actor
    if target_type is not None and target_id is None:
        filters.append("target_type = :target_type")
        vals["target_type"] = target_type
    found, next_cursor = dynamo.query_page(
        index=index.name, partition_attr=index.pk, partition_value=partition, key_attrs=index.key_attrs,
        limit=limit, cursor=cursor, filter_expression=" AND ".join(filters) or None,
        vals=dynamo.values(**vals) if vals else None,
    )
    return [_entry(i) for i in found], next_cursor
