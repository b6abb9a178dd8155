"""Business operations on templates and coupons. No boto3, no Chalice: time comes in as `now`.

The payment flow (chalicelib/payments, chalicelib/rebates) calls `redeem_order`,
`restore_order`, `grant_one` and `revoke_coupon`; their signatures are a contract with it.
Policies are written down in docs/checkout.md.
"""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta
from typing import Callable, TypeVar

from pydantic import BaseModel, ConfigDict

from chalicelib.coupons import codes, pricing, repository, rules
from chalicelib.coupons.models import (
    AppliedCoupon, CardEntry, Code, CodeBatch, CodeListQuery, CodeMintRequest, Coupon, CouponListQuery, GrantReport,
    GrantResult, Hold, HoldRequest, HourlyClaims, LockRequest, Quote, QuoteRequest, Scope, Template, TemplateCreate,
    TemplateListQuery, TemplateStats, TemplateStatsQuery, Validity,
)
from chalicelib.clock import iso
from chalicelib.errors import (
    DomainError, InsufficientBalance, InvalidState, NotClaimable, NotFound, NotUsable, SoldOut, Throttled,
)
from chalicelib.ids import derived_id, new_id
from chalicelib.idempotency import Idempotency
from chalicelib.observability import count, logger
from chalicelib.settings import get_settings
from chalicelib.models import Page, PageQuery


def create_template(request: TemplateCreate, now: datetime, idem: Idempotency | None) -> Template:
    template = Template(
        id=new_id(), status="draft", claimed=0, redeemed=0, created_at=now, updated_at=now,
        **request.model_dump(exclude={"validity", "scope"}),
        validity=request.validity, scope=request.scope,
    )
    repository.create_template(template, idem)
    return template


def _stored_template(template_id: str) -> Template:
    template = repository.get_template(template_id, consistent=True)
    if template is None:
        raise NotFound("No template with this id.")
    return template


def get_template(template_id: str, now: datetime | None = None) -> Template:
    """A template with exact counters (consistent reads of the template and of its stock shards);
    given `now`, as it stands then (rules.template_shown)."""
    template = repository.with_claim_counts([_stored_template(template_id)], consistent=True)[0]
    return rules.template_shown(template, now) if now else template


def list_templates(query: TemplateListQuery, now: datetime) -> Page[Template]:
    items, cursor = repository.list_templates(query.status, now, query.limit, query.cursor)
    counted = repository.with_claim_counts(items, consistent=True)
    return Page[Template](items=[rules.template_shown(t, now) for t in counted], next_cursor=cursor)


def change_template_status(template_id: str, action: str, now: datetime) -> Template:
    changed = repository.change_status(_stored_template(template_id), action, now)
    return repository.with_claim_counts([changed], consistent=True)[0]


def template_stats(template_id: str, query: TemplateStatsQuery, now: datetime) -> TemplateStats:
    """A template's counters and its claims per hour, every hour of the range listed."""
    hours = rules.stats_hours(now, query.start, query.end)
    template = get_template(template_id)
    counts = repository.claims_by_hour(template, iso(hours[0]), iso(hours[-1]))
    return TemplateStats(template_id=template.id, claimed=template.claimed, redeemed=template.redeemed,
                         hours=[HourlyClaims(hour=hour, claimed=counts.get(iso(hour), 0)) for hour in hours])


class ClaimableTemplate(BaseModel):
    """A template as a shopper sees it in the list of what they can claim."""

    model_config = ConfigDict(defer_build=True)

    id: str
    name: str
    kind: str
    value: int
    max_discount: int | None
    min_spend: int
    scope: Scope
    validity: Validity
    claim_starts_at: datetime
    claim_ends_at: datetime
    per_user_limit: int
    claimed_by_me: int
    remaining: int


def list_claimable(user_id: str, query: PageQuery, now: datetime) -> Page[ClaimableTemplate]:
    """Templates the caller can claim now: published, in window, in stock, under their limit."""
    templates, cursor = repository.list_claimable(now, query.limit, query.cursor)
    templates = repository.with_claim_counts(templates, consistent=False)
    mine = repository.claimed_counts(user_id, [t.id for t in templates]) if templates else {}
    items = [
        ClaimableTemplate(**t.model_dump(include=set(ClaimableTemplate.model_fields) - {"claimed_by_me"}),
                          claimed_by_me=mine.get(t.id, 0))
        for t in templates
        if rules.claim_refusal(t, now) is None and mine.get(t.id, 0) < t.per_user_limit
    ]
    return Page[ClaimableTemplate](items=items, next_cursor=cursor)


