"""RuleColumn values and details a kind gives as functions: made when first read, once, checked."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import numpy as np
import pytest

import ability2
from ability2.errors import EvaluationError


def column(value: Any, detail: Any = None, size: int = 3) -> ability2.RuleColumn:
    return ability2.RuleColumn(
        rule="hours.total_min",
        title="t",
        title_en="t",
        source="s",
        layer="l",
        bound=None,
        symbol=None,
        limit=1,
        unit="h",
        value=value,
        ok=np.ones(size, dtype=bool),
        detail=detail,
    )


def test_a_function_is_called_when_the_value_is_first_read_and_only_then() -> None:
    calls: list[int] = []

    def make() -> np.ndarray[Any, Any]:
        calls.append(1)
        return np.array([1.5, 2.0, 0.25])

    made = column(make, detail=lambda: np.array(["", "A3", ""], dtype=object))
    assert calls == []
    assert made.value.tolist() == [1.5, 2.0, 0.25]
    assert made.value_at(2) == 0.25
    assert calls == [1]
    assert made.detail.tolist() == ["", "A3", ""]


def test_a_function_making_the_wrong_number_of_values_is_an_error_naming_the_rule() -> None:
    made = column(lambda: np.zeros(2))
    with pytest.raises(EvaluationError, match=r"hours\.total_min.*2.*3"):
        _ = made.value


def test_threads_reading_at_once_all_see_the_same_values() -> None:
    gate = threading.Barrier(6)

    def make() -> np.ndarray[Any, Any]:
        return np.arange(1000) / 100

    made = column(make, size=1000)
    seen: list[Any] = []

    def read() -> None:
        gate.wait()
        seen.append(made.value)

    threads = [threading.Thread(target=read) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 6 and all(np.array_equal(values, np.arange(1000) / 100) for values in seen)


def test_an_evaluation_makes_the_hours_only_when_read(ability2_registry: ability2.Registry) -> None:
    """The hours rules give their hours as functions; the result reads them as numbers all the same."""
    import pandas as pd

    from rows import teacher

    rows = [teacher("T1", online_hours="20.5", offline_hours="30"), teacher("T2", online_hours="0")]
    result = ability2.evaluate(
        ability2.read_roster(pd.DataFrame(rows)), ability2_registry.policy("hebei", on=dt.date(2022, 1, 1))
    )
    total = next(c for c in result.teacher_columns if c.rule == "hours.total_min")
    assert callable(total._value)
    assert total.value.tolist() == [50.5, 25.0]
