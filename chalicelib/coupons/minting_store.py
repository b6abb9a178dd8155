"""DynamoDB storage of redeemable codes: code batches, the codes themselves (each written with
`attribute_not_exists`, so a drawn code that exists is never overwritten), lookups and lists."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib import dynamo
from chalicelib.coupons import keys
from chalicelib.coupons.models import Code, CodeBatch
from chalicelib.coupons.refused import Refused
from chalicelib.indexes import ITEM_ABSENT, ITEM_EXISTS


def batch_from(item: dict[str, Any]) -> CodeBatch:
    return CodeBatch.model_validate(item, strict=False)


def get_batch(template_id: str, batch_id: str) -> CodeBatch | None:
    item = dynamo.get(keys.code_batch(template_id, batch_id), consistent=True)
    return batch_from(item) if item else None


def start_batch(batch: CodeBatch, now: datetime) -> CodeBatch:
    """Store a new code batch for a template that exists and has not ended, marking the template
    as having codes; returns it. Refused names
    `template` (missing or ended) or `batch` (a batch with this id exists: its item as it was)."""
    items = {
        # `has_codes`: a draft with codes can no longer be edited or deleted (templates_store)
        "template": dynamo.tx_update(keys.template(batch.template_id), "SET has_codes = :yes",
                                     f"{ITEM_EXISTS} AND #status <> :ended", names={"#status": "status"},
                                     vals=dynamo.values(ended="ended", yes=True)),
        "batch": dynamo.tx_put({**keys.code_batch(batch.template_id, batch.id), "entity": "code_batch",
                                **batch.model_dump(mode="json")}, ITEM_ABSENT),
    }
    try:
        dynamo.transact(items)
    except dynamo.ConditionFailed as exc:
        raise Refused(exc.failed) from exc
    return batch


class CodeCollision(Exception):
    """Some drawn codes exist already (by position in the list given); nothing was written."""

    def __init__(self, positions: list[int]) -> None:
        super().__init__(f"codes at {positions} exist already")
        self.positions = positions


class BatchMoved(Exception):
    """Another writer advanced this batch first; `minted` is where it stands now."""

    def __init__(self, minted: int) -> None:
        super().__init__(f"batch is at {minted}")
        self.minted = minted


MAX_CODES_PER_WRITE = 99  # TransactWriteItems takes 100 items: the batch counter and 99 codes
_CODE = "code"


def add_codes(batch: CodeBatch, texts: list[str], minted: int, now: datetime) -> int:
    """Write up to 99 new codes with `attribute_not_exists` and advance the batch from `minted`,
    all or nothing. Returns the batch's new count. Raises CodeCollision naming the codes that
    exist already, BatchMoved when another writer advanced the batch first."""
    if not 1 <= len(texts) <= MAX_CODES_PER_WRITE or minted + len(texts) > batch.count:
        raise ValueError("a write adds 1-99 codes and never passes the batch's count")
    items = {"batch": dynamo.tx_update(keys.code_batch(batch.template_id, batch.id), "SET minted = minted + :n",
                                       condition="minted = :minted", vals=dynamo.values(n=len(texts), minted=minted))}
    codes = []
    for text in texts:
        code = Code(code=text, template_id=batch.template_id, batch_id=batch.id, status="new", created_at=now)
        codes.append(dynamo.tx_put(
            {**keys.code(text), **keys.code_listing(batch.template_id, batch.id, text), "entity": "code",
             **code.model_dump(mode="json")},
            ITEM_ABSENT,
        ))
    items.update(dynamo.numbered(_CODE, codes))
    try:
        dynamo.transact(items)
    except dynamo.ConditionFailed as exc:
        collisions = sorted(int(name.removeprefix(_CODE)) for name in exc.failed if name.startswith(_CODE))
        if collisions:
            raise CodeCollision(collisions) from exc
        current = exc.failed.get("batch") or dynamo.get(keys.code_batch(batch.template_id, batch.id), consistent=True)
        assert current is not None, "a code batch is never deleted"
        raise BatchMoved(int(current["minted"])) from exc
    return minted + len(texts)


def get_code(code_text: str) -> Code | None:
    item = dynamo.get(keys.code(code_text), consistent=True)
    return Code.model_validate(item, strict=False) if item else None


def list_codes(template_id: str, batch_id: str | None, limit: int, cursor: str | None) -> tuple[list[Code], str | None]:
    """A template's codes, batch by batch (in batch-id order), by code within a batch."""
    items, next_cursor = dynamo.query_page(
        index=keys.CODES.name, partition_attr=keys.CODES.pk, partition_value=keys.code_partition(template_id),
        key_attrs=keys.CODES.key_attrs, limit=limit, cursor=cursor, newest_first=False,
        sort_condition=f"begins_with({keys.CODES.sk}, :batch)" if batch_id else None,
        vals=dynamo.values(batch=keys.code_batch_prefix(batch_id)) if batch_id else None,
    )
    return [Code.model_validate(i, strict=False) for i in items], next_cursor
