"""Small helpers shared by the tests: tokens, a JSON client wrapper, request bodies."""

from __future__ import annotations

import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from chalicelib.auth import issue_token

# The checkout's root, wherever in tests/ a module sits.
REPO_ROOT = Path(__file__).resolve().parents[1]


def reset_clients() -> None:
    """Forget the cached DynamoDB client, settings and programme settings, so that the next use
    reads the environment and the table afresh."""
    from chalicelib import dynamo
    from chalicelib.programme import store as programme_store
    from chalicelib.rebates import rules_store
    from chalicelib.settings import get_settings

    dynamo.client.cache_clear()
    get_settings.cache_clear()
    programme_store.clear_cache()
    rules_store.clear_cache()


def token(user: str = "alice", roles: tuple[str, ...] = (), ttl: int = 3600, secret: str | None = None) -> str:
    return issue_token(secret or os.environ["MALL_JWT_SECRET"], user, list(roles), ttl, int(time.time()))


def headers_for(user: str = "alice", operator: bool = False, roles: tuple[str, ...] = (), **extra: str) -> dict[str, str]:
    """A JSON request's headers with a token for `user` holding `roles` (and `operator` if asked)."""
    held = (*roles, "operator") if operator else roles
    return {"Authorization": f"Bearer {token(user, held)}", "Content-Type": "application/json", **extra}


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def template_body(**overrides: Any) -> dict[str, Any]:
    now = datetime.now(timezone.utc)
    body = {
        "name": "¥10 off ¥100",
        "kind": "amount_off",
        "value": 1000,
        "min_spend": 10000,
        "total_stock": 10,
        "per_user_limit": 1,
        "claim_starts_at": iso(now - timedelta(hours=1)),
        "claim_ends_at": iso(now + timedelta(days=1)),
        "validity": {"days_after_claim": 30},
        "scope": {"all": True},
    }
    body.update(overrides)
    return body


class Api:
    """chalice.test.Client with JSON in and out and a token per call."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def call(self, method: str, path: str, body: Any = None, *, user: str | None = "alice",
             operator: bool = False, roles: tuple[str, ...] = (), headers: dict[str, str] | None = None,
             raw: bytes | str | None = None) -> tuple[int, Any]:
        sent = headers_for(user, operator, roles) if user else {"Content-Type": "application/json"}
        sent.update(headers or {})
        payload = raw if raw is not None else (json.dumps(body) if body is not None else b"")
        response = getattr(self.client.http, method.lower())(path, headers=sent, body=payload)
        text = response.body.decode() if isinstance(response.body, bytes) else response.body
        if not response.headers.get("Content-Type", "application/json").startswith("application/json"):
            return response.status_code, text  # a view answering in another format (text/csv)
        return response.status_code, (json.loads(text) if text else None)

    def get(self, path: str, **kw: Any) -> tuple[int, Any]:
        return self.call("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> tuple[int, Any]:
        return self.call("POST", path, body, **kw)

    def published_template(self, **overrides: Any) -> dict[str, Any]:
        status, created = self.post("/admin/templates", template_body(**overrides), operator=True)
        assert status == 201, created
        status, published = self.post(f"/admin/templates/{created['id']}/publish", operator=True)
        assert status == 200, published
        return published


# --- over real HTTP ---------------------------------------------------------------------

def session() -> requests.Session:
    s = requests.Session()
    s.mount("http://", HTTPAdapter(pool_connections=4, pool_maxsize=64))
    return s


def fire(requests_to_send, workers=64):
    """Send all requests at once (released together once queued); return (status, json) each."""
    http = session()
    go = threading.Event()

    def send(args):
        method, url, headers, body = args
        go.wait(timeout=30)
        response = http.request(method, url, headers=headers, json=body, timeout=60)
        return response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(send, args) for args in requests_to_send]
        go.set()
        return [f.result() for f in futures]
