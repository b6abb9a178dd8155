"""The table's key schema and its three overloaded global indexes, shared by every domain's
`keys.py` (each names its listings after these: `coupons.keys.EXPIRY = GSI2`). Storage modules
name key attributes through an IndexSpec, never by spelling them. Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IndexSpec:
    """One key schema: the table's own (`name` None) or a global secondary index's."""

    name: str | None
    pk: str
    sk: str

    @property
    def key_attrs(self) -> tuple[str, ...]:
        """The attributes of an item's key in this index (a cursor's payload)."""
        return (self.pk, self.sk) if self.name is None else (self.pk, self.sk, TABLE.pk, TABLE.sk)

    @property
    def remove(self) -> str:
        """The attributes to REMOVE to take an item out of this (sparse) index."""
        return f"{self.pk}, {self.sk}"

    def listing(self, partition: str, sort_key: str) -> dict[str, str]:
        return {self.pk: partition, self.sk: sort_key}


TABLE = IndexSpec(None, "PK", "SK")
GSI1 = IndexSpec("GSI1", "GSI1PK", "GSI1SK")
GSI2 = IndexSpec("GSI2", "GSI2PK", "GSI2SK")
GSI3 = IndexSpec("GSI3", "GSI3PK", "GSI3SK")

ITEM_EXISTS = f"attribute_exists({TABLE.pk})"      # a write's condition: the item is stored ...
ITEM_ABSENT = f"attribute_not_exists({TABLE.pk})"  # ... or is not (a put that never overwrites)
