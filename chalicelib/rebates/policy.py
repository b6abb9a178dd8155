"""Pure rules of rebates: amounts, caps, instalments, clawbacks, debt. No I/O.

All money is integer fen (points count like fen: one point per fen of reward) and every
ratio is integer basis points. Every division rounds down (integer floor division of
non-negative numbers) and every result is clipped at zero, so a rebate never exceeds its
rule and no rounding ever pays out a fen that was not earned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Sequence

from chalicelib.clock import BEIJING

if TYPE_CHECKING:  # models imports this module (BP); a rule is only read here
    from chalicelib.rebates.models import Rule

BP = 10_000

# --- what a payment earns -----------------------------------------------------------------

def ratio_of(amount: int, ratio_bp: int) -> int:
    """`ratio_bp` basis points of `amount`, rounded down, never negative."""
    return max(amount * ratio_bp // BP, 0)


def tiered(paid: int, ladder: Sequence[tuple[int, int]]) -> int:
    """The highest step reached, `(min_paid, ratio_bp)` in ascending order, applies to the
    WHOLE paid amount (not marginally, like tax brackets): paying 50,000 on a ladder
    [(10,000, 1%), (50,000, 3%)] earns 3% of 50,000. Below the first step: nothing."""
    reached = [ratio_bp for min_paid, ratio_bp in ladder if paid >= min_paid]
    return ratio_of(paid, reached[-1]) if reached else 0


def threshold(paid: int, min_paid: int, amount: int) -> int:
    """满额返: a fixed `amount` once the payment reaches `min_paid`."""
    return amount if paid >= min_paid else 0


def within_caps(amount: int, remaining: Sequence[int | None]) -> int:
    """What can be granted of `amount` given what each cap has left (None: no such cap).

    A cap that would be exceeded pays up to what it has left (a partial rebate), so a
    budget is spent to the last fen and the last payer gets what remains."""
    return max(min([amount, *(r for r in remaining if r is not None)]), 0)


def computed_reward(rule: Rule, paid: int) -> int:
    """What `rule` gives for `paid` fen, before caps: by its kind (a full return's default
    ratio is the whole payment)."""
    if rule.kind == "fixed_ratio":
        return ratio_of(paid, rule.ratio_bp or 0)
    if rule.kind == "tiered":
        return tiered(paid, [(step.min_paid, step.ratio_bp) for step in rule.ladder or []])
    if rule.kind == "threshold":
        assert rule.threshold is not None
        return threshold(paid, rule.threshold.min_paid, rule.threshold.amount or 0)
    return ratio_of(paid, BP if rule.ratio_bp is None else rule.ratio_bp)


# --- 全返 instalments -----------------------------------------------------------------------

@dataclass(frozen=True)
class Part:
    number: int  # 1-based
    due_at: datetime
    amount: int


def instalment_amounts(total: int, installments: int) -> list[int]:
    """`installments` equal parts (rounded down) with the remainder on the last, summing to `total`."""
    if installments < 1 or total < 0:
        raise ValueError("installments must be >= 1 and total >= 0")
    base = total // installments
    return [base] * (installments - 1) + [total - base * (installments - 1)]


def schedule(total: int, installments: int, period_days: int, paid_at: datetime, pending_days: int = 0) -> list[Part]:
    """The parts with their due times. Part k is due at paid_at + k * period_days: the first
    part waits one period too, so a refund inside the first period cancels everything and
    leaves nothing to claw back. With a return window (`pending_days`), no part is due before
    it ends: a part that would be is due at paid_at + pending_days (so the first parts may
    fall due together). Parts of 0 fen (total smaller than the number of parts) are not
    scheduled."""
    amounts = instalment_amounts(total, installments)
    window_end = paid_at + timedelta(days=max(pending_days, 0))
    return [Part(k, max(paid_at + timedelta(days=k * period_days), window_end), amount)
            for k, amount in enumerate(amounts, start=1) if amount > 0]


# --- pending rebates (the return window) ---------------------------------------------------

def pending_until(paid_at: datetime, pending_days: int) -> datetime | None:
    """When a reward of a rule with `pending_days` becomes spendable; None: at once."""
    return paid_at + timedelta(days=pending_days) if pending_days > 0 else None


def from_pending(reduction: int, pending: int) -> tuple[int, int]:
    """(taken from pending, taken from the account): a refund takes back what is still pending
    first, so a refund inside the window never reaches the account (and never makes a debt)."""
    first = min(max(reduction, 0), max(pending, 0))
    return first, max(reduction, 0) - first


# --- refunds ------------------------------------------------------------------------------

def refunded_after(paid: int, refunded_before: int, *, amount: int | None = None,
                   cumulative: int | None = None) -> int:
    """The payment's refunded total after one refund, never above the paid amount.

    A refund names either its own `amount` (added) or the provider's `cumulative` total so
    far (a high-water mark: an older notification delivered late changes nothing)."""
    if (amount is None) == (cumulative is None):
        raise ValueError("give either amount or cumulative")
    target = refunded_before + amount if amount is not None else max(refunded_before, cumulative or 0)
    return min(target, paid)


def given_back_due(used: int, refunded: int, paid: int) -> int:
    """What refunds totalling `refunded` of a payment of `paid` give back, in total, of the
    balance or points `used` to pay it (a reservation's): `used * refunded // paid`, rounded
    down, never more than `used`, exactly `used` once the payment is refunded in full. A
    payment of 0 is refunded in full by any refund: all of `used` is due."""
    if paid <= 0:
        return used
    return used * min(max(refunded, 0), paid) // paid


def clawback_due(rebate: int, refunded: int, paid: int) -> int:
    """How much of a rebate is taken back once `refunded` of `paid` is refunded, in total.

    Proportional and rounded down on the cumulative refund, so each refund takes `due(now)
    - already taken`: the parts over any sequence of partial refunds add up to exactly the
    rebate when the whole payment is refunded, and never more."""
    if paid <= 0:
        return 0
    return rebate * min(max(refunded, 0), paid) // paid


def reduce_pending(pending: Sequence[int], reduction: int) -> list[int]:
    """New amounts of pending instalments (in due order) after cancelling `reduction`,
    latest first: the next instalment is the last to shrink."""
    left, result = max(reduction, 0), list(pending)
    for i in range(len(result) - 1, -1, -1):
        cut = min(result[i], left)
        result[i] -= cut
        left -= cut
    return result


def voucher_kept(paid: int, refunded: int, min_paid: int) -> bool:
    """A rebate voucher stays while what the shopper kept still reaches the rule's threshold."""
    return paid - refunded >= min_paid


# --- debt ---------------------------------------------------------------------------------

def credit(amount: int, debt: int) -> tuple[int, int]:
    """(repays debt, adds to the asset): a credit pays an outstanding debt first."""
    repaid = min(max(amount, 0), max(debt, 0))
    return repaid, max(amount, 0) - repaid


def debit(amount: int, available: int) -> tuple[int, int]:
    """(taken from the asset, becomes debt): an asset never goes below zero; a shortfall is
    recorded as debt, which later credits repay."""
    taken = min(max(amount, 0), max(available, 0))
    return taken, max(amount, 0) - taken


def beijing_day(moment: datetime) -> str:
    """The calendar day (China Standard Time) of a moment: per-user daily caps count by it."""
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d")


# --- figures ------------------------------------------------------------------------------

def return_bp(cost: int, sales: int) -> int | None:
    """What was returned per fen sold, in basis points, rounded down and never negative;
    None without sales (no rate to speak of)."""
    if sales <= 0:
        return None
    return max(cost * BP // sales, 0)
