"""Who may call which `/admin` route: the one table of roles (API.md, "Compliance and operations").

`operator` may do everything under `/admin`; `marketing` manages templates, codes, grants, stock,
revocations and rebate rules; `finance` lists and decides withdrawals and reads and adjusts
accounts; `auditor` reads everything and changes nothing. Every admin role reads the settings
and the audit trail; only `operator` changes the settings. A token with several roles has their
union; roles this table does not know admit nothing.

`web.endpoint` consults `ROUTES` for every route registered with `auth=OPERATOR` (an admin
route): a route missing from the table admits nobody (and tests/api/test_roles.py fails for it),
so a new admin route cannot be served without a row here. Pure: no I/O.
"""

from __future__ import annotations

from typing import Iterable

from chalicelib.errors import Forbidden

OPERATOR, MARKETING, FINANCE, AUDITOR = "operator", "marketing", "finance", "auditor"
ROLES = (OPERATOR, MARKETING, FINANCE, AUDITOR)


def _reads(*roles: str) -> frozenset[str]:
    """A read: the operator, the auditor and the roles named."""
    return frozenset({OPERATOR, AUDITOR, *roles})


def _changes(*roles: str) -> frozenset[str]:
    """A change: the operator and the roles named (never the auditor)."""
    return frozenset({OPERATOR, *roles})


EVERY_ROLE = frozenset(ROLES)

# (method, path as registered) -> the roles it admits.
ROUTES: dict[tuple[str, str], frozenset[str]] = {
    # coupon templates, stock, grants, codes: marketing
    ("POST", "/admin/templates"): _changes(MARKETING),
    ("GET", "/admin/templates"): _reads(MARKETING),
    ("GET", "/admin/templates/{template_id}"): _reads(MARKETING),
    ("PUT", "/admin/templates/{template_id}"): _changes(MARKETING),
    ("DELETE", "/admin/templates/{template_id}"): _changes(MARKETING),
    ("GET", "/admin/templates/{template_id}/stats"): _reads(MARKETING),
    ("POST", "/admin/templates/{template_id}/publish"): _changes(MARKETING),
    ("POST", "/admin/templates/{template_id}/pause"): _changes(MARKETING),
    ("POST", "/admin/templates/{template_id}/end"): _changes(MARKETING),
    ("POST", "/admin/templates/{template_id}/grant"): _changes(MARKETING),
    ("POST", "/admin/templates/{template_id}/codes"): _changes(MARKETING),
    ("GET", "/admin/templates/{template_id}/codes"): _reads(MARKETING),
    ("GET", "/admin/templates/{template_id}/codes.csv"): _reads(MARKETING),
    ("POST", "/admin/templates/{template_id}/stock"): _changes(MARKETING),
    ("POST", "/admin/coupons/{user_id}/{coupon_id}/revoke"): _changes(MARKETING),
    # rebate rules: marketing; the programme's figures: every admin role reads them
    ("POST", "/admin/rebate-rules"): _changes(MARKETING),
    ("GET", "/admin/rebate-rules"): _reads(MARKETING),
    ("GET", "/admin/rebate-rules/{rule_id}"): _reads(MARKETING),
    ("POST", "/admin/rebate-rules/{rule_id}/publish"): _changes(MARKETING),
    ("POST", "/admin/rebate-rules/{rule_id}/pause"): _changes(MARKETING),
    ("POST", "/admin/rebate-rules/{rule_id}/end"): _changes(MARKETING),
    ("POST", "/admin/rebate-rules/{rule_id}/preview"): _reads(MARKETING),
    ("GET", "/admin/rebates/overview"): _reads(MARKETING, FINANCE),
    # withdrawals: finance
    ("GET", "/admin/withdrawals"): _reads(FINANCE),
    ("POST", "/admin/withdrawals/{withdrawal_id}/approve"): _changes(FINANCE),
    ("POST", "/admin/withdrawals/{withdrawal_id}/reject"): _changes(FINANCE),
    ("POST", "/admin/withdrawals/{withdrawal_id}/paid"): _changes(FINANCE),
    ("POST", "/admin/withdrawals/{withdrawal_id}/failed"): _changes(FINANCE),
    ("GET", "/admin/withdrawals.csv"): _reads(FINANCE),
    # support: finance reads and adjusts accounts
    ("GET", "/admin/accounts/{user_id}"): _reads(FINANCE),
    ("POST", "/admin/accounts/{user_id}/adjustments"): _changes(FINANCE),
    # settings: every admin role reads them, only the operator changes them
    ("GET", "/admin/settings"): EVERY_ROLE,
    ("PUT", "/admin/settings"): _changes(),
    # the audit trail: every admin role reads it; nothing changes it
    ("GET", "/admin/audit"): EVERY_ROLE,
    # personal data: the operator exports (the auditor reads, as every read) and erases
    ("GET", "/admin/privacy/{user_id}"): _reads(),
    ("POST", "/admin/privacy/{user_id}/erase"): _changes(),
}


# Routes that take a body but change nothing (a rule's preview): reads for the auditor and for
# the audit trail, whatever their method.
READ_ONLY: frozenset[tuple[str, str]] = frozenset({("POST", "/admin/rebate-rules/{rule_id}/preview")})


def changes(method: str, path: str) -> bool:
    """Whether the route changes something: then the auditor may not call it, and it must write
    an audit entry (tests/api/test_audit.py)."""
    return method.upper() != "GET" and (method.upper(), path) not in READ_ONLY


def admitted(method: str, path: str) -> frozenset[str]:
    """The roles that may call `method path` (none for a route without a row)."""
    return ROUTES.get((method.upper(), path), frozenset())


def allows(roles: Iterable[str], method: str, path: str) -> bool:
    return not admitted(method, path).isdisjoint(roles)


def require(roles: Iterable[str], method: str, path: str) -> None:
    """Forbidden, naming the roles that would be admitted, unless one of `roles` is."""
    admits = admitted(method, path)
    if admits.isdisjoint(roles):
        names = ", ".join(r for r in ROLES if r in admits) or "none"
        raise Forbidden(f"This needs one of the roles: {names}.")
