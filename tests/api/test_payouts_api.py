"""Withdrawals that reach the payee (issue 18, item 4): payee details masked everywhere but
finance's CSV, the minimum and the daily maximum, a reject reason, and finance's record of the
payout (`approved -> paid | failed`), each move once (chalice.test.Client, moto)."""

from __future__ import annotations

import csv
import io
import json
from itertools import count

import pytest

from chalicelib.rebates import settlement
from tests.helpers import headers_for
from tests.payment_helpers import NOW, live_rule, payment_event, refund_event
from tests.programme_helpers import set_programme

_payments = count()
FINANCE = ("finance",)
PAYEE = {"channel": "bank", "account": "6222021234567890123", "name": "张三"}
MASKED = {"channel": "bank", "account": "****0123", "name": "张*"}


@pytest.fixture
def fund(api):
    live_rule(ratio_bp=10000)

    def give(user: str, amount: int) -> None:
        settlement.process(payment_event(f"fund-{next(_payments)}", amount, user=user), NOW)

    return give


@pytest.fixture
def log_lines():
    """What the service logs during the test (its Powertools handler, pointed at a buffer)."""
    from chalicelib.observability import logger

    buffer = io.StringIO()
    previous = logger.registered_handler.setStream(buffer)
    yield buffer
    logger.registered_handler.setStream(previous)


def balances(api, user="alice"):
    _, body = api.get("/me/account", user=user)
    return body["balance"], body["frozen"]


def withdraw(api, amount, user="alice", payee=None, **kw):
    body = {"amount": amount} if payee is None else {"amount": amount, "payee": payee}
    return api.post("/me/withdrawals", body, user=user, **kw)


def move(api, withdrawal_id, action, body=None, **kw):
    kw.setdefault("user", "fay")
    kw.setdefault("roles", FINANCE)
    return api.post(f"/admin/withdrawals/{withdrawal_id}/{action}", body, **kw)


def approved(api, amount=600, payee=None):
    status, withdrawal = withdraw(api, amount, payee=payee)
    assert status == 201, withdrawal
    assert move(api, withdrawal["id"], "approve")[0] == 200
    return withdrawal


def audit_actions(api, withdrawal_id):
    _, page = api.get(f"/admin/audit?target_type=withdrawal&target_id={withdrawal_id}", user="ada", roles=("auditor",))
    return [e["action"] for e in page["items"]][::-1]


# --- the payee ---------------------------------------------------------------------------------

def test_the_payee_is_stored_and_shown_masked_in_every_list(api, fund):
    fund("alice", 1000)
    status, made = withdraw(api, 600, payee=PAYEE)
    assert (status, made["payee"]) == (201, MASKED), made
    assert api.get(f"/me/withdrawals/{made['id']}")[1]["payee"] == MASKED
    assert api.get("/me/withdrawals")[1]["items"][0]["payee"] == MASKED
    assert api.get("/admin/withdrawals", user="fay", roles=FINANCE)[1]["items"][0]["payee"] == MASKED
    assert move(api, made["id"], "approve")[1]["payee"] == MASKED
    [entry] = api.get(f"/admin/audit?target_type=withdrawal&target_id={made['id']}", user="ada",
                      roles=("auditor",))[1]["items"]
    assert (entry["before"]["payee"], entry["after"]["payee"]) == (MASKED, MASKED)


def test_a_withdrawal_without_a_payee_still_works(api, fund):
    fund("alice", 1000)
    status, made = withdraw(api, 100)
    assert (status, made["payee"]) == (201, None)


@pytest.mark.parametrize("name, mask", [("张三丰", "张**"), ("Li", "L*"), ("王", "*")])
def test_names_keep_only_their_first_character(api, fund, name, mask):
    fund("alice", 1000)
    payee = {"channel": "alipay", "account": "13800138000", "name": name}
    assert withdraw(api, 100, payee=payee)[1]["payee"] == {"channel": "alipay", "account": "****8000", "name": mask}


