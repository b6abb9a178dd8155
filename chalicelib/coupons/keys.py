"""Every DynamoDB key and index name of the coupons domain, and nowhere else.

Table `MallTable` (PK, SK), indexes GSI1 (GSI1PK, GSI1SK) and GSI2 (GSI2PK, GSI2SK):

| item                  | PK                | SK                  | GSI1PK / GSI1SK                | GSI2PK / GSI2SK                       |
|-----------------------|-------------------|---------------------|--------------------------------|---------------------------------------|
| template              | TPL#<tid>         | TPL                 | TEMPLATES / <created_at>#<tid> | CLAIMABLE / <claim_ends_at>#<tid> (*) |
| user's claims counter | USER#<uid>        | CLAIMS#<tid>        |                                |                                       |
| coupon                | USER#<uid>        | CPN#<cid>           |                                |                                       |
| card hold (per order) | USER#<uid>        | HOLD#<cid>#<oid>    |                                |                                       |
| card history entry    | USER#<uid>        | CARDLOG#<cid>#<eid> |                                |                                       |
| redemption record     | USER#<uid>        | PAY#<pid>           |                                |                                       |
| code batch            | TPL#<tid>         | BATCH#<bid>         |                                |                                       |
| grant marker          | GRANT#<tid>#<ref> | GRANT               |                                |                                       |
| redeemable code       | CODE#<code>       | CODE                | CODES#<tid> / <bid>#<code>     |                                       |

(*) only while published: a sparse index of what can be claimed.
Ids: tid template, uid user, cid coupon, oid order, eid history entry, pid payment, bid code batch.
"""

from __future__ import annotations

ADMIN_INDEX = "GSI1"
CLAIMABLE_INDEX = "GSI2"
TEMPLATES_PARTITION = "TEMPLATES"
CLAIMABLE_PARTITION = "CLAIMABLE"
COUPON_PREFIX = "CPN#"
HOLD_PREFIX = "HOLD#"
CODES_INDEX = "GSI1"


def template(template_id: str) -> dict[str, str]:
    return {"PK": f"TPL#{template_id}", "SK": "TPL"}


def template_listing(created_at: str, template_id: str) -> dict[str, str]:
    return {"GSI1PK": TEMPLATES_PARTITION, "GSI1SK": f"{created_at}#{template_id}"}


def claimable_listing(claim_ends_at: str, template_id: str) -> dict[str, str]:
    return {"GSI2PK": CLAIMABLE_PARTITION, "GSI2SK": f"{claim_ends_at}#{template_id}"}


def user_claims(user_id: str, template_id: str) -> dict[str, str]:
    return {"PK": f"USER#{user_id}", "SK": f"CLAIMS#{template_id}"}


def user_partition(user_id: str) -> str:
    return f"USER#{user_id}"


def coupon(user_id: str, coupon_id: str) -> dict[str, str]:
    return {"PK": f"USER#{user_id}", "SK": f"{COUPON_PREFIX}{coupon_id}"}


def card_hold(user_id: str, card_id: str, order_id: str) -> dict[str, str]:
    """One order's hold on a stored-value card: at most one per (card, order)."""
    return {"PK": f"USER#{user_id}", "SK": f"{HOLD_PREFIX}{card_id}#{order_id}"}


def card_holds_prefix(card_id: str) -> str:
    return f"{HOLD_PREFIX}{card_id}#"


def card_log(user_id: str, card_id: str, entry_id: str) -> dict[str, str]:
    """An append-only history entry of a card; entry ids are time-ordered."""
    return {"PK": f"USER#{user_id}", "SK": f"{card_log_prefix(card_id)}{entry_id}"}


def card_log_prefix(card_id: str) -> str:
    return f"CARDLOG#{card_id}#"


def redemption(user_id: str, payment_id: str) -> dict[str, str]:
    """What one payment used (coupon ids, card ids): what a refund of it restores."""
    return {"PK": f"USER#{user_id}", "SK": f"PAY#{payment_id}"}


def grant_marker(template_id: str, grant_ref: str) -> dict[str, str]:
    """Proof that the grant `grant_ref` of a template happened, naming its coupon."""
    return {"PK": f"GRANT#{template_id}#{grant_ref}", "SK": "GRANT"}


def code(code_text: str) -> dict[str, str]:
    return {"PK": f"CODE#{code_text}", "SK": "CODE"}


def code_listing(template_id: str, batch_id: str, code_text: str) -> dict[str, str]:
    return {"GSI1PK": code_partition(template_id), "GSI1SK": f"{batch_id}#{code_text}"}


def code_partition(template_id: str) -> str:
    return f"CODES#{template_id}"


def code_batch(template_id: str, batch_id: str) -> dict[str, str]:
    return {"PK": f"TPL#{template_id}", "SK": f"BATCH#{batch_id}"}
