"""The teachers, groups and schools tables as CSV and Parquet files (issue 11)."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pandas as pd
import polars as pl
import pytest

import ability2
from ability2.cli import main
from ability2.errors import Ability2Error
from ability2.messages import language
from ability2.reports.export import TABLES, write_tables

ROWS = pd.DataFrame(
    {
        "teacher_id": ["T1", "T2", "T3", "T4"],
        "school": ['=HYPERLINK("http://x")', '=HYPERLINK("http://x")', "二中", "二中"],
        "group": ["数学", "", "语文", "语文"],
        "online_hours": ["20", "10", "25", "30"],
        "offline_hours": ["30", "5", "30", "30"],
        "abilities": ["A1;B2;C4", "A1", "A3;B1;C2", "A5;B6;C7"],
        "备注": ["-1", "ok", "@home", None],
    }
)


def result() -> ability2.Result:
    return ability2.evaluate(ROWS, ability2.load_registry().policy("hebei", on=dt.date(2022, 1, 1)))


def test_parquet_tables_hold_the_python_tables(tmp_path: Path) -> None:
    evaluated = result()
    written = write_tables(evaluated, tmp_path / "out", "parquet")
    assert [p.name for p in written] == ["teachers.parquet", "groups.parquet", "schools.parquet"]
    for name in TABLES:
        expected = getattr(evaluated, name)
        read = pl.read_parquet(tmp_path / "out" / f"{name}.parquet")
        assert read.columns == [str(c) for c in expected.columns]
        for column in expected.columns:
            # a list cell (failed_rules) as it is, a missing value as None
            cells = [v if isinstance(v, list) else None if pd.isna(v) else v for v in expected[column].tolist()]
            assert read[str(column)].to_list() == cells
    teachers = pl.read_parquet(tmp_path / "out" / "teachers.parquet")
    # typed: verdicts are booleans, text stays as written (no formula guard in a data file)
    assert teachers.schema["hours.total_min"] == pl.Boolean
    assert teachers["school"][0] == '=HYPERLINK("http://x")'
    assert teachers["status"].to_list() == list(evaluated.teachers["status"])


def test_csv_tables_open_in_a_spreadsheet_as_text(tmp_path: Path) -> None:
    evaluated = result()
    write_tables(evaluated, tmp_path, "csv")
    raw = (tmp_path / "teachers.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM: Excel reads the Chinese as UTF-8
    with open(tmp_path / "teachers.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["teacher_id"] for r in rows] == ["T1", "T2", "T3", "T4"]
    # cells a spreadsheet would run as formulas are written as text
    assert rows[0]["school"] == '\'=HYPERLINK("http://x")'
    assert [r["备注"] for r in rows] == ["'-1", "ok", "'@home", ""]
    assert [r["status"] for r in rows] == list(evaluated.teachers["status"])
    with open(tmp_path / "schools.csv", encoding="utf-8-sig", newline="") as handle:
        schools = list(csv.DictReader(handle))
    assert [s["school"] for s in schools] == ['\'=HYPERLINK("http://x")', "二中"]
    assert [int(s["teachers"]) for s in schools] == [2, 2]


def test_an_unknown_format_or_a_file_for_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(Ability2Error, match="未知的表格格式“feather”"):  # Chinese by default
        write_tables(result(), tmp_path, "feather")
    (tmp_path / "file").write_text("x")
    with language("en"), pytest.raises(Ability2Error, match="it is a file"):
        write_tables(result(), tmp_path / "file", "csv")
    with language("en"), pytest.raises(Ability2Error, match="does not exist"):
        write_tables(result(), tmp_path / "no" / "such", "csv")


def roster_file(tmp_path: Path) -> Path:
    path = tmp_path / "roster.csv"
    ROWS.to_csv(path, index=False)
    return path


def test_the_cli_writes_a_folder_of_tables(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    roster = roster_file(tmp_path)
    code = main(
        [
            "evaluate",
            str(roster),
            "--region",
            "hebei",
            "--on",
            "2022-01-01",
            "--format",
            "parquet",
            "-o",
            str(tmp_path / "t"),
        ]
    )
    assert code == 0
    assert sorted(p.name for p in (tmp_path / "t").iterdir()) == [
        "groups.parquet",
        "schools.parquet",
        "teachers.parquet",
    ]
    assert "teachers.parquet" in capsys.readouterr().err


def test_the_cli_needs_a_folder_and_keeps_the_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    roster = roster_file(tmp_path)
    assert main(["evaluate", str(roster), "--region", "hebei", "--format", "csv"]) == 2
    assert "请用 -o 文件夹" in capsys.readouterr().err
    assert main(["evaluate", str(roster), "--region", "hebei", "--format", "csv", "--lang", "en"]) == 2
    assert "-o FOLDER" in capsys.readouterr().err
    teachers = tmp_path / "teachers.csv"
    roster.rename(teachers)
    assert main(["evaluate", str(teachers), "--region", "hebei", "--format", "csv", "-o", str(tmp_path)]) == 2
    assert "会覆盖输入文件" in capsys.readouterr().err
    assert teachers.read_text(encoding="utf-8").startswith("teacher_id,school")


def test_the_cli_writes_json_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    roster = roster_file(tmp_path)
    assert main(["evaluate", str(roster), "--region", "hebei", "--on", "2022-01-01", "--format", "jsonl"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    records = [line["record"] for line in lines]
    assert records[:9] == ["result"] + ["teacher"] * 4 + ["group"] * 2 + ["school"] * 2
    assert set(records[9:]) <= {"unchecked"}
    target = tmp_path / "out.jsonl"
    assert (
        main(
            ["evaluate", str(roster), "--region", "hebei", "--on", "2022-01-01", "--format", "jsonl", "-o", str(target)]
        )
        == 0
    )
    assert [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()] == lines


def test_csv_headers_are_guarded_and_rates_stay_floats(tmp_path: Path) -> None:
    frame = ROWS.rename(columns={"备注": "=cmd|calc!A1"})
    evaluated = ability2.evaluate(frame, ability2.load_registry().policy("hebei", on=dt.date(2022, 1, 1)))
    write_tables(evaluated, tmp_path, "csv")
    header = (tmp_path / "teachers.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert "'=cmd|calc!A1" in header.split(",")
    write_tables(evaluated, tmp_path, "parquet")
    schools = pl.read_parquet(tmp_path / "schools.parquet")
    assert all(schools.schema[c] == pl.Float64 for c in schools.columns if c.endswith("_rate"))
