"""The Dask engine (issue 12, item 2): a cohort in several files, shuffled by school, gives one evaluation's verdicts.

Every test runs on one LocalCluster of two worker processes, started once for the module.
The rows of a school are spread over a CSV and a Parquet file (and an empty file lies among
them); the tables the workers write must be exactly those of one evaluation of the whole
roster, and a roster with problems is refused whole, each problem named by file and row.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pytest

import ability2
from ability2.cli import main
from ability2.errors import Ability2Error, RosterError, SchoolTableError
from ability2.partition import Totals
from ability2.reports import distributed
from ability2.reports.distributed import EngineUnavailable, evaluate_dask, roster_files
from ability2.tables import TABLES

pytest.importorskip("distributed")  # the extra is installed for development and CI: this runs there

from test_partition import REGIONS, cohort, whole_tables


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """These tests are about what is found and refused, read in English; the language itself is tested in
    tests/test_input_messages.py (the command line, run in a child process, speaks its default, Chinese)."""
    from ability2.messages import language

    with language("en"):
        yield



@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=40
        ) as cluster,
        Client(cluster, set_as_default=False) as running,
    ):
        yield running


@pytest.fixture(scope="module")
def registry() -> ability2.Registry:
    return ability2.load_registry()


def texts(frame: pd.DataFrame) -> pl.DataFrame:
    return pl.DataFrame({c: frame[c].astype(str).tolist() for c in frame.columns})


def spread(frame: pd.DataFrame, folder: Path) -> list[Path]:
    """The roster over three files: rows 0-149 in a CSV, the rest in Parquet (columns in another order), an empty file."""
    folder.mkdir(exist_ok=True)
    first, second, empty = folder / "a.csv", folder / "b.parquet", folder / "c.parquet"
    frame.iloc[:150].to_csv(first, index=False)
    texts(frame.iloc[150:]).select(list(reversed(frame.columns))).write_parquet(second)
    texts(frame.iloc[:0]).write_parquet(empty)
    return [first, second, empty]


def tables_of(outcome: Any) -> dict[str, pl.DataFrame]:
    return {name: outcome.table(name).collect() for name in TABLES}


def assert_same(whole: dict[str, pl.DataFrame], parts: dict[str, pl.DataFrame], order: list[str]) -> None:
    rank = {name: k for k, name in enumerate(order)}
    teachers = parts["teachers"].with_columns(pl.col("file").replace_strict(rank).alias("__f")).sort("__f", "row")
    assert teachers.select("file", "row").n_unique() == teachers.height  # every row once
    assert teachers.drop("__f", "file", "row").equals(whole["teachers"])  # roster order, every value
    for name, key in (("groups", ["school", "group"]), ("schools", ["school"])):
        assert parts[name].sort(key).equals(whole[name].sort(key)), name


@pytest.mark.parametrize("region", ["hebei/baoding/xushui", "jiangsu/changzhou/jintan/baita"])
def test_files_shuffled_by_school_give_the_whole_cohorts_verdicts(
    client: Any, registry: Any, region: str, tmp_path: Path
) -> None:
    policy = registry.policy(region, on=REGIONS[region])
    frame = cohort(400, 9)
    whole_file = tmp_path / "whole.csv"
    frame.to_csv(whole_file, index=False)
    files = spread(frame, tmp_path / "in")
    schools_in = [set(frame.iloc[:150]["school"]), set(frame.iloc[150:]["school"])]
    assert schools_in[0] & schools_in[1]  # schools split across the two files
    outcome = evaluate_dask(str(tmp_path / "in" / "*"), policy, tmp_path / "out", client=client, partitions=4)
    whole = whole_tables(whole_file, policy)
    assert_same(whole, tables_of(outcome), [str(f) for f in files])
    assert {"pass", "fail"} <= set(whole["teachers"]["status"].to_list())
    assert outcome.totals == Totals.of(ability2.evaluate(ability2.read_roster(whole_file), policy))
    assert outcome.parts == 4
    totals = (tmp_path / "out" / "totals.json").read_text(encoding="utf-8")
    assert '"teachers": 400' in totals and '"parts": 4' in totals
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".ability2")]  # no scratch left


def test_partitions_without_rows_write_no_files_rows_name_their_file_and_a_rerun_replaces_parts(
    client: Any, registry: Any, tmp_path: Path
) -> None:
    policy = registry.policy("shandong/jining/yanzhou", on=REGIONS["shandong/jining/yanzhou"])
    frame = cohort(200, 3)
    files = spread(frame, tmp_path / "in")
    outcome = evaluate_dask(files, policy, tmp_path / "out", client=client, partitions=9)
    assert 1 <= len(outcome.files["teachers"]) <= 3  # three schools: six partitions or more hold no row
    teachers = outcome.table("teachers").collect()
    assert teachers.height == 200
    found = dict(
        zip(teachers["teacher_id"].to_list(), zip(teachers["file"], teachers["row"], strict=True), strict=True)
    )
    assert found["T00000"] == (str(files[0]), 2)  # the CSV's header is row 1
    assert found["T00150"] == (str(files[1]), 2)  # so is a Parquet file's
    assert found["T00199"] == (str(files[1]), 51)
    whole = whole_tables_of(frame, policy, tmp_path)
    assert_same(whole, tables_of(outcome), [str(f) for f in files])
    again = evaluate_dask(files, policy, tmp_path / "out", client=client, partitions=1)  # into the same folder
    assert sorted(p.name for p in (tmp_path / "out" / "teachers").iterdir()) == ["part-00000.parquet"]
    assert_same(whole, tables_of(again), [str(f) for f in files])  # the first run's parts are gone


def whole_tables_of(frame: pd.DataFrame, policy: Any, folder: Path) -> dict[str, pl.DataFrame]:
    path = folder / "whole.csv"
    frame.to_csv(path, index=False)
    return whole_tables(path, policy)


def test_a_dask_dataframe_is_evaluated_partition_by_partition(client: Any, registry: Any, tmp_path: Path) -> None:
    import dask.dataframe as dd

    policy = registry.policy("liaoning/tieling/kaiyuan", on=REGIONS["liaoning/tieling/kaiyuan"])
    frame = cohort(200, 6)
    source = dd.from_pandas(frame, npartitions=3, sort=False)
    outcome = evaluate_dask(source, policy, tmp_path / "out", client=client, partitions=2)
    parts = tables_of(outcome)
    names = [f"<dask DataFrame, partition {k}>" for k in range(3)]
    assert set(parts["teachers"]["file"].to_list()) == set(names)
    assert_same(whole_tables_of(frame, policy, tmp_path), parts, names)


def test_problems_are_named_by_file_and_row_and_nothing_is_written(client: Any, registry: Any, tmp_path: Path) -> None:
    policy = registry.policy("hebei/baoding/xushui", on=REGIONS["hebei/baoding/xushui"])
    frame = cohort(200, 6)
    frame.loc[10, "online_hours"] = "lots"  # a.csv row 12
    frame.loc[160, "abilities"] = "Z9"  # b.parquet row 12 (its record 10)
    frame.loc[170, "teacher_id"] = frame.loc[3, "teacher_id"]  # b.parquet row 22 repeats a.csv row 5's id
    frame.loc[40, "teacher_id"] = frame.loc[20, "teacher_id"]  # a.csv row 42 repeats its row 22
    files = spread(frame, tmp_path / "in")
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(RosterError) as info:
        evaluate_dask(files, policy, out, client=client, partitions=3)
    whole_file = tmp_path / "whole.csv"
    frame.to_csv(whole_file, index=False)
    with pytest.raises(RosterError) as whole:
        ability2.read_roster(whole_file)
    # the whole file's row r is a.csv's row r up to 151, then b.parquet's row r - 150
    expected = [
        ("a.csv", p.row, p.column, str(p.message)) if p.row <= 151 else ("b.parquet", p.row - 150, p.column, str(p.message))
        for p in whole.value.problems
    ]
    expected[-1] = (*expected[-1][:3], f"{expected[-1][3]} of {files[0]}")  # first used in the other file
    assert [(Path(p.file).name, p.row, p.column, str(p.message)) for p in info.value.problems] == expected
    assert [row for _, row, _, _ in expected] == [12, 42, 12, 12, 22]
    assert list(out.iterdir()) == []


def test_unreadable_files_and_other_columns_are_named_before_any_work(
    client: Any, registry: Any, tmp_path: Path
) -> None:
    policy = registry.policy("guangxi", on=REGIONS["guangxi"])
    folder = tmp_path / "in"
    files = spread(cohort(200, 6), folder)
    (folder / "d.csv").write_bytes(cohort(10, 2).to_csv(index=False).encode("gbk"))
    texts(cohort(10, 2).drop(columns=["grades"])).write_parquet(folder / "e.parquet")
    with pytest.raises(RosterError) as info:
        evaluate_dask([*files, folder / "d.csv", folder / "e.parquet"], policy, tmp_path / "out", client=client)
    said = {Path(p.file).name: str(p.message) for p in info.value.problems}
    assert "UTF-8" in said["d.csv"]
    assert "grades" in said["e.parquet"] and "a.csv" in said["e.parquet"]
    assert not (tmp_path / "out").exists()  # refused before the folder was made
    with pytest.raises(RosterError, match="no file matches"):
        roster_files(str(folder / "*.xlsx"))


def test_a_malformed_csv_row_is_named_by_its_file(client: Any, registry: Any, tmp_path: Path) -> None:
    policy = registry.policy("guangxi", on=REGIONS["guangxi"])
    files = spread(cohort(60, 3), tmp_path / "in")
    with files[0].open("a", encoding="utf-8") as handle:
        handle.write("T9,x,y,z,1,2,3,4,5,6,7,8,9,10,11,12\n")  # more fields than the header
    with pytest.raises(RosterError) as info:
        evaluate_dask(files, policy, tmp_path / "out", client=client)
    assert [Path(p.file).name for p in info.value.problems] == ["a.csv"]
    assert "more fields than the header" in str(info.value.problems[0].message)


def test_a_changed_policy_is_refused(client: Any, registry: Any, tmp_path: Path) -> None:
    policy = registry.policy("guangxi", on=REGIONS["guangxi"]).with_changes({"hours.total_min": 60})
    with pytest.raises(Ability2Error, match="what-if"):
        evaluate_dask(spread(cohort(20, 2), tmp_path / "in"), policy, tmp_path / "out", client=client)


def test_cli_engine_dask(client: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spread(cohort(200, 5), tmp_path / "in")
    out = tmp_path / "tables"
    address = client.scheduler.address
    pattern = str(tmp_path / "in" / "*.parquet")
    args = ["evaluate", pattern, "--region", "370812", "--on", "2022-11-21", "--engine", "dask"]
    assert main([*args, "--scheduler", address, "--format", "parquet", "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "1 个部分：教师 50 人" in err  # the Parquet file's rows (the CSV does not match the glob)
    assert main([*args, "--scheduler", address, "--format", "csv", "-o", str(out), "--lang", "en"]) == 0
    assert "1 parts: 50 teachers" in capsys.readouterr().err
    assert main([*args, "--scheduler", address, "--format", "json", "-o", str(tmp_path / "r.json")]) == 2
    assert "--format=parquet" in capsys.readouterr().err
    assert main([*args, "--scheduler", address, "--workers", "2", "--format", "csv", "-o", str(out)]) == 2
    assert "--workers" in capsys.readouterr().err
    assert main([*args[:-2], "--scheduler", address, "--format", "csv", "-o", str(out)]) == 2
    assert "--engine=dask" in capsys.readouterr().err


def test_cli_scheduler_unreachable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: Any) -> None:
    files = spread(cohort(20, 2), tmp_path / "in")
    monkeypatch.setattr(distributed, "CONNECT_TIMEOUT", 1)
    args = ["evaluate", str(files[0]), "--region", "370812", "--on", "2022-11-21", "--engine", "dask"]
    assert main([*args, "--scheduler", "tcp://127.0.0.1:9", "--format", "csv", "-o", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "无法连接 Dask 调度器 tcp://127.0.0.1:9" in err and "Traceback" not in err


def test_without_dask_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: Any) -> None:
    files = spread(cohort(20, 2), tmp_path / "in")
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` now fails
    with pytest.raises(EngineUnavailable, match=r"ability2\[dask\]"):
        distributed._dask()
    args = ["evaluate", str(files[0]), "--region", "370812", "--on", "2022-11-21", "--engine", "dask"]
    assert main([*args, "--format", "csv", "-o", str(tmp_path / "o"), "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert "pip install 'ability2[dask]'" in err and "distributed is not installed" in err


def test_roster_files_expand_globs_folders_and_lists(tmp_path: Path) -> None:
    files = spread(cohort(20, 2), tmp_path / "in")
    assert roster_files(tmp_path / "in") == [str(files[1]), str(files[2]), str(files[0])]  # Parquet, then CSV
    assert roster_files([files[0], str(tmp_path / "in" / "*.parquet"), files[0]]) == [str(f) for f in files]
    with pytest.raises(RosterError, match="URL"):
        roster_files("s3://bucket/*.parquet")
    shutil.rmtree(tmp_path / "in")


@pytest.mark.parametrize("mapped", [False, True])
def test_parquet_files_are_measured_by_their_metadata(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, mapped: bool
) -> None:
    path = tmp_path / "r.parquet"
    texts(cohort(30, 2)).write_parquet(path)
    from ability2.io import parquet_extent

    monkeypatch.setattr(parquet_extent, "MAP_FROM", 1 if mapped else 1 << 40)
    assert parquet_extent.measure_parquet(str(path), path.stat().st_size) == (30, None)
    path.write_bytes(path.read_bytes()[:-8] + b"\xff\xff\xff\x7fPAR1")  # a footer length past the file
    _, problem = parquet_extent.measure_parquet(str(path), path.stat().st_size)
    assert problem is not None and "cannot read Parquet file" in str(problem)


def test_a_roster_of_every_region_is_judged_row_by_row(client: Any, tmp_path: Path) -> None:
    """Each row under its own region's policy (issue 12, item 4); one file heads the column 地区, the other region."""
    from test_national import ALL, ON, REGISTRY, assert_judged_by_own_region, mixed, separately

    frame = mixed(400, 20, list(range(len(ALL))), [True, False])
    reference = separately(frame)
    folder = tmp_path / "in"
    folder.mkdir()
    frame.iloc[:150].to_csv(folder / "a.csv", index=False)
    texts(frame.iloc[150:].rename(columns={"地区": "region"})).write_parquet(folder / "b.parquet")
    outcome = evaluate_dask(str(folder / "*"), REGISTRY.policy("cn", on=ON), tmp_path / "out", client=client, partitions=3)
    tables = tables_of(outcome)
    assert tables["teachers"].select("file", "row").n_unique() == 400
    assert_judged_by_own_region(tables, reference)
    assert dict(outcome.regions) == {region: t["totals"] for region, t in reference.items()}
    assert (tmp_path / "out" / "rollup.parquet").exists()
    frame.loc[160, "地区"] = "nowhere"
    frame.iloc[150:].to_csv(folder / "b.csv", index=False)
    (folder / "b.parquet").unlink()
    with pytest.raises(RosterError) as caught:
        evaluate_dask(str(folder / "*"), REGISTRY.policy("cn", on=ON), tmp_path / "bad", client=client, partitions=3)
    assert [(p.file, p.row) for p in caught.value.problems if p.column == "region"] == [(str(folder / "b.csv"), 12)]
    assert not (tmp_path / "bad").exists()