def claim(template_id: str, user_id: str, now: datetime, idem: Idempotency | None) -> Coupon:
    """Claim one coupon of a template. The transaction decides; the read only explains and builds."""
    template = _template_to_claim(template_id, now)
    try:
        refusal = rules.claim_refusal(template, now)
        if refusal is not None:
            raise refusal
        coupon = rules.new_coupon(template, new_id(), now)
        _take_stock(template, lambda shard: repository.claim(template, coupon, user_id, now, idem, shard))
    except DomainError as exc:
        if isinstance(exc, (NotClaimable, SoldOut)):  # about the template: the next claim reads it afresh
            _claimable.pop(_claimable_key(template_id), None)
        count("ClaimRejected", reason=type(exc).__name__)
        raise
    count("ClaimSucceeded")
    return coupon


# Templates that a read found claimable, reused by this process's claims for a second: a
# flash sale's claims then read the template item about once a second per function instance,
# not once per claim (docs/architecture.md, "Hot campaigns").
CLAIMABLE_TEMPLATE_SECONDS = 1.0
_claimable: dict[tuple[str, str], tuple[float, Template]] = {}


def _claimable_key(template_id: str) -> tuple[str, str]:
    return get_settings().table_name, template_id


def _template_to_claim(template_id: str, now: datetime) -> Template:
    """The template a claim builds its coupon from: a copy read less than a second ago if that
    copy still looks claimable, else a fresh read.

    A stale copy is safe. After creation only a template's status and its counts change, and
    the claim's transaction checks the status and the stock on the stock item itself: a copy
    that missed a pause or the sell-out costs one refused write, which the old item returned
    with the refusal explains, and drops the copy (`claim`). A refusal never comes from a copy:
    only from a fresh read or the transaction.
    """
    key = _claimable_key(template_id)
    kept = _claimable.get(key)
    if kept is not None and time.monotonic() - kept[0] < CLAIMABLE_TEMPLATE_SECONDS \
            and rules.claim_refusal(kept[1], now) is None:
        return kept[1]
    template = repository.get_template(template_id)
    if template is None:
        raise NotFound("No template with this id.")
    if rules.claim_refusal(template, now) is None:
        if len(_claimable) >= 1000:  # a bound: the templates being claimed right now are few
            _claimable.clear()
        _claimable[key] = (time.monotonic(), template)
    return template


Issued = TypeVar("Issued")


def _take_stock(template: Template, issue: Callable[[int], Issued]) -> Issued:
    """Run `issue(shard)`, the one transaction that takes a unit of stock, on a shard with stock.

    An unsharded template has one place for its stock (shard 0, the template item). A sharded
    one: read every shard (one eventually consistent BatchGetItem) and try a shard drawn in
    proportion to the units it showed left; a shard whose condition refuses the claim is proved
    empty, and the next draw is among the rest after one consistent re-read. SoldOut only when
    every shard is proved empty, by a read (a shard's count only grows, so even a stale "empty"
    is true) or by a refused claim: never while a shard has stock. Every unit is still taken by
    a conditional write; the reads only choose where to try.
    """
    if template.stock_shards == 1:
        return issue(0)
    remaining = repository.shard_remaining(template, consistent=False)
    known_empty: set[int] = set()
    while (shard := rules.pick_shard(remaining, known_empty, random.random())) is not None:
        try:
            return issue(shard)
        except repository.ShardEmpty:
            count("StockShardMissed")
            if not known_empty:
                remaining = repository.shard_remaining(template, consistent=True)
            known_empty.add(shard)
    raise SoldOut()


def list_coupons(user_id: str, query: CouponListQuery, now: datetime) -> Page[Coupon]:
    coupons, cursor = repository.list_coupons(user_id, query.status, now, query.limit, query.cursor)
    return Page[Coupon](items=[rules.shown(c, now) for c in coupons], next_cursor=cursor)


