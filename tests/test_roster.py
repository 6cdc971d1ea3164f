"""Reading rosters (contract §2): CSV, XLSX and DataFrames; every problem listed."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ability2.framework import load_framework
from ability2.io import read_roster
from ability2.messages import render
from ability2.roster import (
    GRADE_EXCELLENT,
    GRADE_FAIL,
    GRADE_PASS,
    GRADE_UNGRADED,
    Roster,
    RosterError,
    RosterProblem,
)

CODES = [a.code for a in load_framework().abilities]
INDEX = {code: i for i, code in enumerate(CODES)}

CANONICAL = (
    "teacher_id,name,school,group,subject,online_hours,offline_hours,abilities,grades,excellent_video,peer_reviews"
)
CHINESE = "教师编号,姓名,学校,教研组,学科,线上学时,线下学时,能力点,考核结果,优秀视频,互评"
ROWS = [
    "T001,张三,白塔小学,语文组,语文,30,20.5,A1;B2;C4,优秀;合格;不合格,是,否",
    "T002,李四,白塔小学,数学组,数学,25.25,0,A3,pass,no,yes",
    "T003,王五,金坛中学,,英语,0,10,B10 C7,,,",
]


def en(problem: RosterProblem) -> str:
    """The problem's message in English: these tests are about what the reader finds, not its language."""
    return render(problem.message, "en")


