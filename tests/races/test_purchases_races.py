"""Cards for sale under contention (issue 17, item 4), on the serialized moto server and on
DynamoDB Local (`race_aws`): payments racing for the last units never oversell, each payment's
shortfall is listed, and a payment delivered twice at once issues once."""

from __future__ import annotations

from chalicelib.coupons import templates, wallet_store
from chalicelib.rebates import order_rebates
from tests.checkout_helpers import race
from tests.payment_helpers import settle_like_sqs
from tests.purchase_helpers import buying, for_sale


def test_20_payments_buying_a_card_with_stock_5_never_oversell_and_list_each_shortfall(race_aws):
    card = for_sale(total_stock=5, per_user_limit=1)
    events = [buying(f"pay_{i}", (card.id, 1), user=f"user{i}") for i in range(20)]
    outcomes = race([lambda e=e: settle_like_sqs(e) for e in events + events])  # each delivered twice at once
    assert [o for o in outcomes if o is not None] == []

    lines = {}
    for i in range(20):
        [payment] = order_rebates.order_rebates(f"user{i}", f"order-pay_{i}").payments
        [lines[i]] = payment.purchases
    issued = [i for i, line in lines.items() if line.issued == 1]
    assert len(issued) == 5, lines
    assert all(lines[i].not_issued_reason == "SOLD_OUT" and lines[i].coupon_ids == []
               for i in lines if i not in issued)
    for i in issued:
        [coupon_id] = lines[i].coupon_ids
        coupon = wallet_store.get_coupon(f"user{i}", coupon_id, consistent=True)
        assert coupon is not None and coupon.bought_with == f"generic:pay_{i}"
    assert templates.get_template(card.id).claimed == 5


def test_one_shopper_racing_ten_payments_gets_no_more_than_the_per_user_limit(race_aws):
    card = for_sale(total_stock=100, per_user_limit=3)
    events = [buying(f"pay_{i}", (card.id, 1)) for i in range(10)]
    outcomes = race([lambda e=e: settle_like_sqs(e) for e in events])
    assert [o for o in outcomes if o is not None] == []
    lines = [order_rebates.order_rebates("alice", f"order-pay_{i}").payments[0].purchases[0] for i in range(10)]
    assert sum(line.issued for line in lines) == 3
    assert sorted(line.not_issued_reason or "-" for line in lines) == ["-"] * 3 + ["LIMIT_REACHED"] * 7
    assert templates.get_template(card.id).claimed == 3