def get_coupon(user_id: str, coupon_id: str, now: datetime) -> Coupon:
    coupon = repository.get_coupon(user_id, coupon_id, consistent=True)
    if coupon is None:
        raise NotFound("No coupon with this id in your wallet.")
    return rules.shown(coupon, now)


# --- checkout: quote, lock, unlock, card holds --------------------------------------------------

# How often an operation re-reads and retries when a racing write changed what it read.
CONTENDED_RETRIES = 3


def quote(user_id: str, request: QuoteRequest, now: datetime) -> Quote:
    """Price an order: with `coupon_ids`, exactly those (or 409 NOT_USABLE naming each one that
    cannot be used); without, the best usable choice from the caller's wallet."""
    lines = pricing.lines_of(request.items)
    if request.coupon_ids is None:
        priced = pricing.best_choice(lines, repository.usable_coupons(user_id, now))
    else:
        discount_coupon, cards = _chosen(user_id, request.coupon_ids, lines, now)
        priced = pricing.price(lines, discount_coupon, cards)
    applied = [AppliedCoupon(coupon_id=c.id, kind=c.kind, name=c.name, amount=amount) for c, amount in priced.applied]
    return Quote(subtotal=priced.subtotal, discount=priced.discount, stored_value=priced.stored_value,
                 total=priced.total, applied=applied)


def _chosen(user_id: str, coupon_ids: list[str], lines: list[pricing.Line],
            now: datetime) -> tuple[Coupon | None, list[Coupon]]:
    """The caller's choice, checked: each coupon theirs, usable now and applicable; one discount at most."""
    found = repository.coupons_by_id(user_id, coupon_ids)
    problems: list[dict[str, str]] = []
    discounts: list[Coupon] = []
    cards: list[Coupon] = []
    for coupon_id in coupon_ids:
        coupon = found.get(coupon_id)
        reason = ("it is not in your wallet" if coupon is None
                  else rules.unusable_reason(coupon, now) or pricing.inapplicable_reason(coupon, lines))
        if reason is not None:
            problems.append({"coupon_id": coupon_id, "reason": reason})
        elif coupon.kind == "stored_value":
            cards.append(coupon)
        else:
            discounts.append(coupon)
    problems += [{"coupon_id": c.id, "reason": "an order takes at most one discount coupon"} for c in discounts[1:]]
    if problems:
        raise NotUsable("Some coupons cannot be used for this order; see details.", problems)
    return (discounts[0] if discounts else None), cards


def lock_coupon(user_id: str, coupon_id: str, request: LockRequest, now: datetime) -> Coupon:
    """Reserve a discount coupon for an order whose items it applies to, for `lock_ttl_seconds`.

    The read only checks what never changes (kind, scope, minimum spend) against the items;
    who holds the coupon is decided by the conditional write.
    """
    coupon = repository.get_coupon(user_id, coupon_id)
    if coupon is None:
        raise NotFound("No coupon with this id in your wallet.")
    if coupon.kind == "stored_value":
        raise NotUsable("A stored-value card is not locked: hold part of its balance with POST /me/coupons/{id}/hold.",
                        [{"coupon_id": coupon_id, "reason": "it is a stored-value card"}])
    reason = pricing.inapplicable_reason(coupon, pricing.lines_of(request.items))
    if reason is not None:
        raise NotUsable(f"This coupon does not apply to the order: {reason}.",
                        [{"coupon_id": coupon_id, "reason": reason}])
    expires_at = now + timedelta(seconds=get_settings().lock_ttl_seconds)
    return rules.shown(repository.lock(user_id, coupon_id, request.order_id, now, expires_at), now)


def unlock_coupon(user_id: str, coupon_id: str, order_id: str, now: datetime) -> Coupon:
    """Give back what the order reserved: a coupon's lock, or a card's hold (its amount returns
    to the balance). Idempotent; only the order that holds it can give it back."""
    coupon = repository.get_coupon(user_id, coupon_id)
    if coupon is None:
        raise NotFound("No coupon with this id in your wallet.")
    if coupon.kind != "stored_value":
        return rules.shown(repository.unlock(user_id, coupon_id, order_id), now)
    for _ in range(CONTENDED_RETRIES):
        held = repository.get_hold(user_id, coupon_id, order_id)
        if held is None:
            raise InvalidState("This order holds nothing on this card.")
        if held.status in ("spent", "refunded"):
            raise InvalidState("This order has already paid with this card.")
        if held.status == "released" or repository.release(user_id, held, now):
            return get_coupon(user_id, coupon_id, now)
    raise Throttled("This card is changing under many requests; retry shortly.")