def write_csv(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def problems_of(source: object) -> list[RosterProblem]:
    with pytest.raises(RosterError) as info:
        read_roster(source)  # type: ignore[arg-type]
    return list(info.value.problems)


def abilities_of(roster: Roster, i: int) -> list[str]:
    start, end = roster.ability_offsets[i], roster.ability_offsets[i + 1]
    return [CODES[c] for c in roster.ability_codes[start:end]]


def grades_of(roster: Roster, i: int) -> list[int]:
    start, end = roster.ability_offsets[i], roster.ability_offsets[i + 1]
    return [int(g) for g in roster.grades[start:end]]


def check_sample(roster: Roster) -> None:
    """The three ROWS, encoded."""
    assert len(roster) == 3
    assert list(roster.teacher_id) == ["T001", "T002", "T003"]
    assert list(roster.school) == ["白塔小学", "白塔小学", "金坛中学"]
    assert roster.name is not None and list(roster.name) == ["张三", "李四", "王五"]
    assert roster.group is not None and list(roster.group) == ["语文组", "数学组", ""]
    assert roster.subject is not None and list(roster.subject) == ["语文", "数学", "英语"]
    assert roster.online.dtype == np.int64 and list(roster.online) == [3000, 2525, 0]
    assert roster.offline.dtype == np.int64 and list(roster.offline) == [2050, 0, 1000]
    assert roster.ability_offsets.dtype == np.int64 and list(roster.ability_offsets) == [0, 3, 4, 6]
    assert roster.ability_codes.dtype == np.int8
    assert [abilities_of(roster, i) for i in range(3)] == [["A1", "B2", "C4"], ["A3"], ["B10", "C7"]]
    assert roster.grades.dtype == np.int8
    assert [grades_of(roster, i) for i in range(3)] == [
        [GRADE_EXCELLENT, GRADE_PASS, GRADE_FAIL],
        [GRADE_PASS],
        [GRADE_UNGRADED, GRADE_UNGRADED],
    ]
    assert roster.has_grades
    assert roster.excellent_video is not None and list(roster.excellent_video) == [1, 0, -1]
    assert roster.peer_reviews is not None and list(roster.peer_reviews) == [0, 1, -1]
    assert roster.excellent_video.dtype == np.int8
    assert roster.teacher_id.dtype == object and roster.school.dtype == object


# --------------------------------------------------------------------------- headers


def test_canonical_headers(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "r.csv", [CANONICAL, *ROWS])
    roster = read_roster(path)
    check_sample(roster)
    assert roster.source == str(path)
    assert roster.headers == {name: name for name in CANONICAL.split(",")}
    assert roster.extra_columns == ()
    assert roster.frame.columns == CANONICAL.split(",")
    # text as read, except the hours: numbers (issue 13, item 5)
    hours = {"online_hours", "offline_hours"}
    assert all(dtype == pl.String for name, dtype in roster.frame.schema.items() if name not in hours)
    assert all(roster.frame.schema[name] == pl.Float64 for name in hours)
    assert roster.frame.row(0)[:3] == ("T001", "张三", "白塔小学")


def test_a_column_is_read_without_making_the_whole_frame_and_reads_as_the_frame_shows_it(tmp_path: Path) -> None:
    # the reader holds repeated texts coded; one column is made alone, the frame on first access
    path = write_csv(tmp_path / "r.csv", [CANONICAL + ",备注", *(row + ",注" for row in ROWS)])
    roster = read_roster(path)
    alone = {name: roster.column(name) for name in [*CANONICAL.split(","), "备注"]}
    assert roster.coded_texts  # still coded: no column read made the frame
    assert roster.column("no such column") is None
    assert alone["school"] is not None and alone["school"].to_list() == ["白塔小学", "白塔小学", "金坛中学"]
    assert alone["online_hours"] is not None and alone["online_hours"].to_list() == [30.0, 25.25, 0.0]
    assert list(roster.extras) == ["备注"] and roster.extras["备注"].to_list() == ["注", "注", "注"]
    frame = roster.frame
    assert frame.columns == [*CANONICAL.split(","), "备注"]
    for name, values in alone.items():
        assert values is not None and frame.get_column(name).equals(values), name
    assert roster.frame is frame  # made once
    assert len(roster) == 3
    # the frame is a cache: the coded texts stay, and a column reads the same after it
    assert roster.coded_texts and roster.column_order
    assert all(roster.column(name).equals(values) for name, values in alone.items())  # type: ignore[union-attr]
    assert not roster.coded_texts["school"].index.flags.writeable  # shared with Roster.factorize: never written


def test_threads_reading_a_fresh_roster_at_once_all_see_every_column(tmp_path: Path) -> None:
    import pickle
    import threading

    path = write_csv(tmp_path / "r.csv", [CANONICAL, *ROWS])
    frozen = pickle.dumps(read_roster(path))
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for _ in range(200):
            roster = pickle.loads(frozen)
            seen: list[object] = []

            def read(which: int, roster: Roster = roster, seen: list[object] = seen) -> None:
                seen.append(roster.frame.get_column("school").to_list() if which % 2 else roster.column("school"))

            threads = [threading.Thread(target=read, args=(i,)) for i in range(6)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert len(seen) == len(threads)  # no thread failed
            assert all(
                (value if isinstance(value, list) else value.to_list())  # type: ignore[union-attr]
                == ["白塔小学", "白塔小学", "金坛中学"]
                for value in seen
            )
    finally:
        sys.setswitchinterval(interval)


def test_chinese_headers(tmp_path: Path) -> None:
    roster = read_roster(write_csv(tmp_path / "r.csv", [CHINESE, *ROWS]))
    check_sample(roster)
    assert roster.headers["teacher_id"] == "教师编号"
    assert roster.headers["online_hours"] == "线上学时"
    assert roster.frame.columns == CANONICAL.split(",")


def test_mixed_order_case_and_whitespace(tmp_path: Path) -> None:
    names = CANONICAL.split(",")
    aliases = CHINESE.split(",")
    order = [10, 7, 0, 3, 5, 1, 9, 2, 8, 6, 4]
    header = [(f" {aliases[j]} " if j % 2 else names[j].upper() if j == 0 else names[j].title()) for j in order]
    lines = [",".join(header)] + [",".join(row.split(",")[j] for j in order) for row in ROWS]
    roster = read_roster(write_csv(tmp_path / "r.csv", lines))
    check_sample(roster)
    assert roster.headers["teacher_id"] == "TEACHER_ID"
    assert roster.headers["abilities"] == "能力点"
    assert roster.frame.columns == [names[j] for j in order]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pads=st.lists(
        st.tuples(st.sampled_from(["", " ", "  ", "\t", "\u3000"]), st.sampled_from(["", " ", "\t"])),
        min_size=33,
        max_size=33,
    )
)
def test_spaces_around_any_cell_read_as_if_stripped(tmp_path: Path, pads: list[tuple[str, str]]) -> None:
    """Contract §2 cells are read without their surrounding spaces: " 白塔小学 " is 白塔小学 (one school),
    " 30 " is 30 hours, and a row of spaces only is a blank row, left out."""
    cells = [row.split(",") for row in ROWS]
    padded = [
        ",".join(before + cell + after for cell, (before, after) in zip(row, pads[11 * i : 11 * i + 11], strict=True))
        for i, row in enumerate(cells)
    ]
    path = write_csv(tmp_path / "padded.csv", [CANONICAL, padded[0], " , ,\t", *padded[1:]])
    roster = read_roster(path)
    check_sample(roster)
    assert roster.frame.get_column("school").to_list() == ["白塔小学", "白塔小学", "金坛中学"]
    assert roster.frame.get_column("abilities").to_list() == ["A1;B2;C4", "A3", "B10 C7"]
    assert roster.factorize("school") is not None and roster.factorize("school").values == ("白塔小学", "金坛中学")
    assert list(roster.rows) == [2, 4, 5]  # the blank row (3) left out, the others named by their own row


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_encodings(tmp_path: Path, encoding: str) -> None:
    path = write_csv(tmp_path / f"r-{encoding}.csv", [CHINESE, *ROWS], encoding=encoding)
    check_sample(read_roster(path))


def test_undecodable_file(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes(CANONICAL.encode() + b"\n\xff\xfe\xff\x80\x80,x\n")
    [problem] = problems_of(path)
    assert problem.file == str(path) and problem.row is None
    assert "neither UTF-8 nor GB18030" in en(problem)


@pytest.mark.parametrize("delimiter", ["\t", ";"])
def test_tab_and_semicolon_delimiters(tmp_path: Path, delimiter: str) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    for line in [CANONICAL, *ROWS]:
        writer.writerow(next(csv.reader([line])))
    path = tmp_path / "r.txt"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    check_sample(read_roster(path))


def test_unknown_columns_are_kept(tmp_path: Path) -> None:
    lines = [
        "备注,teacher_id,school,online_hours,offline_hours,abilities,Email",
        "  第一 ,T1,S,1,2,A1,a@b.c",
        ",T2,S,3,4,B1,",
    ]
    roster = read_roster(write_csv(tmp_path / "r.csv", lines))
    assert roster.extra_columns == ("备注", "Email")
    assert roster.frame.columns == [
        "备注",
        "teacher_id",
        "school",
        "online_hours",
        "offline_hours",
        "abilities",
        "Email",
    ]
    assert roster.frame["Email"].to_list() == ["a@b.c", ""]
    assert roster.frame["备注"].to_list() == ["  第一 ", ""]
    assert roster.name is None and roster.group is None and roster.subject is None
    assert roster.excellent_video is None and roster.peer_reviews is None
    assert not roster.has_grades
    assert list(roster.grades) == [GRADE_UNGRADED, GRADE_UNGRADED]


def test_unnamed_columns(tmp_path: Path) -> None:
    lines = [
        "teacher_id,school,online_hours,offline_hours,abilities,,,",
        "T1,S,1,1,A1,,note,",
        "T2,S,1,1,A2,,,",
    ]
    roster = read_roster(write_csv(tmp_path / "r.csv", lines))
    assert roster.extra_columns == ("column_7",)
    assert roster.frame["column_7"].to_list() == ["note", ""]


def test_canonical_and_alias_for_the_same_column(tmp_path: Path) -> None:
    lines = ["teacher_id,school,学校,online_hours,offline_hours,abilities", "T1,S,S,1,1,A1"]
    [problem] = problems_of(write_csv(tmp_path / "r.csv", lines))
    assert problem.row == 1
    assert problem.column == "school"
    assert "'school'" in en(problem) and "'学校'" in en(problem)


# --------------------------------------------------------------------------- XLSX


def write_xlsx(path: Path, rows: list[list[object]], start_row: int = 0) -> Path:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("名单")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(start_row + r, c, value)
    workbook.add_worksheet("other").write(0, 0, "ignored")
    workbook.close()
    return path


def test_xlsx_title_row_and_numeric_ids(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [
            ["白塔小学参训教师名单"],
            [],
            ["教师编号", "姓名", "学校", "线上学时", "线下学时", "能力点", "考核结果", "互评", "备注"],
            [1001, "张三", "白塔小学", 30, 20.5, "A1;B2", "优秀 合格", 1, 12],
            ["007", "李四", "白塔小学", 12.25, 0, "c7", None, True, None],
            [1002.0, "王五", 3, 0.1 + 0.2, 4, "A13", "FAIL", "否", "x"],
        ],
    )
    roster = read_roster(path)
    assert list(roster.teacher_id) == ["1001", "007", "1002"]
    assert list(roster.school) == ["白塔小学", "白塔小学", "3"]
    assert list(roster.online) == [3000, 1225, 30]
    assert list(roster.offline) == [2050, 0, 400]
    assert [abilities_of(roster, i) for i in range(3)] == [["A1", "B2"], ["C7"], ["A13"]]
    assert [grades_of(roster, i) for i in range(3)] == [[2, 1], [-1], [0]]
    assert roster.peer_reviews is not None and list(roster.peer_reviews) == [1, 1, 0]
    assert roster.extra_columns == ("备注",)
    assert roster.frame["备注"].to_list() == ["12", "", "x"]
    assert roster.source == str(path)


def test_xlsx_problems_use_spreadsheet_rows(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [
            ["参训教师名单"],
            ["teacher_id", "school", "online_hours", "offline_hours", "abilities"],
            ["T1", "S", 1, 1, "A1"],
            ["T2", "S", -1, 1, "A1"],
        ],
        start_row=2,
    )
    [problem] = problems_of(path)
    assert (problem.row, problem.column) == (6, "online_hours")  # title on row 3
    assert problem.text("en") == f"{path}:6:online_hours: negative hours: -1 (must be ≥ 0)"
    assert str(problem) == f"{path}:6:线上学时: 学时为负数：-1（须 ≥ 0）"  # Chinese by default, the column by its alias


def test_corrupt_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(np.random.default_rng(7).integers(0, 256, 4000, dtype=np.uint8).tobytes())
    [problem] = problems_of(path)
    assert problem.file == str(path) and problem.row is None
    assert en(problem).startswith("cannot read workbook: ")


def test_truncated_xlsx(tmp_path: Path) -> None:
    good = write_xlsx(tmp_path / "good.xlsx", [["teacher_id"], ["T1"]])
    path = tmp_path / "cut.xlsx"
    path.write_bytes(good.read_bytes()[:300])
    [problem] = problems_of(path)
    assert en(problem).startswith("cannot read workbook: ")


def test_ole_file_named_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "locked.xlsx"  # an encrypted XLSX is an OLE2 container
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    [problem] = problems_of(path)
    assert en(problem).startswith("cannot read workbook: ")
    assert "password" in en(problem)


def test_text_saved_with_an_excel_suffix(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "export.xls", [CHINESE, *ROWS], encoding="gbk")
    check_sample(read_roster(path))


def test_missing_file(tmp_path: Path) -> None:
    [problem] = problems_of(tmp_path / "nope.csv")
    assert en(problem).startswith("cannot read file")


# --------------------------------------------------------------------------- DataFrames


def test_pandas_dataframe() -> None:
    frame = pd.DataFrame(
        {
            "教师编号": [1001, 7, 1003],
            "学校": ["S1", "S1", "S2"],
            "线上学时": [30.0, 12.5, np.nan],
            "offline_hours": [1, 2, 3],
            "能力点": ["A1;B2", "C7", "A2"],
            "优秀视频": [True, False, None],
            "extra": [None, 1.5, "x"],
        }
    )
    with pytest.raises(RosterError) as info:
        read_roster(frame)
    [problem] = info.value.problems
    assert problem.text("en") == "<DataFrame>:4:online_hours: empty: a number of hours is required"

    frame.loc[2, "线上学时"] = 0.1 + 0.2
    roster = read_roster(frame)
    assert roster.source == "<DataFrame>"
    assert list(roster.teacher_id) == ["1001", "7", "1003"]
    assert list(roster.online) == [3000, 1250, 30]
    assert list(roster.offline) == [100, 200, 300]
    assert roster.excellent_video is not None and list(roster.excellent_video) == [1, 0, -1]
    assert roster.frame["extra"].to_list() == ["", "1.5", "x"]
    assert roster.extra_columns == ("extra",)


def test_polars_dataframe() -> None:
    frame = pl.DataFrame(
        {
            "teacher_id": ["007", "008"],
            "school": ["S", "S"],
            "online_hours": [10, 20],
            "offline_hours": [1.25, 2.0],
            "abilities": ["A1、A2", "b3"],
            "grades": ["优秀、合格", None],
            "peer_reviews": [True, None],
        }
    )
    roster = read_roster(frame)
    assert list(roster.teacher_id) == ["007", "008"]
    assert list(roster.online) == [1000, 2000]
    assert list(roster.offline) == [125, 200]
    assert [grades_of(roster, i) for i in range(2)] == [[2, 1], [-1]]
    assert roster.peer_reviews is not None and list(roster.peer_reviews) == [1, -1]

    bad = frame.with_columns(pl.Series("abilities", ["A1、A2", "D1"]))
    [problem] = problems_of(bad)
    assert (problem.file, problem.row, problem.column) == ("<DataFrame>", 3, "abilities")
    assert "D1" in en(problem) and "A1–A13, B1–B10, C1–C7" in en(problem)


# --------------------------------------------------------------------------- problems


def test_missing_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "r.csv", ["teacher_id,school,offline_hours,abilities", "T1,S,1,A1"])
    [problem] = problems_of(path)
    assert problem.row is None
    assert problem.column == "online_hours"
    assert "'online_hours'" in en(problem) and "'线上学时'" in en(problem)
    assert str(problem).startswith(f"{path}:-:线上学时: ")  # Chinese by default: the column by its alias
    assert problem.text("en").startswith(f"{path}:-:online_hours: ")


def test_every_problem_in_row_order(tmp_path: Path) -> None:
    lines = [
        "teacher_id,school,online_hours,offline_hours,abilities,grades",
        "T1,S,-1,2,A1,",
        "T2,S,1,abc,A1,",
        "T3,S,1,2,A1;D1,",
        "T4,S,1,2,A1;B2,优秀",
        "T1,S,1,2,A1,",
        "T6,,1,2,A1,",
        "T7,S,1,2,A1,",
    ]
    path = write_csv(tmp_path / "r.csv", lines)
    with pytest.raises(RosterError) as info:
        read_roster(str(path))
    problems = info.value.problems
    assert [(p.row, p.column) for p in problems] == [
        (2, "online_hours"),
        (3, "offline_hours"),
        (4, "abilities"),
        (5, "grades"),
        (6, "teacher_id"),
        (7, "school"),
    ]
    assert all(p.file == str(path) for p in problems)
    assert [p.text("en") for p in problems] == [f"{p.file}:{p.row}:{p.column}: {en(p)}" for p in problems]
    assert "negative" in en(problems[0])
    assert "'abc'" in en(problems[1])
    assert "D1" in en(problems[2]) and "A1–A13, B1–B10, C1–C7" in en(problems[2])
    assert "1 grade(s)" in en(problems[3]) and "2 abilities" in en(problems[3])
    assert "'T1'" in en(problems[4]) and "row 2" in en(problems[4])
    assert "empty" in en(problems[5])
    text = str(info.value)
    assert text.startswith("花名册未通过检查：6 处问题\n")
    assert info.value.text("en").startswith("roster rejected: 6 problem(s)\n")
    assert f"{path}:5:考核结果: " in text


def test_more_problems_in_one_row(tmp_path: Path) -> None:
    lines = [
        "teacher_id,school,online_hours,offline_hours,abilities,grades,excellent_video,peer_reviews",
        ",,,,,,maybe,",
        "T2,S,1,1,A1;a1;X9;Q,好;excellent,,2",
    ]
    problems = problems_of(write_csv(tmp_path / "r.csv", lines))
    assert [(p.row, p.column.split(" ")[0] if p.column else None) for p in problems] == [
        (2, "teacher_id"),
        (2, "school"),
        (2, "online_hours"),
        (2, "offline_hours"),
        (2, "abilities"),
        (2, "excellent_video"),
        (3, "abilities"),
        (3, "abilities"),
        (3, "grades"),
        (3, "grades"),
        (3, "peer_reviews"),
    ]
    messages = [en(p) for p in problems]
    assert "X9, Q;" in messages[6]
    assert "A1 listed more than once" in messages[7]
    assert "2 grade(s) for 4 abilities" in messages[8]
    assert "好" in messages[9]


def test_ragged_row(tmp_path: Path) -> None:
    lines = ["teacher_id,school,online_hours,offline_hours,abilities", "T1,S,1,1,A1,extra", "T2,S,1,1,A2,,", "T3,S,1"]
    problems = problems_of(write_csv(tmp_path / "r.csv", lines))
    assert [(p.row, p.column) for p in problems] == [
        (2, None),
        (4, "offline_hours"),
        (4, "abilities"),
    ]
    assert "6 fields" in en(problems[0]) and "header has 5" in en(problems[0])


def test_unclosed_quote(tmp_path: Path) -> None:
    lines = ["teacher_id,school,online_hours,offline_hours,abilities", "T1,S,1,1,A1", '"T2,S,1,1,A1', "T3,S,1,1,A1"]
    [problem] = problems_of(write_csv(tmp_path / "r.csv", lines))
    assert (problem.row, problem.column) == (3, None)
    assert "quote" in en(problem)


def test_file_level_problems_come_first(tmp_path: Path) -> None:
    lines = ["teacher_id,school,学校,online_hours,abilities", "T1,S,S,1,A1", "T2,S,S,1,A1,x", "T3,S,S,-1,A1"]
    problems = problems_of(write_csv(tmp_path / "r.csv", lines))
    assert [(p.row, p.column) for p in problems] == [
        (None, "offline_hours"),
        (1, "school"),
        (3, None),
        (4, "online_hours"),
    ]


@pytest.mark.parametrize("hours", ["1.234", "0.001", "12.3456", "1e-3", "0.0100000000000000000000000000001"])
def test_hours_with_three_decimals_rejected(tmp_path: Path, hours: str) -> None:
    lines = ["teacher_id,school,online_hours,offline_hours,abilities", f"T1,S,{hours},1,A1"]
    [problem] = problems_of(write_csv(tmp_path / "r.csv", lines))
    assert "more than 2 decimal places" in en(problem)


@pytest.mark.parametrize(
    ("text", "hundredths"),
    [
        ("0", 0),
        ("7", 700),
        ("7.5", 750),
        ("7.05", 705),
        ("12.", 1200),
        (".5", 50),
        ("12.500", 1250),
        ("１２", 1200),
        ("+3", 300),
        ("1e2", 10000),
        ("9999999999999.99", 999999999999999),
    ],
)
def test_hours_are_exact_hundredths(tmp_path: Path, text: str, hundredths: int) -> None:
    lines = ["teacher_id,school,online_hours,offline_hours,abilities", f"T1,S,{text},{text},A1"]
    roster = read_roster(write_csv(tmp_path / "r.csv", lines))
    assert list(roster.online) == [hundredths] and list(roster.offline) == [hundredths]


@pytest.mark.parametrize("text", ["nan", "inf", "1,5", "12h", "1_000", "--1"])
def test_hours_not_numbers(tmp_path: Path, text: str) -> None:
    lines = ["teacher_id,school,online_hours,offline_hours,abilities", f'T1,S,"{text}",1,A1']
    [problem] = problems_of(write_csv(tmp_path / "r.csv", lines))
    assert en(problem) == f"not a number: '{text}'"


def test_separators(tmp_path: Path) -> None:
    lines = [
        "teacher_id,school,online_hours,offline_hours,abilities,grades",
        "T1,S,1,1,A1；B2、C4,优秀；合格、不合格",
        'T2,S,1,1,"A1, B2 C4","Excellent,  PASS fail"',
        "T3,S,1,1,；；a1，，Ｂ２\u3000c4；,",
    ]
    roster = read_roster(write_csv(tmp_path / "r.csv", lines))
    assert [abilities_of(roster, i) for i in range(3)] == [["A1", "B2", "C4"]] * 3
    assert [grades_of(roster, i) for i in range(3)] == [[2, 1, 0], [2, 1, 0], [-1, -1, -1]]


def test_rows_in_rows_out_order_kept(tmp_path: Path) -> None:
    ids = [f"{i:04d}" for i in range(500)][::-1]
    lines = ["teacher_id,school,online_hours,offline_hours,abilities"]
    lines += [f"{tid},S{int(tid) % 7},{int(tid)},0,{CODES[int(tid) % 30]}" for tid in ids]
    roster = read_roster(write_csv(tmp_path / "r.csv", lines))
    assert list(roster.teacher_id) == ids
    assert list(roster.online) == [int(t) * 100 for t in ids]
    assert roster.frame["teacher_id"].to_list() == ids
    assert list(roster.school) == [f"S{int(t) % 7}" for t in ids]


def test_blank_lines_are_ignored_but_counted(tmp_path: Path) -> None:
    lines = ["teacher_id,school,online_hours,offline_hours,abilities", "", "T1,S,1,1,A1", ",,,,", "", "T2,S,x,1,A1"]
    [problem] = problems_of(write_csv(tmp_path / "r.csv", lines))
    assert problem.row == 6
    roster = read_roster(write_csv(tmp_path / "ok.csv", lines[:-1]))
    assert list(roster.teacher_id) == ["T1"]


def test_header_only_is_rejected_as_an_empty_roster(tmp_path: Path) -> None:
    # an evaluation of no teachers would "pass" every school check silently
    [problem] = problems_of(write_csv(tmp_path / "r.csv", ["teacher_id,school,online_hours,offline_hours,abilities"]))
    assert "no teacher rows" in en(problem)
    assert problem.row is None


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes(b"")
    [problem] = problems_of(path)
    assert "empty" in en(problem)


def test_framework_argument(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "r.csv", ["teacher_id,school,online_hours,offline_hours,abilities", "T1,S,1,1,C7"])
    assert list(read_roster(path, framework=load_framework()).ability_codes) == [INDEX["C7"]]


# --------------------------------------------------------------------------- properties

ID_CHARS = st.characters(codec="utf-8", categories=("L", "N", "P"), exclude_characters="\x00")
WORDS = {
    GRADE_EXCELLENT: ["优秀", "excellent", "Excellent"],
    GRADE_PASS: ["合格", "pass", "PASS"],
    GRADE_FAIL: ["不合格", "fail"],
}
SEPARATORS = [";", ",", "、", "，", "；", " ", " ; ", "\t"]


@st.composite
def teacher_rows(draw: st.DrawFn) -> list[tuple[str, str, int, int, list[int], list[int] | None]]:
    ids = draw(st.lists(st.text(ID_CHARS, min_size=1, max_size=8), min_size=1, max_size=30, unique=True))
    rows = []
    for tid in ids:
        school = draw(st.text(ID_CHARS, min_size=1, max_size=6))
        online, offline = draw(st.integers(0, 10**9)), draw(st.integers(0, 10**6))
        codes = draw(st.lists(st.integers(0, 29), min_size=1, max_size=5, unique=True))
        grades = draw(st.none() | st.lists(st.sampled_from([0, 1, 2]), min_size=len(codes), max_size=len(codes)))
        rows.append((tid, school, online, offline, codes, grades))
    return rows


def hours_text(hundredths: int, style: int) -> str:
    whole, part = divmod(hundredths, 100)
    if part == 0 and style == 0:
        return str(whole)
    if part % 10 == 0 and style == 1:
        return f"{whole}.{part // 10}"
    return f"{whole}.{part:02d}"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=teacher_rows(), data=st.data())
