"""Comparison words of Chinese regulatory text, and what they mean for the limit itself.

Chinese rules state their boundaries in words. Whether the number itself passes follows
from the word (民法典 第1259条: "民法所称的'以上''以下''以内''届满',包括本数;所称的'不满''超过'
'以外',不包括本数"). A rule in ability2 records the word its document uses, and the
comparison is derived from that word, never guessed.
"""

from __future__ import annotations

import enum
import operator
from collections.abc import Callable
from fractions import Fraction

import attrs

__all__ = ["BOUND_WORDS", "Bound", "Direction"]


class Direction(enum.Enum):
    """Which side of the limit passes."""

    MIN = "min"  #: the value must reach the limit (a floor)
    MAX = "max"  #: the value must stay under the limit (a cap)
    EXACT = "exact"  #: the value must equal the limit
    APPROX = "approx"  #: a target stated with 左右 ("about"): not a pass/fail comparison


_Compare = Callable[[Fraction, Fraction], bool]

# word -> (direction, inclusive, English gloss)
BOUND_WORDS: dict[str, tuple[Direction, bool, str]] = {
    # floors that include the number (民法典 第1259条: 以上 includes it)
    "以上": (Direction.MIN, True, "or more"),
    "不少于": (Direction.MIN, True, "at least"),
    "不低于": (Direction.MIN, True, "at least"),
    "不小于": (Direction.MIN, True, "at least"),
    "至少": (Direction.MIN, True, "at least"),
    "达到": (Direction.MIN, True, "at least"),
    # floors that exclude it
    "超过": (Direction.MIN, False, "more than"),
    "多于": (Direction.MIN, False, "more than"),
    "高于": (Direction.MIN, False, "more than"),
    "大于": (Direction.MIN, False, "more than"),
    # caps that include the number (以下, 以内 include it)
    "以下": (Direction.MAX, True, "or less"),
    "以内": (Direction.MAX, True, "at most"),
    "不超过": (Direction.MAX, True, "at most"),
    "不多于": (Direction.MAX, True, "at most"),
    "不高于": (Direction.MAX, True, "at most"),
    "至多": (Direction.MAX, True, "at most"),
    # caps that exclude it (不满 excludes it)
    "不满": (Direction.MAX, False, "less than"),
    "低于": (Direction.MAX, False, "less than"),
    "少于": (Direction.MAX, False, "less than"),
    "小于": (Direction.MAX, False, "less than"),
    # exact values ("选择3个微能力点", "合格率为100%")
    "为": (Direction.EXACT, True, "exactly"),
    "等于": (Direction.EXACT, True, "exactly"),
    # approximate targets ("随机抽取5%左右")
    "左右": (Direction.APPROX, True, "about"),
}

_OPS: dict[tuple[Direction, bool], tuple[_Compare, str]] = {
    (Direction.MIN, True): (operator.ge, "≥"),
    (Direction.MIN, False): (operator.gt, ">"),
    (Direction.MAX, True): (operator.le, "≤"),
    (Direction.MAX, False): (operator.lt, "<"),
    (Direction.EXACT, True): (operator.eq, "="),
    (Direction.APPROX, True): (operator.eq, "≈"),
}


def _check_word(instance: Bound, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in BOUND_WORDS:
        from ability2.messages import msg

        raise ValueError(msg("bound.unknown_word", word=str(value), words=tuple(BOUND_WORDS)))


@attrs.frozen
class Bound:
    """The comparison a rule's wording states, such as ``不少于`` (at least, limit included)."""

    word: str = attrs.field(validator=_check_word)

    @property
    def direction(self) -> Direction:
        """Floor, cap, exact value or approximate target."""
        return BOUND_WORDS[self.word][0]

    @property
    def inclusive(self) -> bool:
        """Whether a value equal to the limit passes."""
        return BOUND_WORDS[self.word][1]

    @property
    def symbol(self) -> str:
        """The mathematical symbol: ``≥``, ``>``, ``≤``, ``<``, ``=`` or ``≈``."""
        return _OPS[(self.direction, self.inclusive)][1]

    @property
    def gloss(self) -> str:
        """A short English reading of the word."""
        return BOUND_WORDS[self.word][2]

    @property
    def comparable(self) -> bool:
        """False for approximate targets (左右), which are not pass/fail limits."""
        return self.direction is not Direction.APPROX

    def holds(self, value: Fraction | int, limit: Fraction | int) -> bool:
        """Whether ``value`` satisfies the bound against ``limit``, exactly."""
        if not self.comparable:
            from ability2.messages import msg

            raise ValueError(msg("kind.approximate", word=self.word))
        compare = _OPS[(self.direction, self.inclusive)][0]
        return bool(compare(Fraction(value), Fraction(limit)))

    def __str__(self) -> str:
        return self.word