# -- the school table (--schools) on the Dask engine ------------------------------------------

FACTS = "学校,信息化管理团队,首席信息官,研修活动实施方案,发展规划已备案"


def facts_file(path: Path, rows: list[str], header: str = FACTS) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_a_school_table_reaches_every_partition(client: Any, registry: Any, tmp_path: Path) -> None:
    """Schools split across files, partitions without rows: each school finds its facts, as in one evaluation."""
    policy = registry.policy("370812", on=REGIONS["shandong/jining/yanzhou"])
    frame = cohort(300, 6)
    files = spread(frame, tmp_path / "in")
    facts = facts_file(
        tmp_path / "schools.csv",
        [f"学校{k:02d},{'是' if k % 2 else '否'},是,{'是' if k % 3 else '否'},是" for k in range(6)],
    )
    whole_file = tmp_path / "whole.csv"
    frame.to_csv(whole_file, index=False)
    result = ability2.evaluate(ability2.read_roster(whole_file), policy, schools=facts)
    assert len(result.unchecked) < len(ability2.evaluate(ability2.read_roster(whole_file), policy).unchecked)
    outcome = evaluate_dask(files, policy, tmp_path / "out", client=client, partitions=12, schools=facts)
    assert len(outcome.files["schools"]) < 12  # six schools: partitions without a row
    from ability2.tables import table_frame

    assert_same({name: table_frame(result, name) for name in TABLES}, tables_of(outcome), [str(f) for f in files])
    it_team = dict(zip(*tables_of(outcome)["schools"].select("school", "school.it_team"), strict=True))
    assert it_team == {f"学校{k:02d}": bool(k % 2) for k in range(6)}  # the table's facts, school by school


