"""Pure rules of the return cap (`max_return_bp`) and of exclusive rules. No I/O.

What all rules together return on one payment is at most `max_return_bp` basis points of the
amount paid, rounded down. Each rule's return is counted in fen of reward: balance as granted,
points at the rate they were granted at (`reward_fen * points_per_yuan // 100` points for
`reward_fen`, so a grant of P points counts as the fewest fen that grant P, rounded UP: the
count never falls below what was given), a voucher at its face value where the template has
one (`voucher_face`). Rules take their share in the order they were published; the rule that
would pass the cap is trimmed to what is left (rounded down), later ones get 0.

When any rule marked `exclusive` would return something on a payment, only the best single
rule applies: the largest return (in the same fen of reward), ties to the earliest published.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal, Sequence, TypeVar

from chalicelib.rebates.policy import BP, ratio_of, within_caps

if TYPE_CHECKING:  # a rule is only read here
    from chalicelib.rebates.models import Rule

DEFAULT_POINTS_PER_YUAN = 100  # one point per fen of reward: what payments recorded before the rate used

R = TypeVar("R", bound="Rule")


def terms(max_return_bp: int | None, points_per_yuan: int | None) -> tuple[int, int]:
    """(max_return_bp, points_per_yuan) recorded with a payment, or the defaults for a payment
    recorded before they were (the whole payment, one point per fen)."""
    return BP if max_return_bp is None else max_return_bp, points_per_yuan or DEFAULT_POINTS_PER_YUAN


def cap_of(paid: int, max_return_bp: int) -> int:
    """The most all rules together return on a payment of `paid` fen: rounded down."""
    return ratio_of(paid, min(max(max_return_bp, 0), BP))


def room(paid: int, max_return_bp: int, returned: int) -> int:
    """What is left of the cap after `returned` fen of reward, never negative."""
    return max(cap_of(paid, max_return_bp) - max(returned, 0), 0)


def trimmed(value: int, left: int) -> int:
    """A rule's return of `value` fen within what the cap has `left`: trimmed, never negative."""
    return max(min(value, left), 0)


def shares(values: Sequence[int], paid: int, max_return_bp: int) -> list[int]:
    """What each rule returns, rules in published order, each trimmed to what the earlier ones
    left of the cap (settlement takes the same steps, one rule per transaction)."""
    result, returned = [], 0
    for value in values:
        share = trimmed(value, room(paid, max_return_bp, returned))
        result.append(share)
        returned += share
    return result


def reward_points(reward_fen: int, points_per_yuan: int) -> int:
    """The points a points rule grants for `reward_fen` of reward, rounded down (API.md)."""
    return max(reward_fen, 0) * points_per_yuan // 100


def points_counted(points: int, points_per_yuan: int) -> int:
    """The fen of reward a grant of `points` counts as against the cap: the fewest fen whose
    `reward_points` reach `points` (rounded up, so a grant never counts below its worth; a
    grant of `reward_points(f)` counts at most `f`)."""
    return -(-max(points, 0) * 100 // points_per_yuan)


def own_ratio_bp(rule: Rule) -> int | None:
    """The most a rule returns by itself, in basis points of the amount paid; None when that
    depends on the payment (a threshold rule's fixed amount or voucher)."""
    if rule.kind == "fixed_ratio":
        return rule.ratio_bp or 0
    if rule.kind == "tiered":
        return max((step.ratio_bp for step in rule.ladder or []), default=0)
    if rule.kind == "full_return":
        return BP if rule.ratio_bp is None else rule.ratio_bp
    return None


def _published(rule: Rule) -> datetime:
    return rule.published_at or rule.created_at


def published_order(rules: Sequence[R]) -> list[R]:
    """Rules in the order they were first published (rules published before the time was kept
    count from their creation); ties keep the given order (a stable sort)."""
    return sorted(rules, key=_published)


def best_exclusive(values: Sequence[int], exclusive: Sequence[bool]) -> int | None:
    """The index of the single rule that applies when an exclusive rule would return something
    (`values` in published order): the largest value, ties to the earliest. None: no exclusive
    rule returns anything, so every rule applies."""
    if not any(flag and value > 0 for value, flag in zip(values, exclusive)):
        return None
    best = max(values)
    return next(i for i, value in enumerate(values) if value == best)


def excluded(rules: Sequence[R], values: Sequence[int]) -> set[str]:
    """The ids of the rules (in published order, with what each returns before caps) that give
    nothing because an exclusive rule is in play: all but the best (`best_exclusive`)."""
    best = best_exclusive(values, [rule.exclusive for rule in rules])
    return set() if best is None else {rule.id for i, rule in enumerate(rules) if i != best}


LimitedBy = Literal["return_cap", "exclusive"]


def limited_by(excluded: bool, computed_fen: int, reward_fen: int) -> LimitedBy | None:
    """Why a rebate is below what its rule computed, as far as the return cap goes."""
    if computed_fen <= 0:
        return None
    if excluded:
        return "exclusive"
    return "return_cap" if reward_fen < computed_fen else None


@dataclass(frozen=True)
class Grant:
    """One balance or points rule's grant on one payment (settlement's `_grant`, the preview)."""

    computed: int  # what the rule computes before any cap, in its unit (fen or points)
    granted: int   # what it grants, in its unit: within the return cap's room and its own caps
    counted: int   # the fen of reward the grant counts against the return cap
    limited_by: LimitedBy | None


def grant(computed_fen: int, left: int, remaining: Sequence[int | None], *, excluded: bool, points: bool,
          points_per_yuan: int) -> Grant:
    """What a rule computing `computed_fen` grants when the return cap has `left` fen and its own
    caps have `remaining` (None: no such cap; policy.within_caps): excluded, nothing; otherwise
    trimmed to `left` (rounded down), turned into points at the rate (rounded down) for a points
    rule, then within its caps; counted against the cap at `points_counted` (rounded up)."""
    reward_fen = 0 if excluded else trimmed(computed_fen, left)
    computed = reward_points(computed_fen, points_per_yuan) if points else computed_fen
    units = reward_points(reward_fen, points_per_yuan) if points else reward_fen
    granted = within_caps(units, remaining)
    counted = points_counted(granted, points_per_yuan) if points else granted
    return Grant(computed, granted, counted, limited_by(excluded, computed_fen, reward_fen))
