"""Mint or export a template's codes from a terminal: runs too big for one HTTP request.

    python -m chalicelib.coupons.codes_cli mint <template_id> --count 100000 [--prefix SPRING]
                                               [--batch <batch_id>] [--csv codes.csv]
    python -m chalicelib.coupons.codes_cli export <template_id> [--batch <batch_id>] --csv codes.csv

It talks to DynamoDB as the service does: MALL_TABLE names the table and the standard AWS
variables (AWS_ENDPOINT_URL_DYNAMODB, AWS_PROFILE, AWS_DEFAULT_REGION) choose the endpoint
and account. A mint prints its batch id before it starts: if the run stops, the same
command with `--batch <id>` resumes it and never mints more than `--count` in all. The
progress bar goes to stderr, so stdout stays a clean result line.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from typing import Callable, TextIO

from chalicelib.clock import utcnow
from chalicelib.coupons import codes, minting
from chalicelib.coupons.models import MAX_CODES_PER_REQUEST, CodeCsvQuery
from chalicelib.errors import DomainError
from chalicelib.ids import new_id

EXPORT_PAGE = 1000


def progress_bar(stream: TextIO, width: int = 30, every_seconds: float = 0.2) -> Callable[[int, int], None]:
    """A one-line text progress bar: redrawn at most every `every_seconds`, and at the end."""
    started = time.monotonic()
    last = [0.0]

    def show(done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - last[0] < every_seconds:
            return
        last[0] = now
        filled = width * done // total if total else width
        rate = done / max(now - started, 1e-6)
        stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,} {100 * done // max(total, 1)}%"
                     f" {rate:,.0f}/s")
        if done >= total:
            stream.write("\n")
        stream.flush()

    return show


def export(template_id: str, batch_id: str | None, out: TextIO) -> int:
    """Write every code of the template (or of one batch) as CSV; returns how many."""
    written, cursor, header = 0, None, True
    while True:
        page = minting.list_codes(template_id, CodeCsvQuery(limit=EXPORT_PAGE, cursor=cursor, batch=batch_id))
        out.write(codes.to_csv(page.items, header=header))
        written, cursor, header = written + len(page.items), page.next_cursor, False
        if cursor is None:
            return written


def main(argv: list[str] | None = None, stdout: TextIO = sys.stdout, stderr: TextIO = sys.stderr) -> int:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.coupons.codes_cli", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    mint = commands.add_parser("mint", help="mint new codes for a template")
    mint.add_argument("template_id")
    mint.add_argument("--count", type=int, required=True)
    mint.add_argument("--prefix", default=None)
    mint.add_argument("--batch", default=None, help="resume this batch (its id was printed when it started)")
    mint.add_argument("--csv", default=None, help="write the batch's codes to this file when done")
    dump = commands.add_parser("export", help="write a template's codes as CSV")
    dump.add_argument("template_id")
    dump.add_argument("--batch", default=None)
    dump.add_argument("--csv", required=True)
    args = parser.parse_args(argv)
    try:
        if args.command == "mint":
            return _mint(args, stdout, stderr)
        with open(args.csv, "w", encoding="utf-8", newline="") as out:
            count = export(args.template_id, args.batch, out)
        stdout.write(f"exported {count} codes to {args.csv}\n")
        return 0
    except DomainError as exc:
        stderr.write(f"error: {exc.message}\n")
        return 1


def _mint(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    if args.count < 1:
        stderr.write("error: --count must be at least 1\n")
        return 2
    prefix = args.prefix.upper() if args.prefix else None
    if prefix is not None and not re.fullmatch(codes.PREFIX_PATTERN, prefix):
        stderr.write("error: --prefix is 1-16 letters A-Z and digits\n")
        return 2
    batch_id = args.batch or new_id()
    stderr.write(f"batch {batch_id}: minting {args.count:,} codes (resume with --batch {batch_id})\n")
    if args.count <= MAX_CODES_PER_REQUEST:
        stderr.write(f"(up to {MAX_CODES_PER_REQUEST:,} codes the HTTP API does the same)\n")
    batch = minting.mint_codes(args.template_id, args.count, prefix, utcnow(), batch_id=batch_id,
                               progress=progress_bar(stderr))
    if args.csv:
        with open(args.csv, "w", encoding="utf-8", newline="") as out:
            export(args.template_id, batch.id, out)
    stdout.write(f"batch {batch.id}: {batch.minted} codes minted for template {batch.template_id}"
                 + (f", written to {args.csv}" if args.csv else "") + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