def national_cohort() -> pd.DataFrame:
    """Six schools over 兖州区 and 徐水区, and a second 学校00 in 徐水区 (the same name, another school)."""
    frame = cohort(300, 6)
    frame["地区"] = ["370812" if int(school[-2:]) % 2 == 0 else "130609" for school in frame["school"]]
    twin = frame[frame["school"] == "学校00"].head(20).copy()
    twin["地区"] = "130609"
    twin["teacher_id"] = [f"X{k:03d}" for k in range(len(twin))]
    return pd.concat([frame, twin], ignore_index=True)


def test_on_a_national_roster_a_school_is_its_region_and_its_name(client: Any, tmp_path: Path) -> None:
    """Facts by region and school: 学校00 of 兖州区 and 学校00 of 徐水区 get their own rows' facts."""
    on = REGIONS["shandong/jining/yanzhou"]
    frame = national_cohort()
    files = spread(frame, tmp_path / "in")
    rows = [f"{'370812' if k % 2 == 0 else 'hebei/baoding/xushui'},学校{k:02d},{'是' if k % 4 else '否'},是,是,是" for k in range(6)]
    rows.append("130609,学校00,是,是,是,是")  # the other 学校00: a team, unlike 兖州区's
    facts = facts_file(tmp_path / "schools.csv", rows, "地区," + FACTS)
    whole_file = tmp_path / "whole.csv"
    frame.to_csv(whole_file, index=False)
    whole = ability2.evaluate_regions(whole_file, on=on, schools=facts)
    policy = ability2.load_registry().policy("cn", on=on)
    outcome = evaluate_dask(files, policy, tmp_path / "out", client=client, partitions=5, schools=facts)
    parts = tables_of(outcome)
    order = {str(f): k for k, f in enumerate(files)}
    teachers = parts["teachers"].with_columns(pl.col("file").replace_strict(order).alias("__f")).sort("__f", "row")
    expected = whole.teachers.drop("row")  # parts of several regions join their rule columns in another order
    assert teachers.select(expected.columns).equals(expected)
    assert set(teachers.columns) == {*expected.columns, "__f", "file", "row"}
    keys = ["region", "school"]
    for name, key in (("groups", [*keys, "group"]), ("schools", keys)):
        assert parts[name].sort(key).equals(getattr(whole, name).sort(key).select(parts[name].columns)), name
    twins = parts["schools"].filter(pl.col("school") == "学校00").sort("region")
    assert twins.select("region", "school.it_team").rows() == [
        ("hebei/baoding/xushui", True),
        ("shandong/jining/yanzhou", False),
    ]
    assert outcome.rollup().equals(whole.rollup())


