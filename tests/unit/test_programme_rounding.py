"""Points and fen convert in whole fen, rounded down, and no point is wasted (pure)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.programme.models import ProgrammeSettings


def test_documented_examples():
    default = ProgrammeSettings()
    assert default.points_amount(150) == 150          # one point per fen at 100 points per yuan
    assert ProgrammeSettings(points_per_yuan=1000).points_amount(1234) == 123  # 1234 * 100 // 1000
    assert ProgrammeSettings(points_per_yuan=1000).points_for(123) == 1230
    assert ProgrammeSettings(points_per_yuan=3).points_amount(2) == 66   # a point pays 33⅓ fen, rounded down
    assert ProgrammeSettings(points_per_yuan=3).points_for(66) == 2
    assert ProgrammeSettings(points_per_yuan=250).reward_points(1000) == 2500


@given(st.integers(1, 10_000), st.integers(0, 10**9))
def test_the_fewest_points_pay_exactly_what_the_points_given_pay(per_yuan, points):
    settings = ProgrammeSettings(points_per_yuan=per_yuan)
    amount = settings.points_amount(points)
    fewest = settings.points_for(amount)
    assert fewest <= points
    assert settings.points_amount(fewest) == amount
    assert fewest == 0 or settings.points_amount(fewest - 1) < amount