def test_property_valid_rows_round_trip(
    rows: list[tuple[str, str, int, int, list[int], list[int] | None]], data: st.DataObject
) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["教师编号", "school", "线上学时", "offline_hours", "能力点", "grades"])
    for tid, school, online, offline, codes, grades in rows:
        separator = data.draw(st.sampled_from(SEPARATORS))
        lower = data.draw(st.booleans())
        abilities = separator.join(CODES[c].lower() if lower else CODES[c] for c in codes)
        graded = "" if grades is None else separator.join(data.draw(st.sampled_from(WORDS[g])) for g in grades)
        style = data.draw(st.integers(0, 2))
        writer.writerow([tid, school, hours_text(online, style), hours_text(offline, style), abilities, graded])
    encoding = data.draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
    raw = buffer.getvalue().encode(encoding)
    # a GB18030 line whose bytes are also UTF-8 by chance (random Latin letters can be) next
    # to lines that are not is what a UTF-8 file with pasted GBK lines looks like: the reader
    # names those lines (test_a_utf8_file_with_one_gbk_line_names_the_line), so such files are not valid here
    assume(encoding != "gb18030" or not _utf8_by_chance(raw))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "roster.csv"
        path.write_bytes(raw)
        roster = read_roster(path)
    assert list(roster.teacher_id) == [r[0] for r in rows]
    assert list(roster.school) == [r[1] for r in rows]
    assert list(roster.online) == [r[2] for r in rows]
    assert list(roster.offline) == [r[3] for r in rows]
    assert [abilities_of(roster, i) for i in range(len(rows))] == [[CODES[c] for c in r[4]] for r in rows]
    expected_grades = [r[5] if r[5] is not None else [GRADE_UNGRADED] * len(r[4]) for r in rows]
    assert [grades_of(roster, i) for i in range(len(rows))] == expected_grades


