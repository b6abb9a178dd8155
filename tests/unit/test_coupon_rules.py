"""Pure rules of coupons, called with literals: no AWS."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from chalicelib import lifecycle
from chalicelib.coupons import rules
from chalicelib.coupons.models import Coupon, Scope, Template, TemplateCreate, Validity
from chalicelib.errors import InvalidState, NotClaimable, NotFound, SoldOut
from chalicelib.ids import ID_PATTERN, new_id

NOW = datetime(2030, 6, 1, 12, 0, tzinfo=timezone.utc)


def template(**overrides) -> Template:
    data = dict(
        id=new_id(), name="t", kind="amount_off", value=500, min_spend=0, total_stock=10,
        per_user_limit=1, claim_starts_at=NOW - timedelta(days=1), claim_ends_at=NOW + timedelta(days=1),
        validity=Validity(days_after_claim=10), scope=Scope(all=True), status="published",
        claimed=0, redeemed=0, created_at=NOW, updated_at=NOW,
    )
    data.update(overrides)
    return Template(**data)


@pytest.mark.parametrize("current, action, target", [
    ("draft", "publish", "published"), ("paused", "publish", "published"),
    ("published", "pause", "paused"), ("published", "end", "ended"), ("paused", "end", "ended"),
])
def test_allowed_transitions(current, action, target):
    assert lifecycle.transition(current, action, "template") == target


@pytest.mark.parametrize("current, action", [
    ("draft", "pause"), ("draft", "end"), ("published", "publish"), ("paused", "pause"),
    ("ended", "publish"), ("ended", "pause"), ("ended", "end"),
])
def test_refused_transitions(current, action):
    with pytest.raises(InvalidState, match=f"A {current} template cannot {action}; allowed from: "):
        lifecycle.transition(current, action, "template")


def test_a_refused_status_write_is_explained_from_the_item_as_it_was():
    assert isinstance(lifecycle.refusal(None, "publish", "rebate rule"), NotFound)
    assert lifecycle.refusal({"status": "ended"}, "publish", "rebate rule").message == (
        "A ended rebate rule cannot publish; allowed from: draft, paused.")
    assert lifecycle.refusal({"status": "published"}, "pause", "template", "window over").message == "window over"


def test_validity_days_after_claim_starts_at_the_claim():
    assert rules.validity_window(template(), NOW) == (NOW, NOW + timedelta(days=10))


def test_fixed_validity_ignores_the_claim_time():
    fixed = Validity.model_validate({"fixed": {"from": "2030-01-01T00:00:00Z", "until": "2031-01-01T00:00:00Z"}}, strict=False)
    start, end = rules.validity_window(template(validity=fixed), NOW)
    assert (start.year, end.year) == (2030, 2031)


@pytest.mark.parametrize("overrides, refusal", [
    ({}, None),
    ({"status": "draft"}, NotClaimable),
    ({"status": "paused"}, NotClaimable),
    ({"claim_starts_at": NOW + timedelta(seconds=1)}, NotClaimable),
    ({"claim_starts_at": NOW}, None),
    ({"claim_ends_at": NOW}, NotClaimable),
    ({"claimed": 10}, SoldOut),
    ({"claimed": 9}, None),
    ({"validity": Validity.model_validate({"fixed": {"from": "2030-01-01T00:00:00Z", "until": "2030-06-01T12:00:00Z"}}, strict=False)},
     NotClaimable),
])
def test_claim_refusal(overrides, refusal):
    result = rules.claim_refusal(template(**overrides), NOW)
    assert (type(result) if result else None) is refusal


def test_unused_coupon_past_validity_shows_expired_but_used_stays_used():
    coupon = Coupon(id=new_id(), template_id=new_id(), name="c", kind="amount_off", value=1, min_spend=0,
                    scope=Scope(all=True), status="unused", valid_from=NOW - timedelta(days=2),
                    valid_until=NOW, claimed_at=NOW - timedelta(days=2))
    assert rules.coupon_status(coupon, NOW) == "expired"
    assert rules.coupon_status(coupon, NOW - timedelta(seconds=1)) == "unused"
    assert rules.coupon_status(coupon.model_copy(update={"status": "used"}), NOW) == "used"


def test_times_are_normalised_to_utc_whole_seconds():
    body = TemplateCreate.model_validate_json(
        '{"name":"n","kind":"amount_off","value":1,"total_stock":1,'
        '"claim_starts_at":"2030-01-01T08:00:00.900+08:00","claim_ends_at":"2030-01-02T00:00:00Z",'
        '"validity":{"days_after_claim":1}}'
    )
    assert body.claim_starts_at == datetime(2030, 1, 1, 0, 0, tzinfo=timezone.utc)


def test_money_must_be_an_integer_number_of_fen():
    with pytest.raises(ValidationError):
        TemplateCreate.model_validate_json(
            '{"name":"n","kind":"amount_off","value":10.0,"total_stock":1,'
            '"claim_starts_at":"2030-01-01T00:00:00Z","claim_ends_at":"2030-01-02T00:00:00Z",'
            '"validity":{"days_after_claim":1}}'
        )


def test_ids_sort_by_creation_time_and_match_the_pattern():
    import re

    earlier, later = new_id(1_000), new_id(2_000)
    assert earlier < later
    assert re.match(ID_PATTERN, earlier) and len(earlier) == 26
