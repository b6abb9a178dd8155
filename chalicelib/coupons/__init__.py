"""Coupons, vouchers and stored-value cards: templates, claims and the wallet."""
