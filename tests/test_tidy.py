"""Tidy tables (issue 13, item 5): typed numbers, lists not joined text, a long table of reasons.

Limits are the seed documents': 白塔小学 asks 线上学时不少于25学时 (hours.online_min,
``≥ 25``); 冀教师函〔2020〕8号 asks 不少于50学时 in all (hours.total_min).
"""

from __future__ import annotations

import csv
import datetime as dt
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ability2 import Ability2Error, Registry, compare, read_roster
from rows import run, teacher

BAITA = ("jiangsu/changzhou/jintan/baita", dt.date(2022, 6, 1))
XUSHUI = ("hebei/baoding/xushui", dt.date(2022, 6, 1))


# -- (a) the roster frame -----------------------------------------------------------------------


def test_the_roster_frame_holds_hours_as_numbers() -> None:
    roster = read_roster(
        pd.DataFrame([teacher("T1", online_hours="24.5", note="x"), teacher("T2", offline_hours=" 30 ")])
    )
    assert roster.frame.schema["online_hours"] == pl.Float64
    assert roster.frame.schema["offline_hours"] == pl.Float64
    assert roster.frame["online_hours"].to_list() == [24.5, 25.0]
    assert roster.frame["offline_hours"].to_list() == [25.0, 30.0]
    assert roster.frame["note"].to_list() == ["x", ""]  # other columns stay text


# -- (b) hours, counts, values and limits in result.teachers -----------------------------------


def test_teachers_have_hours_and_ability_counts(ability2_registry: Registry) -> None:
    rows = [
        teacher("T1", online_hours="24.5", offline_hours="30", grades="优秀;合格;不合格"),
        teacher("T2", abilities="A1;B2", grades=""),
    ]
    teachers = run(ability2_registry, BAITA, rows).teachers
    assert teachers["online_hours"].tolist() == [24.5, 25.0]
    assert teachers["offline_hours"].tolist() == [30.0, 25.0]
    assert teachers["total_hours"].tolist() == [54.5, 50.0]
    counts = ["abilities_chosen", "abilities_graded", "abilities_passed", "abilities_excellent", "abilities_failed"]
    assert teachers[counts].values.tolist() == [[3, 3, 2, 1, 1], [2, 0, 0, 0, 0]]
    for name in ("online_hours", "offline_hours", "total_hours"):
        assert pd.api.types.is_float_dtype(teachers[name])
    for name in counts:
        assert pd.api.types.is_integer_dtype(teachers[name])


def test_a_rules_value_and_limit_are_columns(ability2_registry: Registry) -> None:
    teachers = run(ability2_registry, BAITA, [teacher("T1", online_hours=20), teacher("T2", online_hours=25)]).teachers
    assert teachers["value:hours.online_min"].tolist() == [20.0, 25.0]
    assert teachers["limit:hours.online_min"].tolist() == [25.0, 25.0]
    assert teachers["hours.online_min"].tolist() == [False, True]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(hours=st.lists(st.integers(0, 6000).map(lambda h: h / 100), min_size=1, max_size=8))
def test_a_floor_holds_exactly_where_the_value_reaches_the_limit(
    ability2_registry: Registry, hours: list[float]
) -> None:
    # 不少于 (at least): the limit itself passes
    rows = [teacher(f"T{i}", online_hours=f"{h:.2f}", offline_hours="0") for i, h in enumerate(hours)]
    teachers = run(ability2_registry, XUSHUI, rows).teachers
    for rule in ("hours.total_min",):
        value, limit = teachers[f"value:{rule}"], teachers[f"limit:{rule}"]
        assert (teachers[rule] == (value >= limit)).all()
        assert value.tolist() == pytest.approx(hours)


# -- (c) lists, not joined text ----------------------------------------------------------------


def test_failed_rules_is_a_list_per_teacher(ability2_registry: Registry) -> None:
    result = run(
        ability2_registry, BAITA, [teacher("T1", online_hours=20), teacher("T2"), teacher("T3", online_hours=1)]
    )
    failed = result.teachers["failed_rules"]
    assert "hours.online_min" in failed[0] and isinstance(failed[0], list)
    assert failed[1] == []
    failed[0].append("mine")  # each teacher's list is their own
    assert "mine" not in failed[2]
    exploded = result.teachers.explode("failed_rules")
    assert "hours.online_min" in set(exploded["failed_rules"].dropna())
    frame = result.table("teachers", backend="polars")
    assert frame.schema["failed_rules"] == pl.List(pl.String)
    assert frame["failed_rules"].to_list()[1] == []


