"""GET/PUT /admin/settings: defaults, partial changes, validation, roles, and the version that
lets cached copies be checked (API.md, "Programme settings")."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib import dynamo
from chalicelib.programme import store
from chalicelib.programme.models import ProgrammeSettings

DEFAULTS = {"points_per_yuan": 100, "points_max_percent": 50, "points_with_coupon": True,
            "balance_max_percent": 100, "max_return_bp": 10000, "withdrawal_min": 0,
            "withdrawal_daily_max": 0, "points_valid_days": 0}


def put(api, body, **kw):
    return api.call("PUT", "/admin/settings", body, operator=True, **kw)


def test_never_saved_settings_are_the_documented_defaults(api):
    status, body = api.get("/admin/settings", operator=True)
    assert status == 200
    assert {k: body[k] for k in DEFAULTS} == DEFAULTS
    assert body["version"] == 0


def test_a_partial_body_changes_only_what_it_names_and_records_who(api):
    status, body = put(api, {"points_per_yuan": 200})
    assert status == 200, body
    assert body["points_per_yuan"] == 200 and body["version"] == 1 and body["updated_by"] == "alice"
    status, body = put(api, {"points_with_coupon": False, "withdrawal_min": 1000})
    assert status == 200, body
    assert {k: body[k] for k in DEFAULTS} == {**DEFAULTS, "points_per_yuan": 200, "points_with_coupon": False,
                                              "withdrawal_min": 1000}
    assert body["version"] == 2
    assert api.get("/admin/settings", operator=True)[1] == body


@pytest.mark.parametrize(("body", "field"), [
    ({"points_per_yuan": 0}, "points_per_yuan"),
    ({"points_per_yuan": 10001}, "points_per_yuan"),
    ({"points_max_percent": 101}, "points_max_percent"),
    ({"balance_max_percent": -1}, "balance_max_percent"),
    ({"max_return_bp": 10001}, "max_return_bp"),
    ({"points_valid_days": 3651}, "points_valid_days"),
    ({"withdrawal_min": 1.5}, "withdrawal_min"),
    ({"points_with_coupon": "false"}, "points_with_coupon"),
    ({"points_per_yuan": "100"}, "points_per_yuan"),
    ({"version": 7}, "version"),
    ({"colour": "red"}, "colour"),
])
def test_a_bad_value_is_400_naming_the_field_and_changes_nothing(api, body, field):
    status, answer = put(api, body)
    assert status == 400, answer
    assert answer["error"]["code"] == "VALIDATION_ERROR"
    assert field in [d["field"] for d in answer["error"]["details"]]
    assert api.get("/admin/settings", operator=True)[1]["version"] == 0


@pytest.mark.parametrize("body", [{}, {"points_max_percent": None}, [], "x"])
def test_an_empty_null_or_non_object_body_is_400(api, body):
    status, answer = put(api, body)
    assert status == 400, answer
    assert answer["error"]["code"] == "VALIDATION_ERROR"


def test_a_minimum_above_the_daily_maximum_is_400_whichever_change_makes_it(api):
    assert put(api, {"withdrawal_daily_max": 5000})[0] == 200
    status, answer = put(api, {"withdrawal_min": 6000})
    assert status == 400
    assert answer["error"]["details"][0]["field"] == "withdrawal_min"
    assert put(api, {"withdrawal_min": 5000})[0] == 200
    assert put(api, {"withdrawal_daily_max": 0})[0] == 200  # 0: no limit, any minimum fits


def test_shoppers_cannot_read_or_change_settings(api):
    assert api.get("/admin/settings")[0] == 403
    assert api.call("PUT", "/admin/settings", {"points_per_yuan": 1})[0] == 403
    assert api.get("/admin/settings", user=None)[0] == 401


NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)


def test_the_cache_serves_a_copy_for_its_age_and_the_check_catches_a_stale_one(aws):
    first = store.current(NOW)
    assert first.version == 0
    saved = store.save(first.model_copy(update={"points_max_percent": 20}), 0, NOW, "ops")
    assert saved is not None and saved.version == 1
    store.clear_cache()
    stale = store.current(NOW)             # cached at NOW ...
    assert stale.points_max_percent == 20
    assert store.save(stale.model_copy(update={"points_max_percent": 10}), 1, NOW, "ops") is not None
    store._cache.clear()
    store._cache[dynamo.table_name()] = (NOW, stale)     # a function still holding version 1
    assert store.current(NOW + timedelta(seconds=29)).points_max_percent == 20
    with pytest.raises(dynamo.ConditionFailed):
        dynamo.transact({store.SETTINGS: store.unchanged_check(stale)})
    assert store.current(NOW + timedelta(seconds=30)).points_max_percent == 10  # the age ran out
    dynamo.transact({store.SETTINGS: store.unchanged_check(store.current(NOW + timedelta(seconds=30)))})


def test_the_check_of_never_saved_settings_fails_once_they_are_saved(aws):
    defaults = ProgrammeSettings()
    dynamo.transact({store.SETTINGS: store.unchanged_check(defaults)})
    store.save(defaults, 0, NOW, "ops")
    with pytest.raises(dynamo.ConditionFailed):
        dynamo.transact({store.SETTINGS: store.unchanged_check(defaults)})


def test_a_save_from_a_version_already_replaced_writes_nothing(aws):
    base = ProgrammeSettings()
    assert store.save(base.model_copy(update={"points_per_yuan": 10}), 0, NOW, "a") is not None
    assert store.save(base.model_copy(update={"points_per_yuan": 20}), 0, NOW, "b") is None
    assert store.fresh(NOW).points_per_yuan == 10
