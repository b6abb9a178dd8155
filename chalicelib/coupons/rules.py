"""Pure rules of coupons: no I/O, so tests call them with literals."""

from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib.coupons.models import Coupon, CouponStatus, Template, TemplateStatus
from chalicelib.errors import DomainError, InvalidState, NotClaimable, SoldOut

# action -> (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], TemplateStatus]] = {
    "publish": (frozenset({"draft", "paused"}), "published"),
    "pause": (frozenset({"published"}), "paused"),
    "end": (frozenset({"published", "paused"}), "ended"),
}


def transition(current: str, action: str) -> TemplateStatus:
    sources, target = TRANSITIONS[action]
    if current not in sources:
        raise InvalidState(f"A {current} template cannot {action}; allowed from: {', '.join(sorted(sources))}.")
    return target


def validity_window(template: Template, claimed_at: datetime) -> tuple[datetime, datetime]:
    """When a coupon claimed at `claimed_at` can be used."""
    if template.validity.fixed is not None:
        return template.validity.fixed.valid_from, template.validity.fixed.until
    return claimed_at, claimed_at + timedelta(days=template.validity.days_after_claim or 0)


def claim_refusal(template: Template, now: datetime) -> DomainError | None:
    """Why a claim of this template at `now` must be refused, judged from a copy of it.

    The claim transaction enforces the same rules by condition; this explains its
    cancellation (and spares a doomed write when the copy already shows the refusal).
    """
    if template.status != "published":
        return NotClaimable(f"This coupon is {template.status}, not open for claims.")
    if now < template.claim_starts_at:
        return NotClaimable("Claims for this coupon have not started yet.")
    if now >= template.claim_ends_at:
        return NotClaimable("Claims for this coupon have ended.")
    if template.validity.fixed is not None and now >= template.validity.fixed.until:
        return NotClaimable("This coupon's validity has ended.")
    if template.claimed >= template.total_stock:
        return SoldOut()
    return None


def coupon_status(coupon: Coupon, now: datetime) -> CouponStatus:
    """The status a holder sees: an unused coupon past its validity is expired even before the sweep."""
    if coupon.status == "unused" and now >= coupon.valid_until:
        return "expired"
    return coupon.status
