"""`make token` (dev.token) mints local tokens for any admin role, several joined by commas."""

from __future__ import annotations

import jwt
import pytest

from dev import token
from dev.defaults import LOCAL_DEFAULTS


def _claims(capsys, *argv: str) -> dict:
    assert token.main(list(argv)) == 0
    secret = LOCAL_DEFAULTS["MALL_JWT_SECRET"]
    return jwt.decode(capsys.readouterr().out.strip(), secret, algorithms=["HS256"])


def test_a_token_takes_any_role_and_several_joined_by_commas(capsys, monkeypatch):
    monkeypatch.delenv("MALL_JWT_SECRET", raising=False)
    assert _claims(capsys, "--user", "mia", "--role", "marketing,finance")["roles"] == ["marketing", "finance"]
    assert _claims(capsys, "--user", "ada", "--role", "auditor", "--role", "operator")["roles"] == ["auditor", "operator"]
    assert _claims(capsys, "--user", "bob")["roles"] == []


def test_an_unknown_role_is_refused(capsys):
    with pytest.raises(SystemExit):
        token.main(["--user", "eve", "--role", "superuser"])
    assert "unknown role superuser" in capsys.readouterr().err