def _utf8_by_chance(raw: bytes) -> bool:
    """Whether some non-ASCII line of a GB18030 file is valid UTF-8."""
    for line in raw.split(b"\n"):
        if not line.isascii():
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                continue
            return True
    return False


# --------------------------------------------------------------------------- import


def test_import_stays_light() -> None:
    code = "import sys, json, ability2.io.roster; print(json.dumps(sorted(sys.modules)))"
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120, env=env
    )
    heavy = {"numpy", "polars", "pandas", "python_calamine"} & set(json.loads(result.stdout))
    assert not heavy, heavy


def test_an_empty_slot_between_explicit_separators_is_not_graded_yet(tmp_path: Path) -> None:
    # contract §2: "empty: not graded yet" — per ability, so one ability can wait for its grade
    lines = [
        "teacher_id,school,online_hours,offline_hours,abilities,grades",
        "T1,S,25,25,A1;B2;C4,合格;;合格",
        "T2,S,25,25,A1;B2;C4,合格、、",
        "T3,S,25,25,A1;B2;C4,合格;合格",
    ]
    problems = problems_of(write_csv(tmp_path / "r.csv", lines))
    assert [(p.row, p.column) for p in problems] == [(4, "grades")]
    roster = read_roster(write_csv(tmp_path / "ok.csv", lines[:3]))
    assert grades_of(roster, 0) == [1, -1, 1]
    assert grades_of(roster, 1) == [1, -1, -1]


