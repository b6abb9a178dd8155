"""Every DynamoDB key and index name of the orders domain, and nowhere else.

Table `MallTable` (PK, SK), index GSI1 (GSI1PK, GSI1SK):

| item                    | PK              | SK  | GSI1PK / GSI1SK                                      |
|-------------------------|-----------------|-----|------------------------------------------------------|
| order reservation       | RSV#<uid>#<oid> | RSV | RESERVATIONS_DUE#<shard> / <expires_at>#<uid>#<oid> (*) |

(*) only while `reserved`: the lock-release job's due index (docs/jobs.md), sharded like the
coupons' lock index (<shard> a stable hash of `<uid>#<oid>` mod DUE_SHARDS), sorted by when the
reservation lapses, so a run reads what is due and nothing else. The coupon lock and card holds
a reservation takes are the coupons' own items, listed in the coupons' lock index as ever.
Ids: uid user (token's sub), oid the mall's order id (no '#': coupons.models.OrderId).
"""

from __future__ import annotations

from chalicelib.ids import shard_of
from chalicelib.indexes import GSI1
from chalicelib.indexes import TABLE as TABLE, IndexSpec as IndexSpec  # re-exported: the names storage uses

DUE = GSI1  # reservations still reserved, by when they lapse
DUE_SHARDS = 8
DUE_PREFIX = "RESERVATIONS_DUE#"
NEW_OR_RELEASED = f"attribute_not_exists({TABLE.pk}) OR #status = :released"


def reservation(user_id: str, order_id: str) -> dict[str, str]:
    return {TABLE.pk: f"RSV#{user_id}#{order_id}", TABLE.sk: "RSV"}


def due_partition(shard: int) -> str:
    return f"{DUE_PREFIX}{shard}"


def due_listing(user_id: str, order_id: str, expires_at: str) -> dict[str, str]:
    holder = f"{user_id}#{order_id}"
    return DUE.listing(due_partition(shard_of(holder, DUE_SHARDS)), f"{expires_at}#{holder}")


def due_bound(now: str) -> str:
    """The highest due sort key at `now`: '~' sorts after every user and order id character."""
    return f"{now}#~"
