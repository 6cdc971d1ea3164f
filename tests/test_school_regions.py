"""The school table of a national roster (issue 12): a school is its region and its name.

实验小学 under two counties is two schools. A school table may tell them apart with its own
region column; without it, a name the roster has under two regions is refused rather than
given the same facts. One policy for every row (``--region``) refuses a table that names the
evaluated school twice. Every path gives the same verdicts (the partitioned path here, the
Dask engine in test_distributed.py).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

import ability2
from ability2.errors import SchoolTableError
from ability2.reports.partitioned import evaluate_partitioned

ON = dt.date(2022, 11, 21)
FACTS = "学校,信息化管理团队,首席信息官,研修活动实施方案,发展规划已备案"


def teacher(tid: str, school: str, region: str) -> dict[str, str]:
    return {
        "teacher_id": tid,
        "school": school,
        "地区": region,
        "online_hours": "30",
        "offline_hours": "30",
        "abilities": "A1;B2;C4",
        "grades": "合格;合格;合格",
    }


@pytest.fixture
def roster(tmp_path: Path) -> Path:
    """实验小学 in 兖州区 and in 徐水区 (two schools), and 一中 in 兖州区 only."""
    rows = [teacher(f"Y{k}", "实验小学", "370812") for k in range(3)]
    rows += [teacher(f"X{k}", "实验小学", "130609") for k in range(3)]
    rows += [teacher(f"Z{k}", "一中", "370812") for k in range(2)]
    path = tmp_path / "nation.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def write(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def it_team(outcome: ability2.RegionalResult) -> dict[tuple[str, str], bool]:
    rows = outcome.schools.select("region", "school", "school.it_team").rows()
    return {(region, school): ok for region, school, ok in rows}


def test_a_region_column_tells_two_schools_of_one_name_apart(roster: Path, tmp_path: Path) -> None:
    table = write(
        tmp_path / "schools.csv",
        "地区," + FACTS,
        ["370812,实验小学,否,是,是,是", "hebei/baoding/xushui,实验小学,是,是,是,是", "370812,一中,是,是,是,是"],
    )
    outcome = ability2.evaluate_regions(roster, on=ON, schools=table)
    assert it_team(outcome) == {
        ("shandong/jining/yanzhou", "实验小学"): False,  # its own row: no team
        ("hebei/baoding/xushui", "实验小学"): True,
        ("shandong/jining/yanzhou", "一中"): True,
    }
    parts = evaluate_partitioned(
        roster, ability2.load_registry().policy("cn", on=ON), tmp_path / "out", parts=3, schools=table
    )
    schools = parts.table("schools").collect()
    got = {(r, s): ok for r, s, ok in schools.select("region", "school", "school.it_team").rows()}
    assert got == it_team(outcome)


def test_without_the_column_a_name_in_two_regions_is_refused(roster: Path, tmp_path: Path) -> None:
    table = write(tmp_path / "schools.csv", FACTS, ["实验小学,是,是,是,是", "一中,是,是,是,是"])
    with pytest.raises(SchoolTableError) as info:
        ability2.evaluate_regions(roster, on=ON, schools=table)
    [problem] = info.value.problems
    assert "'实验小学' is in 2 regions of the roster (hebei/baoding/xushui, shandong/jining/yanzhou)" in problem.message
    assert problem.file.endswith("schools.csv") and "region (地区)" in str(problem.column)
    only = write(tmp_path / "only.csv", FACTS, ["一中,是,是,是,是"])  # a name that is one school: matched by name
    assert it_team(ability2.evaluate_regions(roster, on=ON, schools=only))[("shandong/jining/yanzhou", "一中")]


def test_a_regions_cells_are_checked_and_one_school_is_not_given_twice(roster: Path, tmp_path: Path) -> None:
    bad = write(
        tmp_path / "bad.csv",
        "地区," + FACTS,
        ["370812,实验小学,是,是,是,是", ",一中,是,是,是,是", "999999,一中,是,是,是,是"],
    )
    with pytest.raises(SchoolTableError) as info:
        ability2.evaluate_regions(roster, on=ON, schools=bad)
    assert [(p.row, p.message.split(":")[0]) for p in info.value.problems] == [
        (3, "empty region"),
        (4, "unknown region '999999'"),
    ]
    twice = write(
        tmp_path / "twice.csv",
        "地区," + FACTS,
        ["370812,实验小学,是,是,是,是", "shandong/jining/yanzhou,实验小学,否,是,是,是"],  # one region, written two ways
    )
    with pytest.raises(SchoolTableError, match="重复：第 2 行和第 3 行"):
        ability2.evaluate_regions(roster, on=ON, schools=twice)


def test_one_policy_takes_its_regions_rows_and_refuses_a_school_named_twice(tmp_path: Path) -> None:
    rows = [{k: v for k, v in teacher(f"Y{k}", "实验小学", "").items() if k != "地区"} for k in range(3)]
    path = tmp_path / "school.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    policy = ability2.load_registry().policy("370812", on=ON)

    def team(table: Path) -> bool:
        result = ability2.evaluate(ability2.read_roster(path), policy, schools=table)
        return bool(result.schools["school.it_team"].iloc[0])

    header = "地区," + FACTS
    assert not team(write(tmp_path / "a.csv", header, ["370812,实验小学,否,是,是,是", "130609,实验小学,是,是,是,是"]))
    assert team(
        write(
            tmp_path / "b.csv", header, ["shandong/jining/yanzhou,实验小学,是,是,是,是", "130609,实验小学,否,是,是,是"]
        )
    )
    assert not team(
        write(tmp_path / "c.csv", header, ["130609,实验小学,是,是,是,是"])
    )  # another school: no row of its own
    free = write(
        tmp_path / "d.csv", header, ["兖州区,实验小学,否,是,是,是", "城区,实验小学,是,是,是,是"]
    )  # text, not regions
    with pytest.raises(SchoolTableError, match=r"'实验小学' is given twice, rows 2 and 3 \(under two regions\)"):
        team(free)
