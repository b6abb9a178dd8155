"""DynamoDB storage of what a payment's purchases issued: one `PURCHASE#<nn>` item per line
under the payment (keys.purchase). The item is put once (`attribute_not_exists`): the first
complete issuing of a line is what the order's rebates show; a full refund's outcome is set
on it once."""

from __future__ import annotations

from datetime import datetime

from chalicelib import dynamo
from chalicelib.clock import iso
from chalicelib.rebates import keys
from chalicelib.rebates.purchases_models import PurchaseRecord


def get(payment_ref: str, line: int) -> PurchaseRecord | None:
    item = dynamo.get(keys.purchase(payment_ref, line), consistent=True)
    return PurchaseRecord.model_validate(item) if item else None


def record(purchase: PurchaseRecord) -> bool:
    """Store the line's outcome once; False if an earlier (or concurrent) delivery stored it."""
    item = {**keys.purchase(purchase.payment_ref, purchase.line), "entity": "purchase",
            **purchase.model_dump(mode="json")}
    try:
        dynamo.put(item, keys.NEW)
    except dynamo.ConditionFailed:
        return False
    return True


def of_payment(payment_ref: str) -> list[PurchaseRecord]:
    """Every purchase line of the payment, in line order (at most payments.models.MAX_PURCHASE_LINES)."""
    items, _ = dynamo.query_page(partition_attr=keys.TABLE.pk, partition_value=keys.payment(payment_ref)["PK"],
                                 key_attrs=keys.TABLE.key_attrs, limit=100, cursor=None, newest_first=False,
                                 sort_condition=f"begins_with({keys.TABLE.sk}, :prefix)",
                                 vals=dynamo.values(prefix=keys.PURCHASE_PREFIX))
    return [PurchaseRecord.model_validate(i) for i in items]


def mark_refunded(purchase: PurchaseRecord, revoked: list[str], kept: list[str], now: datetime) -> None:
    """The full refund's outcome, once: which coupons it revoked and which stayed (used)."""
    try:
        dynamo.update(keys.purchase(purchase.payment_ref, purchase.line),
                      "SET revoked_ids = :revoked, kept_ids = :kept, refunded_at = :now",
                      condition="attribute_not_exists(refunded_at)",
                      vals=dynamo.values(revoked=revoked, kept=kept, now=iso(now)))
    except dynamo.ConditionFailed:
        pass
