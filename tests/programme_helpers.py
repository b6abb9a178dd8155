"""Helpers of tests that need programme settings other than the defaults."""

from __future__ import annotations

from typing import Any

from chalicelib.programme import store
from tests.payment_helpers import NOW


def set_programme(**fields: Any) -> None:
    """Store the programme settings with `fields` changed (as an operator's PUT would)."""
    current = store.fresh(NOW)
    assert store.save(current.model_copy(update=fields), current.version, NOW, "ops") is not None
