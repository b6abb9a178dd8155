"""Every DynamoDB key and index of the audit trail, and nowhere else.

| item        | PK                                  | SK          |
|-------------|-------------------------------------|-------------|
| audit entry | AUDIT#<target_type>#<target_id>     | <at>#<id>   |

Index entries (every entry has both):
- by actor: GSI1 AUDIT_BY#<actor> / <at>#<id>
- by time:  GSI2 AUDIT_LOG / <at>#<id>

`<at>` is the fixed-width UTC time of the change and `<id>` a ULID, so each listing sorts by
time, ties broken by id; lists read newest first. The by-time listing is one partition: admin
changes come a few a second at most, far below a partition's 1,000 writes/s. Every entry's
partition key begins with `PREFIX`: the deploy template's IAM policy denies UpdateItem,
DeleteItem and BatchWriteItem on such keys (infra/package.py, docs/compliance.md).
"""

from __future__ import annotations

from chalicelib.indexes import GSI1, GSI2, TABLE, IndexSpec

__all__ = ["TABLE", "IndexSpec", "BY_TARGET", "BY_ACTOR", "BY_TIME", "PREFIX", "LOG_PARTITION"]

PREFIX = "AUDIT#"
BY_TARGET = TABLE
BY_ACTOR = GSI1
BY_TIME = GSI2
LOG_PARTITION = "AUDIT_LOG"


def target_partition(target_type: str, target_id: str) -> str:
    return f"{PREFIX}{target_type}#{target_id}"


def actor_partition(actor: str) -> str:
    return f"AUDIT_BY#{actor}"


def sort_key(at: str, entry_id: str) -> str:
    return f"{at}#{entry_id}"


def entry(target_type: str, target_id: str, actor: str | None, at: str, entry_id: str) -> dict[str, str]:
    """The key and index attributes of one entry (no actor: no by-actor listing)."""
    sk = sort_key(at, entry_id)
    keys = {**BY_TARGET.listing(target_partition(target_type, target_id), sk), **BY_TIME.listing(LOG_PARTITION, sk)}
    if actor:
        keys.update(BY_ACTOR.listing(actor_partition(actor), sk))
    return keys
