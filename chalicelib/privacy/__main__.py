"""`python -m chalicelib.privacy export USER` prints everything stored about USER as JSON;
`python -m chalicelib.privacy erase USER [--actor NAME]` erases what identifies them and prints
the report, or prints why it cannot yet (exit status 2) and changes nothing. Against the table
that the environment names (the same variables as the app: MALL_TABLE_NAME, AWS_ENDPOINT_URL).
Progress of the table scan goes to stderr."""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from chalicelib.clock import utcnow
from chalicelib.errors import DomainError
from chalicelib.privacy import service


class ScanProgress:
    """`scanned N items` on one stderr line, rewritten as pages arrive."""

    def __init__(self, out: TextIO) -> None:
        self.out, self.read = out, 0

    def __call__(self, read: int) -> None:
        self.read += read
        self.out.write(f"\rscanned {self.read} items")
        self.out.flush()

    def done(self) -> None:
        if self.read:
            self.out.write("\n")


def main(argv: list[str] | None = None, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.privacy", description=__doc__)
    parser.add_argument("command", choices=("export", "erase"))
    parser.add_argument("user_id")
    parser.add_argument("--actor", default=None, help="who erases (recorded in the audit entry)")
    args = parser.parse_args(argv)
    progress = ScanProgress(err)
    try:
        if args.command == "export":
            result = service.export(args.user_id, utcnow(), progress).model_dump(mode="json")
        else:
            result = service.erase(args.user_id, utcnow(), args.actor, progress).model_dump(mode="json")
    except DomainError as exc:
        progress.done()
        err.write(f"{exc.code}: {exc.message}\n")
        return 2
    progress.done()
    out.write(service.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
