"""Bounded reading of rosters (issue 10, items 1, 2, 5): refused by content, never by bounding box."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import xlsxwriter

import ability2
from ability2.limits import limited


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """These tests are about what is found and refused, read in English (the languages themselves are
    tested in tests/test_messages.py, test_input_messages.py and test_policy_messages.py)."""
    from ability2.messages import language

    with language("en"):
        yield


def workbook(path: Path, far: tuple[int, int] | None = None, filler: int = 0) -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    for col, name in enumerate(("teacher_id", "school", "online_hours", "offline_hours", "abilities", "备注")):
        sheet.write(0, col, name)
    for col, value in enumerate(("T1", "S1", "20", "30", "A1;B2;C4", "x" * filler)):
        sheet.write_string(1, col, value)
    if far is not None:
        sheet.write_string(far[0], far[1], " ")
    sheet.write_blank(1048574, 16382, None, book.add_format({"bold": True}))  # a formatted blank: not content
    book.close()
    return path


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ability2", *args, "--lang", "en"], capture_output=True, text=True, timeout=120, check=False
    )


def test_a_stray_cell_at_xfd1048576_is_refused_without_allocating_the_sheet(tmp_path: Path) -> None:
    path = workbook(tmp_path / "far.xlsx", far=(1048575, 16383))
    done = run("evaluate", str(path), "--region", "hebei", "--on", "2022-01-01")
    assert done.returncode == 2, done.stderr
    assert (
        "far.xlsx" in done.stderr
        and "1,048,576 rows × 16,384 columns" in done.stderr
        and "Traceback" not in done.stderr
    )


def test_a_formatted_blank_far_away_does_not_stop_a_good_workbook(tmp_path: Path) -> None:
    roster = ability2.read_roster(workbook(tmp_path / "ok.xlsx"))
    assert len(roster) == 1


def test_a_workbook_that_unpacks_past_the_limit_is_refused(tmp_path: Path) -> None:
    path = workbook(tmp_path / "bomb.xlsx", filler=30000)
    assert path.stat().st_size < 20_000  # 30,000 characters compress to almost nothing
    with (
        limited(max_unpacked_bytes=20_000),
        pytest.raises(ability2.RosterError, match=r"bomb.xlsx:-:-: cannot read workbook: the workbook unpacks to"),
    ):
        ability2.read_roster(path)
    assert len(ability2.read_roster(path)) == 1  # the default limit reads it


def test_a_file_past_the_size_limit_and_a_device_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(
        "teacher_id,school,online_hours,offline_hours,abilities\n" + "T1,S1,20,30,A1\n" * 100, encoding="utf-8"
    )
    with (
        limited(max_file_bytes=1000),
        pytest.raises(ability2.RosterError, match=r"r.csv:-:-: too large: more than .*limit max_file_bytes"),
    ):
        ability2.read_roster(path)
    with pytest.raises(ability2.RosterError, match="not a regular file"):
        ability2.read_roster("/dev/zero")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(ability2.RosterError, match="not a regular file"):
        ability2.read_roster(fifo)


def test_dev_zero_on_the_command_line_is_exit_2() -> None:
    done = run("evaluate", "/dev/zero", "--region", "hebei", "--on", dt.date(2022, 1, 1).isoformat())
    assert done.returncode == 2 and "/dev/zero" in done.stderr


def test_a_utf8_file_with_one_gbk_line_names_the_line(tmp_path: Path) -> None:
    # decoding the whole file as GB18030 would garble every other school name without a word
    path = tmp_path / "mixed.csv"
    head = "teacher_id,school,online_hours,offline_hours,abilities\nT1,实验小学,20,30,A1;B2;C4\n".encode()
    path.write_bytes(head + "T2,实验小学,20,30,A1;B2;C4\n".encode("gbk") + "T3,实验小学,20,30,A1;B2;C4\n".encode())
    with pytest.raises(ability2.RosterError, match=r"mixed.csv:3:-: not UTF-8 text, though the rest of the file is"):
        ability2.read_roster(path)
    whole_gbk = tmp_path / "gbk.csv"
    whole_gbk.write_bytes(
        ("teacher_id,school,online_hours,offline_hours,abilities\nT1,实验小学,20,30,A1;B2;C4\n").encode("gbk")
    )
    assert list(ability2.read_roster(whole_gbk).school) == ["实验小学"]


def test_a_high_file_limit_reserves_only_what_the_file_holds(tmp_path: Path) -> None:
    """read(n) reserves n bytes: with the limit raised to 64 GB a small roster still reads."""
    path = tmp_path / "r.csv"
    path.write_text("teacher_id,school,online_hours,offline_hours,abilities\nT1,S,1,1,A1\n", encoding="utf-8")
    with limited(max_file_bytes=64 * 1024**3):
        assert len(ability2.read_roster(path)) == 1
