"""The batch's integer helpers, against plain-Python references."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ability2.batch import factorize_integers


def reference(values: list[int]) -> tuple[list[int], list[int]]:
    """Codes and distinct values in order of first appearance, by a dict."""
    seen: dict[int, int] = {}
    codes = [seen.setdefault(v, len(seen)) for v in values]
    return codes, list(seen)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.lists(st.integers(0, 50), max_size=200),  # dense: the table path
        st.lists(st.integers(-(2**62), 2**62), max_size=200),  # sparse or negative: the sorting path
    )
)
def test_codes_follow_first_appearance(values: list[int]) -> None:
    codes, distinct = factorize_integers(np.asarray(values, dtype=np.int64))
    expected_codes, expected_distinct = reference(values)
    assert codes.tolist() == expected_codes
    assert distinct.tolist() == expected_distinct
