"""The input limits: one table, changed for a block, a process or a command line (issue 10)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import ability2
from ability2 import limits
from ability2.errors import PolicyFileError, SchoolTableError
from ability2.yamlio import read_yaml

HEADER = "teacher_id,school,online_hours,offline_hours,abilities,备注\n"


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """These tests are about what is found and refused, read in English; the language itself is tested in
    tests/test_input_messages.py (the command line, run in a child process, speaks its default, Chinese)."""
    from ability2.messages import language

    with language("en"):
        yield



def roster(path: Path, rows: int, note: str = "") -> Path:
    path.write_text(HEADER + "".join(f"T{i},S,20,30,A1;B2;C4,{note}\n" for i in range(rows)), encoding="utf-8")
    return path


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ability2", *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_the_defaults_fit_a_province_and_are_documented() -> None:
    now = limits.current()
    assert now.max_rows >= 3_000_000  # the largest provinces have well over a million teachers
    assert now.max_cell_chars == 32_767  # a spreadsheet cell's own limit: reports hold every cell whole
    documented = Path(__file__).parents[1].joinpath("docs", "errors.md").read_text(encoding="utf-8")
    for name in limits.LIMIT_NAMES:
        assert f"`{name}`" in documented, name


def test_too_many_rows_is_one_problem_naming_the_file_and_the_limit(tmp_path: Path) -> None:
    path = roster(tmp_path / "r.csv", 12)
    with limits.limited(max_rows=10), pytest.raises(ability2.RosterError) as caught:
        ability2.read_roster(path)
    [problem] = caught.value.problems
    assert str(problem) == f"{path}:-:-: too many rows: 12 data rows; at most 10 are read " + str(limits.hint("max_rows"))
    assert len(ability2.read_roster(path)) == 12  # the block is over: the default holds again


def test_an_overlong_cell_names_its_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text(HEADER + "T1,S,20,30,A1,ok\nT2,S,20,30,A1," + "长" * 101 + "\n", encoding="utf-8")
    with limits.limited(max_cell_chars=100), pytest.raises(ability2.RosterError) as caught:
        ability2.read_roster(path)
    [problem] = caught.value.problems
    assert (problem.row, problem.column) == (3, "备注")
    assert "cell too long: 101 characters; at most 100" in str(problem.message)
    with limits.limited(max_cell_chars=101):  # exactly at the limit is fine; bytes (303) do not count
        assert len(ability2.read_roster(path)) == 2


def test_a_school_table_has_the_same_limits(tmp_path: Path) -> None:
    path = tmp_path / "schools.csv"
    path.write_text("school,it_team\n" + "".join(f"S{i},yes\n" for i in range(5)), encoding="utf-8")
    with limits.limited(max_rows=4), pytest.raises(SchoolTableError, match="too many rows: 5"):
        ability2.read_schools(path)


def test_yaml_limits_follow_the_block(tmp_path: Path) -> None:
    text = "a:\n  b:\n    c:\n      d: 1\n"
    assert read_yaml(text, "x.yaml").data == {"a": {"b": {"c": {"d": 1}}}}
    with limits.limited(max_yaml_depth=3), pytest.raises(PolicyFileError, match="nested deeper than 3 levels"):
        read_yaml(text, "x.yaml")
    with limits.limited(max_yaml_chars=10), pytest.raises(PolicyFileError, match="limit max_yaml_chars"):
        read_yaml(text, "x.yaml")


def test_a_block_changes_only_its_own_thread() -> None:
    seen: dict[str, int] = {}
    inside = threading.Event()
    done = threading.Event()

    def other() -> None:
        inside.wait(5)
        seen["other"] = limits.current().max_rows
        done.set()

    thread = threading.Thread(target=other)
    thread.start()
    with limits.limited(max_rows=7):
        inside.set()
        done.wait(5)
        seen["inside"] = limits.current().max_rows
    thread.join(5)
    assert seen == {"inside": 7, "other": limits.Limits().max_rows}


def test_configure_changes_the_process_and_refuses_nonsense() -> None:
    before = limits.current()
    try:
        assert limits.configure(max_rows=99).max_rows == 99
        assert limits.current().max_rows == 99
        with limits.limited(max_cell_chars=5):
            assert (limits.current().max_rows, limits.current().max_cell_chars) == (99, 5)
    finally:
        limits.configure(**{name: getattr(before, name) for name in limits.LIMIT_NAMES})
    for bad in ({"max_rows": 0}, {"max_rows": -1}, {"max_rows": 1.5}, {"max_rows": True}, {"rows": 5}):
        with pytest.raises(ValueError, match="limit"):
            limits.configure(**bad)  # type: ignore[arg-type]
    assert limits.current() == before


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("max_rows=20M", ("max_rows", 20_000_000)),
        ("rows=20_000_000", ("max_rows", 20_000_000)),
        ("max-file-bytes=4G", ("max_file_bytes", 4 * 1024**3)),
        ("unpacked_bytes=512k", ("max_unpacked_bytes", 512 * 1024)),
        ("max_cell_chars = 100,000", ("max_cell_chars", 100_000)),
        ("yaml_depth=8", ("max_yaml_depth", 8)),
    ],
)
def test_limit_assignments_as_the_command_line_writes_them(text: str, expected: tuple[str, int]) -> None:
    assert limits.parse_limit(text) == expected


@pytest.mark.parametrize("text", ["rows", "rows=", "rows=-1", "rows=0", "rows=1e6", "speed=5", "rows=5X", "=5"])
def test_bad_limit_assignments_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"limit|NAME=NUMBER"):
        limits.parse_limit(text)


def test_the_command_line_raises_a_limit_for_one_run(tmp_path: Path) -> None:
    path = roster(tmp_path / "r.csv", 3, note="x" * 40)
    refused = run("evaluate", str(path), "--region", "hebei", "--on", "2022-01-01", "--limit", "cell_chars=39")
    assert refused.returncode == 2 and "r.csv:2:备注: 单元格过长：40 个字符" in refused.stderr
    assert "可用 --limit max_cell_chars=N 放宽" in refused.stderr
    done = run(
        "evaluate", str(path), "--region", "hebei", "--on", "2022-01-01", "--format", "json", "--limit", "cell_chars=40"
    )
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["teachers"]) == 3
    bad = run("evaluate", str(path), "--region", "hebei", "--limit", "rows=lots")
    assert bad.returncode == 2 and "不是“名称=数值”的形式" in bad.stderr and "Traceback" not in bad.stderr


def test_ability2_limits_lists_every_limit_in_force() -> None:
    done = run("limits", "--json", "--limit", "max_rows=20M")
    assert done.returncode == 0, done.stderr
    listed = {entry["limit"]: entry["value"] for entry in json.loads(done.stdout)}
    assert list(listed) == list(limits.LIMIT_NAMES)
    assert listed["max_rows"] == 20_000_000 and listed["max_yaml_depth"] == 64
    table = run("limits")
    assert table.returncode == 0 and "名册或学校表的数据行数" in table.stdout and "data rows" not in table.stdout
    english = run("limits", "--lang", "en")
    assert "data rows of one roster or school table" in english.stdout and "名册" not in english.stdout
