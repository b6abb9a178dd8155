"""What a rebate rule would have cost over a window of past payments: settlement's arithmetic
replayed, with nothing written. Pure: no I/O; the payments, what their recorded rebates counted
against the return cap, their refunds and the vouchers' face values are passed in.

For each payment of the window, by `paid_at`, the rule is taken as if published at the window's
start (`as_published`): it applies when its own window (`starts_at`, `ends_at`) holds the payment
time, and it joins the rules the payment was settled under (the payment's snapshot of the rules
live at `paid_at`) in publication order, so after every rule published before the window (and
trimmed first by `max_return_bp`). Then settlement's steps, with settlement's functions
(return_cap.py, policy.py, expected.value):
- an exclusive rule in play: only the best single rule applies (return_cap.excluded);
- the return cap: what the rules before it returned on this payment is what their recorded
  rebates counted (`returned`); a rule with no recorded rebate (a payment not settled yet)
  counts what it computes trimmed to the room, within its per-order cap;
- its own caps (`per_order`, `per_user_per_day` by Beijing day, `budget`) as running totals from
  0 at the window's start (a live rule's budget used before the window is not counted);
- a voucher is whole (granted only if its face fits the room; template stock and per-user limits
  are not known here);
- refunds recorded inside the window take back `clawback_due` of the payment's refunded total
  (proportional, rounded down, as settlement claws back and cancels instalments); a voucher is
  taken back once the payment is refunded below the rule's threshold. Refunds never give
  back a cap or budget (settlement's counters do not move either).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Iterable, Mapping

from chalicelib.rebates import expected, policy, return_cap

if TYPE_CHECKING:  # only read here
    from chalicelib.rebates.models import Payment, Rule


@dataclass(frozen=True)
class Replayed:
    """One payment of the window: as recorded, with its refunded total at the window's end and
    what each rule's recorded rebate counted against its return cap (rule id -> fen)."""

    payment: Payment
    refunded: int = 0
    returned: Mapping[str, int] = field(default_factory=dict)


@dataclass
class Figures:
    balance: int = 0
    points: int = 0
    vouchers: int = 0

    def add(self, asset: str, amount: int) -> None:
        setattr(self, asset, getattr(self, asset) + amount)


@dataclass
class Outcome:
    payments: int = 0
    granted: Figures = field(default_factory=Figures)
    taken_back: Figures = field(default_factory=Figures)
    budget_exhausted_at: datetime | None = None
    scanned: int = 0

    @property
    def cost(self) -> Figures:
        return Figures(*(getattr(self.granted, a) - getattr(self.taken_back, a) for a in ("balance", "points",
                                                                                       "vouchers")))


def as_published(rule: Rule, start: datetime) -> Rule:
    """The rule as if first published at `start`; one first published earlier keeps its place."""
    if rule.published_at is not None and rule.published_at <= start:
        return rule.model_copy(update={"status": "published"})
    return rule.model_copy(update={"status": "published", "published_at": start})


def applies(rule: Rule, paid_at: datetime) -> bool:
    """The rule's own window holds the payment time (as the live rules' query filters)."""
    return (rule.starts_at is None or rule.starts_at <= paid_at) and (rule.ends_at is None or rule.ends_at > paid_at)


def rules_with(payment: Payment, rule: Rule) -> list[Rule]:
    """The payment's rules with `rule` in its place (publication order); without it, if its
    window does not hold the payment."""
    others = [r for r in payment.rules if r.id != rule.id]
    return return_cap.published_order([*others, rule] if applies(rule, payment.paid_at) else others)


def before(payment: Payment, draft: Rule) -> list[Rule]:
    """The rules that share the payment's return cap before `draft` (as published): whose
    recorded rebates the replay reads. None if `draft` does not apply to the payment."""
    ordered = rules_with(payment, draft)
    position = next((i for i, r in enumerate(ordered) if r.id == draft.id), 0)
    return ordered[:position]


def templates(rules: Iterable[Rule]) -> set[str]:
    """The voucher templates of `rules` (their face values count against the return cap)."""
    return {r.reward.voucher_template_id for r in rules if not isinstance(r.reward, str)}


