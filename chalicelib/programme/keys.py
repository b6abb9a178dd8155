"""Keys of the programme settings item (one item for the whole programme)."""

from __future__ import annotations

from chalicelib.indexes import TABLE

SETTINGS = {TABLE.pk: "PROGRAMME", TABLE.sk: "SETTINGS"}