@pytest.mark.parametrize("payee", [
    {"channel": "bank", "account": "6222021234567890123"},                           # no name
    {"channel": "paypal", "account": "6222021234567890123", "name": "张三"},          # unknown channel
    {"channel": "bank", "account": "6222-0212-3456", "name": "张三"},                 # a card number is digits
    {"channel": "bank", "account": "12345", "name": "张三"},                          # too short for a card
    {"channel": "wechat", "account": "o 6_bmj", "name": "张三"},                      # a space
    {"channel": "wechat", "account": "abc", "name": "张三"},                          # under 4 characters
    {"channel": "wechat", "account": "o6_bmjrPTlm6", "name": ""},                    # empty name
    {"channel": "wechat", "account": "o6_bmjrPTlm6", "name": "张\n三"},               # a control character
    {"channel": "wechat", "account": "o6_bmjrPTlm6", "name": "张三", "extra": 1},     # an unknown field
    "6222021234567890123", ["bank"],
])
def test_a_bad_payee_is_refused_and_moves_nothing(api, fund, payee):
    fund("alice", 1000)
    status, body = api.post("/me/withdrawals", {"amount": 100, "payee": payee})
    assert (status, body["error"]["code"]) == (400, "VALIDATION_ERROR")
    assert balances(api) == (1000, 0)


def test_logs_carry_the_masked_payee_never_the_account_or_name(api, fund, log_lines):
    fund("alice", 1000)
    withdrawal = approved(api, payee=PAYEE)
    assert move(api, withdrawal["id"], "failed", {"reason": "account closed"})[0] == 200
    logged = log_lines.getvalue()
    requested = [json.loads(line) for line in logged.splitlines() if '"withdrawal requested"' in line]
    assert [line["payee"] for line in requested] == [MASKED]
    assert "withdrawal failed" in logged
    assert PAYEE["account"] not in logged and "张三" not in logged and json.dumps("张三")[1:-1] not in logged


# --- the minimum and the daily maximum ---------------------------------------------------------

def test_an_amount_below_the_minimum_is_refused(api, fund):
    fund("alice", 1000)
    set_programme(withdrawal_min=500)
    status, body = withdraw(api, 499)
    assert (status, body["error"]["code"]) == (409, "LIMIT_REACHED")
    assert withdraw(api, 500)[0] == 201
    assert balances(api) == (500, 500)


def test_the_daily_maximum_counts_what_is_not_rejected_or_failed(api, fund):
    fund("alice", 5000)
    set_programme(withdrawal_daily_max=1000)
    assert withdraw(api, 1001)[1]["error"]["code"] == "LIMIT_REACHED"
    first, second = withdraw(api, 600)[1], withdraw(api, 300)[1]
    status, body = withdraw(api, 101)
    assert (status, body["error"]["code"]) == (409, "LIMIT_REACHED")
    assert move(api, first["id"], "reject", {"reason": "check"})[0] == 200  # gives its 600 back
    assert withdraw(api, 600)[0] == 201
    assert withdraw(api, 101)[0] == 409
    assert move(api, second["id"], "approve")[0] == 200
    assert move(api, second["id"], "failed", {"reason": "bank refused"})[0] == 200  # gives its 300 back
    assert withdraw(api, 400)[0] == 201
    assert withdraw(api, 1)[0] == 409
    assert withdraw(api, 100, user="bob")[1]["error"]["code"] == "INSUFFICIENT_BALANCE"  # per shopper


def test_a_refused_withdrawal_moves_nothing(api, fund):
    fund("alice", 1000)
    set_programme(withdrawal_daily_max=500)
    withdraw(api, 500)
    assert withdraw(api, 100)[0] == 409
    assert balances(api) == (500, 500)
    assert len(api.get("/me/withdrawals")[1]["items"]) == 1


# --- the reject reason -------------------------------------------------------------------------

def test_the_shopper_sees_the_reject_reason(api, fund):
    fund("alice", 1000)
    _, made = withdraw(api, 600)
    status, rejected = move(api, made["id"], "reject", {"reason": "  收款人与实名不符 "})
    assert (status, rejected["status"], rejected["reason"]) == (200, "rejected", "收款人与实名不符")
    mine = api.get(f"/me/withdrawals/{made['id']}")[1]
    assert (mine["status"], mine["reason"], mine["payout_ref"]) == ("rejected", "收款人与实名不符", None)
    assert balances(api) == (1000, 0)


