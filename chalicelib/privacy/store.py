"""DynamoDB reads and writes of the privacy export and erasure (docs/compliance.md, "Personal
data"). Key formats come from each domain's keys module; this module spells none.

What it reads about one user:
- the user's own partitions, by Query: `ACCT#<uid>` (account, ledger, instalments, the daily
  withdrawal counters) and `USER#<uid>` (coupons and cards, claim counters, card holds and
  history, redemption records);
- the audit entries about the user's account, withdrawals and coupons, by Query of
  `AUDIT#account#<uid>`, `AUDIT#withdrawal#<wid>`, `AUDIT#coupon#<cid>`;
- everything else that names the user (withdrawals, payments and their rebates
  and refunds, order reservations, rules' per-user daily cap counters, redeemed codes, grant
  markers, the user's Idempotency-Key records), by one paged Scan of the table with a filter (and
  each payment's partition, its rebates and refunds, by Query): it
  reads the whole table, a page at a time. Export and erasure are rare operator work (a few a
  month), never on a request path; the cost is the table's read units once per run.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable, Iterator

from chalicelib import dynamo, idempotency
from chalicelib.audit import keys as audit_keys
from chalicelib.clock import iso
from chalicelib.coupons import keys as coupon_keys
from chalicelib.indexes import TABLE, IndexSpec
from chalicelib.rebates import keys as rebate_keys

PAGE = 100
FINAL = ("rejected", "paid", "failed")  # a withdrawal nobody will pay out any more
Progress = Callable[[int], None]  # told how many more items a Scan page read


def _query(partition: str, index: IndexSpec = TABLE) -> Iterator[dict[str, Any]]:
    start: dict[str, Any] | None = None
    while True:
        items, start = dynamo.query_once(index=index.name, key_condition="#pk = :pk", names={"#pk": index.pk},
                                         vals=dynamo.values(pk=partition), limit=PAGE, start=start)
        yield from items
        if not start:
            return


def known(user_id: str) -> bool:
    """Whether the user's account or coupon partition holds anything (one item read of each)."""
    return any(dynamo.query_once(index=None, key_condition="#pk = :pk", names={"#pk": TABLE.pk},
                                 vals=dynamo.values(pk=partition), limit=1)[0]
               for partition in (rebate_keys.account_partition(user_id), coupon_keys.user_partition(user_id)))


def own_partitions(user_id: str) -> list[dict[str, Any]]:
    """Every item of the user's account partition and coupon partition."""
    return [*_query(rebate_keys.account_partition(user_id)), *_query(coupon_keys.user_partition(user_id))]


def audit_of(target_type: str, target_id: str) -> list[dict[str, Any]]:
    return list(_query(audit_keys.target_partition(target_type, target_id)))


def scan_naming(user_id: str, progress: Progress | None = None) -> list[dict[str, Any]]:
    """Every item outside the user's own partitions that names the user (see the docstring)."""
    names = {"#pk": TABLE.pk, "#sk": TABLE.sk}
    vals = dynamo.values(uid=user_id, idem=idempotency.scope_prefix(user_id),
                         day=rebate_keys.user_day_prefix(user_id),
                         account=rebate_keys.account_partition(user_id), coupons=coupon_keys.user_partition(user_id),
                         audit=audit_keys.PREFIX)
    condition = ("(user_id = :uid OR claimed_by = :uid OR begins_with(#pk, :idem) OR begins_with(#sk, :day)) "
                 "AND #pk <> :account AND #pk <> :coupons AND NOT begins_with(#pk, :audit)")
    found: list[dict[str, Any]] = []
    start: dict[str, Any] | None = None
    while True:
        items, start, read = dynamo.scan_once(filter_expression=condition, names=names, vals=vals, limit=PAGE * 10,
                                              start=start)
        found.extend(items)
        if progress:
            progress(read)
        if not start:
            return found


def payment_partition(payment_ref: str) -> list[dict[str, Any]]:
    """A payment with its rebates and refunds (refunds carry no user id: found through the payment)."""
    return list(_query(rebate_keys.payment(payment_ref)[TABLE.pk]))


def is_idempotency_record(item: dict[str, Any], user_id: str) -> bool:
    return str(item[TABLE.pk]).startswith(idempotency.scope_prefix(user_id))


def erase_payee(withdrawal_id: str, now: datetime) -> bool:
    """Remove a decided withdrawal's payee (channel, account, name) and mark when; False when
    there was none left to erase or the withdrawal may still be paid out (its status not final)."""
    try:
        dynamo.update(rebate_keys.withdrawal(withdrawal_id), "REMOVE payee SET payee_erased_at = :now",
                      condition="attribute_exists(payee) AND #status IN (:rejected, :paid, :failed)",
                      names={"#status": "status"},
                      vals=dynamo.values(now=iso(now), **dict(zip(FINAL, FINAL))))
    except dynamo.ConditionFailed:
        return False
    return True


def delete_record(item: dict[str, Any]) -> None:
    dynamo.delete({TABLE.pk: item[TABLE.pk], TABLE.sk: item[TABLE.sk]})
