"""Fuzzing the readers (issue 10): any input gives a roster (or school table) or a documented error.

Properties over CSV bytes, CSV text made of the characters rosters are made of, workbooks
built from random cells, and DataFrames with hostile cells. "Documented error" means
:class:`~ability2.RosterError` (a school table's is a subclass): never another exception.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ability2


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """These tests are about what is found and refused, read in English (the languages themselves are
    tested in tests/test_messages.py, test_input_messages.py and test_policy_messages.py)."""
    from ability2.messages import language

    with language("en"):
        yield

HEADER = "teacher_id,school,online_hours,offline_hours,abilities,grades\n"
PIECES = st.sampled_from(
    [
        "T1",
        "T2",
        "实验小学",
        "20",
        "30.5",
        "-1",
        "1e9",
        "A1;B2;C4",
        "优秀;合格",
        "",
        ",",
        "\n",
        '"',
        "\r\n",
        "D9",
        "、",
        "\ufeff",
        "\x00",
        "是",
    ]
)


def read(data: bytes, suffix: str = ".csv") -> None:
    with tempfile.NamedTemporaryFile(suffix=suffix, delete=False) as handle:
        handle.write(data)
    path = Path(handle.name)
    try:
        roster = ability2.read_roster(path)
        assert len(roster) >= 1
    except ability2.RosterError as exc:
        assert exc.problems and all(str(p).startswith(str(path)) for p in exc.problems)
    finally:
        path.unlink()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600))
def test_any_bytes_after_a_header(data: bytes) -> None:
    read(HEADER.encode() + data)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(PIECES, max_size=60), st.sampled_from(["utf-8", "gb18030", "utf-16"]))
def test_roster_shaped_text_in_any_encoding(pieces: list[str], encoding: str) -> None:
    text = HEADER + "".join(pieces)
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        return
    read(data)


cells = st.one_of(
    st.none(), st.text(max_size=12), st.integers(-(10**20), 10**20), st.floats(allow_nan=True), st.booleans()
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(cells, min_size=1, max_size=7), min_size=1, max_size=8))
def test_workbooks_built_from_random_cells(rows: list[list[object]]) -> None:
    with tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False) as handle:
        name = handle.name
    book = xlsxwriter.Workbook(name, {"nan_inf_to_errors": True})
    sheet = book.add_worksheet()
    for col, header in enumerate(HEADER.strip().split(",")):
        sheet.write_string(0, col, header)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value)
    book.close()
    data = Path(name).read_bytes()
    Path(name).unlink()
    read(data, ".xlsx")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.text(max_size=6), st.one_of(st.text(max_size=6), st.floats(), st.integers())),
        min_size=1,
        max_size=6,
    )
)
def test_dataframes_with_hostile_cells(rows: list[tuple[str, object]]) -> None:
    frame = pd.DataFrame(
        {
            "teacher_id": [f"T{i}{a}" for i, (a, _) in enumerate(rows)],
            "school": [a for a, _ in rows],
            "online_hours": [b for _, b in rows],
            "offline_hours": ["30"] * len(rows),
            "abilities": ["A1"] * len(rows),
        }
    )
    try:
        ability2.read_roster(frame)
    except ability2.RosterError as exc:
        assert exc.problems


def test_a_lone_surrogate_in_a_dataframe_is_a_roster_error() -> None:
    # object columns: with pyarrow installed (the dask extra), pandas stores str columns in Arrow, which refuses
    # a lone surrogate when the frame is made; an object column holds one
    frame = pd.DataFrame(
        [{"teacher_id": "T1\ud800", "school": "S", "online_hours": "20", "offline_hours": "30", "abilities": "A1"}],
        dtype=object,
    )
    with pytest.raises(
        ability2.RosterError, match="<DataFrame>:2:teacher_id: the cell holds text that is not valid Unicode"
    ):
        ability2.read_roster(frame)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(PIECES, max_size=40))
def test_school_tables_from_roster_shaped_text(pieces: list[str]) -> None:
    with tempfile.NamedTemporaryFile(suffix=".csv", delete=False) as handle:
        handle.write(("学校,教研组,首席信息官\n" + "".join(pieces)).encode())
    path = Path(handle.name)
    try:
        ability2.read_schools(path)
    except ability2.RosterError as exc:
        assert exc.problems
    finally:
        path.unlink()
