"""The roster's column encoders (ability2.io.encoding) against plain Python, on random columns."""

from __future__ import annotations

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from ability2.io.encoding import distinct, gather_lists

texts = st.lists(st.sampled_from(["", " ", "A1", " A1", "A1 ", "学校", "学校 ", "x", "\u3000y"]), max_size=60)


@settings(max_examples=150, deadline=None)
@given(cells=texts)
def test_distinct_is_each_row_position_among_the_values_in_first_appearance_order(cells: list[str]) -> None:
    found = distinct(pl.DataFrame({"c": cells}, schema={"c": pl.String}), "c")
    expected = list(dict.fromkeys(cells))
    assert found.values.to_list() == expected
    assert found.index.tolist() == [expected.index(cell) for cell in cells]


@settings(max_examples=150, deadline=None)
@given(cells=texts)
def test_stripped_values_merge_and_keep_first_appearance_order(cells: list[str]) -> None:
    found, changed = distinct(pl.DataFrame({"c": cells}, schema={"c": pl.String}), "c").stripped()
    stripped = [cell.strip() for cell in cells]
    expected = list(dict.fromkeys(stripped))
    assert found.values.to_list() == expected
    assert found.index.tolist() == [expected.index(cell) for cell in stripped]
    assert changed == (stripped != cells)


lists = st.lists(st.one_of(st.none(), st.lists(st.integers(0, 29), max_size=5)), min_size=1, max_size=8)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), values=lists)
def test_gather_lists_gives_each_row_its_value_list(data: st.DataObject, values: list[list[int] | None]) -> None:
    index = data.draw(st.lists(st.integers(0, len(values) - 1), max_size=40))
    rows = data.draw(st.none() | st.lists(st.booleans(), min_size=len(index), max_size=len(index)))
    series = pl.Series("v", values, dtype=pl.List(pl.Int8))
    offsets, flat = gather_lists(series, np.array(index, dtype=np.int64), None if rows is None else np.array(rows))
    expected = [(values[i] or []) if rows is None or rows[position] else [] for position, i in enumerate(index)]
    assert offsets.dtype == np.int64 and flat.dtype == np.int8
    assert [flat[offsets[k] : offsets[k + 1]].tolist() for k in range(len(index))] == expected
