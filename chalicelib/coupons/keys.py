"""Every DynamoDB key and index name of the coupons domain, and nowhere else.

Table `MallTable` (PK, SK), indexes GSI1 (GSI1PK, GSI1SK) and GSI2 (GSI2PK, GSI2SK):

| item                  | PK            | SK              | GSI1PK / GSI1SK                 | GSI2PK / GSI2SK                       |
|-----------------------|---------------|-----------------|---------------------------------|---------------------------------------|
| template              | TPL#<tid>     | TPL             | TEMPLATES / <created_at>#<tid>  | CLAIMABLE / <claim_ends_at>#<tid> (*) |
| user's claims counter | USER#<uid>    | CLAIMS#<tid>    |                                 |                                       |
| coupon                | USER#<uid>    | CPN#<cid>       |                                 |                                       |

(*) only while published: a sparse index of what can be claimed.
"""

from __future__ import annotations

ADMIN_INDEX = "GSI1"
CLAIMABLE_INDEX = "GSI2"
TEMPLATES_PARTITION = "TEMPLATES"
CLAIMABLE_PARTITION = "CLAIMABLE"
COUPON_PREFIX = "CPN#"


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
