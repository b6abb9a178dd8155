"""DynamoDB reads of what one order earned: its payments (the ORDER_PAYMENTS listing of the
payment items), and each payment's rebates (its REBATE# items); their
instalments are instalments_store.instalments_of's."""

from __future__ import annotations

from chalicelib import dynamo
from chalicelib.rebates import keys
from chalicelib.rebates.models import Payment, Rebate

MAX_PAYMENTS = 20  # an order is paid once; a few more (a second payment of it) are shown, not more


def payments_of_order(user_id: str, order_id: str) -> list[Payment]:
    index = keys.ORDER_PAYMENTS
    items, _ = dynamo.query_page(index=index.name, partition_attr=index.pk,
                                 partition_value=keys.order_payments_partition(user_id, order_id),
                                 key_attrs=index.key_attrs, limit=MAX_PAYMENTS, cursor=None, newest_first=False)
    return [Payment.model_validate(i) for i in items]


def rebates_of(payment_ref: str) -> list[Rebate]:
    """Every rebate of the payment (one per rule it earned under: at most the live rules)."""
    payment_key = keys.payment(payment_ref)
    items, _ = dynamo.query_page(partition_attr=keys.TABLE.pk, partition_value=payment_key["PK"],
                                 key_attrs=keys.TABLE.key_attrs, limit=100, cursor=None, newest_first=False,
                                 sort_condition=f"begins_with({keys.TABLE.sk}, :prefix)",
                                 vals=dynamo.values(prefix=keys.REBATE_PREFIX))
    return [Rebate.model_validate(i) for i in items]

