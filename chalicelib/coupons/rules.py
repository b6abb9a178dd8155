"""Pure rules of coupons: no I/O, so tests call them with literals."""

from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib.coupons.models import CardEntry, ClaimChannel, Coupon, CouponStatus, Template
from chalicelib.errors import (
    AlreadyLocked, DomainError, InvalidState, NotClaimable, NotUsable, SoldOut, ValidationFailed,
)

def validity_window(template: Template, claimed_at: datetime) -> tuple[datetime, datetime]:
    """When a coupon claimed at `claimed_at` can be used."""
    if template.validity.fixed is not None:
        return template.validity.fixed.valid_from, template.validity.fixed.until
    return claimed_at, claimed_at + timedelta(days=template.validity.days_after_claim or 0)


def claim_refusal(template: Template, now: datetime,
                  channels: tuple[ClaimChannel, ...] = ("open",)) -> DomainError | None:
    """Why a claim of this template at `now` must be refused, judged from a copy of it.

    `channels` are the claim channels the caller's path serves: a free claim serves `open`
    templates, a code claim `open` and `code` ones. The claim transaction enforces the same
    rules by condition; this explains its cancellation (and spares a doomed write when the
    copy already shows the refusal).
    """
    if template.claim_channel not in channels:
        how = "with a code" if template.claim_channel == "code" else "only by an operator's grant"
        return NotClaimable(f"This coupon is issued {how}.")
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


def template_shown(template: Template, now: datetime) -> Template:
    """A template as it stands at `now`: once its claim window closes, a published or paused
    template is `ended` (the end-templates job stores it so at its next run; every way of
    issuing already refuses it by condition)."""
    if template.status in ("published", "paused") and now >= template.claim_ends_at:
        return template.model_copy(update={"status": "ended"})
    return template


def grant_refusal(template: Template, now: datetime) -> DomainError | None:
    """Why an operator's grant (or a rebate reward) of this template must be refused.

    Grants ignore the claim window's start, the channel and a paused or draft status: they
    are the operator's deliberate act. They refuse an ended template (ended by an operator,
    or by its claim window closing), a fixed validity that is over (the coupon would be born
    expired), and a template without stock.
    """
    if template.status == "ended" or now >= template.claim_ends_at:
        return NotClaimable("This coupon template has ended.")
    if template.validity.fixed is not None and now >= template.validity.fixed.until:
        return NotClaimable("This coupon's validity has ended.")
    if template.claimed >= template.total_stock:
        return SoldOut()
    return None


def shard_allocations(total_stock: int, shards: int) -> list[int]:
    """Each stock shard's fixed share: floor(total / shards) units, one more for the first
    `total mod shards` shards. They add up to the stock exactly, shards * floor(total / shards) +
    (total mod shards) = total, so shards that never sell beyond their share never oversell."""
    base, extra = divmod(total_stock, shards)
    return [base + (1 if shard < extra else 0) for shard in range(shards)]


def pick_shard(remaining: dict[int, int], known_empty: set[int], point: float) -> int | None:
    """The shard to try next, drawn in proportion to the units each showed left (`point` is a
    uniform draw in [0, 1)); None when no shard is worth trying.

    Drawing by units left keeps the shards emptying together, so the last units are spread
    over many shards rather than sought by every claim on the one or two that still hold some.
    A shard's `claimed` only grows, so a read showing it empty, however stale, proves it empty;
    a read showing units left may be stale, and the conditional write decides.
    """
    weights = [(shard, left) for shard, left in sorted(remaining.items()) if left > 0 and shard not in known_empty]
    if not weights:
        return None
    target = point * sum(left for _, left in weights)
    for shard, left in weights:
        if target < left:
            return shard
        target -= left
    return weights[-1][0]  # float rounding of point * total can reach the total itself


def new_coupon(template: Template, coupon_id: str, now: datetime) -> Coupon:
    """The coupon a claim or grant of `template` at `now` issues; a card starts full."""
    valid_from, valid_until = validity_window(template, now)
    card = template.kind == "stored_value"
    return Coupon(
        id=coupon_id, template_id=template.id, name=template.name, kind=template.kind,
        value=template.value, max_discount=template.max_discount, min_spend=template.min_spend,
        scope=template.scope, status="unused", valid_from=valid_from, valid_until=valid_until,
        claimed_at=now, balance=template.value if card else None, held=0 if card else None,
    )


