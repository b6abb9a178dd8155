"""One user's personal data (issue 18 item 7, docs/compliance.md "Personal data"): the export
holds every kind of item a user can have; erasure removes every payee detail, keeps the user id
only where the docs say, keeps the ledger's sums and the programme's totals whole, is
idempotent, and refuses while money or holds are open. Built through the services (moto)."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

import pytest

from chalicelib import dynamo
from chalicelib.coupons import issuing
from chalicelib.errors import InvalidState
from chalicelib.idempotency import Idempotency
from chalicelib.models import PageQuery
from chalicelib.orders import reservations
from chalicelib.orders.models import ReservationRequest
from chalicelib.privacy import service
from chalicelib.privacy.__main__ import main
from chalicelib.rebates import accounts_store, rules, settlement, support, withdrawals
from chalicelib.rebates.models import WithdrawalCreate
from chalicelib.rebates.support_models import AdjustmentCreate
from chalicelib.rebates.withdrawal_models import WithdrawalPaid
from tests.checkout_helpers import card, create_template, item
from tests.payment_helpers import NOW, live_rule, payment_event, refund_event
from tests.reservation_helpers import ledger_sums

pytestmark = pytest.mark.usefixtures("aws")

USER = "alice-7f3a"
PAYEE = {"channel": "bank", "account": "6222021234567890123", "name": "张三丰"}
ALIPAY = {"channel": "alipay", "account": "zhang.sf@example.com", "name": "张三丰"}
# Where the user id stays after erasure (docs/compliance.md, "What erasure keeps"): as a key of
# the user's own partitions and listings, and as an attribute of the items that name the user.
KEPT_PREFIXES = ("ACCT#", "USER#", "RSV#", "PAY#", "WD#", "RULE#", "AUDIT#", "CODE#", "GRANT#")


def idem(key: str, status: int = 201) -> Idempotency:
    return Idempotency(scope=USER, key=key, fingerprint=f"POST {key}", now=NOW, status=status, ttl_seconds=86400)


def a_user_with_everything(instalments: bool = False) -> None:
    """A coupon (claimed with an Idempotency-Key), a stored-value card, a reservation paid by a
    payment, a rebate under a rule with a per-user daily cap, a partial refund, an adjustment, a
    rejected and a paid withdrawal with payee details: everything the user ends with paid out."""
    live_rule(ratio_bp=1000, caps={"per_user_per_day": 1_000_000})
    if instalments:
        live_rule(name="全返", kind="full_return", ratio_bp=None, installments=3, period_days=30)
    coupon = issuing.claim(create_template().id, USER, NOW, idem("claim-1"))
    gift = card(USER, value=3000)
    held = reservations.reserve(USER, ReservationRequest.model_validate(
        {"order_id": "order-1", "items": [item(10_000)], "coupon_ids": [coupon.id, gift.id]}), NOW)
    settlement.process(payment_event("pay-1", held.total, user=USER, order_id="order-1"), NOW)
    settlement.process(refund_event("ref-1", "pay-1", amount=1000), NOW)
    support.adjust(USER, AdjustmentCreate(asset="balance", amount=100, reason="goodwill"), "fay", NOW, None)
    first = withdrawals.request_withdrawal(USER, WithdrawalCreate.model_validate({"amount": 100, "payee": ALIPAY}),
                                           NOW, idem("wd-1"))
    withdrawals.reject_withdrawal(first.id, "fay", NOW, "wrong account")
    balance = accounts_store.get_account(USER)["balance"]
    second = withdrawals.request_withdrawal(USER, WithdrawalCreate.model_validate({"amount": balance, "payee": PAYEE}),
                                            NOW, idem("wd-2"))
    withdrawals.approve_withdrawal(second.id, "fay", NOW)
    withdrawals.record_payout(second.id, WithdrawalPaid(payout_ref="BANK-1"), "fay", NOW)


def table() -> list[dict[str, Any]]:
    items, start = [], None
    while True:
        page, start, _ = dynamo.scan_once(filter_expression="attribute_exists(PK)", names={}, vals={}, limit=500,
                                          start=start)
        items += page
        if not start:
            return items


def mentioning(text: str) -> list[dict[str, Any]]:
    return [i for i in table() if text in json.dumps(i, ensure_ascii=False, default=str)]


def programme_totals() -> dict[str, Any]:
    return rules.overview().model_dump(mode="json")


def test_the_export_holds_every_kind_of_item_a_user_can_have():
    a_user_with_everything(instalments=True)
    exported = service.export(USER, NOW).model_dump(mode="json")
    for group in ("ledger", "instalments", "withdrawal_days", "coupons", "cards", "claim_counters", "card_history",
                  "redemptions", "reservations", "payments", "payment_rebates", "payment_refunds", "withdrawals",
                  "rule_day_counters", "idempotency_records", "audit_entries"):
        assert exported["items"].get(group), group
    assert exported["account"]["user_id"] == USER
    assert exported["items"].get("other", []) == []
    payees = [w["payee"] for w in exported["items"]["withdrawals"]]
    assert PAYEE in payees and ALIPAY in payees  # unmasked
    assert {p["payment_ref"] for p in exported["items"]["payments"]} == {"generic:pay-1"}


def test_the_export_holds_every_item_that_names_the_user():
    a_user_with_everything(instalments=True)
    exported = service.export(USER, NOW)
    found = {(i["PK"], i["SK"]) for group in exported.items.values() for i in group}
    assert exported.account is not None
    found.add((exported.account["PK"], exported.account["SK"]))
    assert {(i["PK"], i["SK"]) for i in mentioning(USER)} <= found


def test_erasure_removes_every_payee_detail_and_keeps_the_user_id_only_where_documented():
    a_user_with_everything()
    assert mentioning(PAYEE["account"]) and mentioning("****0123")  # before: stored and masked
    report = service.erase(USER, NOW + timedelta(days=1), "dpo")
    assert (report.payees_erased, report.idempotency_records_deleted) == (2, 3)
    for detail in (PAYEE["account"], ALIPAY["account"], PAYEE["name"]):
        assert mentioning(detail) == []
    # masked payees remain only in the audit trail, which is append-only (docs)
    assert {i["PK"].split("#")[0] for i in mentioning("****0123")} == {"AUDIT"}
    for found in mentioning(USER):
        assert found["PK"].startswith(KEPT_PREFIXES), found
        assert not found["PK"].startswith("IDEM#")
    [shown] = [w for w in withdrawals.list_my_withdrawals(USER, PageQuery(limit=100)).items if w.status == "paid"]
    assert (shown.payee, shown.payee_erased_at) == (None, NOW + timedelta(days=1))


def test_erasure_keeps_the_ledger_sums_and_the_programme_totals():
    a_user_with_everything()
    sums, account, totals = ledger_sums(USER), accounts_store.get_account(USER), programme_totals()
    service.erase(USER, NOW, "dpo")
    assert (ledger_sums(USER), accounts_store.get_account(USER), programme_totals()) == (sums, account, totals)
    assert all(sums.get(asset, 0) == account[asset] for asset in ("balance", "points"))


def test_erasure_twice_changes_nothing_the_second_time():
    a_user_with_everything()
    service.erase(USER, NOW, "dpo")
    before = sorted(table(), key=lambda i: (i["PK"], i["SK"]))
    report = service.erase(USER, NOW + timedelta(hours=1), "dpo")
    assert (report.payees_erased, report.idempotency_records_deleted) == (0, 0)
    assert sorted(table(), key=lambda i: (i["PK"], i["SK"])) == before


def test_erasure_is_audited_once_on_the_account():
    a_user_with_everything()
    service.erase(USER, NOW, "dpo")
    service.erase(USER, NOW, "dpo")
    entries = [e for e in service.export(USER, NOW).items["audit_entries"] if e["action"] == "erase"]
    assert [(e["actor"], e["target_type"], e["target_id"]) for e in entries] == [("dpo", "account", USER)]


@pytest.mark.parametrize("open_thing, says", [
    ("balance", "adjustment"), ("pending_withdrawal", "approve or reject"), ("reservation", "release"),
    ("instalments", "release-instalments"),
])
def test_erasure_refuses_while_money_or_holds_are_open_and_changes_nothing(open_thing, says):
    a_user_with_everything(instalments=open_thing == "instalments")
    if open_thing == "balance":
        support.adjust(USER, AdjustmentCreate(asset="balance", amount=1, reason="x"), "fay", NOW, None)
    if open_thing == "pending_withdrawal":
        support.adjust(USER, AdjustmentCreate(asset="balance", amount=50, reason="x"), "fay", NOW, None)
        withdrawals.request_withdrawal(USER, WithdrawalCreate.model_validate({"amount": 50, "payee": PAYEE}), NOW, None)
    if open_thing == "reservation":
        reservations.reserve(USER, ReservationRequest.model_validate(
            {"order_id": "order-2", "items": [item(10_000)], "coupon_ids": []}), NOW)
    before = table()
    with pytest.raises(InvalidState) as refused:
        service.erase(USER, NOW, "dpo")
    assert says in refused.value.message
    assert mentioning(PAYEE["account"])
    assert len(table()) == len(before)


def test_the_cli_exports_and_erases_through_main():
    a_user_with_everything()
    out, err = io.StringIO(), io.StringIO()
    assert main(["export", USER], out, err) == 0
    assert PAYEE["account"] in out.getvalue() and json.loads(out.getvalue())["user_id"] == USER
    assert "scanned" in err.getvalue()
    out = io.StringIO()
    assert main(["erase", USER, "--actor", "dpo"], out, io.StringIO()) == 0
    assert json.loads(out.getvalue())["payees_erased"] == 2
    assert mentioning(PAYEE["account"]) == []


def test_the_cli_refusal_says_what_to_do_and_exits_2():
    a_user_with_everything()
    support.adjust(USER, AdjustmentCreate(asset="balance", amount=5, reason="x"), "fay", NOW, None)
    err = io.StringIO()
    assert main(["erase", USER], io.StringIO(), err) == 2
    said = err.getvalue().splitlines()[-1]
    assert said.startswith("INVALID_STATE: ") and "adjustment" in said


def test_operators_export_and_erase_over_http(api):
    a_user_with_everything()
    status, exported = api.get(f"/admin/privacy/{USER}", operator=True)
    assert status == 200, exported
    assert PAYEE in [w["payee"] for w in exported["items"]["withdrawals"]]
    status, report = api.post(f"/admin/privacy/{USER}/erase", operator=True)
    assert (status, report["payees_erased"]) == (200, 2), report
    after = api.get(f"/admin/privacy/{USER}", operator=True)[1]["items"]["withdrawals"]
    assert [("payee" in w, bool(w["payee_erased_at"])) for w in after] == [(False, True)] * 2


def test_over_http_a_refusal_is_409_and_an_unknown_user_404(api):
    a_user_with_everything()
    support.adjust(USER, AdjustmentCreate(asset="balance", amount=5, reason="x"), "fay", NOW, None)
    status, body = api.post(f"/admin/privacy/{USER}/erase", operator=True)
    assert (status, body["error"]["code"]) == (409, "INVALID_STATE")
    assert "adjustment" in body["error"]["message"] and body["error"]["details"]
    assert api.get("/admin/privacy/nobody-here", operator=True)[0] == 404
    assert api.post(f"/admin/privacy/{USER}/erase", user="mia", roles=("marketing",))[0] == 403
    assert api.post(f"/admin/privacy/{USER}/erase", user="ada", roles=("auditor",))[0] == 403


def test_a_user_with_only_a_coupon_is_erased_without_error_and_nothing_to_record():
    create_template()
    issuing.claim(create_template().id, USER, NOW, None)
    report = service.erase(USER, NOW, "dpo")
    assert (report.payees_erased, report.idempotency_records_deleted, report.changed) == (0, 0, False)