def hold_card(user_id: str, card_id: str, request: HoldRequest, now: datetime) -> Hold:
    """Hold part of a card's balance for an order, for `lock_ttl_seconds`.

    When the balance falls short, holds of this card that lapsed (their orders neither paid
    nor gave them back) are released first, each by a conditional write, and the hold is
    tried once more.
    """
    expires_at = now + timedelta(seconds=get_settings().lock_ttl_seconds)
    try:
        return repository.hold(user_id, card_id, request.order_id, request.amount, now, expires_at)
    except InsufficientBalance:
        lapsed = repository.lapsed_holds(user_id, card_id, now)
        if not [h for h in lapsed if repository.release(user_id, h, now, only_lapsed=True)]:
            raise
    return repository.hold(user_id, card_id, request.order_id, request.amount, now, expires_at)


def card_history(user_id: str, card_id: str, query: PageQuery) -> Page[CardEntry]:
    card = repository.get_coupon(user_id, card_id)
    if card is None or card.kind != "stored_value":
        raise NotFound("No stored-value card with this id in your wallet.")
    entries, cursor = repository.card_history(user_id, card_id, query.limit, query.cursor)
    return Page[CardEntry](items=entries, next_cursor=cursor)


# --- the payment flow's operations ---------------------------------------------------------------


def redeem_order(user_id: str, order_id: str, coupon_ids: list[str], payment_id: str, now: datetime) -> list[Coupon]:
    """Payment succeeded: these coupons (locked for this order) become `used` (recording order_id and
    payment_id), and the template's `redeemed` counter goes up in the same transaction; stored-value
    card holds of the order are spent. Idempotent on payment_id: a redelivery changes nothing and
    returns the same coupons. A coupon whose lock expired but that is still unused and valid is used
    anyway (the shopper was charged the discounted price); a coupon used by another payment is left
    alone and reported (log + omitted from the result), never used twice.

    Each coupon is its own transaction, so one that cannot be used does not hold back the
    others. A coupon locked by another order whose lock is still live is left to that order
    (reported); a card is spent from this order's hold, or, if the hold lapsed and was
    released, from the balance when it still covers the amount (else reported).
    """
    used: list[Coupon] = []
    for coupon_id in dict.fromkeys(coupon_ids):
        coupon = repository.get_coupon(user_id, coupon_id, consistent=True)
        if coupon is None:
            result = None
        elif coupon.kind == "stored_value":
            result = _spend_card(user_id, coupon, order_id, payment_id, now)
        else:
            result = repository.redeem(user_id, coupon, order_id, payment_id, now)
        if result is None:
            logger.warning("coupon not redeemed", extra={"user_id": user_id, "order_id": order_id,
                                                          "payment_id": payment_id, "coupon_id": coupon_id,
                                                          "status": coupon.status if coupon else "missing"})
            count("RedeemSkipped")
            continue
        used.append(rules.shown(result, now))
    return used


def _spend_card(user_id: str, card: Coupon, order_id: str, payment_id: str, now: datetime) -> Coupon | None:
    for _ in range(CONTENDED_RETRIES):
        held = repository.get_hold(user_id, card.id, order_id)
        if held is None:
            return None
        if held.status in ("spent", "refunded"):
            return repository.get_coupon(user_id, card.id, consistent=True) if held.payment_id == payment_id else None
        try:
            if repository.spend_hold(user_id, held, payment_id, now):
                return repository.get_coupon(user_id, card.id, consistent=True)
        except InsufficientBalance:
            return None
    return None


