"""Every DynamoDB key and index name of the rebates domain (payments, rules, accounts), and nowhere else.

Table `MallTable` (PK, SK), indexes GSI1 (GSI1PK, GSI1SK) and GSI2 (GSI2PK, GSI2SK):

| item                        | PK                   | SK                                       |
|-----------------------------|----------------------|------------------------------------------|
| rebate rule (+ budget_used) | RULE#<rid>           | RULE                                     |
| per-order cap counter       | RULE#<rid>           | ORDER#<order_id>                         |
| per-user daily cap counter  | RULE#<rid>           | USERDAY#<uid>#<yyyy-mm-dd>               |
| rule totals, one shard      | RULE#<rid>#STATS#<n> | STATS                                    |
| programme totals, one shard | REBATES#TOTALS#<n>   | TOTALS                                   |
| the same, one Beijing day   | REBATES#TOTALS#<n>   | DAY#<yyyy-mm-dd>                         |
| provider event seen         | EVT#<provider>#<eid> | EVT                                      |
| payment                     | PAY#<payment_ref>    | PAY                                      |
| rebate (one per rule)       | PAY#<payment_ref>    | REBATE#<rid>                             |
| refund                      | PAY#<payment_ref>    | REFUND#<refund_id>                       |
| purchase (one per line)     | PAY#<payment_ref>    | PURCHASE#<nn> (the line's position)      |
| account                     | ACCT#<uid>           | ACCOUNT                                  |
| ledger entry                | ACCT#<uid>           | LEDGER#<entry_id>                        |
| instalment                  | ACCT#<uid>           | INST#<due_at>#<payment_ref>#<rid>#<nn>   |
| withdrawal                  | WD#<wid>             | WD                                       |
| withdrawals of one day      | ACCT#<uid>           | WDDAY#<yyyy-mm-dd> (Beijing day)         |
| points expiring on one day  | ACCT#<uid>           | PTLOT#<yyyy-mm-dd> (Beijing day)         |

Index entries:
- rule: GSI1 REBATE_RULES / <created_at>#<rid>; GSI2 REBATE_RULES#live / <ends_at or ~>#<rid> (*)
- instalment: GSI1 REBATE_INSTALMENTS#due / <due_at>#<uid>#<payment_ref>#<rid>#<nn> (**)
- rebate of a rule with pending_days: GSI1 REBATE_PENDING#due / <pending_until>#<uid>#<payment_ref>#<rid> (**)
- points bucket: GSI1 REBATE_POINTS#due / <expires_at>#<uid>#<yyyy-mm-dd> (**)
- withdrawal: GSI1 WITHDRAWALS#<status> / <created_at>#<wid>; GSI2 WITHDRAWALS_OF#<uid> / <created_at>#<wid>
- payment: GSI1 ORDER_PAYMENTS#<uid>#<order_id> / <payment_ref> (a shopper's order -> its payments,
  for GET /me/orders/{order_id}/rebates; written with the payment, so payments recorded before
  it are not listed)
- payment: GSI2 PAYMENTS_DAY#<yyyy-mm-dd> / <paid_at>#<payment_ref>; refund: GSI2 PAYMENTS_DAY#<yyyy-mm-dd> /
  <refunded_at>#<payment_ref>#<refund_id> (the Beijing day of that time: a rule's preview reads a window
  of days; written with the item, so payments and refunds recorded before it are not listed)

(*) only while published: the rules a payment can earn under. A rule without `ends_at` lists
under `~`, which sorts after every time, so `GSI2SK > <paid_at>` always finds it.
(**) only while pending: the release jobs (release-instalments, release-pending) and expire-points
read exactly what is due (a points bucket is deleted when it expires).
`payment_ref` is `<provider>:<provider's payment id>`. Entry and withdrawal ids are ULIDs,
so `LEDGER#` sorts an account's ledger by time. A payment's changes of its rule's totals go
to shard `crc32(payment_ref) % STATS_SHARDS`, each shard its own partition (no index entry);
a rule with a budget keeps its grants' totals on the rule item instead (docs/rebates.md).
The programme's totals (each payment once, whatever rules it earned under) go to shard
`crc32(payment_ref) % PROGRAMME_SHARDS` the same way; each change also goes, in the same
transaction, to the day item of the Beijing day of its `now` in the same shard partition, so a
range of days is one Query per shard (`SK BETWEEN DAY#<from> AND DAY#<to>`; `TOTALS` sorts
after every `DAY#`).

Each listing is an `IndexSpec` (index name, key attribute names, the `remove` fragment that
takes an item out of a sparse index); with `NEW`, `LIVE_CONDITION` and
`due_bound` no other module spells an index attribute or a key prefix.
"""

from __future__ import annotations

from chalicelib.ids import shard_of
from chalicelib.indexes import GSI1, GSI2
from chalicelib.indexes import TABLE as TABLE, IndexSpec as IndexSpec  # re-exported: the names storage uses


