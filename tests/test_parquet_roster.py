"""Parquet rosters (issue 11): read as a DataFrame is, measured by their own metadata before reading."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ability2.io import read_roster
from ability2.io.parquet_extent import ParquetTooLarge, check_parquet
from ability2.limits import limited
from ability2.roster import RosterError


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """These tests are about what is found and refused, read in English (the languages themselves are
    tested in tests/test_messages.py, test_input_messages.py and test_policy_messages.py)."""
    from ability2.messages import language

    with language("en"):
        yield

ROSTER = pl.DataFrame(
    {
        "教师编号": ["007", "008", "009"],
        "学校": ["一小", "一小", "二小"],
        "线上学时": [20.0, 25.5, 30.0],
        "线下学时": [30, 10, 0],
        "能力点": ["A1;B2;C4", "A3", "B10 C7"],
        "考核结果": ["优秀;合格;合格", None, ""],
    }
)
LIMITS = {"max_rows": 100_000, "max_unpacked_bytes": 10**9, "max_unpacked_ratio": 100.0}


def parquet_bytes(frame: pl.DataFrame = ROSTER, **options: object) -> bytes:
    handle = io.BytesIO()
    frame.write_parquet(handle, **options)  # type: ignore[arg-type]
    return handle.getvalue()


def problems_of(path: Path) -> list[str]:
    with pytest.raises(RosterError) as info:
        read_roster(path)
    return [f"{p.row}:{p.column}:{p.message}" for p in info.value.problems]


def test_a_parquet_roster_reads_like_its_csv(tmp_path: Path) -> None:
    path = tmp_path / "roster.parquet"
    path.write_bytes(parquet_bytes())
    roster = read_roster(path)
    csv = tmp_path / "roster.csv"
    ROSTER.write_csv(csv)
    from_csv = read_roster(csv)
    assert list(roster.teacher_id) == ["007", "008", "009"]  # text stays text: zeros kept
    assert list(roster.online) == [2000, 2550, 3000]  # 25.5 as a spreadsheet shows it
    for field in ("online", "offline", "ability_offsets", "ability_codes", "grades"):
        assert np.array_equal(getattr(roster, field), getattr(from_csv, field)), field
    assert list(roster.school) == list(from_csv.school)


def test_a_parquet_file_is_known_by_its_bytes_and_its_problems_by_row(tmp_path: Path) -> None:
    path = tmp_path / "export.dat"  # no suffix to go by
    path.write_bytes(parquet_bytes(ROSTER.with_columns(pl.Series("线下学时", [30, -1, 0]))))
    assert problems_of(path) == ["3:offline_hours:negative hours: -1 (must be ≥ 0)"]


@pytest.mark.parametrize("compression", ["zstd", "snappy", "gzip", "lz4", "uncompressed"])
def test_the_metadata_measures_every_compression(compression: str) -> None:
    frame = pl.DataFrame({"x": [f"row {i}" for i in range(5000)], "y": list(range(5000))})
    extent = check_parquet(parquet_bytes(frame, compression=compression, row_group_size=1000), **LIMITS)  # type: ignore[arg-type]
    assert extent.rows == 5000 and extent.columns == 10 and extent.unpacked_bytes > 0


def test_rows_beyond_the_limit_are_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "r.parquet"
    path.write_bytes(parquet_bytes(pl.concat([ROSTER] * 10)))
    with limited(max_rows=20):
        assert problems_of(path) == [
            "None:None:cannot read Parquet file: too many rows: 30; at most 20 are read "
            "(limit max_rows; --limit max_rows=N raises it)"
        ]


def test_a_repeated_dictionary_value_is_counted_as_the_text_it_becomes(tmp_path: Path) -> None:
    """A 30 KB value on 100,000 rows is a few kilobytes of Parquet and 3 GB of cells."""
    frame = pl.select(pl.repeat("x" * 30_000, 100_000, dtype=pl.String).alias("教师编号"))
    path = tmp_path / "bomb.parquet"
    path.write_bytes(parquet_bytes(frame, compression="zstd"))
    assert path.stat().st_size < 100_000
    [problem] = problems_of(path)
    assert "cannot read Parquet file: its cells hold 3,000,000,000 bytes of text" in problem
    assert "max_unpacked_ratio" in problem


def test_text_past_the_byte_limit_is_refused_whatever_the_source(tmp_path: Path) -> None:
    """The total text of a roster's cells is held to max_unpacked_bytes for CSV and DataFrames too."""
    frame = pl.DataFrame({"教师编号": ["x" * 1000] * 100})
    with limited(max_unpacked_bytes=50_000), pytest.raises(RosterError, match="too much text: the cells hold 100,000"):
        read_roster(frame)


# --------------------------------------------------------------------------- hand-made metadata


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def zigzag(n: int) -> bytes:
    return varint((n << 1) ^ (n >> 63))


