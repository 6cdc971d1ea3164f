"""Boundary words decide whether the limit itself passes (national reference §7, 民法典 第1259条)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ability2 import Bound, Direction


@pytest.mark.parametrize("word", ["以上", "不少于", "不低于", "至少", "达到"])
def test_inclusive_floors_pass_at_the_limit(word: str) -> None:
    # "教师微能力合格率 95%以上" holds at exactly 95%.
    assert Bound(word).holds(Fraction(95, 100), Fraction(95, 100))
    assert not Bound(word).holds(Fraction(949, 1000), Fraction(95, 100))


@pytest.mark.parametrize("word", ["以下", "以内", "不超过", "不多于"])
def test_inclusive_caps_pass_at_the_limit(word: str) -> None:
    # 开原 "微能力点认证优秀率不超过60%" holds at exactly 60%.
    assert Bound(word).holds(Fraction(60, 100), Fraction(60, 100))
    assert not Bound(word).holds(Fraction(61, 100), Fraction(60, 100))


@pytest.mark.parametrize(
    ("word", "direction"),
    [("超过", Direction.MIN), ("不满", Direction.MAX), ("低于", Direction.MAX), ("少于", Direction.MAX)],
)
def test_exclusive_words_fail_at_the_limit(word: str, direction: Direction) -> None:
    bound = Bound(word)
    assert bound.direction is direction
    assert not bound.inclusive
    assert not bound.holds(50, 50)


def test_unknown_word_is_refused_with_the_known_words() -> None:
    with pytest.raises(ValueError, match="不少于"):
        Bound("大约")


def test_approximate_target_is_not_a_limit() -> None:
    with pytest.raises(ValueError, match="约数目标，不是限值"):  # kind.approximate, in the default language
        Bound("左右").holds(5, 5)


@given(st.fractions(min_value=0, max_value=100), st.fractions(min_value=0, max_value=100))
def test_floor_and_cap_words_agree_with_arithmetic(value: Fraction, limit: Fraction) -> None:
    assert Bound("不少于").holds(value, limit) == (value >= limit)
    assert Bound("超过").holds(value, limit) == (value > limit)
    assert Bound("不超过").holds(value, limit) == (value <= limit)
    assert Bound("低于").holds(value, limit) == (value < limit)
    # an inclusive floor and an exclusive cap at the same limit never both hold
    assert not (Bound("以上").holds(value, limit) and Bound("不满").holds(value, limit))
