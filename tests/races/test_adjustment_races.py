"""Support's adjustments racing withdrawals and order reservations over real HTTP, against the
serialized moto server and DynamoDB Local (`race_api`): the balance never goes below 0, each
adjustment that was answered 201 moved it exactly once, and the ledger explains the account."""

from __future__ import annotations

from chalicelib.rebates import accounts_store, settlement
from tests.checkout_helpers import item
from tests.helpers import fire, headers_for
from tests.payment_helpers import NOW, live_rule, payment_event
from tests.reservation_helpers import ledger_sums


def test_adjustments_racing_withdrawals_and_reservations_never_drive_the_balance_below_zero(race_api):
    live_rule(ratio_bp=10000)
    settlement.process(payment_event("fund", 1000), NOW)  # balance 1000
    finance = headers_for("fay", roles=("finance",))
    shopper = headers_for("alice")
    take = [("POST", f"{race_api}/admin/accounts/alice/adjustments", finance,
             {"asset": "balance", "amount": -70, "reason": "duplicate credit"})] * 8
    give = [("POST", f"{race_api}/admin/accounts/alice/adjustments", finance,
             {"asset": "balance", "amount": 10, "reason": "goodwill"})] * 3
    withdraw = [("POST", f"{race_api}/me/withdrawals", shopper, {"amount": 70})] * 8
    reserve = [("POST", f"{race_api}/checkout/reservations", shopper,
                {"order_id": f"race-{n}", "items": [item(10_000)], "coupon_ids": [], "use_balance": 70})
               for n in range(4)]

    results = fire(take + give + withdraw + reserve)

    taken = sum(70 for status, _ in results[:8] if status == 201)
    given = sum(10 for status, _ in results[8:11] if status == 201)
    frozen = sum(70 for status, _ in results[11:19] if status == 201)
    held = sum(body["balance_used"] for status, body in results[19:] if status == 201)
    assert {status for status, _ in results[:19]} <= {201, 409, 429}, results  # 429: lost every optimistic retry
    assert {body["error"]["code"] for status, body in results if status == 409} <= {"INSUFFICIENT_BALANCE"}
    # a reservation trims to what is free as it read it; 409 when a racing write took that meanwhile
    assert {status for status, _ in results[19:]} <= {201, 409, 429}, results[19:]
    account = accounts_store.get_account("alice")
    assert account["balance"] >= 0
    assert (account["balance"], account["frozen"], account["held"]) == (1000 - taken + given - frozen - held,
                                                                        frozen, held)
    sums = ledger_sums("alice")
    assert {k: sums.get(k, 0) for k in account} == account
