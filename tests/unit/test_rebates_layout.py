"""The rebates domain's shape (issue 15), read from its source: key formats and index
attributes only in keys.py, transactions read by name, no module over about 400 lines."""

import re

import pytest

from tests.helpers import REPO_ROOT

REBATES = REPO_ROOT / "chalicelib" / "rebates"
MODULES = sorted(p for p in REBATES.glob("*.py"))
NOT_KEYS = [p for p in MODULES if p.name != "keys.py"]
INDEX_ATTRIBUTE = re.compile(r"GSI\d(PK|SK)")
KEY_PREFIX = re.compile(r"[\"'](RULE|REBATES|EVT|PAY|REBATE|REFUND|ACCT|LEDGER|INST|WD|WITHDRAWALS(_OF)?|"
                        r"REBATE_RULES|REBATE_INSTALMENTS|REBATE_PENDING|REBATE_POINTS|PTLOT)#")
BY_POSITION = re.compile(r"failed\.get\(\s*\d|\d\s+in\s+\w*\.?failed|len\(items\)\s*-\s*1")


@pytest.mark.parametrize("module", NOT_KEYS, ids=lambda p: p.name)
def test_only_keys_spells_an_index_attribute_or_a_key_prefix(module):
    source = module.read_text()

    assert INDEX_ATTRIBUTE.findall(source) == [] and KEY_PREFIX.findall(source) == []


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.name)
def test_no_transaction_is_read_by_position(module):
    assert BY_POSITION.findall(module.read_text()) == []


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.name)
def test_no_module_is_over_400_lines(module):
    assert len(module.read_text().splitlines()) <= 400
