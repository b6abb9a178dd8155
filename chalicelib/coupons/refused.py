"""The typed refusal the coupons' storage modules raise: which named items of a write were
refused, each with the item as it was (None when it did not exist). Storage states the fact;
the service module explains it with the pure rules (rules.py, chalicelib/lifecycle.py)."""

from __future__ import annotations

from typing import Any


class Refused(Exception):
    def __init__(self, failed: dict[str, dict[str, Any] | None]) -> None:
        super().__init__(f"refused: {', '.join(failed)}")
        self.failed = failed

    def old(self, name: str) -> dict[str, Any] | None:
        """The item `name` as it was, if it was refused (None: it did not exist, or it passed)."""
        return self.failed.get(name)
