"""The pure parts of withdrawals that reach the payee: masking, yuan with two decimals, the
manual payout adapter and the moves table (no AWS)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from pydantic import ValidationError

from chalicelib.rebates import payouts
from chalicelib.rebates.withdrawal_models import (
    MOVES, Payee, WithdrawalFailed, WithdrawalPaid, WithdrawalRecord, mask_account, mask_name,
)

AT = datetime(2030, 6, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize("account, masked", [("6222021234567890123", "****0123"), ("12345", "****2345"),
                                             ("1234", "****")])
def test_an_account_shows_only_its_last_four(account, masked):
    assert mask_account(account) == masked


@pytest.mark.parametrize("name, masked", [("张三", "张*"), ("欧阳娜娜", "欧***"), ("A", "*")])
def test_a_name_shows_only_its_first_character(name, masked):
    assert mask_name(name) == masked


@pytest.mark.parametrize("fen, text", [(0, "0.00"), (5, "0.05"), (100, "1.00"), (12345, "123.45"), (-250, "-2.50"),
                                       (10**12, "10000000000.00")])
def test_yuan_has_two_decimals_exactly(fen, text):
    assert payouts.yuan(fen) == text


def test_a_bank_account_is_a_card_number():
    assert Payee(channel="bank", account="622202123456", name="张三").account == "622202123456"
    with pytest.raises(ValidationError):
        Payee(channel="bank", account="62220212345a", name="张三")


def test_the_record_shows_the_payee_masked_and_keeps_it_in_full():
    record = WithdrawalRecord(id="w1", user_id="u", amount=1, status="pending", created_at=AT, day="2030-06-01",
                              payee=Payee(channel="wechat", account="o6_bmjrPTlm6", name="张三"))
    shown = record.shown().model_dump()
    assert shown["payee"] == {"channel": "wechat", "account": "****Tlm6", "name": "张*"}
    assert "day" not in shown and record.payee is not None and record.payee.account == "o6_bmjrPTlm6"


def test_the_manual_adapter_records_what_finance_typed():
    record = WithdrawalRecord(id="w1", user_id="u", amount=1, status="approved", created_at=AT)
    manual = payouts.payout("manual")
    assert manual.outcome(record, WithdrawalPaid(payout_ref="B-1")) == payouts.Outcome("paid", payout_ref="B-1")
    assert manual.outcome(record, WithdrawalFailed(reason="closed")) == payouts.Outcome("failed", reason="closed")


def test_only_the_four_moves_exist():
    assert MOVES == {"approved": ("pending", "approve"), "rejected": ("pending", "reject"),
                     "paid": ("approved", "paid"), "failed": ("approved", "failed")}
