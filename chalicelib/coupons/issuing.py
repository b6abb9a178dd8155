"""Issuing coupons: shoppers' claims (the claimable list, the template copy kept for a second,
the choice of a stock shard), code claims and grants. No boto3, no Chalice: time comes in as
`now`; storage is issuing_store, and a refused write is explained here with the pure rules."""

from __future__ import annotations

import random
import time
from datetime import datetime
from typing import Callable, TypeVar

from pydantic import BaseModel, ConfigDict

from chalicelib.coupons import issuing_store, minting_store, rules, templates_store
from chalicelib.coupons.models import ClaimChannel, Coupon, GrantReport, GrantResult, Scope, Template, Validity
from chalicelib.coupons.refused import Refused
from chalicelib.errors import DomainError, InvalidState, LimitReached, NotClaimable, NotFound, SoldOut, Throttled
from chalicelib.audit import store as audit_store
from chalicelib.audit.models import Change
from chalicelib.idempotency import Idempotency
from chalicelib.ids import new_id
from chalicelib.models import Page, PageQuery
from chalicelib.observability import count
from chalicelib.settings import get_settings


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
    points_price: int | None = None  # also redeemable for this many points
    price: int | None = None  # for sale at this many fen (bought through a payment's `purchases`)
    claim_channel: ClaimChannel = "open"  # "open": free to claim; else only bought (or granted)


SALE_CHANNELS: tuple[ClaimChannel, ...] = ("open", "grant")


def list_claimable(user_id: str, query: PageQuery, now: datetime) -> Page[ClaimableTemplate]:
    """Templates the caller can claim (or buy) now: published, in window, in stock, under their
    limit. A template for sale is listed on any claim channel but `code` (a card sold, not given,
    has channel `grant`: the mall shows its price and a buy button, not a claim)."""
    templates, cursor = issuing_store.list_claimable(now, query.limit, query.cursor)
    templates = templates_store.with_claim_counts(templates, consistent=False)
    mine = issuing_store.claimed_counts(user_id, [t.id for t in templates]) if templates else {}
    items = [
        ClaimableTemplate(**t.model_dump(include=set(ClaimableTemplate.model_fields) - {"claimed_by_me"}),
                          claimed_by_me=mine.get(t.id, 0))
        for t in templates
        if rules.claim_refusal(t, now, SALE_CHANNELS if t.price else ("open",)) is None
        and mine.get(t.id, 0) < t.per_user_limit
    ]
    return Page[ClaimableTemplate](items=items, next_cursor=cursor)


class ShardEmpty(Exception):
    """The stock shard a claim tried has no units left (proved by its refused condition): try
    another shard; the template is sold out only when every shard is."""

    def __init__(self, shard: int) -> None:
        super().__init__(f"stock shard {shard} is empty")
        self.shard = shard


def issue_refusal(refused: Refused, template: Template, shard: int, now: datetime,
                   explain: Callable[[Template, datetime], DomainError | None]) -> Exception:
    """Name the refusal of a cancelled issuing transaction. No stock left is SoldOut for an
    unsharded template, ShardEmpty for a shard."""
    if issuing_store.STOCK in refused.failed:
        old = refused.old(issuing_store.STOCK)
        if old is None:
            return NotFound("No template with this id.")
        refusal = explain(issuing_store.stock_view(template, old), now)
        if refusal is not None and not isinstance(refusal, SoldOut):
            return refusal
    if issuing_store.USER_CLAIMS in refused.failed:
        return LimitReached(f"You can claim at most {template.per_user_limit} of these.")
    return SoldOut() if template.stock_shards == 1 else ShardEmpty(shard)


def claim(template_id: str, user_id: str, now: datetime, idem: Idempotency | None) -> Coupon:
    """Claim one coupon of a template. The transaction decides; the read only explains and builds."""
    template = _template_to_claim(template_id, now)
    try:
        refusal = rules.claim_refusal(template, now)
        if refusal is not None:
            raise refusal
        coupon = rules.new_coupon(template, new_id(), now)
        take_stock(template, lambda shard: _claim_on(template, coupon, user_id, now, idem, shard))
    except DomainError as exc:
        if isinstance(exc, (NotClaimable, SoldOut)):  # about the template: the next claim reads it afresh
            _claimable.pop(_claimable_key(template_id), None)
            _shard_counts.pop(_claimable_key(template_id), None)
        count("ClaimRejected", reason=type(exc).__name__)
        raise
    count("ClaimSucceeded")
    return coupon