def issue_entry(coupon: Coupon, entry_id: str, now: datetime) -> CardEntry:
    """The first history entry of a card: its starting balance."""
    return CardEntry(id=entry_id, type="issue", amount=coupon.value, balance_change=coupon.value,
                     held_change=0, created_at=now)


def lock_lapsed(coupon: Coupon, now: datetime) -> bool:
    return coupon.status == "locked" and coupon.lock_expires_at is not None and coupon.lock_expires_at <= now


def coupon_status(coupon: Coupon, now: datetime) -> CouponStatus:
    """The status a holder sees: an unused coupon past its validity is expired even before the
    sweep, and a coupon whose lock lapsed is unused (or expired) again: any order may lock it."""
    if lock_lapsed(coupon, now):
        return "expired" if now >= coupon.valid_until else "unused"
    if coupon.status == "unused" and now >= coupon.valid_until:
        return "expired"
    return coupon.status


def shown(coupon: Coupon, now: datetime) -> Coupon:
    """The coupon as its holder sees it at `now`: its shown status, and no trace of a lapsed lock."""
    update: dict[str, object] = {"status": coupon_status(coupon, now)}
    if lock_lapsed(coupon, now):
        update.update(order_id=None, lock_expires_at=None)
    return coupon.model_copy(update=update)


def unusable_reason(coupon: Coupon, now: datetime, need_balance: bool = True) -> str | None:
    """Why this coupon cannot go into a new order at `now` (None: it can). With
    `need_balance=False` an empty card passes: the caller reports the balance itself."""
    status = coupon_status(coupon, now)
    if status == "locked":
        return "it is reserved by an order"
    if status != "unused":
        return f"it is {status}"
    if now < coupon.valid_from:
        return "it is not valid yet"
    if need_balance and coupon.kind == "stored_value" and (coupon.balance or 0) <= 0:
        return "the card has no balance left"
    return None


def lock_refusal(coupon: Coupon, order_id: str, now: datetime) -> DomainError:
    """Explain a lock that DynamoDB refused, from the coupon as it was."""
    if coupon.status == "locked" and coupon.order_id != order_id and not lock_lapsed(coupon, now):
        return AlreadyLocked()
    reason = unusable_reason(coupon, now) or "it cannot be locked now"
    return NotUsable(f"This coupon cannot be locked: {reason}.", [{"coupon_id": coupon.id, "reason": reason}])


def unlock_refusal(coupon: Coupon, order_id: str) -> DomainError | None:
    """Explain an unlock that DynamoDB refused; None when there is nothing to undo (idempotent)."""
    if coupon.status == "locked" and coupon.order_id != order_id:
        return AlreadyLocked("This coupon is reserved by another order; only that order can unlock it.")
    if coupon.status in ("used", "revoked"):
        return InvalidState(f"This coupon is {coupon.status}; there is no lock to give back.")
    return None


# --- claims over time --------------------------------------------------------------------------

STATS_DEFAULT_HOURS = 48
STATS_MAX_HOURS = 31 * 24


def hour_of(moment: datetime) -> datetime:
    """The start of the hour `moment` falls in: the bucket its claim is counted in."""
    return moment.replace(minute=0, second=0, microsecond=0)


def stats_hours(now: datetime, start: datetime | None, end: datetime | None) -> list[datetime]:
    """The hours a stats request covers, oldest first: `start`'s hour to `end`'s hour, both
    included. `end` defaults to now, `start` to 47 hours before `end` (48 hours in all)."""
    last = hour_of(end or now)
    first = hour_of(start) if start else last - timedelta(hours=STATS_DEFAULT_HOURS - 1)
    if first > last:
        raise ValidationFailed("`to` must not be before `from`.",
                               [{"field": "to", "message": "must not be before from"}])
    count = int((last - first).total_seconds()) // 3600 + 1
    if count > STATS_MAX_HOURS:
        raise ValidationFailed(f"Ask for at most {STATS_MAX_HOURS} hours at a time.",
                               [{"field": "from", "message": f"spans {count} hours; at most {STATS_MAX_HOURS}"}])
    return [first + timedelta(hours=i) for i in range(count)]
