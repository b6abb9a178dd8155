"""Pagination cursors are opaque and tamper-evident: every list endpoint answers a forged,
altered or borrowed cursor with 400 VALIDATION_ERROR (field `cursor`), never a 500, and its
own cursors still page through everything once (chalice.test.Client, moto)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Callable

import pytest
from botocore.stub import Stubber

from chalicelib import cursors, dynamo
from chalicelib.errors import ValidationFailed
from chalicelib.rebates import settlement
from tests.helpers import headers_for
from tests.payment_helpers import NOW, live_rule, payment_event


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class World:
    card_of: dict[str, str]
    template_id: str


def build(api) -> World:
    """Two shoppers with coupons, a card with history, ledgers and withdrawals; two rules,
    templates and codes: every list has at least two pages of one item."""
    live_rule(ratio_bp=10000)
    live_rule(ratio_bp=0, name="nothing back")
    templates = [api.published_template(per_user_limit=5, name=f"t{i}") for i in range(2)]
    card_template = api.published_template(kind="stored_value", value=5000, min_spend=0, per_user_limit=5)
    card_of = {}
    for n, user in enumerate(("alice", "bob")):
        for template in templates:
            assert api.post(f"/templates/{template['id']}/claim", user=user)[0] == 201
        status, card = api.post(f"/templates/{card_template['id']}/claim", user=user)
        assert status == 201, card
        card_of[user] = card["id"]
        for order in ("o1", "o2"):
            assert api.post(f"/me/coupons/{card['id']}/hold", {"order_id": order, "amount": 100}, user=user)[0] == 200
        settlement.process(payment_event(f"fund-{n}", 1000, user=user), NOW)
        for _ in range(2):
            assert api.post("/me/withdrawals", {"amount": 100}, user=user)[0] == 201
    assert api.post(f"/admin/templates/{templates[0]['id']}/codes", {"count": 3}, operator=True)[0] == 201
    return World(card_of=card_of, template_id=templates[0]["id"])


@dataclass(frozen=True)
class Listing:
    name: str
    path: Callable[[World, str], str]  # (world, user) -> path
    operator: bool = False
    csv: bool = False
    shared: bool = False  # the same list for every caller: borrow another list's cursor


LISTINGS = [
    Listing("my coupons", lambda w, u: "/me/coupons"),
    Listing("card history", lambda w, u: f"/me/coupons/{w.card_of[u]}/history"),
    Listing("claimable templates", lambda w, u: "/templates", shared=True),
    Listing("my ledger", lambda w, u: "/me/rebates"),
    Listing("my withdrawals", lambda w, u: "/me/withdrawals"),
    Listing("admin templates", lambda w, u: "/admin/templates", operator=True),
    Listing("admin codes", lambda w, u: f"/admin/templates/{w.template_id}/codes", operator=True),
    Listing("admin codes csv", lambda w, u: f"/admin/templates/{w.template_id}/codes.csv", operator=True, csv=True),
    Listing("admin rebate rules", lambda w, u: "/admin/rebate-rules", operator=True),
    Listing("admin withdrawals", lambda w, u: "/admin/withdrawals", operator=True),
]
BORROWED = Listing("admin withdrawals", lambda w, u: "/admin/withdrawals?status=pending", operator=True)


def fetch(api, listing: Listing, world: World, user: str = "alice", limit: int = 1,
          cursor: str | None = None) -> tuple[int, object, str | None]:
    """(status, body, next cursor) of one page."""
    path = listing.path(world, user)
    query = f"limit={limit}" + (f"&cursor={cursor}" if cursor is not None else "")
    response = api.client.http.get(f"{path}{'&' if '?' in path else '?'}{query}",
                                   headers=headers_for(user, listing.operator))
    text = response.body.decode() if isinstance(response.body, bytes) else response.body
    if response.status_code == 200 and listing.csv:
        return 200, text.splitlines()[1:], response.headers.get("X-Next-Cursor")
    body = json.loads(text)
    return response.status_code, body, (body.get("next_cursor") if response.status_code == 200 else None)


def items(listing: Listing, body) -> list:
    return body if listing.csv else [json.dumps(i, sort_keys=True) for i in body["items"]]


def forgeries(genuine: str, borrowed: str) -> dict[str, str]:
    """What a client could send instead of `genuine`, knowing its layout (payload.signature)."""
    payload, _, signature = genuine.partition(".")
    key = json.loads(unb64(payload))
    some_field = sorted(key)[-1]
    partition_only = {k: v for k, v in key.items() if k != some_field}
    flipped = bytearray(unb64(signature))
    flipped[0] ^= 1
    as_dynamodb = {k: {"S": v} for k, v in partition_only.items()}
    return {
        "missing key field, old raw layout": b64(json.dumps(as_dynamodb).encode()),
        "missing key field, signature kept": f"{b64(json.dumps(partition_only).encode())}.{signature}",
        "wrong type, signature kept": f"{b64(json.dumps({**key, some_field: {'N': '1'}}).encode())}.{signature}",
        "number for a key, signature kept": f"{b64(json.dumps({**key, some_field: 1}).encode())}.{signature}",
        "flipped signature byte": f"{payload}.{b64(bytes(flipped))}",
        "no signature": payload,
        "borrowed from another user or list": borrowed,
    }


@pytest.mark.parametrize("listing", LISTINGS, ids=lambda listing: listing.name)
def test_every_list_refuses_forged_cursors_with_400_and_pages_with_its_own(api, listing):
    world = build(api)
    # Given a genuine cursor of this list, and one of another user's (or another list's) list
    status, first, genuine = fetch(api, listing, world)
    assert status == 200 and genuine, first
    other = listing
    if listing.operator or listing.shared:
        other = BORROWED if listing.name != BORROWED.name else LISTINGS[5]
    _, _, borrowed = fetch(api, other, world, user="bob")
    assert borrowed and borrowed != genuine

    # When each forgery is sent, then it is refused as a bad cursor, never a 500
    for what, forged in forgeries(genuine, borrowed).items():
        status, body, _ = fetch(api, listing, world, cursor=forged)
        assert status == 400, (what, body)
        assert body["error"]["code"] == "VALIDATION_ERROR", (what, body)
        assert [d["field"] for d in body["error"]["details"]] == ["cursor"], (what, body)
        assert "start again without it" in body["error"]["message"], (what, body)

    # And its own cursors page through the whole list, each item once
    _, everything, _ = fetch(api, listing, world, limit=100)
    seen, cursor = items(listing, first), genuine
    while cursor:
        status, page, cursor = fetch(api, listing, world, cursor=cursor)
        assert status == 200, page
        seen += items(listing, page)
    assert sorted(seen) == sorted(items(listing, everything)) and len(seen) >= 2


SCOPE = dict(partition_attr="PK", partition_value="USER#alice", key_attrs=("PK", "SK"), index=None,
             sort_condition="begins_with(SK, :prefix)")


def test_a_signed_cursor_must_still_hold_exactly_the_key_fields_as_strings(aws):
    """Defence in depth: were the signing key known, the key is checked field by field."""
    good = {"PK": "USER#alice", "SK": "COUPON#1"}
    assert cursors.decode_cursor(cursors.encode_cursor(good, **SCOPE), **SCOPE) == {
        "PK": {"S": "USER#alice"}, "SK": {"S": "COUPON#1"}}
    for bad in ({"PK": "USER#alice"}, {**good, "GSI1PK": "X"}, {**good, "SK": 1}, {**good, "SK": ["a"]},
                {**good, "PK": "USER#bob"}):
        with pytest.raises(ValidationFailed) as refused:
            cursors.decode_cursor(cursors.encode_cursor(bad, **SCOPE), **SCOPE)
        assert refused.value.details[0]["field"] == "cursor"


def test_a_cursor_is_bound_to_the_list_it_came_from(aws):
    cursor = cursors.encode_cursor({"PK": "USER#alice", "SK": "COUPON#1"}, **SCOPE)
    for other in ({"sort_condition": "begins_with(SK, :other)"}, {"index": "GSI1"}, {"partition_value": "USER#bob"}):
        with pytest.raises(ValidationFailed):
            cursors.decode_cursor(cursor, **{**SCOPE, **other})


def test_a_genuine_cursor_that_dynamodb_finds_outside_the_query_is_a_400(aws):
    """DynamoDB refuses a start key outside the key condition (another card's history, a
    template gone past its window) with ValidationException: that is a stale cursor, not a 500."""
    cursor = cursors.encode_cursor({"PK": "USER#alice", "SK": "COUPON#1"}, **SCOPE)
    with Stubber(dynamo.client()) as stub:
        stub.add_client_error("query", "ValidationException",
                              "The provided starting key is outside query boundaries based on provided conditions")
        with pytest.raises(ValidationFailed) as refused:
            dynamo.query_page(limit=1, cursor=cursor, vals=dynamo.values(prefix="COUPON#"), **SCOPE)
    assert refused.value.details[0]["field"] == "cursor"


def test_a_process_without_the_token_secret_pages_with_a_key_of_its_own(aws, monkeypatch):
    """A terminal tool (codes_cli export) pages through its own queries without MALL_JWT_SECRET."""
    key = {"PK": "USER#alice", "SK": "COUPON#1"}
    signed_by_the_service = cursors.encode_cursor(key, **SCOPE)
    monkeypatch.delenv("MALL_JWT_SECRET")
    assert cursors.decode_cursor(cursors.encode_cursor(key, **SCOPE), **SCOPE)["SK"] == {"S": "COUPON#1"}
    with pytest.raises(ValidationFailed):
        cursors.decode_cursor(signed_by_the_service, **SCOPE)
