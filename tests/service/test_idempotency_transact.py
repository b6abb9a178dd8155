"""idempotency.transact: the effect and the record of its response commit together; a lost
race on the record is Replay, any other refusal reaches the caller by name (moto)."""

from datetime import datetime, timezone

import pytest

from chalicelib import dynamo, idempotency
from chalicelib.idempotency import Idempotency, Replay

NOW = datetime(2030, 6, 1, tzinfo=timezone.utc)


def idem(key="k1"):
    return Idempotency(scope="alice", key=key, fingerprint="f", now=NOW, status=201, ttl_seconds=3600)


def put_new(pk):
    return dynamo.tx_put({"PK": pk, "SK": "X"}, "attribute_not_exists(PK)")


def test_the_effect_and_its_record_commit_together(aws):
    idempotency.transact({"thing": put_new("T#1")}, idem(), {"id": 1})
    assert dynamo.get({"PK": "T#1", "SK": "X"}) is not None
    assert idem().lookup().body == {"id": 1}


def test_a_second_request_with_the_key_replays_and_changes_nothing(aws):
    idempotency.transact({"thing": put_new("T#1")}, idem(), {"id": 1})
    with pytest.raises(Replay):
        idempotency.transact({"thing": put_new("T#2")}, idem(), {"id": 2})
    assert dynamo.get({"PK": "T#2", "SK": "X"}) is None
    assert idem().lookup().body == {"id": 1}


def test_another_refusal_is_the_callers_by_name_and_records_nothing(aws):
    idempotency.transact({"thing": put_new("T#1")}, None, None)
    with pytest.raises(dynamo.ConditionFailed) as refused:
        idempotency.transact({"thing": put_new("T#1")}, idem("k2"), {"id": 2})
    assert list(refused.value.failed) == ["thing"]
    assert idem("k2").lookup() is None
