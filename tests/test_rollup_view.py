"""The roll-up at a terminal (issue 12): the wide areas, the weakest of the rest, and what was left out.

A national roll-up has thousands of areas; printed, it shows the nation and the provinces
(or the level asked), then the areas below with the lowest pass rates, and says how many
were left out and where the full table is. ``--rollup-all`` prints every area.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ability2.cli import main
from ability2.rollup import LEVELS, ROLLUP_COLUMNS, rollup
from ability2.rollup_view import digest, digest_notes
from ability2.totals import Totals
from test_national import ALL, ON, REGISTRY, mixed


def synthetic(provinces: int, cities: int, counties: int, rates: list[int]) -> pl.DataFrame:
    """A roll-up of ``provinces`` provinces, each of ``cities`` cities of ``counties`` counties, pass rates cycling ``rates``."""
    rows: list[dict[str, Any]] = []

    def area(level: str, code: str, k: int) -> None:
        teachers = 100 + k % 7
        passed = teachers * rates[k % len(rates)] // 100
        rows.append(
            {
                "level": level,
                "code": code,
                "region": "",
                "name": f"地区{code}",
                "name_en": f"area {code}",
                "teachers": teachers,
                "passed": passed,
                "excellent": 0,
                "failed": teachers - passed,
                "pending": 0,
                "pass_rate": round(passed / teachers, 6),
                "excellent_rate": 0.0,
                "schools": 1,
                "schools_passed": 1,
                "schools_failed": 0,
                "school_pass_rate": 1.0,
            }
        )

    area("nation", "", 0)
    k = 1
    for p in range(provinces):
        area("province", f"{11 + p:02d}0000", k)
        k += 1
        for c in range(cities):
            area("city", f"{11 + p:02d}{c + 1:02d}00", k)
            k += 1
            for t in range(counties):
                area("county", f"{11 + p:02d}{c + 1:02d}{t + 1:02d}", k)
                k += 1
    return pl.DataFrame(rows).select(ROLLUP_COLUMNS)


def test_a_national_rollup_keeps_the_provinces_and_the_ten_weakest() -> None:
    frame = synthetic(31, 4, 3, [97, 88, 100, 91, 79, 95])
    view = digest(frame)
    assert view.shown["level"].to_list() == ["nation"] + ["province"] * 31
    assert view.weakest.height == 10 and set(view.weakest["level"]) <= {"city", "county"}
    rest = frame.filter(
        pl.col("level").is_in(["city", "county"]) & ~pl.col("code").is_in(view.weakest["code"].to_list())
    )
    assert view.weakest["pass_rate"].max() <= rest["pass_rate"].min()
    assert view.weakest["pass_rate"].to_list() == sorted(view.weakest["pass_rate"].to_list())
    below = 31 * 4 + 31 * 4 * 3
    assert (view.left_out, view.areas) == (below - 10, frame.height)
    notes = digest_notes(view, "zh", "tables/rollup.parquet")
    assert notes["weakest"] == "合格率最低的 10 个地区（市级、县级）"
    assert (
        notes["left_out"]
        == f"共 {frame.height:,} 个地区，另有 {below - 10:,} 个未列出；完整汇总表：tables/rollup.parquet"
    )
    english = digest_notes(view, "en")
    assert english["weakest"] == "The 10 areas with the lowest pass rates (city, county)"
    assert "--rollup-all" in english["left_out"] and f"{below - 10:,} more not listed" in english["left_out"]
    assert not re.search(r"[\u4e00-\u9fff]", "".join(english.values()))


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 4),
    st.integers(0, 4),
    st.integers(0, 3),
    st.lists(st.integers(0, 100), min_size=1, max_size=6),
    st.sampled_from(LEVELS),
    st.integers(0, 12),
)
def test_every_area_is_shown_listed_as_weakest_or_counted(
    provinces: int, cities: int, counties: int, rates: list[int], level: str, weakest: int
) -> None:
    frame = synthetic(provinces, cities, counties, rates)
    view = digest(frame, level, weakest)
    assert view.shown.height + view.weakest.height + view.left_out == frame.height
    depth = LEVELS.index(level)
    wide = frame.filter(pl.col("level").is_in(list(LEVELS[: depth + 1])))
    if view.complete:
        assert view.shown.equals(frame)  # everything, in the roll-up's order
        return
    assert view.shown.equals(wide)
    assert view.weakest.height == weakest
    listed = set(view.weakest["code"].to_list())
    rest = frame.filter(~pl.col("level").is_in(list(LEVELS[: depth + 1])) & ~pl.col("code").is_in(list(listed)))
    if view.weakest.height:
        assert view.weakest["pass_rate"].max() <= rest["pass_rate"].min()  # the weakest are the weakest
        assert view.weakest["pass_rate"].to_list() == sorted(view.weakest["pass_rate"].to_list())


def test_bad_arguments_are_refused() -> None:
    frame = synthetic(1, 1, 1, [90])
    with pytest.raises(ValueError, match="unknown level"):
        digest(frame, "town")
    with pytest.raises(ValueError, match="0 or more"):
        digest(frame, "nation", -1)


def test_the_installed_regions_rollup_is_printed_whole_when_short() -> None:
    frame = rollup({region.id: Totals(teachers=10, passed=9) for region in REGISTRY.regions()}, REGISTRY)
    assert digest(frame).complete  # a handful of cities and counties: nothing is left out


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_command_line_prints_a_digest_and_says_what_it_left_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], lang: str
) -> None:
    path = tmp_path / "nation.csv"
    mixed(300, 20, list(range(len(ALL))), [True, False]).to_csv(path, index=False, encoding="utf-8-sig")
    base = ["evaluate", str(path), "--on", ON.isoformat(), "--lang", lang]
    areas = rollup_areas(tmp_path, base)
    capsys.readouterr()
    assert main([*base, "--rollup-all"]) == 0
    full = capsys.readouterr().out
    assert len(full.splitlines()) >= areas  # every area
    assert main([*base, "--rollup-level", "nation", "--rollup-weakest", "2"]) == 0
    out = capsys.readouterr().out
    if lang == "zh":
        assert "合格率最低的 2 个地区（省级、市级、县级）" in out
        assert f"共 {areas} 个地区，另有 {areas - 3} 个未列出；--rollup-all 显示全部" in out
        assert "全国" in out
    else:
        assert "The 2 areas with the lowest pass rates (province, city, county)" in out
        assert f"{areas} areas, {areas - 3} more not listed; --rollup-all prints them all" in out
        assert not re.search(r"[\u4e00-\u9fff]", out.replace("全国", ""))
    assert len(out.splitlines()) < len(full.splitlines())
    folder = tmp_path / f"tables-{lang}"
    args = [*base, "--rollup-level", "province", "--rollup-weakest", "1", "--partitions", "2", "--format", "csv"]
    assert main([*args, "-o", str(folder)]) == 0
    said = capsys.readouterr().out
    where = str(folder / "rollup.csv")
    assert (f"完整汇总表：{where}" if lang == "zh" else f"the full roll-up: {where}") in said


def rollup_areas(tmp_path: Path, base: list[str]) -> int:
    folder = tmp_path / f"count-{base[-1]}"
    assert main([*base, "--format", "parquet", "-o", str(folder)]) == 0
    return pl.read_parquet(folder / "rollup.parquet").height