RULES = GSI1              # every rule, newest first
LIVE_RULES = GSI2         # published rules, by end of window
DUE = GSI1                # pending instalments, by due time
WITHDRAWALS = GSI1        # withdrawals by status, oldest first
USER_WITHDRAWALS = GSI2   # one shopper's withdrawals
ORDER_PAYMENTS = GSI1     # the payments of one shopper's order
PAYMENTS_BY_DAY = GSI2    # payments and refunds by Beijing day, by time (a rule's preview)
NEW = f"attribute_not_exists({TABLE.pk})"  # the condition of a put that must not overwrite
RULES_PARTITION = "REBATE_RULES"
LIVE_RULES_PARTITION = "REBATE_RULES#live"
DUE_PARTITION = "REBATE_INSTALMENTS#due"
PENDING_DUE_PARTITION = "REBATE_PENDING#due"
POINTS_DUE_PARTITION = "REBATE_POINTS#due"
POINTS_LOT_PREFIX = "PTLOT#"
LEDGER_PREFIX = "LEDGER#"
INSTALMENT_PREFIX = "INST#"
REBATE_PREFIX = "REBATE#"
PURCHASE_PREFIX = "PURCHASE#"
PROGRAMME_DAY_PREFIX = "DAY#"
OPEN_END = "~"  # the live listing's end of a rule without ends_at: after every ISO time
STATS_SHARDS = 8  # a rule's totals take about 8 x 500 transactional writes/s (docs/rebates.md)
# Every payment writes the programme's totals once, plus once per rule it earns under: twice the shards.
PROGRAMME_SHARDS = 16


def rule(rule_id: str) -> dict[str, str]:
    return {"PK": f"RULE#{rule_id}", "SK": "RULE"}


def rule_listing(created_at: str, rule_id: str) -> dict[str, str]:
    return RULES.listing(RULES_PARTITION, f"{created_at}#{rule_id}")


def live_rule_sort(ends_at: str | None, rule_id: str) -> str:
    """`ends_at` None: a rule that runs until it is paused or ended."""
    return f"{ends_at or OPEN_END}#{rule_id}"


def live_rule_listing(ends_at: str | None, rule_id: str) -> dict[str, str]:
    return LIVE_RULES.listing(LIVE_RULES_PARTITION, live_rule_sort(ends_at, rule_id))


LIVE_CONDITION = f"{LIVE_RULES.sk} > :at"  # the live rules whose window ends after `:at`


def rule_stats(rule_id: str, payment_ref: str) -> dict[str, str]:
    """The shard of the rule's totals that this payment's changes go to."""
    return rule_stats_shard(rule_id, shard_of(payment_ref, STATS_SHARDS))


def rule_stats_shard(rule_id: str, shard: int) -> dict[str, str]:
    return {"PK": f"RULE#{rule_id}#STATS#{shard}", "SK": "STATS"}


def rule_stats_shards(rule_id: str) -> list[dict[str, str]]:
    return [rule_stats_shard(rule_id, shard) for shard in range(STATS_SHARDS)]


def programme_totals(payment_ref: str) -> dict[str, str]:
    """The shard of the programme's totals that this payment's changes go to."""
    return programme_totals_shard(shard_of(payment_ref, PROGRAMME_SHARDS))


def programme_totals_shard(shard: int) -> dict[str, str]:
    return {"PK": programme_partition(shard), "SK": "TOTALS"}


def programme_totals_shards() -> list[dict[str, str]]:
    return [programme_totals_shard(shard) for shard in range(PROGRAMME_SHARDS)]


def programme_partition(shard: int) -> str:
    return f"REBATES#TOTALS#{shard}"


def programme_day_sort_key(day: str) -> str:
    return f"{PROGRAMME_DAY_PREFIX}{day}"


def programme_day(payment_ref: str, day: str) -> dict[str, str]:
    """The payment's shard of the programme's totals of Beijing day `day` (yyyy-mm-dd)."""
    return {"PK": programme_partition(shard_of(payment_ref, PROGRAMME_SHARDS)), "SK": programme_day_sort_key(day)}


def order_cap(rule_id: str, order_id: str) -> dict[str, str]:
    return {"PK": f"RULE#{rule_id}", "SK": f"ORDER#{order_id}"}


def user_day_cap(rule_id: str, user_id: str, day: str) -> dict[str, str]:
    return {"PK": f"RULE#{rule_id}", "SK": f"{user_day_prefix(user_id)}{day}"}


def user_day_prefix(user_id: str) -> str:
    """The start of the sort keys of one user's daily cap counters, in every rule (chalicelib/privacy)."""
    return f"USERDAY#{user_id}#"


def event(provider: str, event_id: str) -> dict[str, str]:
    return {"PK": f"EVT#{provider}#{event_id}", "SK": "EVT"}


def payment(payment_ref: str) -> dict[str, str]:
    return {"PK": f"PAY#{payment_ref}", "SK": "PAY"}


