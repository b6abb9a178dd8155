"""Every DynamoDB key and index name of the coupons domain, and nowhere else.

Table `MallTable` (PK, SK), indexes GSI1 (GSI1PK, GSI1SK), GSI2 (GSI2PK, GSI2SK), GSI3 (GSI3PK, GSI3SK):

| item                  | PK                | SK                  | GSI1PK / GSI1SK                | GSI2PK / GSI2SK                                  |
|-----------------------|-------------------|---------------------|--------------------------------|--------------------------------------------------|
| template              | TPL#<tid>         | TPL                 | TEMPLATES / <created_at>#<tid> | CLAIMABLE / <claim_ends_at>#<tid> (*)            |
| user's claims counter | USER#<uid>        | CLAIMS#<tid>        |                                |                                                  |
| coupon                | USER#<uid>        | CPN#<cid>           | LOCKS#<shard> / ... (***)      | CPN_EXPIRES#<shard> / <valid_until>#<cid> (**)   |
| card hold (per order) | USER#<uid>        | HOLD#<cid>#<oid>    | LOCKS#<shard> / ... (***)      |                                                  |
| card history entry    | USER#<uid>        | CARDLOG#<cid>#<eid> |                                |                                                  |
| redemption record     | USER#<uid>        | PAY#<pid>           |                                |                                                  |
| code batch            | TPL#<tid>         | BATCH#<bid>         |                                |                                                  |
| grant marker          | GRANT#<tid>#<ref> | GRANT               |                                |                                                  |
| redeemable code       | CODE#<code>       | CODE                | CODES#<tid> / <bid>#<code>     |                                                  |

(*) only while published: a sparse index of what can be claimed.
(**) only while `unused` (stored-value cards too): a sparse index of what the expiry sweep
     must look at, so a sweep reads what is due, not the table. <shard> is a stable hash of
     <cid> mod EXPIRY_SHARDS, spreading the sweep's partitions so that no single index
     partition takes every coupon's writes. The coupon also stores `expiry_sk` (the GSI2SK
     value) so that writes putting it back to `unused` can SET GSI2SK = expiry_sk without
     reading it first.
(***) only while locked / held, and GSI3 CPN_REMIND#<shard> on coupons until reminded: the
     scheduled jobs' due indexes, described at the end of this module and in docs/jobs.md.
Ids: tid template, uid user, cid coupon, oid order, eid history entry, pid payment, bid code batch.

Hot campaigns (docs/architecture.md, "Hot campaigns"): items that take a campaign's hot writes,
each in a partition of its own, never the template's.

| item                             | PK               | SK          |
|----------------------------------|------------------|-------------|
| stock shard i (stock_shards > 1) | TPL#<tid>#S<i>   | SHARD       |
| claims of shard i in one hour    | STATS#<tid>#S<i> | HOUR#<hour> |

<i> is 0..stock_shards-1 (a template with one shard keeps its stock on the template item and
counts its hours under S0); <hour> is the hour's start, `2026-11-23T10:00:00Z`. The same items
count redemptions (`redeemed`), always under S0: a redemption moves the template item's
`redeemed` in the same transaction, so the hour item is never hotter than the template item.
"""

from __future__ import annotations

from chalicelib.ids import shard_of
from chalicelib.indexes import GSI1, GSI2, GSI3
from chalicelib.indexes import TABLE as TABLE, IndexSpec as IndexSpec  # re-exported: the names storage uses



ADMIN = GSI1       # templates, newest first
CLAIMABLE = GSI2   # published templates, by the end of their claim window
CODES = GSI1       # a template's codes
EXPIRY = GSI2      # unused coupons, by the end of their validity
LOCKS = GSI1       # locks and holds, by when they lapse
REMINDERS = GSI3   # coupons not yet reminded, by the end of their validity

TEMPLATES_PARTITION = "TEMPLATES"
CLAIMABLE_PARTITION = "CLAIMABLE"
COUPON_PREFIX = "CPN#"
HOLD_PREFIX = "HOLD#"
EXPIRY_SHARDS = 16
EXPIRY_PREFIX = "CPN_EXPIRES#"


def template(template_id: str) -> dict[str, str]:
    return {"PK": f"TPL#{template_id}", "SK": "TPL"}


def template_listing(created_at: str, template_id: str) -> dict[str, str]:
    return ADMIN.listing(TEMPLATES_PARTITION, f"{created_at}#{template_id}")


def claimable_sort_key(claim_ends_at: str, template_id: str) -> str:
    return f"{claim_ends_at}#{template_id}"


def claimable_listing(claim_ends_at: str, template_id: str) -> dict[str, str]:
    return CLAIMABLE.listing(CLAIMABLE_PARTITION, claimable_sort_key(claim_ends_at, template_id))


def user_claims(user_id: str, template_id: str) -> dict[str, str]:
    return {"PK": f"USER#{user_id}", "SK": f"CLAIMS#{template_id}"}


def user_partition(user_id: str) -> str:
    return f"USER#{user_id}"


def user_of(partition: str) -> str:
    """The user id of a `USER#<uid>` partition key."""
    return partition.removeprefix("USER#")


def coupon(user_id: str, coupon_id: str) -> dict[str, str]:
    return {"PK": f"USER#{user_id}", "SK": f"{COUPON_PREFIX}{coupon_id}"}


def card_hold(user_id: str, card_id: str, order_id: str) -> dict[str, str]:
    """One order's hold on a stored-value card: at most one per (card, order)."""
    return {"PK": f"USER#{user_id}", "SK": f"{HOLD_PREFIX}{card_id}#{order_id}"}


def card_holds_prefix(card_id: str) -> str:
    return f"{HOLD_PREFIX}{card_id}#"


