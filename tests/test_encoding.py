"""The roster's column encoders (ability2.io.encoding) against plain Python, on random columns."""

from __future__ import annotations

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

import ability2.io.encoding as encoding
from ability2.arrays import arrow_ints, numpy_ints
from ability2.io.encoding import distinct, distinct_columns, gather_lists

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


# up to 12 items: lists padded to 1, 2, 4 or 8 bytes are gathered as integers, longer ones row by row
lists = st.lists(st.one_of(st.none(), st.lists(st.integers(0, 29), max_size=12)), min_size=1, max_size=8)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), values=lists)
def test_gather_lists_gives_each_row_its_value_list(data: st.DataObject, values: list[list[int] | None]) -> None:
    index = data.draw(st.lists(st.integers(0, len(values) - 1), max_size=40))
    rows = data.draw(st.none() | st.lists(st.booleans(), min_size=len(index), max_size=len(index)))
    series = pl.Series("v", values, dtype=pl.List(pl.Int8))
    saved = encoding._GATHER_SLICE
    encoding._GATHER_SLICE = data.draw(st.sampled_from([1, 3, saved]))  # gathered in slices of this many rows
    try:
        offsets, flat = gather_lists(series, np.array(index, dtype=np.int64), None if rows is None else np.array(rows))
    finally:
        encoding._GATHER_SLICE = saved
    expected = [(values[i] or []) if rows is None or rows[position] else [] for position, i in enumerate(index)]
    assert offsets.dtype == np.int64 and flat.dtype == np.int8
    assert len(offsets) == len(index) + 1 and offsets[0] == 0 and offsets[-1] == len(flat)
    assert [flat[offsets[k] : offsets[k + 1]].tolist() for k in range(len(index))] == expected


@settings(max_examples=60, deadline=None)
@given(columns=st.lists(texts.filter(bool), min_size=1, max_size=4).filter(lambda c: len({len(x) for x in c}) == 1))
def test_distinct_columns_in_threads_equal_one_at_a_time(columns: list[list[str]]) -> None:
    frame = pl.DataFrame(
        {f"c{j}": cells for j, cells in enumerate(columns)}, schema={f"c{j}": pl.String for j in range(len(columns))}
    )
    names = list(frame.columns)
    saved = encoding._THREADED_ROWS
    encoding._THREADED_ROWS = 0  # threads even for a few rows
    try:
        given = {name: frame.get_column(name) for name in names}
        threaded = distinct_columns(given)
    finally:
        encoding._THREADED_ROWS = saved
    assert list(threaded) == names
    assert given == {}  # each column let go once encoded
    for name in names:
        alone = distinct(frame, name)
        assert threaded[name].values.to_list() == alone.values.to_list()
        assert threaded[name].index.tolist() == alone.index.tolist()


@settings(max_examples=100, deadline=None)
@given(
    values=st.lists(st.integers(-(2**31), 2**31 - 1), max_size=40),
    dtype=st.sampled_from([np.int8, np.int32, np.int64, np.uint16]),
    window=st.tuples(st.integers(0, 40), st.integers(0, 40)),
)
def test_integer_arrays_cross_between_numpy_and_arrow_unchanged(
    values: list[int], dtype: type, window: tuple[int, int]
) -> None:
    array = np.array(values, dtype=np.int64).astype(dtype)
    arrow = arrow_ints(array)
    assert arrow.to_pylist() == array.tolist()
    start, length = window
    part = arrow.slice(start, length)  # an offset into the buffer
    assert numpy_ints(part).tolist() == array[start : start + length].tolist()


def test_numpy_ints_refuses_nulls_and_arrow_ints_refuses_non_integers() -> None:
    import pyarrow as pa
    import pytest

    with pytest.raises(ValueError, match="without nulls"):
        numpy_ints(pa.array([1, None], type=pa.int32()))
    with pytest.raises(TypeError, match="integer array"):
        arrow_ints(np.array([1.5]))


ability_cells = st.lists(
    st.lists(st.sampled_from(["A1", "B2", "C7", "A13", "X9", "", " "]), max_size=4).map(";".join), max_size=40
)


@settings(max_examples=100, deadline=None)
@given(cells=ability_cells, size=st.integers(1, 5))
def test_ability_cells_parsed_a_slice_at_a_time_read_as_parsed_at_once(cells: list[str], size: int) -> None:
    """Property: a hundred thousand distinct cells are parsed a slice at a time, with the same codes, counts and problems."""
    import pytest

    values = pl.Series("v", cells, dtype=pl.String)
    codes_map = {"A1": 0, "B2": 11, "C7": 29, "A13": 12}
    whole = encoding._encode_abilities(values, codes_map, r"[;,\s]+")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(encoding, "_SLICE", size)
        sliced = encoding.encode_abilities(values, codes_map, r"[;,\s]+")
    assert sliced.codes.to_list() == whole.codes.to_list()
    assert sliced.count.tolist() == whole.count.tolist() and sliced.bad.tolist() == whole.bad.tolist()
    for cell, codes, bad in zip(cells, whole.codes.to_list(), whole.bad.tolist(), strict=True):
        written = [token for token in cell.replace(";", " ").split() if token]
        assert bad == (
            not written or any(token not in codes_map for token in written) or len(set(written)) < len(written)
        )
        if not bad:
            assert codes == [codes_map[token] for token in written]