def _claim_on(template: Template, coupon: Coupon, user_id: str, now: datetime, idem: Idempotency | None,
              shard: int) -> None:
    try:
        issuing_store.claim(template, coupon, user_id, now, idem, shard)
    except Refused as exc:
        raise issue_refusal(exc, template, shard, now, rules.claim_refusal) from exc


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
    template = templates_store.get_template(template_id)
    if template is None:
        raise NotFound("No template with this id.")
    if rules.claim_refusal(template, now) is None:
        if len(_claimable) >= 1000:  # a bound: the templates being claimed right now are few
            _claimable.clear()
        _claimable[key] = (time.monotonic(), template)
    return template


Issued = TypeVar("Issued")


def take_stock(template: Template, issue: Callable[[int], Issued]) -> Issued:
    """Run `issue(shard)`, the one transaction that takes a unit of stock, on a shard with stock.

    An unsharded template has one place for its stock (shard 0, the template item). A sharded
    one: the shards' counts (one eventually consistent BatchGetItem, or this process's copy of
    it from the last second: `_shard_counts`) and a shard drawn in proportion to the units each
    showed left; a shard whose condition refuses the claim is proved empty, and the next draw is
    among the rest after one consistent re-read. SoldOut only when every shard is proved empty,
    by a read (a shard's count only grows, so even a stale "empty", read a second ago, is true)
    or by a refused claim: never while a shard has stock. Every unit is still taken by a
    conditional write; the counts only choose where to try, so a stale "has stock" costs one
    refused write.
    """
    if template.stock_shards == 1:
        return issue(0)
    key = _claimable_key(template.id)
    remaining = _kept_shard_counts(key)
    if remaining is None:
        remaining = _keep_shard_counts(key, issuing_store.shard_remaining(template, consistent=False))
    known_empty: set[int] = set()
    reread = False
    while (shard := rules.pick_shard(remaining, known_empty, random.random())) is not None:
        try:
            issued = issue(shard)
        except ShardEmpty:
            count("StockShardMissed")
            if not reread:
                remaining = _keep_shard_counts(key, issuing_store.shard_remaining(template, consistent=True))
                reread = True
            known_empty.add(shard)
            continue
        remaining[shard] -= 1  # this process's copy follows its own claims
        return issued
    raise SoldOut()


# Shard counts a read found, reused by this process's claims for a second (as the template is,
# above): a 16-shard flash sale's claim then reads 16 shard items about once a second per
# function instance, not once per claim (8 read units a claim; bench/results.md).
SHARD_COUNTS_SECONDS = 1.0
_shard_counts: dict[tuple[str, str], tuple[float, dict[int, int]]] = {}


def _kept_shard_counts(key: tuple[str, str]) -> dict[int, int] | None:
    kept = _shard_counts.get(key)
    if kept is None or time.monotonic() - kept[0] >= SHARD_COUNTS_SECONDS:
        return None
    return kept[1]


def _keep_shard_counts(key: tuple[str, str], remaining: dict[int, int]) -> dict[int, int]:
    if len(_shard_counts) >= 1000:  # a bound: the templates being claimed right now are few
        _shard_counts.clear()
    _shard_counts[key] = (time.monotonic(), remaining)
    return remaining




def claim_code(code_text: str, user_id: str, now: datetime, idem: Idempotency | None) -> Coupon:
    """Claim through a code: once per code, within the template's stock and the user's limit, in
    one transaction with the code's own `status = new` condition."""
    code = minting_store.get_code(code_text)
    if code is None:
        raise NotFound("No such code.")
    if code.status != "new":
        raise NotClaimable("This code has already been used.")
    template = templates_store.get_template(code.template_id)
    if template is None:
        raise NotFound("No such code.")
    channels = issuing_store.CODE_CHANNELS
    refusal = rules.claim_refusal(template, now, channels)
    if refusal is not None:
        raise refusal
    coupon = rules.new_coupon(template, new_id(), now)

    def issue(shard: int) -> None:
        try:
            issuing_store.claim_code(code_text, template, coupon, user_id, now, idem, shard)
        except Refused as exc:
            if "code" in exc.failed:
                if exc.old("code") is None:
                    raise NotFound("No such code.") from exc
                raise NotClaimable("This code has already been used.") from exc
            raise issue_refusal(exc, template, shard, now, lambda t, at: rules.claim_refusal(t, at, channels)) \
                from exc

    take_stock(template, issue)
    count("CodeClaimed")
    return coupon


# --- grants -----------------------------------------------------------------------------------