def test_the_csv_keeps_one_joined_cell_and_parquet_a_list(ability2_registry: Registry, tmp_path: Path) -> None:
    from ability2.reports.export import write_tables

    result = run(ability2_registry, BAITA, [teacher("T1", online_hours=20, offline_hours=1), teacher("T2")])
    expected = result.teachers["failed_rules"].tolist()
    assert len(expected[0]) >= 2  # two rules fail: the cell joins them
    write_tables(result, tmp_path / "csv", "csv")
    with (tmp_path / "csv" / "teachers.csv").open(encoding="utf-8-sig") as file:
        rows = list(csv.DictReader(file))
    assert [row["failed_rules"] for row in rows] == [";".join(rules) for rules in expected]
    assert rows[0]["online_hours"] == "20.0"
    write_tables(result, tmp_path / "parquet", "parquet")
    parquet = pl.read_parquet(tmp_path / "parquet" / "teachers.parquet")
    assert parquet["failed_rules"].to_list() == expected
    assert parquet.schema["total_hours"] == pl.Float64


def test_compare_lists_schools_changed_and_the_rules_that_differ(ability2_registry: Registry) -> None:
    # 20 + 30 hours: 冀 asks 50 in all (passes), 白塔 asks 25 online (fails)
    rows = [teacher("T1", online_hours=20, offline_hours=30), teacher("T2", school="S2")]
    comparison = compare(
        pd.DataFrame(rows), ["hebei/baoding/xushui", BAITA], on=dt.date(2022, 6, 1), registry=ability2_registry
    )
    [delta] = comparison.deltas().to_dict("records")
    assert isinstance(delta["schools_changed"], list)
    assert delta["schools_now_pass"] + delta["schools_now_fail"] == len(delta["schools_changed"])
    differences = comparison.differences()
    [row] = differences[differences["teacher_id"] == "T1"].to_dict("records")
    assert (row["failed_only_under_a"], row["failed_only_under_b"]) == ([], ["hours.online_min"])
    polars = comparison.deltas(backend="polars")
    assert polars.schema["schools_changed"] == pl.List(pl.String)
    # the reports keep one text cell
    from ability2.reports.comparison import render_comparison_html

    page = render_comparison_html(comparison)
    assert "['" not in page and "[]" not in page  # no Python list written out
    assert delta["schools_changed"] and f"<td>{';'.join(delta['schools_changed'])}</td>" in page


# -- (d) policy_table(long=True) holds numbers ---------------------------------------------------


def test_the_long_policy_table_holds_numbers_and_the_word_apart(ability2_registry: Registry) -> None:
    comparison = compare(
        pd.DataFrame([teacher("T1")]),
        [BAITA, "liaoning/tieling/kaiyuan"],
        on=dt.date(2024, 5, 1),
        registry=ability2_registry,
    )
    long = comparison.policy_table(long=True)
    assert pd.api.types.is_float_dtype(long["value"])
    row = long[(long["rule"] == "hours.online_min") & (long["policy"].str.startswith("jiangsu"))].iloc[0]
    assert (row["value"], row["unit"], row["word"], row["direction"], row["inclusive"]) == (
        25.0,
        "hours",
        "不少于",
        "min",
        True,
    )
    assert row["display"] == "≥ 25（不少于）"
    shares = long[long["unit"] == "share"]
    assert len(shares) and shares["value"].between(0, 1).all()  # fractions, not "95%"
    english = comparison.policy_table(long=True, lang="en")
    assert english["value"].equals(long["value"])  # numbers do not depend on the language
    assert (english["word"] == long["word"]).all() or english["word"].isna().equals(long["word"].isna())


# -- (e) the long table of reasons ----------------------------------------------------------------


def test_the_reasons_table_has_a_row_per_teacher_and_rule(ability2_registry: Registry) -> None:
    result = run(ability2_registry, BAITA, [teacher("T1", online_hours=20), teacher("T2")])
    table = result.reasons_table()
    rules = [column.rule for column in result.teacher_columns]
    assert list(table.columns) == [
        "teacher_id",
        "school",
        "rule",
        "value",
        "limit",
        "unit",
        "ok",
        "pending",
        "layer",
        "source",
    ]
    assert len(table) == 2 * len(rules)
    assert table["teacher_id"].tolist() == ["T1"] * len(rules) + ["T2"] * len(rules)
    assert table["rule"].tolist() == rules * 2
    row = table[(table["teacher_id"] == "T1") & (table["rule"] == "hours.online_min")].iloc[0]
    assert (row["value"], row["limit"], bool(row["ok"]), bool(row["pending"])) == (20.0, 25.0, False, False)
    assert row["layer"] == BAITA[0] and "白塔" in row["source"]
    # the same verdicts, layers and sources as each teacher's explanation
    for tid in ("T1", "T2"):
        mine = table[table["teacher_id"] == tid]
        reasons = result.explain(tid).reasons
        assert mine["ok"].tolist() == [r.ok for r in reasons]
        assert mine["source"].tolist() == [r.source for r in reasons]
    polars = result.reasons_table(backend="polars")
    assert polars.height == len(table) and polars.schema["value"] == pl.Float64


def test_a_teacher_not_graded_yet_is_pending_in_the_reasons_table(ability2_registry: Registry) -> None:
    result = run(ability2_registry, BAITA, [teacher("T1", grades="")])
    table = result.reasons_table()
    assert result.teachers["status"].tolist() == ["pending"]
    assert table["pending"].any()
    assert not table.loc[table["pending"], "ok"].any() or table["pending"].sum() >= 1


