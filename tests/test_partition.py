"""Partitioned evaluation (issue 12): a cohort split by school gives the whole cohort's verdicts.

No teacher, group or school rule looks past its school, so evaluating the parts of a roster
split by school and putting the tables together must give exactly the tables of one
evaluation of the whole roster, for every seed region; the cohort's counts are the sums of
the parts'. A roster with problems is refused whole, naming the rows of the file.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ability2
from ability2.cli import main
from ability2.demo import DEMO_REGIONS, demo_date
from ability2.errors import Ability2Error, RosterError
from ability2.partition import Totals, default_parts, evaluate_frame, split_roster
from ability2.reports.partitioned import evaluate_partitioned
from ability2.tables import TABLES, table_frame

#: every seed region, on the date the demo evaluates it
REGIONS = {region: demo_date(ability2.load_registry(), region) for region in DEMO_REGIONS}
CODES = [f"A{i}" for i in range(1, 14)] + [f"B{i}" for i in range(1, 11)] + [f"C{i}" for i in range(1, 8)]


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """These tests are about what is found and refused, read in English; the language itself is tested in
    tests/test_input_messages.py (the command line, run in a child process, speaks its default, Chinese)."""
    from ability2.messages import language

    with language("en"):
        yield



def cohort(teachers: int, schools: int, seed: int = 7) -> pd.DataFrame:
    """Teachers of varied diligence in ``schools`` schools (some schools pass a rule, some fail it)."""
    rng = random.Random(seed)
    rows = []
    for i in range(teachers):
        school = rng.randrange(schools)
        diligent = school % 3 != 0
        k = rng.choice([2, 3, 3, 4])
        codes = rng.sample(CODES[: 6 + (school % 4) * 8], k)
        rows.append(
            {
                "teacher_id": f"T{i:05d}",
                "name": f"教师{i}",
                "school": f"学校{school:02d}",
                "group": rng.choice(["语文组", "数学组", ""]),
                "subject": rng.choice(["语文", "数学"]),
                "online_hours": str(rng.choice([25, 30, 40] if diligent else [10, 25, 30])),
                "offline_hours": str(rng.choice([25, 30] if diligent else [5, 25])),
                "abilities": ";".join(codes),
                "grades": "" if rng.random() < 0.05 else ";".join(rng.choice(["合格", "优秀", "合格", "不合格"]) for _ in codes),
                "peer_reviews": rng.choice(["是", "是", "否"]),
                "excellent_video": rng.choice(["是", "否", "否"]),
                "备注": rng.choice(["", "=SUM(A1)", "转岗"]),
            }
        )
    return pd.DataFrame(rows)


def whole_tables(path: Path, policy: ability2.Policy) -> dict[str, pl.DataFrame]:
    result = ability2.evaluate(ability2.read_roster(path, framework=policy.framework), policy)
    return {name: table_frame(result, name) for name in TABLES}


def assert_same_tables(whole: dict[str, pl.DataFrame], parts: dict[str, pl.DataFrame]) -> None:
    teachers = parts["teachers"].sort("row")
    assert teachers["row"].to_list() == sorted(set(teachers["row"].to_list()))  # every row once
    assert teachers.drop("row").equals(whole["teachers"])  # roster order, every value
    for name, key in (("groups", ["school", "group"]), ("schools", ["school"])):
        assert parts[name].sort(key).equals(whole[name].sort(key)), name


@pytest.fixture(scope="module")
def registry() -> ability2.Registry:
    return ability2.load_registry()


@pytest.mark.parametrize("region", sorted(REGIONS))
def test_the_parts_give_the_whole_cohorts_verdicts(registry: Any, region: str, tmp_path: Path) -> None:
    policy = registry.policy(region, on=REGIONS[region])
    roster = tmp_path / "roster.csv"
    cohort(400, 9).to_csv(roster, index=False)
    outcome = evaluate_partitioned(roster, policy, tmp_path / "out", parts=4)
    parts = {name: outcome.table(name).collect() for name in TABLES}
    whole = whole_tables(roster, policy)
    assert_same_tables(whole, parts)
    assert {"pass", "fail"} <= set(whole["teachers"]["status"].to_list())  # not a trivial cohort
    assert outcome.totals == Totals.of(ability2.evaluate(ability2.read_roster(roster), policy))
    assert 1 <= len(outcome.files["teachers"]) <= 4


def test_more_parts_than_schools_leaves_empty_parts_without_files(registry: Any, tmp_path: Path) -> None:
    policy = registry.policy("hebei/baoding/xushui", on=REGIONS["hebei/baoding/xushui"])
    roster = tmp_path / "roster.csv"
    cohort(60, 2).to_csv(roster, index=False)
    outcome = evaluate_partitioned(roster, policy, tmp_path / "out", parts=7)
    heights = [pl.read_parquet(path).height for path in outcome.files["teachers"]]
    assert len(heights) <= 2 and sum(heights) == 60  # five parts or more got no school: no files
    assert_same_tables(whole_tables(roster, policy), {name: outcome.table(name).collect() for name in TABLES})


def test_worker_processes_give_the_same_tables(registry: Any, tmp_path: Path) -> None:
    policy = registry.policy("guangxi", on=REGIONS["guangxi"])
    roster = tmp_path / "roster.csv"
    cohort(300, 8).to_csv(roster, index=False)
    one = evaluate_partitioned(roster, policy, tmp_path / "one", parts=3)
    two = evaluate_partitioned(roster, policy, tmp_path / "two", parts=3, workers=2)
    for name in TABLES:
        assert one.table(name).collect().equals(two.table(name).collect())
    assert one.totals == two.totals


def test_worker_processes_read_under_the_limits_in_force(registry: Any, tmp_path: Path) -> None:
    from ability2.limits import limited

    policy = registry.policy("guangxi", on=REGIONS["guangxi"])
    frame = cohort(120, 6)
    frame.loc[7, "name"] = "x" * 50  # row 9
    roster = tmp_path / "roster.csv"
    frame.to_csv(roster, index=False)
    with limited(max_cell_chars=20), pytest.raises(RosterError, match="cell too long") as info:
        evaluate_partitioned(roster, policy, tmp_path / "out", parts=2, workers=2)
    assert [p.row for p in info.value.problems] == [9]
    with pytest.raises(Ability2Error, match="what-if"):
        evaluate_partitioned(roster, policy.with_changes({"hours.total_min": 60}), tmp_path / "out", parts=2, workers=2)


def test_a_second_run_leaves_only_its_own_parts(registry: Any, tmp_path: Path) -> None:
    policy = registry.policy("guangxi", on=REGIONS["guangxi"])
    roster = tmp_path / "roster.csv"
    cohort(200, 9).to_csv(roster, index=False)
    evaluate_partitioned(roster, policy, tmp_path / "out", parts=6)
    again = evaluate_partitioned(roster, policy, tmp_path / "out", parts=2)
    assert sorted(p.name for p in (tmp_path / "out" / "teachers").iterdir()) == [p.name for p in again.files["teachers"]]
    assert pl.scan_parquet(str(tmp_path / "out" / "teachers" / "*.parquet")).select(pl.len()).collect().item() == 200


def test_a_parquet_roster_is_split_like_a_csv(registry: Any, tmp_path: Path) -> None:
    policy = registry.policy("shandong/jining/yanzhou", on=REGIONS["shandong/jining/yanzhou"])
    frame = cohort(200, 6)
    csv, parquet = tmp_path / "roster.csv", tmp_path / "roster.parquet"
    frame.to_csv(csv, index=False)
    pl.DataFrame({c: frame[c].astype(str).tolist() for c in frame.columns}).write_parquet(parquet)
    from_csv = evaluate_partitioned(csv, policy, tmp_path / "a", parts=3)
    from_parquet = evaluate_partitioned(parquet, policy, tmp_path / "b", parts=3)
    for name in TABLES:
        assert from_csv.table(name).collect().equals(from_parquet.table(name).collect())


def test_problems_of_every_part_are_listed_by_the_files_rows_and_nothing_is_written(
    registry: Any, tmp_path: Path
) -> None:
    policy = registry.policy("hebei/baoding/xushui", on=REGIONS["hebei/baoding/xushui"])
    frame = cohort(120, 6)
    frame.loc[10, "online_hours"] = "lots"  # row 12 of the file (the header is row 1)
    frame.loc[90, "abilities"] = "Z9"  # row 92
    frame.loc[100, "teacher_id"] = frame.loc[3, "teacher_id"]  # row 102 repeats row 5's id
    roster = tmp_path / "roster.csv"
    frame.to_csv(roster, index=False)
    with pytest.raises(RosterError) as info:
        evaluate_partitioned(roster, policy, tmp_path / "out", parts=4)
    with pytest.raises(RosterError) as whole:
        ability2.read_roster(roster)
    assert [(p.row, p.column) for p in info.value.problems] == [(p.row, p.column) for p in whole.value.problems]
    assert {p.row for p in info.value.problems} == {12, 92, 102}
    duplicate = next(p for p in info.value.problems if p.row == 102)
    assert "first used on row 5" in str(duplicate.message)
    assert not (tmp_path / "out").exists()  # the folder made for the run is removed with it


def test_an_id_used_in_two_parts_is_named_as_the_whole_files_reader_names_it(registry: Any, tmp_path: Path) -> None:
    policy = registry.policy("guangxi", on=REGIONS["guangxi"])
    frame = cohort(120, 6)
    frame.loc[100, "teacher_id"] = frame.loc[3, "teacher_id"]  # row 102 repeats row 5's id, in another school
    frame.loc[100, "school"] = "学校01" if frame.loc[3, "school"] != "学校01" else "学校02"
    roster = tmp_path / "roster.csv"
    frame.to_csv(roster, index=False)
    with pytest.raises(RosterError) as whole:
        ability2.read_roster(roster)
    for parts in range(1, 7):  # the two schools in one part, or in two: the same problem
        with pytest.raises(RosterError) as info:
            evaluate_partitioned(roster, policy, tmp_path / f"out{parts}", parts=parts)
        assert info.value.problems == whole.value.problems, parts


def test_a_roster_that_is_not_utf8_is_refused_with_advice(registry: Any, tmp_path: Path) -> None:
    roster = tmp_path / "gbk.csv"
    roster.write_bytes(cohort(20, 2).to_csv(index=False).encode("gbk"))
    with pytest.raises(RosterError, match="UTF-8"):
        split_roster(roster, tmp_path / "split", 2)


def test_a_roster_without_a_school_column_is_refused(tmp_path: Path) -> None:
    roster = tmp_path / "r.csv"
    cohort(10, 2).drop(columns=["school"]).to_csv(roster, index=False)
    with pytest.raises(RosterError, match="school"):
        split_roster(roster, tmp_path / "split", 2)


def test_one_partition_as_a_frame_polars_or_pandas(registry: Any, tmp_path: Path) -> None:
    policy = registry.policy("liaoning/tieling/kaiyuan", on=REGIONS["liaoning/tieling/kaiyuan"])
    frame = cohort(80, 4)
    roster = tmp_path / "roster.csv"
    frame.to_csv(roster, index=False)
    whole = whole_tables(roster, policy)
    for source in (frame, pl.DataFrame({c: frame[c].astype(str).tolist() for c in frame.columns})):
        tables = evaluate_frame(source, policy)
        assert tables.teachers.equals(whole["teachers"])
        assert tables.schools.equals(whole["schools"])


def test_totals_add_up_and_give_rates() -> None:
    a = Totals(teachers=10, passed=6, excellent=2, failed=3, pending=1, schools=2, schools_passed=1)
    b = Totals(teachers=30, passed=24, excellent=3, failed=6, schools=1, schools_passed=1)
    both = a + b
    assert (both.teachers, both.passed, both.schools_passed) == (40, 30, 2)
    assert both.pass_rate == 0.75 and both.to_dict()["excellent_rate"] == 0.125
    assert Totals().pass_rate == 0.0


def test_default_parts_follow_the_size(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    cohort(50, 3).to_csv(roster, index=False)
    assert default_parts(roster) == 1


ROW = st.fixed_dictionaries(
    {
        "school": st.sampled_from(["一中", "二中", "S3", "  S3 ", "实验小学"]),
        "online_hours": st.sampled_from(["0", "20", "25", "30.5", ""]),
        "offline_hours": st.sampled_from(["5", "25", "30"]),
        "abilities": st.sampled_from(["A1;B2;C4", "A1", "A2;A3;A4", "B3;C5;C6"]),
        "grades": st.sampled_from(["", "合格;合格;合格", "优秀", "不合格;合格;优秀"]),
        "group": st.sampled_from(["", "数学", "语文"]),
    }
)


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(ROW, min_size=1, max_size=30), st.integers(1, 5), st.sampled_from(sorted(REGIONS)))
def test_any_split_gives_the_whole_verdicts(rows: list[dict[str, str]], parts: int, region: str) -> None:
    import tempfile

    policy = ability2.load_registry().policy(region, on=REGIONS[region])
    frame = pd.DataFrame([{"teacher_id": f"T{i}", **row} for i, row in enumerate(rows)])
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        roster = folder / "roster.csv"
        frame.to_csv(roster, index=False)
        try:
            whole = whole_tables(roster, policy)
        except RosterError as exc:
            with pytest.raises(RosterError) as info:
                evaluate_partitioned(roster, policy, folder / "out", parts=parts)
            assert [(p.row, p.column, str(p.message)) for p in info.value.problems] == [
                (p.row, p.column, str(p.message)) for p in exc.problems
            ]
            return
        outcome = evaluate_partitioned(roster, policy, folder / "out", parts=parts)
        assert_same_tables(whole, {name: outcome.table(name).collect() for name in TABLES})


def test_cli_partitions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    roster = tmp_path / "roster.csv"
    cohort(100, 5).to_csv(roster, index=False)
    out = tmp_path / "tables"
    args = ["evaluate", str(roster), "--region", "370812", "--on", "2022-11-21", "--partitions", "3"]
    assert main([*args, "--format", "csv", "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "3 个部分：教师 100 人" in err
    assert sorted(p.name for p in (out / "teachers").iterdir()) == [f"part-0000{i}.csv" for i in range(3)]
    text = (out / "teachers" / "part-00000.csv").read_text(encoding="utf-8-sig")
    assert "=SUM" not in text.replace("'=SUM", "")  # the formula guard, as --format csv
    assert main([*args, "--format", "json", "-o", str(tmp_path / "r.json")]) == 2
    assert "--format=parquet" in capsys.readouterr().err
    assert main(["evaluate", str(roster), "--region", "370812", "--workers", "2", "--format", "parquet", "-o", str(out)]) == 2
    assert "--partitions" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([*args[:-1], "0"])


def test_split_roster_measures_a_parquet_file_as_the_dask_engine_does(tmp_path: Path) -> None:
    """Hostile Parquet: past the limits by its own metadata, a damaged footer, a nested column: refused, nothing split."""
    from ability2.limits import limited

    path = tmp_path / "r.parquet"
    pl.from_pandas(cohort(30, 2)).write_parquet(path)
    with limited(max_rows=10), pytest.raises(RosterError, match="cannot read Parquet file"):
        split_roster(path, tmp_path / "a", 2)
    assert not (tmp_path / "a").exists()
    damaged = tmp_path / "damaged.parquet"
    damaged.write_bytes(path.read_bytes()[:-8] + b"\xff\xff\xff\x7fPAR1")  # a footer length past the file
    with pytest.raises(RosterError, match="cannot read Parquet file"):
        split_roster(damaged, tmp_path / "b", 2)
    nested = tmp_path / "nested.parquet"
    pl.from_pandas(cohort(30, 2)).with_columns(pl.col("abilities").str.split(";")).write_parquet(nested)
    with pytest.raises(RosterError, match="'abilities' holds lists"):
        split_roster(nested, tmp_path / "c", 2)


def test_cli_splits_a_large_roster_by_itself(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import ability2.partition

    monkeypatch.setattr(ability2.partition, "AUTO_PARTITION_ROWS", 50)
    roster = tmp_path / "roster.csv"
    cohort(120, 5).to_csv(roster, index=False)
    out = tmp_path / "tables"
    assert main(["evaluate", str(roster), "--region", "370812", "--on", "2022-11-21", "--format", "parquet", "-o", str(out)]) == 0
    assert "--partitions=auto" in capsys.readouterr().err
    assert (out / "totals.json").exists() and list((out / "teachers").glob("part-*.parquet"))
    small = tmp_path / "small"
    cohort(40, 5).to_csv(roster, index=False)
    assert main(["evaluate", str(roster), "--region", "370812", "--on", "2022-11-21", "--format", "parquet", "-o", str(small)]) == 0
    assert (small / "teachers.parquet").exists()  # under the threshold: read whole, as always


@pytest.mark.parametrize("workers", [1, 2])
def test_a_school_table_reaches_every_part(registry: Any, tmp_path: Path, workers: int) -> None:
    """--schools on the partitioned path: each part's schools find their facts, as one evaluation finds them."""
    policy = registry.policy("370812", on=dt_date(2022, 11, 21))
    frame = cohort(150, 6)
    roster = tmp_path / "roster.csv"
    frame.to_csv(roster, index=False)
    facts = tmp_path / "schools.csv"
    lines = ["学校,信息化管理团队,首席信息官,研修活动实施方案,发展规划已备案"]
    lines += [f"学校{k:02d},{'是' if k % 2 else '否'},是,{'是' if k % 3 else '否'},是" for k in range(6)]
    facts.write_text("\n".join(lines) + "\n", encoding="utf-8")
    whole = ability2.evaluate(ability2.read_roster(roster), policy, schools=facts)
    without = ability2.evaluate(ability2.read_roster(roster), policy)
    assert len(whole.unchecked) < len(without.unchecked)  # the table decides rules that are unchecked without it
    outcome = evaluate_partitioned(roster, policy, tmp_path / "out", parts=3, workers=workers, schools=facts)
    parts = {name: outcome.table(name).collect() for name in TABLES}
    assert_same_tables({name: table_frame(whole, name) for name in TABLES}, parts)
    assert (
        main(
            [
                "evaluate",
                str(roster),
                "--region",
                "370812",
                "--on",
                "2022-11-21",
                "--partitions",
                "2",
                "--schools",
                str(facts),
                "--format",
                "parquet",
                "-o",
                str(tmp_path / "cli"),
            ]
        )
        == 0
    )
    assert (
        pl.scan_parquet(str(tmp_path / "cli" / "schools" / "*.parquet"))
        .collect()
        .sort("school")
        .equals(table_frame(whole, "schools").sort("school"))
    )


def dt_date(year: int, month: int, day: int) -> Any:
    import datetime

    return datetime.date(year, month, day)


def test_a_part_without_groups_does_not_change_the_groups_tables_types(registry: Any, tmp_path: Path) -> None:
    """Found by the property above: a part whose teachers have no group wrote counts typed as text."""
    policy = registry.policy("guangxi", on=REGIONS["guangxi"])
    row = {"online_hours": "0", "offline_hours": "5", "abilities": "A1;B2;C4", "grades": ""}
    frame = pd.DataFrame([{"teacher_id": "T0", "school": "一中", "group": "", **row},
                          {"teacher_id": "T1", "school": "二中", "group": "数学", **row}])
    roster = tmp_path / "roster.csv"
    frame.to_csv(roster, index=False)
    outcome = evaluate_partitioned(roster, policy, tmp_path / "out", parts=2)
    assert len(outcome.files["groups"]) == 2  # the two schools in two parts
    assert_same_tables(whole_tables(roster, policy), {name: outcome.table(name).collect() for name in TABLES})
