"""The pure rules load no storage and no HTTP: each module imported alone, in a fresh
interpreter, leaves boto3, botocore and chalice unloaded (STYLE.md: pure rules need no I/O)."""

import subprocess
import sys

import pytest

PURE_MODULES = [
    "chalicelib.lifecycle",
    "chalicelib.sheets",
    "chalicelib.coupons.rules",
    "chalicelib.coupons.pricing",
    "chalicelib.rebates.policy",
    "chalicelib.rebates.return_cap",
    "chalicelib.rebates.expected",
    "chalicelib.rebates.preview",
    "chalicelib.rebates.preview_models",
    "chalicelib.rebates.ledger",
    "chalicelib.rebates.points_expiry",
    "chalicelib.rebates.retry",
    "chalicelib.rebates.payouts",
    "chalicelib.rebates.withdrawal_models",
    "chalicelib.orders.paying",
]
STORAGE_AND_HTTP = ("boto3", "botocore", "chalice")


@pytest.mark.parametrize("module", PURE_MODULES)
def test_a_pure_rules_module_loads_neither_storage_nor_http(module):
    probe = f"import sys, {module}; print(' '.join(m for m in {STORAGE_AND_HTTP!r} if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                            env={"AWS_DEFAULT_REGION": "us-east-1", "PATH": ""}).stdout.strip()
    assert loaded == "", f"{module} loads {loaded}"
