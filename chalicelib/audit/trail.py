"""Reading the audit trail (GET /admin/audit). No boto3, no Chalice: entries are written by
each domain's store, in the transaction of the change they record (store.items)."""

from __future__ import annotations

from chalicelib.audit import store
from chalicelib.audit.models import AuditEntry, AuditQuery
from chalicelib.models import Page


def list_entries(query: AuditQuery) -> Page[AuditEntry]:
    items, cursor = store.list_entries(query.target_type, query.target_id, query.actor, query.limit, query.cursor)
    return Page[AuditEntry](items=items, next_cursor=cursor)
