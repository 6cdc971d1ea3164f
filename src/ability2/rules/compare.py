"""Exact vectorised comparisons shared by every rule kind.

A limit is compared by the boundary word its document uses (:class:`~ability2.rules.bounds.Bound`),
on integers only: hours are integer hundredths (:data:`~ability2.roster.HOURS_SCALE`) and a
share ``count / total`` against a limit ``p / q`` compares ``count * q`` with ``total * p``,
so 19 of 20 is exactly 95%.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any

from ability2.messages import msg
from ability2.rules.bounds import Bound

if TYPE_CHECKING:
    import numpy as np

__all__ = ["apply_bound", "compare_ratio", "compare_scaled", "popcount"]


def compare_scaled(bound: Bound, values: np.ndarray[Any, Any], limit: Fraction, scale: int) -> np.ndarray[Any, Any]:
    """``values / scale`` against ``limit`` by ``bound``, exactly (``values`` are integers)."""
    import numpy as np

    rhs = limit.numerator * scale
    values = np.asarray(values)
    if (
        limit.denominator == 1
        and values.dtype.kind in "iu"
        and np.iinfo(values.dtype).min <= rhs <= np.iinfo(values.dtype).max
    ):
        lhs = values  # compared as they are: no copy of a million values
    else:
        lhs = values.astype(np.int64) * limit.denominator
    result: np.ndarray[Any, Any] = apply_bound(bound, lhs, rhs)
    return result


def compare_ratio(
    bound: Bound, count: np.ndarray[Any, Any], total: np.ndarray[Any, Any], limit: Fraction
) -> np.ndarray[Any, Any]:
    """``count / total`` against ``limit``, exactly; an empty total holds only a zero floor."""
    import numpy as np

    # counts may come as floats (np.bincount with weights): whole numbers, compared as int64
    lhs = np.asarray(count).astype(np.int64, copy=False) * limit.denominator
    rhs = np.asarray(total).astype(np.int64, copy=False) * limit.numerator
    ok = apply_bound(bound, lhs, rhs)
    del lhs, rhs
    # an empty total: 0 of 0 against the limit (0 * q against 1 * p), the same for every such entity
    empty = bool(apply_bound(bound, 0, limit.numerator))
    result: np.ndarray[Any, Any] = np.where(np.asarray(total) > 0, ok, empty)
    return result


def apply_bound(bound: Bound, lhs: Any, rhs: Any) -> Any:
    """``lhs`` against ``rhs`` (arrays or numbers) by the bound's symbol, elementwise."""
    import numpy as np

    from ability2.batch import EvaluationError

    if not bound.comparable:
        raise EvaluationError(msg("kind.approximate", word=bound.word))
    symbol = bound.symbol
    if symbol == "≥":
        return np.greater_equal(lhs, rhs)
    if symbol == ">":
        return np.greater(lhs, rhs)
    if symbol == "≤":
        return np.less_equal(lhs, rhs)
    if symbol == "<":
        return np.less(lhs, rhs)
    return np.equal(lhs, rhs)


def popcount(masks: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """How many bits each mask has set (abilities, environments or dimensions covered)."""
    import numpy as np

    counts: np.ndarray[Any, Any] = np.bitwise_count(masks.astype(np.uint64)).astype(np.int64)
    return counts
