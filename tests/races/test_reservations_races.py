"""Racing order reservations over real HTTP, against the serialized moto server and DynamoDB
Local (`race_api`): balance and points never go negative and are never held twice, whatever
reservations, withdrawals, payments and releases race (API.md, "Paying with rebates")."""

from __future__ import annotations

from collections import Counter

import requests

from chalicelib.rebates import settlement
from tests.checkout_helpers import item, race
from tests.helpers import fire, headers_for
from tests.payment_helpers import NOW, payment_event
from tests.reservation_helpers import fund, ledger_sums


def account(base, user="alice"):
    return requests.get(f"{base}/me/account", headers=headers_for(user), timeout=30).json()


def reservation(order_id, **fields):
    return {"order_id": order_id, "items": [item(10_000)], **fields}


def test_20_racing_reservations_never_overdraw_one_balance(race_api):
    fund(balance=1000, points=300)
    url = f"{race_api}/checkout/reservations"
    results = fire([("POST", url, headers_for("alice"), reservation(f"order-{i}", use_balance=70, use_points=30))
                    for i in range(20)])
    statuses = Counter(status for status, _ in results)
    assert set(statuses) <= {201, 409}, results
    assert {b["error"]["code"] for s, b in results if s == 409} <= {"INSUFFICIENT_BALANCE", "INSUFFICIENT_POINTS"}
    reserved = [b for s, b in results if s == 201]
    current = account(race_api)
    assert current["held"] == sum(b["balance_used"] for b in reserved) <= 1000
    assert current["points_held"] == sum(b["points_used"] for b in reserved) <= 300
    assert (current["balance"], current["points"]) == (1000 - current["held"], 300 - current["points_held"])
    assert min(current["balance"], current["points"]) >= 0
    assert ledger_sums("alice") == {"balance": current["balance"], "held": current["held"],
                                    "points": current["points"], "points_held": current["points_held"]}


def test_reservations_racing_withdrawals_never_overdraw(race_api):
    fund(balance=1000)
    calls = ([("POST", f"{race_api}/checkout/reservations", headers_for("alice"),
               reservation(f"order-{i}", use_balance=150)) for i in range(8)]
             + [("POST", f"{race_api}/me/withdrawals", headers_for("alice"), {"amount": 200})] * 4)
    results = fire(calls)
    assert {status for status, _ in results} <= {201, 409}, results
    current = account(race_api)
    held = sum(b["balance_used"] for s, b in results[:8] if s == 201)
    frozen = 200 * sum(1 for s, _ in results[8:] if s == 201)
    assert (current["held"], current["frozen"]) == (held, frozen)
    assert current["balance"] == 1000 - held - frozen >= 0


def test_a_payment_racing_a_release_spends_the_reservation_once(race_api):
    fund(balance=1000)
    reserved = requests.post(f"{race_api}/checkout/reservations", json=reservation("order-pay_1", use_balance=600),
                             headers=headers_for("alice"), timeout=30)
    assert reserved.status_code == 201, reserved.text
    release_url = f"{race_api}/checkout/reservations/order-pay_1/release"
    outcomes = race([lambda: settlement.process(payment_event("pay_1", 9400, order_id="order-pay_1"), NOW)]
                    + [lambda: requests.post(release_url, headers=headers_for("alice"), timeout=30).status_code] * 3)
    assert outcomes[0] is None, outcomes
    assert set(outcomes[1:]) <= {200, 409}, outcomes
    shown = requests.get(f"{race_api}/checkout/reservations/order-pay_1", headers=headers_for("alice"), timeout=30)
    assert shown.json()["status"] == "paid"
    current = account(race_api)
    assert (current["balance"], current["held"]) == (400, 0)  # spent once: from the hold, or from free after release
    assert ledger_sums("alice")["balance"] == 400
