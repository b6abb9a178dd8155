"""What the live rules would return on a payment, before it is made: the `expected_rebate` of a
quote (API.md, "What shoppers see"). Pure: no I/O; the rules, the vouchers' face values and the
programme's terms are passed in.

It takes settlement's steps (rebates/settlement.py `_grant`, `_grant_voucher`, shares.excluded)
with the same functions of return_cap.py and policy.py, on a fresh order: rules in published
order; with an exclusive rule in play only the best single rule applies; each rule's reward
trimmed to what the earlier ones left of `max_return_bp` (rounded down); points at
`reward_points` (rounded down) and counted against the cap at `points_counted` (rounded up); a
voucher is whole (none when the cap has no room for its face value); a rule's `per_order` cap
applies (a new order has used none of it). What it cannot know, it leaves out, so the real
rebate may be LOWER, never higher: a rule's per-user daily cap and budget (what others used
today), a voucher template sold out or at its per-user limit. A 全返 rule counts whole, though it
is paid in instalments.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping, Sequence

from chalicelib.rebates import policy, return_cap

if TYPE_CHECKING:  # a rule is only read here
    from chalicelib.rebates.models import Rule


@dataclass(frozen=True)
class Expected:
    balance: int = 0   # fen
    points: int = 0    # points
    vouchers: int = 0  # how many vouchers


def _template(rule: Rule) -> str | None:
    reward = rule.reward
    return None if isinstance(reward, str) else reward.voucher_template_id


def value(rule: Rule, paid: int, faces: Mapping[str, int]) -> int:
    """What a rule returns on `paid` before caps, in fen of reward (shares.value's arithmetic)."""
    template = _template(rule)
    if template is None:
        return policy.computed_reward(rule, paid)
    assert rule.threshold is not None
    return faces.get(template, 0) if paid >= rule.threshold.min_paid else 0


def expected_rebate(paid: int, rules: Sequence[Rule], faces: Mapping[str, int], max_return_bp: int,
                    points_per_yuan: int) -> Expected:
    """What `rules` (live now) would grant on a payment of `paid` fen; `faces` maps a voucher
    template's id to its face value in fen (shares.voucher_face)."""
    ordered = return_cap.published_order(rules)
    values = [value(rule, paid, faces) for rule in ordered]
    best = return_cap.best_exclusive(values, [rule.exclusive for rule in ordered])
    balance = points = vouchers = seen = 0
    for i, rule in enumerate(ordered):
        if best is not None and i != best:
            continue  # excluded: settlement grants it nothing
        template = _template(rule)
        if template is not None:
            assert rule.threshold is not None
            face = faces.get(template, 0)
            if paid >= rule.threshold.min_paid and face <= return_cap.room(paid, max_return_bp, seen):
                vouchers, seen = vouchers + 1, seen + face
            continue
        is_points = rule.asset == "points"
        share = return_cap.grant(values[i], return_cap.room(paid, max_return_bp, seen), [rule.caps.per_order],
                                 excluded=False, points=is_points, points_per_yuan=points_per_yuan)
        seen += share.counted
        if is_points:
            points += share.granted
        else:
            balance += share.granted
    return Expected(balance=balance, points=points, vouchers=vouchers)