def test_a_school_name_in_two_regions_needs_the_tables_region_column(client: Any, tmp_path: Path) -> None:
    on = REGIONS["shandong/jining/yanzhou"]
    frame = national_cohort()
    files = spread(frame, tmp_path / "in")
    facts = facts_file(tmp_path / "schools.csv", [f"学校{k:02d},是,是,是,是" for k in range(6)])
    policy = ability2.load_registry().policy("cn", on=on)
    with pytest.raises(SchoolTableError, match=r"学校00.*2 regions.*region"):
        evaluate_dask(files, policy, tmp_path / "out", client=client, partitions=3, schools=facts)
    whole_file = tmp_path / "whole.csv"
    frame.to_csv(whole_file, index=False)
    with pytest.raises(SchoolTableError, match=r"学校00.*2 regions.*region"):
        ability2.evaluate_regions(whole_file, on=on, schools=facts)
    unknown = facts_file(tmp_path / "unknown.csv", ["999999,学校00,是,是,是,是"], "地区," + FACTS)
    with pytest.raises(SchoolTableError) as info:
        evaluate_dask(files, policy, tmp_path / "out2", client=client, schools=unknown)
    assert [(p.row, "unknown region '999999'" in p.message) for p in info.value.problems] == [(2, True)]
    assert not (tmp_path / "out2").exists()  # refused before any work


def test_cli_engine_dask_takes_a_school_table(client: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    frame = cohort(60, 3)
    roster = tmp_path / "roster.csv"
    frame.to_csv(roster, index=False)
    facts = facts_file(tmp_path / "schools.csv", [f"学校{k:02d},是,是,是,是" for k in range(3)])
    args = ["evaluate", str(roster), "--region", "370812", "--on", "2022-11-21", "--engine", "dask", "--workers", "1"]
    assert main([*args, "--schools", str(facts), "--format", "parquet", "-o", str(tmp_path / "out")]) == 0
    schools = pl.read_parquet(tmp_path / "out" / "schools" / "*.parquet")
    assert schools["school.it_team"].to_list() == [True] * 3
