"""Points that expire under races (issue 17, item 3), on the serialized moto server and on
DynamoDB Local (`race_aws`): expire-points runs racing each other, holds (order reservations) and
spends of free points never take points below 0, and every point ends up exactly once spent,
held, expired or free (earned = spent + expired + held + free)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, timezone

from chalicelib import dynamo
from chalicelib.errors import InsufficientPoints
from chalicelib.jobs import registry as jobs
from chalicelib.jobs.budget import Unlimited
from chalicelib.models import PageQuery
from chalicelib.orders import reservations
from chalicelib.orders.models import ReservationRequest
from chalicelib.rebates import accounts, accounts_store, holds
from tests.checkout_helpers import item, race
from tests.payment_helpers import NOW, like_sqs
from tests.programme_helpers import set_programme
from tests.reservation_helpers import fund

USERS = [f"shopper{i}" for i in range(4)]
EXPIRED_AT = datetime(2030, 6, 11, 16, 0, 1, tzinfo=timezone.utc)  # credited at NOW, 10 days



def expire():
    return like_sqs(lambda: jobs.run("expire-points", EXPIRED_AT, Unlimited()))


def hold(user):
    request = ReservationRequest.model_validate({"order_id": f"order-{user}", "items": [item(100_000)],
                                                 "use_points": 300, "use_balance": 0})
    return like_sqs(lambda: reservations.reserve(user, request, EXPIRED_AT))


def spend(user):
    return like_sqs(lambda: dynamo.transact(holds.spend_items(user, f"pay-{user}", 0, 200, False, EXPIRED_AT)))


def sums(user):
    by_type: dict[str, int] = defaultdict(int)
    for entry in accounts.list_ledger(user, PageQuery(limit=100)).items:
        if entry.asset == "points":
            by_type[entry.type] += entry.amount
    return by_type


def test_expiry_racing_holds_and_spends_never_goes_below_zero_and_every_point_is_counted_once(race_aws):
    set_programme(points_valid_days=10)
    for user in USERS:
        fund(user, points=1000)
    calls = [expire, expire] + [lambda u=u: hold(u) for u in USERS] + [lambda u=u: spend(u) for u in USERS]
    outcomes = race(calls)
    refused = [o for o in outcomes if isinstance(o, Exception)]
    assert all(isinstance(o, (InsufficientPoints, dynamo.ConditionFailed)) for o in refused), refused
    expire()  # and again: nothing more is due
    for user in USERS:
        account = accounts_store.get_account(user)
        by_type = sums(user)
        spent, expired, held = -by_type["spend"], -by_type["expire"], account["points_held"]
        assert account["points"] == 0, user  # whatever was not taken in time expired
        assert spent in (0, 200) and held in (0, 300), user
        assert 1000 == spent + expired + held + account["points"], (user, by_type, account)
        assert sum(by_type.values()) == account["points"]
    assert expire().changed == 0
