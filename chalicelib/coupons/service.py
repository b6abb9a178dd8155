"""Kept only while chalicelib/rebates still imports `coupons.service`: it goes when rebates
imports `chalicelib.coupons.redemption` (and `templates` for get_template) instead."""

from chalicelib.coupons.redemption import grant_one, redeem_order, restore_order, revoke_coupon  # noqa: F401
from chalicelib.coupons.templates import get_template  # noqa: F401