def fields(*items: tuple[int, int, bytes]) -> bytes:
    """A Thrift compact struct: (field id, type, encoded value), ids increasing by at most 15."""
    out, last = bytearray(), 0
    for field, kind, value in items:
        out.append(((field - last) << 4) | kind)
        out += value
        last = field
    return bytes(out) + b"\x00"


def i64(n: int) -> tuple[int, bytes]:
    return 6, zigzag(n)


def struct_list(items: list[bytes]) -> bytes:
    return (
        bytes([(min(len(items), 15) << 4) | 12]) + (varint(len(items)) if len(items) >= 15 else b"") + b"".join(items)
    )


def parquet_file(*, page_unpacked: int, page_packed: int = 4, chunk_unpacked: int = 100, rows: int = 3) -> bytes:
    """PAR1, one page (header and data), a footer with one row group of one column chunk, PAR1."""
    page = fields((1, 5, zigzag(0)), (2, 5, zigzag(page_unpacked)), (3, 5, zigzag(page_packed))) + b"\x00" * 4
    column_meta = fields((5, *i64(rows)), (6, *i64(chunk_unpacked)), (7, *i64(len(page))), (9, *i64(4)))
    chunk = fields((2, *i64(4)), (3, 12, column_meta))
    group = fields((1, 9, struct_list([chunk])), (2, *i64(chunk_unpacked)), (3, *i64(rows)))
    footer = fields((1, 5, zigzag(1)), (3, *i64(rows)), (4, 9, struct_list([group])))
    return b"PAR1" + page + footer + struct.pack("<I", len(footer)) + b"PAR1"


def test_hand_made_metadata_is_measured() -> None:
    assert check_parquet(parquet_file(page_unpacked=50), **LIMITS).unpacked_bytes == 100  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (parquet_file(page_unpacked=2**31 - 1), "a page claims more bytes than its column chunk holds"),
        (parquet_file(page_unpacked=10, chunk_unpacked=2**40), "unpacks to more than"),
        (parquet_file(page_unpacked=10, page_packed=2**20), "a page claims more bytes"),
        (parquet_file(page_unpacked=10, rows=2**40), "too many rows"),
        (b"PAR1" + b"\x00" * 8 + struct.pack("<I", 2**31) + b"PAR1", "footer's length points outside the file"),
        (b"PAR1" + b"\x19\xfc" + varint(2**40) + b"\x00" + struct.pack("<I", 9) + b"PAR1", "longer than the metadata"),
        (b"PAR1" + b"\x1c" * 40 + struct.pack("<I", 40) + b"PAR1", "nested more than"),
        (b"PAR1" + b"\x16" + b"\xff" * 12 + struct.pack("<I", 13) + b"PAR1", "too long"),
    ],
)
def test_lying_metadata_is_refused(raw: bytes, message: str) -> None:
    with pytest.raises(ParquetTooLarge, match=message):
        check_parquet(raw, **LIMITS)  # type: ignore[arg-type]


def test_a_lying_page_is_refused_quickly_and_small(tmp_path: Path) -> None:
    """The checked file in a fresh process: exit 2 in well under 10 s and 500 MB."""
    path = tmp_path / "lie.parquet"
    path.write_bytes(parquet_file(page_unpacked=2**31 - 1))
    code = (
        "import re, sys; from ability2.cli import main; rc = main(['evaluate', sys.argv[1], '--region', 'guangxi', '--lang', 'en']);"
        "print(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)); sys.exit(rc)"
    )
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert time.perf_counter() - start < 10
    assert int(done.stdout.split()[-1]) < 500 * 1024
    assert "a page claims more bytes than its column chunk holds" in done.stderr


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_damaged_parquet_is_a_roster_error_never_a_crash(tmp_path: Path, data: st.DataObject) -> None:
    """Property: any byte of a real file changed, or the file cut short: a Roster or a RosterError."""
    raw = bytearray(parquet_bytes(compression=data.draw(st.sampled_from(["zstd", "snappy", "uncompressed"]))))
    for _ in range(data.draw(st.integers(1, 4))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        raw = raw[: data.draw(st.integers(0, len(raw)))]
    path = tmp_path / "damaged.parquet"
    path.write_bytes(bytes(raw))
    try:
        read_roster(path)
    except RosterError as error:
        assert error.problems


def test_threads_reading_damaged_parquet_leave_standard_error_as_it_was(tmp_path: Path) -> None:
    """The panic guard swaps file descriptor 2; threads take turns, and it is put back."""
    import contextlib
    import os
    import threading

    raw = bytearray(parquet_bytes(compression="uncompressed"))
    raw[len(raw) // 3] ^= 0xFF
    path = tmp_path / "damaged.parquet"
    path.write_bytes(bytes(raw))
    before = os.fstat(2)

    def read_many() -> None:
        for _ in range(30):
            with contextlib.suppress(RosterError):
                read_roster(path)

    threads = [threading.Thread(target=read_many) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    after = os.fstat(2)
    assert (after.st_dev, after.st_ino) == (before.st_dev, before.st_ino)
