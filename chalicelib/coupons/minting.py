"""Minting redeemable codes for a template (the operator's HTTP call and codes_cli), and
listing them. No boto3, no Chalice; storage is minting_store."""

from __future__ import annotations

import random
import time
from datetime import datetime
from typing import Callable

from chalicelib.coupons import codes, minting_store, templates
from chalicelib.coupons.models import Code, CodeBatch, CodeListQuery, CodeMintRequest
from chalicelib.coupons.refused import Refused
from chalicelib.errors import InvalidState, NotFound, Throttled
from chalicelib.audit import store as audit_store
from chalicelib.audit.models import Change
from chalicelib.idempotency import Idempotency
from chalicelib.ids import derived_id, new_id
from chalicelib.models import Page

MINT_THROTTLE_RETRIES = 8


def _start(batch: CodeBatch, now: datetime) -> CodeBatch:
    """Store a new code batch; an existing batch with this id (a retry, a resumed run) is
    returned as it is, with its progress."""
    try:
        minting_store.start_batch(batch, now)
    except Refused as exc:
        if "batch" in exc.failed:
            old = exc.old("batch")
            existing = minting_store.batch_from(old) if old else minting_store.get_batch(batch.template_id, batch.id)
            if existing is not None:
                return existing
            raise
        if exc.old("template") is None:
            raise NotFound("No template with this id.") from exc
        raise InvalidState("This template has ended; it takes no new codes.") from exc
    return batch


def mint_codes(template_id: str, count_wanted: int, prefix: str | None, now: datetime, *,
               batch_id: str | None = None, progress: Callable[[int, int], None] | None = None) -> CodeBatch:
    """Mint `count_wanted` new codes for a template, 99 per transaction.

    Every code is written with `attribute_not_exists`, so a collision never overwrites a
    code: the transaction is cancelled, the colliding codes are drawn again and the write is
    retried. The batch item counts what is minted, advanced in the same transactions under
    the condition `minted = <what this writer saw>`: a crashed run resumes with the same
    `batch_id`, and two runs of one batch never mint more than its count. Throttling is
    retried with exponential backoff and jitter.
    """
    start = CodeBatch(id=batch_id or new_id(), template_id=template_id, count=count_wanted, minted=0, prefix=prefix,
                      created_at=now)
    batch = _start(start, now)
    if (batch.count, batch.prefix) != (count_wanted, prefix):
        raise InvalidState(f"Batch {batch.id} was started for {batch.count} codes with prefix {batch.prefix!r}.")
    pending: list[str] = []
    minted, throttled = batch.minted, 0
    while minted < batch.count:
        if progress:
            progress(minted, batch.count)
        size = min(minting_store.MAX_CODES_PER_WRITE, batch.count - minted)
        pending = pending[:size] + [codes.draw(prefix) for _ in range(size - len(pending[:size]))]
        try:
            minted, pending, throttled = minting_store.add_codes(batch, pending, minted, now), [], 0
        except minting_store.CodeCollision as exc:
            for position in exc.positions:
                pending[position] = codes.draw(prefix)
        except minting_store.BatchMoved as exc:
            minted, pending = exc.minted, []
        except Throttled:
            throttled += 1
            if throttled > MINT_THROTTLE_RETRIES:
                raise
            time.sleep(random.uniform(0, min(0.05 * 2**throttled, 5.0)))
    if progress:
        progress(minted, batch.count)
    return batch.model_copy(update={"minted": minted})


def mint_codes_for_request(template_id: str, request: CodeMintRequest, now: datetime, operator_id: str,
                           idem: Idempotency | None) -> CodeBatch:
    """The HTTP mint: with an Idempotency-Key the batch id is derived from the operator and the key,
    so a retry resumes the same batch instead of minting another."""
    batch_id = derived_id(f"codes:{template_id}:{operator_id}:{idem.key}", 0) if idem else None
    batch = mint_codes(template_id, request.count, request.prefix, now, batch_id=batch_id)
    body = batch.model_dump(mode="json")
    audit_store.record(Change(operator_id, "mint_codes", "template", template_id, None, body, now), idem, body)
    return batch


def list_codes(template_id: str, query: CodeListQuery) -> Page[Code]:
    templates.get_template(template_id)
    items, cursor = minting_store.list_codes(template_id, query.batch, query.limit, query.cursor)
    return Page[Code](items=items, next_cursor=cursor)
