"""The audit trail: an append-only entry for every change made under /admin, written in the
change's own transaction (docs/compliance.md)."""