# -- (f) reasons takes a teacher id ------------------------------------------------------------------


def test_reasons_takes_a_teacher_id_like_explain(ability2_registry: Registry) -> None:
    result = run(ability2_registry, BAITA, [teacher("T1", online_hours=20), teacher("T2")])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the id form warns about nothing
        assert result.reasons("T2") == list(result.explain("T2").reasons)
        assert [r.rule for r in result.open_reasons("T1")] == [r.rule for r in result.explain("T1").reasons if not r.ok]
    with pytest.warns(DeprecationWarning, match=r"teacher id.*row number \(1\) is deprecated"):
        old = result.reasons(1)
    assert old == result.reasons("T2")
    with pytest.warns(DeprecationWarning, match=r"open_reasons\(\) takes a teacher id"):
        assert result.open_reasons(0) == result.open_reasons("T1")
    with pytest.raises(Ability2Error, match="没有教师编号为“T9”的教师"):
        result.reasons("T9")
    with pytest.raises(TypeError):
        result.reasons(True)  # type: ignore[arg-type]
    with pytest.warns(DeprecationWarning, match="row number"), pytest.raises(Ability2Error, match="没有第 5 行"):
        result.reasons(5)


# -- (d) texts: made when asked for, as polars Series without Python strings -----------------------


def test_roster_texts_as_arrays_and_as_polars_series_agree() -> None:
    rows = [
        teacher("T1", school=" 实验小学 ", group="语文组", subject="语文", name="张三"),
        teacher("T2", school="实验小学", group="", subject="数学", name="李四"),
        teacher("T3", school="二中", group="数学组", subject="数学", name="王五"),
    ]
    roster = read_roster(pd.DataFrame(rows))
    expected = {
        "teacher_id": ["T1", "T2", "T3"],
        "name": ["张三", "李四", "王五"],
        "school": ["实验小学", "实验小学", "二中"],  # stripped: one school
        "group": ["语文组", "", "数学组"],
        "subject": ["语文", "数学", "数学"],
    }
    for column, texts in expected.items():
        series = roster.text_column(column)
        assert series is not None and series.dtype == pl.String and series.to_list() == texts
        array = getattr(roster, column)
        assert array.dtype == object and array.tolist() == texts
        assert getattr(roster, column) is array  # made once, then kept
    with pytest.raises(Ability2Error, match="online_hours"):
        roster.text_column("online_hours")
    bare = read_roster(pd.DataFrame([teacher("T1")]))
    assert bare.name is None and bare.text_column("name") is None and bare.text_column("group") is None


def test_result_text_columns_follow_what_the_result_holds(ability2_registry: Registry) -> None:
    result = run(ability2_registry, BAITA, [teacher("T1", group="语文组"), teacher("T2", school="S2", group="")])
    assert result.text_column("school").to_list() == ["S1", "S2"]
    assert result.text_column("group").to_list() == ["语文组", ""]
    assert result.text_column("name") is None
    assert result.teachers["school"].tolist() == ["S1", "S2"]
    result.teacher_schools = ["甲校", "乙校"]  # a caller's own names: the tables show them
    assert result.text_column("school").to_list() == ["甲校", "乙校"]
    assert result.teachers["school"].tolist() == ["甲校", "乙校"]
    assert len(result) == 2


def test_changing_a_table_changes_neither_the_result_nor_the_next_table(ability2_registry: Registry) -> None:
    result = run(ability2_registry, BAITA, [teacher("T1", online_hours=20), teacher("T2")])
    teachers = result.teachers
    verdicts = list(result.teacher_columns[0].ok)
    first_rule = result.teacher_columns[0].rule
    teachers.loc[0, first_rule] = not teachers.loc[0, first_rule]
    teachers.loc[0, "online_hours"] = 99.0
    teachers.loc[0, "school"] = "别的学校"
    teachers.loc[0, "status"] = "pass"
    assert list(result.teacher_columns[0].ok) == verdicts
    again = result.teachers
    assert again.loc[0, first_rule] == verdicts[0]
    assert again.loc[0, "online_hours"] == 20.0
    assert again.loc[0, "school"] == "S1" and again.loc[0, "status"] == "fail"
    # every number column, those made for the table (taken uncopied) and those the result holds
    numbers = [c for c in again.columns if c.startswith(("value:", "limit:", "abilities_")) or c.endswith("_hours")]
    assert any(c.startswith("value:") for c in numbers) and any(c.startswith("limit:") for c in numbers)
    before = again[numbers].copy()
    values = {column.rule: np.array(column.value, copy=True) for column in result.teacher_columns}
    for column in numbers:
        again.loc[0, column] = -7
    assert all(np.array_equal(column.value, values[column.rule]) for column in result.teacher_columns)
    assert result.teachers[numbers].equals(before)
