"""The mall service: coupons, vouchers, stored-value cards and consumption rebates."""
