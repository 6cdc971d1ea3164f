"""Large reports are written a slice at a time, and the slices join into the documented file (issue 11, target 3).

The JSON report streams its teachers a slice at a time and hands each slice to a writer
thread; the CSV tables are written ``TEACHER_SLICE`` teachers at a time. Neither may change
a byte of what the contract (§3.1) and the tables' documentation describe, and a failure on
either side must stop the other and reach the caller.
"""

from __future__ import annotations

import datetime as dt
import errno
import io
import json
import tempfile
import threading
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ability2
from ability2 import resultjson as jsonout
from ability2 import tables
from ability2.errors import Ability2Error
from ability2.reports import write_report
from ability2.reports.export import write_csv_frames, write_frame, write_tables

ON = {"hebei": dt.date(2022, 6, 1), "shandong/jining/yanzhou": dt.date(2022, 11, 21)}

ROW = st.fixed_dictionaries(
    {
        "school": st.sampled_from(["实验小学", "一中", "=S"]),
        "group": st.sampled_from(["", "数学", "语文"]),
        "subject": st.sampled_from(["数学", "语文", ""]),
        "online_hours": st.sampled_from(["0", "10", "25.5", "50"]),
        "offline_hours": st.sampled_from(["0", "25", "32.25"]),
        "chosen": st.sampled_from(
            [("A1;B2;C4", ""), ("A1;B2;C4", "合格;合格;优秀"), ("A1", "不合格"), ("A1;A2;B1;C7", "合格;合格;合格;优秀")]
        ),
    }
).map(
    lambda row: {
        **{k: v for k, v in row.items() if k != "chosen"},
        "abilities": row["chosen"][0],
        "grades": row["chosen"][1],
    }
)

FIXED = {
    "group": "数学",
    "subject": "数学",
    "online_hours": "25.5",
    "offline_hours": "25",
    "abilities": "A1;B2;C4",
    "grades": "合格;合格;优秀",
}
REGISTRY = ability2.load_registry()


def _evaluate(rows: list[dict[str, str]], region: str) -> ability2.Result:
    frame = pd.DataFrame([{"teacher_id": f"T{i}", **row} for i, row in enumerate(rows)])
    return ability2.evaluate(frame, REGISTRY.policy(region, on=ON[region]))


def _cells(series: pd.Series) -> list[Any]:
    return [v if isinstance(v, list) else None if pd.isna(v) else v for v in series.tolist()]


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(ROW, min_size=1, max_size=20), st.sampled_from(sorted(ON)), st.integers(1, 7))
def test_the_teachers_table_in_slices_is_the_documented_table(
    rows: list[dict[str, str]], region: str, step: int
) -> None:
    result = _evaluate(rows, region)
    slices = list(tables.table_frames(result, "teachers", rows=step))
    assert len(slices) == -(-len(result) // step)
    joined = pl.concat(slices)
    expected = result.teachers  # the table Result.teachers documents
    assert joined.columns == [str(c) for c in expected.columns]
    for column in expected.columns:
        assert joined[str(column)].to_list() == _cells(expected[column])
    assert joined.equals(tables.table_frame(result, "teachers"))


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(ROW, min_size=1, max_size=20), st.sampled_from(sorted(ON)), st.integers(1, 7))
def test_a_csv_written_in_slices_is_the_csv_of_the_whole_table(
    rows: list[dict[str, str]], region: str, step: int
) -> None:
    result = _evaluate(rows, region)
    sliced = io.BytesIO()
    write_csv_frames(tables.table_frames(result, "teachers", rows=step), sliced)
    with tempfile.TemporaryDirectory() as folder:
        write_frame(tables.table_frame(result, "teachers"), Path(folder) / "whole.csv", "csv")
        whole = (Path(folder) / "whole.csv").read_bytes()
    assert sliced.getvalue() == whole
    assert sliced.getvalue().count(b"\xef\xbb\xbf") == 1  # one byte-order mark, one header
    assert sliced.getvalue().count(b"teacher_id,") == 1


