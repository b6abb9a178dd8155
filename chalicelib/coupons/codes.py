"""Redeemable codes: their alphabet and how they are drawn. Pure: no I/O.

A code is an optional operator prefix, a hyphen, then 12 characters drawn with `secrets`
from 29 symbols that cannot be mistaken for one another when read aloud or off a printed
card (no 0/O, 1/I/L, U/V). That is 29**12, about 2**58, possible codes per prefix: with
100,000 live codes a guess hits one with odds of about 1 in 3 * 10**12, and a collision
between two draws is rare enough that retrying the colliding code is the whole remedy.
"""

from __future__ import annotations

import secrets
from typing import Any, Iterable

from chalicelib import sheets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
RANDOM_LENGTH = 12
PREFIX_PATTERN = r"[A-Z0-9]{1,16}"
CODE_PATTERN = rf"^(?:{PREFIX_PATTERN}-)?[{ALPHABET}]{{{RANDOM_LENGTH}}}$"


def draw(prefix: str | None = None) -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    return f"{prefix}-{body}" if prefix else body


def normalise(text: str) -> str:
    """What a shopper typed, as stored: codes are case-insensitive and surrounding spaces are ignored."""
    return text.strip().upper()


CSV_COLUMNS = ("code", "status", "batch_id", "created_at", "claimed_by", "coupon_id", "claimed_at")


def to_csv(rows: Iterable[Any], header: bool = True) -> str:
    """Codes as CSV for operators: a header row, then one row per code (objects with CSV_COLUMNS
    as attributes). A cell that a spreadsheet would read as a formula (=, +, -, @) gets a
    leading apostrophe: user ids may start with those characters."""
    return sheets.csv_text(CSV_COLUMNS if header else None,
                           ([getattr(row, column) for column in CSV_COLUMNS] for row in rows))
