"""Export and erasure of one user's data (docs/compliance.md, "Personal data"). No boto3, no Chalice.

Export: every item stored about the user, grouped by kind, the withdrawals' payee unmasked.

Erase pseudonymises and keeps the ledger whole. The user id is the mall's opaque account id
(the token's `sub`): it names nobody here, and it stays on every item (keys included) as the
pseudonym; the mall erases its own mapping from that id to the person. What erase removes is
what identifies the person directly: the payee (channel, account, real name) of every decided
withdrawal (replaced by `payee_erased_at`), and the user's Idempotency-Key records (their bodies
hold masked payees). Audit entries are kept as written (append-only; IAM denies edits). It
refuses, changing nothing, while money or holds are open (`blockers`). Each step is one
conditional write, so a run stopped half-way is finished by running it again, and a second run
changes nothing.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from chalicelib.audit import store as audit_store
from chalicelib.audit.models import Change
from chalicelib.errors import InvalidState, NotFound
from chalicelib.privacy import store
from chalicelib.privacy.models import ErasureReport, PrivacyExport

# entity -> the export's group (coupons of kind stored_value go to `cards`)
GROUPS = {
    "ledger_entry": "ledger", "instalment": "instalments", "coupon": "coupons", "hold": "card_holds",
    "card_entry": "card_history", "redemption": "redemptions", "reservation": "reservations",
    "payment": "payments", "rebate": "payment_rebates", "refund": "payment_refunds", "code": "codes",
    "grant": "grants", "withdrawal": "withdrawals",
}
ACCOUNT_FIELDS = ("balance", "frozen", "points", "held", "points_held", "pending_balance", "pending_points",
                  "debt", "points_debt")
OPEN_WITHDRAWALS = ("pending", "approved")


def _group(item: dict[str, Any], user_id: str) -> str:
    entity = item.get("entity")
    if entity == "coupon" and item.get("kind") == "stored_value":
        return "cards"
    if entity in GROUPS:
        return GROUPS[str(entity)]
    if store.is_idempotency_record(item, user_id):
        return "idempotency_records"
    sk = str(item.get("SK", ""))
    if sk == "ACCOUNT":
        return "account"
    return {"WDDAY": "withdrawal_days", "CLAIMS": "claim_counters", "USERDAY": "rule_day_counters"}.get(
        sk.split("#", 1)[0], "other")


def _collect(user_id: str, progress: store.Progress | None) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    found = {(i["PK"], i["SK"]): i for i in [*store.own_partitions(user_id), *store.scan_naming(user_id, progress)]}
    for payment in [i for i in found.values() if i.get("entity") == "payment"]:
        found.update({(i["PK"], i["SK"]): i for i in store.payment_partition(payment["payment_ref"])})
    for item in found.values():
        groups.setdefault(_group(item, user_id), []).append(item)
    targets = [("account", user_id), *(("withdrawal", w["id"]) for w in groups.get("withdrawals", [])),
               *(("coupon", c["id"]) for c in [*groups.get("coupons", []), *groups.get("cards", [])])]
    groups["audit_entries"] = [entry for target in targets for entry in store.audit_of(*target)]
    return groups


def require_user(user_id: str) -> None:
    """NotFound unless anything is stored under the user's own partitions (a user id is any
    token's `sub`: one that never claimed or earned anything names nobody here)."""
    if not store.known(user_id):
        raise NotFound("Nothing is stored about this user.")


def export(user_id: str, now: datetime, progress: store.Progress | None = None) -> PrivacyExport:
    """Everything stored about `user_id`, as stored, grouped by kind."""
    groups = _collect(user_id, progress)
    [account] = groups.pop("account", [None])
    return PrivacyExport(user_id=user_id, exported_at=now, account=account,
                         items={name: groups[name] for name in sorted(groups)})


def blockers(groups: dict[str, list[dict[str, Any]]], user_id: str) -> list[str]:
    """What must be settled before erasure, each with what the operator can do about it."""
    found = []
    account = (groups.get("account") or [{}])[0]
    money = {name: int(account.get(name, 0)) for name in ACCOUNT_FIELDS if int(account.get(name, 0))}
    if money:
        found.append(f"The account still holds {money}: pay the balance out (a withdrawal) or take balance and "
                     f"points off with an adjustment (POST /admin/accounts/{user_id}/adjustments); let open "
                     f"reservations and pending rebates settle first.")
    if open_ := [w["id"] for w in groups.get("withdrawals", []) if w.get("status") in OPEN_WITHDRAWALS]:
        found.append(f"Withdrawals {open_} are not decided or not paid out: approve or reject them, then record "
                     f"the payout (paid or failed).")
    if reserved := [r["order_id"] for r in groups.get("reservations", []) if r.get("status") == "reserved"]:
        found.append(f"Reservations of orders {reserved} are open: release them "
                     f"(POST /checkout/reservations/<order_id>/release) or wait for the release-locks job.")
    if waiting := [i for i in groups.get("instalments", []) if i.get("status") == "pending"]:
        found.append(f"{len(waiting)} 全返 instalments are still to be released: wait for release-instalments "
                     f"(or refund the payment) and pay the balance out.")
    if cards := [c["id"] for c in groups.get("cards", []) if c.get("status") in ("unused", "locked")
                 and int(c.get("balance") or 0) > 0]:
        found.append(f"Stored-value cards {cards} have value left: let them be spent or revoke them "
                     f"(POST /admin/coupons/{user_id}/<card_id>/revoke).")
    return found


def erase(user_id: str, now: datetime, actor: str | None, progress: store.Progress | None = None) -> ErasureReport:
    """Erase what identifies `user_id` directly (see the module's docstring), or refuse (409
    INVALID_STATE, every blocker in the message and `details`) changing nothing. The audit entry
    (`erase`, target `account`, `after` what is to be erased) is written before the first change,
    so no erasure goes unrecorded; a run that finds nothing left to erase records nothing."""
    groups = _collect(user_id, progress)
    if found := blockers(groups, user_id):
        raise InvalidState("The user's data cannot be erased yet. " + " ".join(found), details=found)
    payees = [w["id"] for w in groups.get("withdrawals", []) if w.get("payee") is not None]
    records = groups.get("idempotency_records", [])
    planned = ErasureReport(user_id=user_id, payees_erased=len(payees), idempotency_records_deleted=len(records))
    if not planned.changed:
        return planned
    audit_store.record(Change(actor, "erase", "account", user_id, None, planned.model_dump(mode="json"), now))
    report = ErasureReport(user_id=user_id)
    for withdrawal_id in payees:
        if store.erase_payee(withdrawal_id, now):
            report.payees_erased += 1
    for record in records:
        store.delete_record(record)
        report.idempotency_records_deleted += 1
    return report


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True, default=str)