def grant_one(template_id: str, user_id: str, now: datetime, grant_ref: str, bought_with: str | None = None
              ) -> Coupon:
    """Issue one coupon (the grant path, used by operator grants and by rebate voucher rewards) within
    stock and the per-user limit, exactly once per grant_ref.

    `grant_ref` names the grant (make it unique per template, e.g. "<payment_id>:<rule_id>"):
    a grant marker keyed by (template_id, grant_ref) is written in the issuing transaction,
    so a retry, with any `now`, returns the coupon granted the first time. The coupon id
    itself is a fresh time-ordered id (wallets sort by it), not derived from the ref. Grants
    ignore the claim window and channel but refuse an `ended` template or a fixed validity
    that is over (NOT_CLAIMABLE); they respect stock (SOLD_OUT) and the per-user limit
    (LIMIT_REACHED), counted with claims. `bought_with`: the payment that bought it (a purchase
    of a template for sale), recorded on the coupon.
    """
    template = templates_store.get_template(template_id)
    if template is None:
        raise NotFound("No template with this id.")
    return _grant_current(template, user_id, now, grant_ref, bought_with)[0]


GRANT_ATTEMPTS = 5


def _grant_current(template: Template, user_id: str, now: datetime, grant_ref: str, bought_with: str | None = None
                   ) -> tuple[Coupon, Template]:
    """`_grant`, again from the template read afresh when it was a draft edited meanwhile (the
    coupon copies the terms it is granted under); the coupon and the template it came from."""
    for _ in range(GRANT_ATTEMPTS):
        try:
            return _grant(template, user_id, now, grant_ref, bought_with), template
        except TermsChanged:
            fresh = templates_store.get_template(template.id, consistent=True)
            if fresh is None:
                raise NotFound("No template with this id.") from None
            template = fresh
    raise Throttled("This template is being edited at this moment; retry shortly.")


class TermsChanged(Exception):
    """A grant from a draft met the draft edited since it was read (issuing_store.DRAFT_UNCHANGED)."""


def _grant(template: Template, user_id: str, now: datetime, grant_ref: str, bought_with: str | None = None
           ) -> Coupon:
    """Grant unless refused; a refused grant whose ref was granted before answers with that coupon
    (a retry after the stock ran out, or the template ended, still gets what it was given)."""
    coupon = rules.new_coupon(template, new_id(), now)
    if bought_with is not None:
        coupon = coupon.model_copy(update={"bought_with": bought_with})
    try:
        refusal = rules.grant_refusal(template, now)
        if refusal is not None:
            raise refusal
        return take_stock(template, lambda shard: _grant_on(template, coupon, user_id, grant_ref, now, shard))
    except (SoldOut, NotClaimable):
        earlier = issuing_store.granted(template.id, grant_ref)
        if earlier is None:
            raise
        return earlier


def _grant_on(template: Template, coupon: Coupon, user_id: str, grant_ref: str, now: datetime,
              shard: int) -> Coupon:
    """Issue `coupon` unless the grant `grant_ref` already happened; return the granted coupon
    (a retried grant fails on its marker and answers with the coupon the first attempt issued)."""
    try:
        issuing_store.grant(template, coupon, user_id, grant_ref, now, shard)
    except Refused as exc:
        if "marker" in exc.failed:
            earlier = issuing_store.granted(template.id, grant_ref)
            if earlier is None:
                raise InvalidState("This grant reference was used, but its coupon is gone.") from exc
            return earlier
        if issuing_store.terms_changed(exc, template):
            raise TermsChanged() from exc
        raise issue_refusal(exc, template, shard, now, rules.grant_refusal) from exc
    return coupon


def grant_many(template_id: str, user_ids: list[str], now: datetime, operator_id: str,
               idem: Idempotency | None) -> GrantReport:
    """Grant one coupon to each listed user, reporting per user. With an Idempotency-Key each
    user's grant is exactly-once (its grant_ref is made of the operator, the key and the user),
    so a retry after a failure half-way grants only what is missing."""
    template = templates_store.get_template(template_id, consistent=True)
    if template is None:
        raise NotFound("No template with this id.")
    batch_ref = f"admin:{operator_id}:{idem.key}" if idem else f"admin:{new_id()}"
    results = []
    for user_id in user_ids:
        try:
            coupon, template = _grant_current(template, user_id, now, f"{batch_ref}:{user_id}")
            results.append(GrantResult(user_id=user_id, status="granted", coupon_id=coupon.id))
        except DomainError as exc:
            results.append(GrantResult(user_id=user_id, status=exc.code))
    report = GrantReport(template_id=template_id, granted=sum(r.status == "granted" for r in results),
                         results=results)
    count("CouponsGranted", report.granted)
    body = report.model_dump(mode="json")
    audit = Change(operator_id, "grant", "template", template_id, None, body, now) if report.granted else None
    audit_store.record(audit, idem, body)  # with the key's record: a replayed grant is audited once
    return report
