"""How an approved withdrawal's money reaches its payee: one small seam (`Payout`) between the
withdrawal's states and whatever moves the money, and finance's payout list. Pure: no I/O.

Today the only adapter is `manual`: finance pays from the CSV (`to_csv`) through the bank or the
provider's own console, then records what happened (`/paid` with the payout reference, or
`/failed` with a reason); the adapter turns what finance typed into the `Outcome` the service
stores. A WeChat Pay 商家转账 or Alipay transfer adapter would implement the same protocol: it
would send the transfer (signed as the provider documents) and turn the provider's answer or
notification into an `Outcome`; `withdrawals.record_payout` stays as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Literal, Protocol

from chalicelib import sheets
from chalicelib.rebates.withdrawal_models import WithdrawalFailed, WithdrawalPaid, WithdrawalRecord

PayoutReport = WithdrawalPaid | WithdrawalFailed


@dataclass(frozen=True)
class Outcome:
    """What became of one payout: `paid` with the channel's reference, or `failed` with a reason."""

    status: Literal["paid", "failed"]
    payout_ref: str | None = None
    reason: str | None = None


class Payout(Protocol):
    name: str

    def outcome(self, withdrawal: WithdrawalRecord, report: PayoutReport) -> Outcome:
        """The outcome of paying `withdrawal`, from what the channel reported."""
        ...


class ManualPayout:
    """Finance paid (or could not pay) by hand: the outcome is what they typed."""

    name = "manual"

    def outcome(self, withdrawal: WithdrawalRecord, report: PayoutReport) -> Outcome:
        if isinstance(report, WithdrawalPaid):
            return Outcome("paid", payout_ref=report.payout_ref)
        return Outcome("failed", reason=report.reason)


PAYOUTS: dict[str, Payout] = {"manual": ManualPayout()}


def payout(name: str = "manual") -> Payout:
    return PAYOUTS[name]


CSV_COLUMNS = ("id", "user_id", "amount_yuan", "amount_fen", "payee_channel", "payee_account", "payee_name",
               "requested_at", "approved_at")


def yuan(fen: int) -> str:
    """Fen as yuan with two decimals, exactly (integer division: nothing is rounded)."""
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def to_csv(withdrawals: Iterable[WithdrawalRecord]) -> str:
    """Finance's payout list: a header row, then one row per withdrawal with its payee in full.
    A cell a spreadsheet would read as a formula (=, +, -, @) gets a leading apostrophe."""
    return sheets.csv_text(CSV_COLUMNS, (
        (w.id, w.user_id, yuan(w.amount), w.amount, w.payee and w.payee.channel, w.payee and w.payee.account,
         w.payee and w.payee.name, w.created_at, w.decided_at) for w in withdrawals))
