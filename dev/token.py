"""Print a bearer token for the local stack: `make token USER=alice ROLE=operator`.

ROLE is any of chalicelib.access.ROLES (operator, marketing, finance, auditor), several joined
by commas (`ROLE=marketing,finance`: their union), or empty for a shopper.

Signed with MALL_JWT_SECRET from the environment, or the local stack's documented default.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from chalicelib.access import ROLES
from chalicelib.auth import USER_ID, issue_token
from dev.defaults import LOCAL_DEFAULTS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--user", required=True, help="the user id (the token's sub)")
    parser.add_argument("--role", action="append", default=[],
                        help=f"a role, one of {', '.join(ROLES)} (repeatable, or comma-separated)")
    parser.add_argument("--ttl", type=int, default=24 * 3600, help="lifetime in seconds (default one day)")
    args = parser.parse_args(argv)
    if not USER_ID.match(args.user):
        parser.error("--user must be 1-128 characters of A-Z a-z 0-9 _ . @ : -")
    roles = [role for given in args.role for role in given.split(",") if role]
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        parser.error(f"unknown role {', '.join(unknown)}: use {', '.join(ROLES)}")
    secret = os.environ.get("MALL_JWT_SECRET") or LOCAL_DEFAULTS["MALL_JWT_SECRET"]
    print(issue_token(secret, args.user, roles, args.ttl, int(time.time())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
