"""CSV that spreadsheets open safely: operators' code lists and finance's payout list. Pure.

A cell a spreadsheet would read as a formula (starting with =, +, -, @) gets a leading
apostrophe: user ids, codes and payee names may start with those characters. Times are written
as the API writes them (UTC, `Z`); None is an empty cell; rows end in CRLF (RFC 4180).
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any, Iterable

from chalicelib.clock import iso


def csv_text(header: Iterable[str] | None, rows: Iterable[Iterable[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if header is not None:
        writer.writerow(list(header))
    for row in rows:
        writer.writerow([cell(value) for value in row])
    return out.getvalue()


def cell(value: Any) -> str:
    if value is None:
        return ""
    text = iso(value) if isinstance(value, datetime) else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text