def card_log(user_id: str, card_id: str, entry_id: str) -> dict[str, str]:
    """An append-only history entry of a card; entry ids are time-ordered."""
    return {"PK": f"USER#{user_id}", "SK": f"{card_log_prefix(card_id)}{entry_id}"}


def card_log_prefix(card_id: str) -> str:
    return f"CARDLOG#{card_id}#"


def redemption(user_id: str, payment_id: str) -> dict[str, str]:
    """What one payment used (coupon ids, card ids): what a refund of it restores."""
    return {"PK": f"USER#{user_id}", "SK": f"PAY#{payment_id}"}


def grant_marker(template_id: str, grant_ref: str) -> dict[str, str]:
    """Proof that the grant `grant_ref` of a template happened, naming its coupon."""
    return {"PK": f"GRANT#{template_id}#{grant_ref}", "SK": "GRANT"}


def code(code_text: str) -> dict[str, str]:
    return {"PK": f"CODE#{code_text}", "SK": "CODE"}


def code_listing(template_id: str, batch_id: str, code_text: str) -> dict[str, str]:
    return CODES.listing(code_partition(template_id), f"{batch_id}#{code_text}")


def code_batch_prefix(batch_id: str) -> str:
    """The start of the CODES sort keys of one batch's codes."""
    return f"{batch_id}#"


def code_partition(template_id: str) -> str:
    return f"CODES#{template_id}"


def code_batch(template_id: str, batch_id: str) -> dict[str, str]:
    return {"PK": f"TPL#{template_id}", "SK": f"BATCH#{batch_id}"}


def expiry_shard(coupon_id: str) -> int:
    """The coupon's expiry-index shard (also its reminder-index shard)."""
    return shard_of(coupon_id, EXPIRY_SHARDS)


def expiry_partition(shard: int) -> str:
    return f"{EXPIRY_PREFIX}{shard}"


def expiry_sort_key(valid_until: str, coupon_id: str) -> str:
    return f"{valid_until}#{coupon_id}"


def expiry_listing(valid_until: str, coupon_id: str) -> dict[str, str]:
    """GSI2 attributes of an unused coupon: listed under its shard by when it stops being valid."""
    return EXPIRY.listing(expiry_partition(expiry_shard(coupon_id)), expiry_sort_key(valid_until, coupon_id))


def expiry_due_bound(now: str) -> str:
    """The highest GSI2SK due at `now`: every `<valid_until>#<cid>` with valid_until <= now sorts
    below `<now>#~` ('~' sorts after every id character)."""
    return f"{now}#~"


# --- due indexes of the scheduled jobs (docs/jobs.md) -----------------------------------------
#
# Each is sparse and sharded like the expiry index: an item is listed only while a job has
# something to do with it, under `<prefix><shard>`, sorted by when that becomes due.
#
# | listing          | on                       | while                   | GSI PK / SK                                  |
# |------------------|--------------------------|-------------------------|----------------------------------------------|
# | lapsing locks    | coupon; card hold        | locked; held            | GSI1 LOCKS#<shard> / <expires_at>#<holder>   |
# | expiry reminders | coupon (and card)        | issued, not yet reminded | GSI3 CPN_REMIND#<shard> / <valid_until>#<cid> |
#
# A coupon needs no GSI1 entry otherwise, so its lock listing can use GSI1. <holder> is the
# coupon id, or `<card id>#<order id>` for a hold.

LOCK_SHARDS = 16
LOCK_PREFIX = "LOCKS#"
REMINDER_PREFIX = "CPN_REMIND#"


def lock_partition(shard: int) -> str:
    return f"{LOCK_PREFIX}{shard}"


def lock_listing(expires_at: str, holder: str) -> dict[str, str]:
    """GSI1 attributes of a coupon lock or a card hold: listed by when it lapses."""
    return LOCKS.listing(lock_partition(shard_of(holder, LOCK_SHARDS)), f"{expires_at}#{holder}")


def hold_holder(card_id: str, order_id: str) -> str:
    return f"{card_id}#{order_id}"


def reminder_partition(shard: int) -> str:
    return f"{REMINDER_PREFIX}{shard}"


def reminder_listing(valid_until: str, coupon_id: str) -> dict[str, str]:
    """GSI3 attributes of a coupon not yet reminded of its expiry: the expiry index's shard and
    sort key, so a write can list it again from `expiry_sk` without reading it."""
    return REMINDERS.listing(reminder_partition(expiry_shard(coupon_id)), expiry_sort_key(valid_until, coupon_id))


# --- hot campaigns: stock shards and hourly claim counts ----------------------------------------

STATS_HOUR_PREFIX = "HOUR#"


def stock_shard(template_id: str, shard: int) -> dict[str, str]:
    """One shard of a sharded template's stock: its own partition key, so shards never share a
    partition's write capacity with each other or with the template."""
    return {"PK": f"TPL#{template_id}#S{shard}", "SK": "SHARD"}


def claim_stats_partition(template_id: str, shard: int) -> str:
    return f"STATS#{template_id}#S{shard}"


def claim_stats_sort_key(hour: str) -> str:
    return f"{STATS_HOUR_PREFIX}{hour}"


REDEMPTION_STATS_SHARD = 0  # the hour item redemptions count on (see the table above)


def claim_stats(template_id: str, shard: int, hour: str) -> dict[str, str]:
    """The count of one shard's claims in one hour: written by the claims of that shard only, so
    it is never hotter than the shard it rides with (and by redemptions on shard 0)."""
    return {"PK": claim_stats_partition(template_id, shard), "SK": claim_stats_sort_key(hour)}