def restore_order(user_id: str, payment_id: str, now: datetime) -> list[Coupon]:
    """The payment was refunded in full: coupons it used that are still valid go back to `unused`
    (redeemed counter down); expired ones stay used. Card amounts spent by the payment are returned
    to the card. Idempotent (only coupons whose payment_id matches and status is used).

    Returns what this refund gave back, by this call or an earlier delivery of it. What a
    payment used is read from its redemption record (written with each redemption); every
    change is conditional on the coupon or hold still belonging to this payment.
    """
    record = repository.get_redemption(user_id, payment_id)
    if record is None:
        return []
    restored: list[Coupon] = []
    for coupon_id in sorted(record.get("coupon_ids", [])):
        coupon = repository.get_coupon(user_id, coupon_id, consistent=True)
        back = coupon and repository.restore(user_id, coupon_id, coupon.template_id, payment_id, now)
        if back:
            restored.append(rules.shown(back, now))
    for card_id in sorted(record.get("card_ids", [])):
        held = repository.get_hold(user_id, card_id, record["order_id"])
        if held is None or held.payment_id != payment_id:
            continue
        if held.status == "spent":
            repository.refund_hold(user_id, held, payment_id, now)
            held = repository.get_hold(user_id, card_id, record["order_id"])
        if held is not None and held.status == "refunded" and held.payment_id == payment_id:
            restored.append(get_coupon(user_id, card_id, now))
    return restored


def grant_one(template_id: str, user_id: str, now: datetime, grant_ref: str) -> Coupon:
    """Issue one coupon (the grant path, used by operator grants and by rebate voucher rewards) within
    stock and the per-user limit, exactly once per grant_ref.

    `grant_ref` names the grant (make it unique per template, e.g. "<payment_id>:<rule_id>"):
    a grant marker keyed by (template_id, grant_ref) is written in the issuing transaction,
    so a retry, with any `now`, returns the coupon granted the first time. The coupon id
    itself is a fresh time-ordered id (wallets sort by it), not derived from the ref. Grants
    ignore the claim window and channel but refuse an `ended` template or a fixed validity
    that is over (NOT_CLAIMABLE); they respect stock (SOLD_OUT) and the per-user limit
    (LIMIT_REACHED), counted with claims.
    """
    template = repository.get_template(template_id)
    if template is None:
        raise NotFound("No template with this id.")
    return _grant(template, user_id, now, grant_ref)


def _grant(template: Template, user_id: str, now: datetime, grant_ref: str) -> Coupon:
    """Grant unless refused; a refused grant whose ref was granted before answers with that coupon
    (a retry after the stock ran out, or the template ended, still gets what it was given)."""
    coupon = rules.new_coupon(template, new_id(), now)
    try:
        refusal = rules.grant_refusal(template, now)
        if refusal is not None:
            raise refusal
        return _take_stock(template, lambda shard: repository.grant(template, coupon, user_id, grant_ref, now, shard))
    except (SoldOut, NotClaimable):
        earlier = repository.granted(template.id, grant_ref)
        if earlier is None:
            raise
        return earlier


def revoke_coupon(user_id: str, coupon_id: str, now: datetime) -> bool:
    """Revoke an unused coupon (a rebate voucher when its payment is refunded): unused -> `revoked`.

    Also revokes a coupon locked by an unpaid order (that order's payment will then not use
    it) and an untouched stored-value card. Returns False when it was already used (or a card
    was drawn on): the caller then claws back otherwise. Idempotent: revoking a revoked coupon
    returns True. Revoked coupons are listed with `GET /me/coupons?status=revoked`.
    """
    return repository.revoke(user_id, coupon_id, now) is not None


# --- operators: grants and codes ---------------------------------------------------------------

def grant_many(template_id: str, user_ids: list[str], now: datetime, operator_id: str,
               idem: Idempotency | None) -> GrantReport:
    """Grant one coupon to each listed user, reporting per user. With an Idempotency-Key each
    user's grant is exactly-once (its grant_ref is made of the operator, the key and the user),
    so a retry after a failure half-way grants only what is missing."""
    template = repository.get_template(template_id, consistent=True)
    if template is None:
        raise NotFound("No template with this id.")
    batch_ref = f"admin:{operator_id}:{idem.key}" if idem else f"admin:{new_id()}"
    results = []
    for user_id in user_ids:
        try:
            coupon = _grant(template, user_id, now, f"{batch_ref}:{user_id}")
            results.append(GrantResult(user_id=user_id, status="granted", coupon_id=coupon.id))
        except DomainError as exc:
            results.append(GrantResult(user_id=user_id, status=exc.code))
    report = GrantReport(template_id=template_id, granted=sum(r.status == "granted" for r in results),
                         results=results)
    count("CouponsGranted", report.granted)
    if idem:
        repository.record_response(idem, report.model_dump(mode="json"))
    return report