@pytest.mark.parametrize("body", [{"reason": ""}, {"reason": 5}, {"reason": "x" * 201}, {"why": "no"}])
def test_a_bad_reject_reason_is_refused(api, fund, body):
    fund("alice", 1000)
    _, made = withdraw(api, 600)
    assert move(api, made["id"], "reject", body)[0] == 400
    assert api.get(f"/me/withdrawals/{made['id']}")[1]["status"] == "pending"


# --- paid and failed ---------------------------------------------------------------------------

def test_paid_records_the_payout_reference_and_moves_no_money(api, fund):
    fund("alice", 1000)
    withdrawal = approved(api)
    status, paid = move(api, withdrawal["id"], "paid", {"payout_ref": "BANK-20300601-0042"})
    assert (status, paid["status"], paid["payout_ref"], paid["paid_out_by"]) == (200, "paid", "BANK-20300601-0042", "fay")
    mine = api.get("/me/withdrawals")[1]["items"][0]
    assert (mine["status"], mine["payout_ref"], mine["reason"]) == ("paid", "BANK-20300601-0042", None)
    assert balances(api) == (400, 0)
    assert audit_actions(api, withdrawal["id"]) == ["approve", "paid"]
    assert [w["id"] for w in api.get("/admin/withdrawals?status=paid", user="fay", roles=FINANCE)[1]["items"]] == [
        withdrawal["id"]]
    assert api.get("/admin/withdrawals?status=approved", user="fay", roles=FINANCE)[1]["items"] == []


def test_a_failed_payout_returns_the_money_once_with_a_ledger_entry(api, fund):
    fund("alice", 1000)
    withdrawal = approved(api)
    status, failed = move(api, withdrawal["id"], "failed", {"reason": "账户已销户"})
    assert (status, failed["status"], failed["reason"]) == (200, "failed", "账户已销户")
    assert balances(api) == (1000, 0)
    entry = api.get("/me/rebates")[1]["items"][0]
    assert (entry["type"], entry["asset"], entry["amount"], entry["ref"]) == (
        "withdrawal_failed", "balance", 600, withdrawal["id"])
    for action, body in (("failed", {"reason": "again"}), ("paid", {"payout_ref": "X-1"})):
        status, body = move(api, withdrawal["id"], action, body)
        assert (status, body["error"]["code"]) == (409, "INVALID_STATE")
    assert balances(api) == (1000, 0)
    assert audit_actions(api, withdrawal["id"]) == ["approve", "failed"]


def test_a_repeated_failed_with_its_idempotency_key_answers_again_and_returns_the_money_once(api, fund):
    fund("alice", 1000)
    withdrawal = approved(api)
    key = {"Idempotency-Key": "fail-once"}
    first = move(api, withdrawal["id"], "failed", {"reason": "bank refused"}, headers=key)
    again = move(api, withdrawal["id"], "failed", {"reason": "bank refused"}, headers=key)
    assert first == again and first[0] == 200
    assert balances(api) == (1000, 0)
    assert audit_actions(api, withdrawal["id"]) == ["approve", "failed"]


def test_a_failed_payout_repays_debt_first(api, fund):
    settlement.process(payment_event("debt-pay", 1000), NOW)  # balance 1000
    withdrawal = approved(api, amount=1000)  # balance 0
    settlement.process(refund_event("debt-refund", "debt-pay", 1000), NOW)  # the rebate clawed back: debt 1000
    assert api.get("/me/account")[1]["debt"] == 1000
    assert move(api, withdrawal["id"], "failed", {"reason": "bank refused"})[0] == 200
    account = api.get("/me/account")[1]
    assert (account["balance"], account["debt"], account["frozen"]) == (0, 0, 0)