def test_write_tables_joins_its_slices(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = _evaluate([{**FIXED, "school": f"S{i % 3}"} for i in range(11)], "hebei")
    write_tables(result, tmp_path / "whole", "csv")
    monkeypatch.setattr(tables, "TEACHER_SLICE", 2)
    write_tables(result, tmp_path / "sliced", "csv")
    for name in tables.TABLES:
        assert (tmp_path / "sliced" / f"{name}.csv").read_bytes() == (tmp_path / "whole" / f"{name}.csv").read_bytes()
    read = pl.read_csv(tmp_path / "sliced" / "teachers.csv")
    assert read["teacher_id"].to_list() == [f"T{i}" for i in range(11)]


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(ROW, min_size=1, max_size=20), st.sampled_from(sorted(ON)))
def test_the_groups_table_is_the_documented_table(rows: list[dict[str, str]], region: str) -> None:
    result = _evaluate(rows, region)
    frame = tables.table_frame(result, "groups")
    expected = result.groups
    assert frame.columns == [str(c) for c in expected.columns]
    for column in expected.columns:
        assert frame[str(column)].to_list() == _cells(expected[column])
    if len(frame):  # (a table with no rows has text columns, as before)
        assert frame.schema["teachers"] == pl.Int64
        assert all(frame.schema[c.rule] == pl.Boolean for c in result.group_columns)


def _result(size: int = 30) -> ability2.Result:
    frame = pd.DataFrame(
        {
            "teacher_id": [f"T{i}" for i in range(size)],
            "school": [f"S{i % 4}" for i in range(size)],
            "group": [f"G{i % 3}" for i in range(size)],
            "online_hours": [str(10 + i) for i in range(size)],
            "offline_hours": ["30"] * size,
            "abilities": ["A1;B2;C4"] * size,
        }
    )
    return ability2.evaluate(frame, REGISTRY.policy("hebei", on=dt.date(2022, 1, 1)))


class _FullDisk(io.RawIOBase):
    """A binary file that takes ``room`` writes, then fails as a full disk does."""

    def __init__(self, room: int) -> None:
        self.room, self.calls, self.data = room, 0, bytearray()

    def writable(self) -> bool:
        return True

    def write(self, piece: Any) -> int:
        self.calls += 1
        if self.calls > self.room:
            raise OSError(errno.ENOSPC, "No space left on device")
        self.data += bytes(piece)
        return len(piece)


def test_a_failed_write_stops_the_report_and_reaches_the_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonout, "SLICE", 3)
    result = _result()
    threads = threading.active_count()
    disk = _FullDisk(room=2)
    with pytest.raises(OSError, match="No space left"):
        jsonout.write_json(result, disk)
    assert threading.active_count() == threads  # the writer thread has ended
    assert disk.calls <= 2 + 1 + jsonout._AHEAD + 1  # the rendering stopped soon after, it did not run to the end
    assert result.to_json().encode().startswith(bytes(disk.data))  # what was written is the report's beginning


def test_a_failure_while_rendering_stops_the_writer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonout, "SLICE", 3)
    result = _result()
    render = jsonout._Entries.render
    calls = []

    def failing(self: jsonout._Entries, *args: Any, **kwargs: Any) -> bytes:
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("rendering failed")
        return render(self, *args, **kwargs)

    monkeypatch.setattr(jsonout._Entries, "render", failing)
    threads = threading.active_count()
    disk = _FullDisk(room=10**6)
    with pytest.raises(RuntimeError, match="rendering failed"):
        jsonout.write_jsonl(result, disk)
    assert threading.active_count() == threads
    lines = bytes(disk.data).decode().splitlines()
    assert len(lines) == 1 + 2 * 3  # the header line and the two slices rendered before the failure
    assert all(json.loads(line) for line in lines)


def test_a_report_that_cannot_be_written_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ability2.files

    monkeypatch.setattr(jsonout, "SLICE", 3)
    target = tmp_path / "report.json"

    def full(temporary: Path) -> Any:
        return io.BufferedWriter(_FullDisk(room=1), buffer_size=8)

    monkeypatch.setattr(ability2.files, "open_temporary", full)
    with pytest.raises(Ability2Error):
        write_report(_result(), target, "json")
    assert list(tmp_path.iterdir()) == []


def test_the_json_from_a_polars_id_column_is_the_same_document() -> None:
    """A result that keeps its ids as a polars column (``Result.text_column``) writes the same JSON."""
    result = _result(12)
    expected = json.dumps(result.to_dict("zh"), ensure_ascii=False)
    ids = pl.Series([str(t) for t in result.teacher_ids], dtype=pl.String)
    result.text_column = lambda name: ids if name == "teacher_id" else None  # type: ignore[attr-defined]
    assert result.to_json("zh") == expected
    stream = io.BytesIO()
    jsonout.write_json(result, stream)
    assert stream.getvalue() == (expected + "\n").encode()