MINT_THROTTLE_RETRIES = 8


def mint_codes(template_id: str, count_wanted: int, prefix: str | None, now: datetime, *,
               batch_id: str | None = None, progress: Callable[[int, int], None] | None = None) -> CodeBatch:
    """Mint `count_wanted` new codes for a template, 99 per transaction.

    Every code is written with `attribute_not_exists`, so a collision never overwrites a
    code: the transaction is cancelled, the colliding codes are drawn again and the write is
    retried. The batch item counts what is minted, advanced in the same transactions under
    the condition `minted = <what this writer saw>`: a crashed run resumes with the same
    `batch_id`, and two runs of one batch never mint more than its count. Throttling is
    retried with exponential backoff and jitter.
    """
    start = CodeBatch(id=batch_id or new_id(), template_id=template_id, count=count_wanted, minted=0, prefix=prefix,
                      created_at=now)
    batch = repository.start_batch(start, now)
    if (batch.count, batch.prefix) != (count_wanted, prefix):
        raise InvalidState(f"Batch {batch.id} was started for {batch.count} codes with prefix {batch.prefix!r}.")
    minted, pending, throttled = batch.minted, [], 0
    while minted < batch.count:
        if progress:
            progress(minted, batch.count)
        size = min(repository.MAX_CODES_PER_WRITE, batch.count - minted)
        pending = pending[:size] + [codes.draw(prefix) for _ in range(size - len(pending[:size]))]
        try:
            minted, pending, throttled = repository.add_codes(batch, pending, minted, now), [], 0
        except repository.CodeCollision as exc:
            for position in exc.positions:
                pending[position] = codes.draw(prefix)
        except repository.BatchMoved as exc:
            minted, pending = exc.minted, []
        except Throttled:
            throttled += 1
            if throttled > MINT_THROTTLE_RETRIES:
                raise
            time.sleep(random.uniform(0, min(0.05 * 2**throttled, 5.0)))
    if progress:
        progress(minted, batch.count)
    return batch.model_copy(update={"minted": minted})


def mint_codes_for_request(template_id: str, request: CodeMintRequest, now: datetime, operator_id: str,
                           idem: Idempotency | None) -> CodeBatch:
    """The HTTP mint: with an Idempotency-Key the batch id is derived from the operator and the key,
    so a retry resumes the same batch instead of minting another."""
    batch_id = derived_id(f"codes:{template_id}:{operator_id}:{idem.key}", 0) if idem else None
    batch = mint_codes(template_id, request.count, request.prefix, now, batch_id=batch_id)
    if idem:
        repository.record_response(idem, batch.model_dump(mode="json"))
    return batch


def list_codes(template_id: str, query: CodeListQuery) -> Page[Code]:
    get_template(template_id)
    items, cursor = repository.list_codes(template_id, query.batch, query.limit, query.cursor)
    return Page[Code](items=items, next_cursor=cursor)


def claim_code(code_text: str, user_id: str, now: datetime, idem: Idempotency | None) -> Coupon:
    """Claim through a code: once per code, within the template's stock and the user's limit, in
    one transaction with the code's own `status = new` condition."""
    code = repository.get_code(code_text)
    if code is None:
        raise NotFound("No such code.")
    if code.status != "new":
        raise NotClaimable("This code has already been used.")
    template = repository.get_template(code.template_id)
    if template is None:
        raise NotFound("No such code.")
    refusal = rules.claim_refusal(template, now, ("open", "code"))
    if refusal is not None:
        raise refusal
    coupon = rules.new_coupon(template, new_id(), now)
    _take_stock(template, lambda shard: repository.claim_code(code_text, template, coupon, user_id, now, idem, shard))
    count("CodeClaimed")
    return coupon