@pytest.mark.parametrize("moves, action", [
    ((), "paid"), ((), "failed"),                                  # still pending
    (("reject",), "paid"), (("reject",), "failed"),                # rejected
    (("approve",), "approve"), (("approve",), "reject"),           # decided already
    (("approve", "paid"), "failed"), (("approve", "paid"), "paid"),
    (("approve", "paid"), "reject"), (("approve", "failed"), "approve"),
])
def test_any_other_move_is_invalid_and_writes_nothing(api, fund, moves, action):
    fund("alice", 1000)
    _, made = withdraw(api, 600)
    bodies = {"paid": {"payout_ref": "REF-1"}, "failed": {"reason": "no"}, "reject": {"reason": "no"}}
    for done in moves:
        assert move(api, made["id"], done, bodies.get(done))[0] == 200
    before = (balances(api), audit_actions(api, made["id"]), api.get(f"/me/withdrawals/{made['id']}")[1])
    status, body = move(api, made["id"], action, bodies.get(action))
    assert (status, body["error"]["code"]) == (409, "INVALID_STATE")
    assert (balances(api), audit_actions(api, made["id"]), api.get(f"/me/withdrawals/{made['id']}")[1]) == before


@pytest.mark.parametrize("action, body", [("paid", {}), ("paid", {"payout_ref": ""}), ("paid", None),
                                          ("paid", {"payout_ref": "a\tb"}), ("failed", {}), ("failed", None)])
def test_paid_needs_a_reference_and_failed_a_reason(api, fund, action, body):
    fund("alice", 1000)
    withdrawal = approved(api)
    assert move(api, withdrawal["id"], action, body)[0] == 400
    assert api.get(f"/me/withdrawals/{withdrawal['id']}")[1]["status"] == "approved"


def test_an_unknown_withdrawal_cannot_be_paid(api):
    assert move(api, "01J00000000000000000000000", "paid", {"payout_ref": "R"})[0] == 404


@pytest.mark.parametrize("roles", [("marketing",), ("auditor",), ()])
def test_only_finance_and_the_operator_record_payouts(api, fund, roles):
    fund("alice", 1000)
    withdrawal = approved(api)
    for action, body in (("paid", {"payout_ref": "R-1"}), ("failed", {"reason": "no"})):
        status, answer = move(api, withdrawal["id"], action, body, user="someone", roles=roles)
        assert (status, answer["error"]["code"]) == (403, "FORBIDDEN")
    assert move(api, withdrawal["id"], "paid", {"payout_ref": "R-1"}, user="ops", roles=("operator",))[0] == 200


# --- finance's CSV -----------------------------------------------------------------------------

def _csv(api, query="", roles=FINANCE):
    return api.client.http.get(f"/admin/withdrawals.csv{query}", headers=headers_for("fay", roles=roles))


def test_the_csv_lists_every_approved_withdrawal_with_the_payee_in_full(api, fund):
    fund("alice", 100000)
    first = approved(api, amount=12345, payee=PAYEE)
    second = approved(api, amount=5, payee={"channel": "wechat", "account": "o6_bmjrPTlm6", "name": "=cmd"})
    withdraw(api, 700)  # pending: not listed
    response = _csv(api, "?status=approved")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.body.decode())))
    assert rows[0] == ["id", "user_id", "amount_yuan", "amount_fen", "payee_channel", "payee_account", "payee_name",
                       "requested_at", "approved_at"]
    assert [r[:7] for r in rows[1:]] == [
        [first["id"], "alice", "123.45", "12345", "bank", "6222021234567890123", "张三"],
        [second["id"], "alice", "0.05", "5", "wechat", "o6_bmjrPTlm6", "'=cmd"]]
    assert all(r[7] and r[8] for r in rows[1:])
    assert _csv(api).body == response.body  # approved is the default


def test_the_csv_pages_through_more_than_one_page(api, fund, monkeypatch):
    from chalicelib.rebates import withdrawals_store
    monkeypatch.setattr(withdrawals_store, "CSV_PAGE", 2)
    fund("alice", 1000)
    made = [approved(api, amount=10)["id"] for _ in range(5)]
    rows = list(csv.reader(io.StringIO(_csv(api).body.decode())))
    assert [r[0] for r in rows[1:]] == made


@pytest.mark.parametrize("roles, status", [(("auditor",), 200), (("operator",), 200), (("marketing",), 403), ((), 403)])
def test_the_csv_is_for_finance_operators_and_auditors(api, roles, status):
    assert _csv(api, roles=roles).status_code == status


def test_a_bad_csv_status_is_refused(api):
    response = _csv(api, "?status=lost")
    assert response.status_code == 400
    assert json.loads(response.body)["error"]["code"] == "VALIDATION_ERROR"