@dataclass
class _Caps:
    """The previewed rule's cap counters, running over the window."""

    orders: dict[str, int] = field(default_factory=dict)
    user_days: dict[tuple[str, str], int] = field(default_factory=dict)
    budget_used: int = 0

    def remaining(self, rule: Rule, payment: Payment, day: str) -> list[int | None]:
        caps = rule.caps
        return [None if caps.per_order is None else caps.per_order - self.orders.get(payment.order_id, 0),
                None if caps.per_user_per_day is None
                else caps.per_user_per_day - self.user_days.get((payment.user_id, day), 0),
                None if caps.budget is None else caps.budget - self.budget_used]

    def use(self, payment: Payment, day: str, amount: int) -> None:
        self.orders[payment.order_id] = self.orders.get(payment.order_id, 0) + amount
        self.user_days[(payment.user_id, day)] = self.user_days.get((payment.user_id, day), 0) + amount
        self.budget_used += amount


def _returned_before(ordered: list[Rule], values: list[int], position: int, replayed: Replayed, rate: int,
                     max_bp: int) -> int:
    """What the rules before `position` returned on the payment (none excluded: the caller
    checked), as recorded, or as they compute within the room when not recorded."""
    paid, seen = replayed.payment.amount, 0
    for rule, value in zip(ordered[:position], values):
        if rule.id in replayed.returned:
            seen += replayed.returned[rule.id]
        elif rule.asset is None:
            seen += value if value <= return_cap.room(paid, max_bp, seen) else 0
        else:
            share = return_cap.grant(value, return_cap.room(paid, max_bp, seen), [rule.caps.per_order],
                                     excluded=False, points=rule.asset == "points", points_per_yuan=rate)
            seen += share.counted
    return seen


def replay(rule: Rule, start: datetime, stream: Iterable[Replayed], faces: Mapping[str, int]) -> Outcome:
    """What `rule`, published at `start`, would have granted and refunds taken back on the
    `stream` of payments (in `paid_at` order); `faces` maps a voucher template's id to its face
    value in fen (shares.voucher_face)."""
    draft, outcome, caps = as_published(rule, start), Outcome(), _Caps()
    for replayed in stream:
        outcome.scanned += 1
        payment = replayed.payment
        ordered = rules_with(payment, draft)
        position = next((i for i, r in enumerate(ordered) if r.id == draft.id), None)
        if position is None:
            continue
        values = [expected.value(r, payment.amount, faces) for r in ordered]
        excluded = draft.id in return_cap.excluded(ordered, values)
        in_play = return_cap.best_exclusive(values, [r.exclusive for r in ordered]) is not None
        max_bp, rate = return_cap.terms(payment.max_return_bp, payment.points_per_yuan)
        seen = 0 if in_play else _returned_before(ordered, values, position, replayed, rate, max_bp)
        left = return_cap.room(payment.amount, max_bp, seen)
        if draft.asset is None:
            _voucher(draft, values[position], left, excluded, replayed, outcome)
            continue
        day = policy.beijing_day(payment.paid_at)
        share = return_cap.grant(values[position], left, caps.remaining(draft, payment, day), excluded=excluded,
                                 points=draft.asset == "points", points_per_yuan=rate)
        if share.granted <= 0:
            continue
        caps.use(payment, day, share.granted)
        outcome.payments += 1
        outcome.granted.add(draft.asset, share.granted)
        outcome.taken_back.add(draft.asset, policy.clawback_due(share.granted, replayed.refunded, payment.amount))
        if draft.caps.budget is not None and caps.budget_used >= draft.caps.budget \
                and outcome.budget_exhausted_at is None:
            outcome.budget_exhausted_at = payment.paid_at
    return outcome


def _voucher(rule: Rule, face: int, left: int, excluded: bool, replayed: Replayed, outcome: Outcome) -> None:
    """A voucher rule (settlement's `_grant_voucher`): whole, once the payment reaches the
    threshold, if not excluded and its face fits what the cap has left."""
    assert rule.threshold is not None
    paid = replayed.payment.amount
    if paid < rule.threshold.min_paid or excluded or face > left:
        return
    outcome.payments += 1
    outcome.granted.vouchers += 1
    if not policy.voucher_kept(paid, replayed.refunded, rule.threshold.min_paid):
        outcome.taken_back.vouchers += 1