def rebate(payment_ref: str, rule_id: str) -> dict[str, str]:
    return {"PK": f"PAY#{payment_ref}", "SK": f"{REBATE_PREFIX}{rule_id}"}


def refund(payment_ref: str, refund_id: str) -> dict[str, str]:
    return {"PK": f"PAY#{payment_ref}", "SK": f"REFUND#{refund_id}"}


def account(user_id: str) -> dict[str, str]:
    return {"PK": f"ACCT#{user_id}", "SK": "ACCOUNT"}


def account_partition(user_id: str) -> str:
    return f"ACCT#{user_id}"


def ledger_entry(user_id: str, entry_id: str) -> dict[str, str]:
    return {"PK": f"ACCT#{user_id}", "SK": f"{LEDGER_PREFIX}{entry_id}"}


def instalment(user_id: str, due_at: str, payment_ref: str, rule_id: str, number: int) -> dict[str, str]:
    return {"PK": f"ACCT#{user_id}", "SK": f"{INSTALMENT_PREFIX}{due_at}#{payment_ref}#{rule_id}#{number:02d}"}


def due_listing(user_id: str, due_at: str, payment_ref: str, rule_id: str, number: int) -> dict[str, str]:
    return DUE.listing(DUE_PARTITION, f"{due_at}#{user_id}#{payment_ref}#{rule_id}#{number:02d}")


def pending_listing(pending_until: str, user_id: str, payment_ref: str, rule_id: str) -> dict[str, str]:
    """A rebate still inside its return window, listed for release-pending (DUE, sparse)."""
    return DUE.listing(PENDING_DUE_PARTITION, f"{pending_until}#{user_id}#{payment_ref}#{rule_id}")


def points_lot(user_id: str, day: str) -> dict[str, str]:
    """The points of `user_id` expiring at the end of Beijing day `day` (yyyy-mm-dd)."""
    return {"PK": f"ACCT#{user_id}", "SK": f"{POINTS_LOT_PREFIX}{day}"}


def points_lot_listing(expires_at: str, user_id: str, day: str) -> dict[str, str]:
    """A points bucket, listed for expire-points by its expiry time (DUE, sparse: deleted when expired)."""
    return DUE.listing(POINTS_DUE_PARTITION, f"{expires_at}#{user_id}#{day}")


def due_bound(now: str) -> str:
    """The highest due listing sort key at `now` (`~` sorts after every user id)."""
    return f"{now}#{OPEN_END}"


def withdrawal(withdrawal_id: str) -> dict[str, str]:
    return {"PK": f"WD#{withdrawal_id}", "SK": "WD"}


def withdrawal_partition(status: str) -> str:
    return f"WITHDRAWALS#{status}"


def withdrawal_listing(status: str, created_at: str, withdrawal_id: str) -> dict[str, str]:
    return WITHDRAWALS.listing(withdrawal_partition(status), f"{created_at}#{withdrawal_id}")


def user_withdrawals_partition(user_id: str) -> str:
    return f"WITHDRAWALS_OF#{user_id}"


def user_withdrawal_listing(user_id: str, created_at: str, withdrawal_id: str) -> dict[str, str]:
    return USER_WITHDRAWALS.listing(user_withdrawals_partition(user_id), f"{created_at}#{withdrawal_id}")


def withdrawal_day(user_id: str, day: str) -> dict[str, str]:
    """What one shopper's withdrawals not rejected or failed hold against one Beijing day's maximum."""
    return {"PK": f"ACCT#{user_id}", "SK": f"WDDAY#{day}"}


def order_payments_partition(user_id: str, order_id: str) -> str:
    return f"ORDER_PAYMENTS#{user_id}#{order_id}"


def order_payment_listing(user_id: str, order_id: str, payment_ref: str) -> dict[str, str]:
    return ORDER_PAYMENTS.listing(order_payments_partition(user_id, order_id), payment_ref)


def purchase(payment_ref: str, line: int) -> dict[str, str]:
    """What line `line` of the payment's `purchases` issued (cards and vouchers for sale)."""
    return {"PK": f"PAY#{payment_ref}", "SK": f"{PURCHASE_PREFIX}{line:02d}"}


def payments_day_partition(day: str) -> str:
    """The payments and refunds of one Beijing day (`yyyy-mm-dd`)."""
    return f"PAYMENTS_DAY#{day}"


def payment_day_listing(day: str, paid_at: str, payment_ref: str) -> dict[str, str]:
    return PAYMENTS_BY_DAY.listing(payments_day_partition(day), f"{paid_at}#{payment_ref}")


def refund_day_listing(day: str, refunded_at: str, payment_ref: str, refund_id: str) -> dict[str, str]:
    return PAYMENTS_BY_DAY.listing(payments_day_partition(day), f"{refunded_at}#{payment_ref}#{refund_id}")


DAY_WINDOW = f"{PAYMENTS_BY_DAY.sk} BETWEEN :from AND :to"  # ISO times: from inclusive, to exclusive (`<to>#` > `<to>`)