def test_an_id_too_long_for_a_number_cell_is_reported(tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "r.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["教师编号", "学校", "线上学时", "线下学时", "能力点"])
    sheet.write_row(1, 0, [1001, "S", 25, 25, "A1;B2;C4"])
    sheet.write_row(2, 0, [110101199001011234, "S", 25, 25, "A1;B2;C4"])  # an 18-digit id typed as a number
    book.close()
    [problem] = problems_of(path)
    assert (problem.row, problem.column) == (3, "teacher_id")
    assert "format the column as text" in en(problem)


# --------------------------------------------------------------------------- repeated cell texts


def test_repeated_texts_are_read_row_by_row(tmp_path: Path) -> None:
    """Cells are parsed once per distinct text: every row still gets its own value and its own problem."""
    lines = ["teacher_id,school,group,online_hours,offline_hours,abilities,grades"]
    lines += [f"T{i},S{i % 2}, 组{i % 3} ,1e1,abc,A1;B2,合格;合格" for i in range(4)]
    lines += ["T9,S0,,1e1,5,A1;B2;C1,合格;合格", "T10,S1,,12.500,5,C7,合格"]
    problems = problems_of(str(write_csv(tmp_path / "r.csv", lines)))
    # the same bad hours on four rows: four problems; the same grades against three abilities: one
    assert [(p.row, p.column) for p in problems] == [
        *[(i + 2, "offline_hours") for i in range(4)],
        (6, "grades"),
    ]
    assert "2 grade(s) for 3 abilities" in en(problems[-1])
    lines = [line.replace("abc", "2") for line in lines[:5]] + ["T9,S0,,1e1,5,A1;B2;C1,合格;合格;", lines[6]]
    roster = read_roster(str(write_csv(tmp_path / "ok.csv", lines)))
    assert list(roster.online) == [1000] * 5 + [1250]
    assert [abilities_of(roster, i) for i in range(6)] == [["A1", "B2"]] * 4 + [["A1", "B2", "C1"], ["C7"]]
    assert [grades_of(roster, i) for i in range(6)] == [[GRADE_PASS] * 2] * 4 + [
        [GRADE_PASS, GRADE_PASS, GRADE_UNGRADED],
        [GRADE_PASS],
    ]
    assert list(roster.school) == ["S0", "S1", "S0", "S1", "S0", "S1"]
    assert list(roster.group) == ["组0", "组1", "组2", "组0", "", ""]  # type: ignore[arg-type]
    school = roster.factorize("school")
    assert school is not None and school.values == ("S0", "S1") and list(school.codes) == [0, 1, 0, 1, 0, 1]
    group = roster.factorize("group")
    assert group is not None and group.without_blank().values == ("组0", "组1", "组2")
    assert list(group.without_blank().codes) == [0, 1, 2, 0, -1, -1]


ROW_CELLS = st.fixed_dictionaries(
    {
        "school": st.sampled_from(["S1", " S1", "S2", ""]),
        "online_hours": st.sampled_from(["1", "1.5", "1e1", "-1", "x", "", "12.500", "0.001"]),
        "abilities": st.sampled_from(["A1", "a1;B2", "A1 A1", "Z9", "", "C7、C6", "、"]),
        "grades": st.sampled_from(["", "合格", "合格;", "优秀 合格", "好", "pass,fail"]),
        "peer_reviews": st.sampled_from(["", "是", "No", "maybe"]),
    }
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(ROW_CELLS, min_size=1, max_size=12))
def test_a_roster_reads_as_its_rows_read_one_by_one(tmp_path: Path, rows: list[dict[str, str]]) -> None:
    """Property: repeated texts change nothing: each row's values and problems are those it has alone."""
    header = "teacher_id,school,online_hours,offline_hours,abilities,grades,peer_reviews"

    def line(i: int, cells: dict[str, str]) -> str:
        return f"T{i},{cells['school']},{cells['online_hours']},0,{cells['abilities']},{cells['grades']},{cells['peer_reviews']}"

    def outcome(lines: list[str], name: str) -> tuple[list[tuple[str, str]], list[object] | None]:
        path = write_csv(tmp_path / name, [header, *lines])
        try:
            roster = read_roster(str(path))
        except RosterError as error:
            return [(str(p.column), en(p)) for p in error.problems], None
        values = [(int(roster.online[i]), abilities_of(roster, i), grades_of(roster, i)) for i in range(len(roster))]
        return [], list(values)

    whole_problems, whole_values = outcome([line(i, r) for i, r in enumerate(rows)], "all.csv")
    alone = [outcome([line(i, r)], f"row{i}.csv") for i, r in enumerate(rows)]
    assert whole_problems == [p for problems, _ in alone for p in problems]
    if whole_values is not None:
        assert whole_values == [v for _, values in alone for v in values or []]


def test_an_empty_grade_slot_counts_as_a_grade_in_the_message_too(tmp_path: Path) -> None:
    """``合格;;合格`` is three grades (one still to come): two abilities get a clear problem, not a crash."""
    path = write_csv(
        tmp_path / "r.csv",
        ["teacher_id,school,online_hours,offline_hours,abilities,grades", "T1,S1,30,20,A1;B2,合格;;合格"],
    )
    [problem] = problems_of(str(path))
    assert problem.row == 2 and "3 grade(s) for 2 abilities" in en(problem)
