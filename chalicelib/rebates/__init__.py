"""Consumption rebates: payment events, rebate rules, accounts, ledger and withdrawals."""
