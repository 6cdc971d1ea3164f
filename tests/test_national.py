"""A national roster (issue 12, item 4): each row judged by its own region's policy, and the roll-up.

A roster that names each school's region (column ``region``/``地区``, by id or GB/T 2260
code) mixes regions. Whatever the mix, the verdicts must be those of evaluating each region's
rows on their own under that region's policy (in this process and on the partitioned path;
the Dask engine's test is in test_distributed.py). The roll-up counts teachers and schools by
province, city and county, keyed by the first 2, 4 and 6 digits of the region's code (the
codes the seed plugins declare: 370812 兖州区 in 370800 济宁市 in 370000 山东省).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import warnings
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
from ability2.errors import Ability2Error, RosterError
from ability2.partition import Totals
from ability2.reports.partitioned import evaluate_partitioned
from ability2.rollup import rollup
from ability2.tables import TABLES, table_frame
from test_partition import REGIONS, cohort

#: one date for every region: the latest of the seed regions' demo dates (each has a policy then)
ON = max(REGIONS.values())
REGISTRY = ability2.load_registry()
#: every installed region (the nation, provinces, cities, counties, a school), with its code when it has one
ALL = [(region.id, region.code) for region in REGISTRY.regions()]


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """These tests are about what is found and refused, read in English; the language itself is tested in
    tests/test_input_messages.py (the command line, run in a child process, speaks its default, Chinese)."""
    from ability2.messages import language

    with language("en"):
        yield



def mixed(teachers: int, schools: int, assign: list[int], by_code: list[bool], seed: int = 7) -> pd.DataFrame:
    """``cohort`` with a 地区 column: school k in region ``ALL[assign[k]]``, written as its code when asked and known."""
    frame = cohort(teachers, schools, seed)
    values = {}
    for k in range(schools):
        region, code = ALL[assign[k % len(assign)] % len(ALL)]
        values[f"学校{k:02d}"] = code if by_code[k % len(by_code)] and code else region
    frame.insert(2, "地区", frame["school"].map(values))
    return frame


def region_of(value: str) -> str:
    return REGISTRY.region(value).id


def separately(frame: pd.DataFrame) -> dict[str, dict[str, pl.DataFrame]]:
    """Each region's rows evaluated on their own, under that region's policy (the reference)."""
    out = {}
    ids = frame["地区"].map(region_of)
    for region in dict.fromkeys(ids):
        rows = frame[ids == region].drop(columns=["地区"]).reset_index(drop=True)
        result = ability2.evaluate(rows, REGISTRY.policy(region, on=ON))
        out[region] = {name: table_frame(result, name) for name in TABLES}
        out[region]["totals"] = Totals.of(result)  # type: ignore[assignment]
    return out


def assert_judged_by_own_region(tables: dict[str, pl.DataFrame], reference: dict[str, Any]) -> None:
    for region, expected in reference.items():
        for name, key in (("teachers", ["teacher_id"]), ("groups", ["school", "group"]), ("schools", ["school"])):
            got = tables[name].filter(pl.col("region") == region)
            wanted = expected[name]
            # the rule columns of other regions are empty in this region's rows
            others = [c for c in got.columns if c not in wanted.columns and c not in ("region", "row", "file")]
            assert all(got[c].null_count() == got.height for c in others), (region, name)
            assert got.select(wanted.columns).sort(key).equals(wanted.sort(key)), (region, name)
    assert set(tables["teachers"]["region"].unique()) == set(reference)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    assign=st.lists(st.integers(0, len(ALL) - 1), min_size=1, max_size=12),
    by_code=st.lists(st.booleans(), min_size=1, max_size=5),
)
def test_each_row_is_judged_by_its_own_regions_policy(assign: list[int], by_code: list[bool]) -> None:
    frame = mixed(240, 12, assign, by_code)
    out = ability2.evaluate_regions(frame, on=ON, registry=REGISTRY)
    reference = separately(frame)
    assert_judged_by_own_region({name: getattr(out, name) for name in TABLES}, reference)
    assert out.teachers["row"].to_list() == list(range(2, 242))  # file order, each row once
    assert dict(out.regions) == {region: tables["totals"] for region, tables in reference.items()}
    assert out.totals == sum((t["totals"] for t in reference.values()), Totals())


def test_every_seed_region_at_once_and_the_partitioned_path(tmp_path: Path) -> None:
    frame = mixed(600, 30, list(range(len(ALL))), [True, False])
    assert {region_of(v) for v in frame["地区"]} == {region for region, _ in ALL}
    reference = separately(frame)
    assert {"pass", "fail"} <= set(pl.concat([t["teachers"]["status"] for t in reference.values()]).to_list())
    path = tmp_path / "nation.csv"
    frame.to_csv(path, index=False)
    policy = REGISTRY.policy("cn", on=ON)
    for parts, workers in ((1, 1), (4, 2), (7, 1)):
        outcome = evaluate_partitioned(path, policy, tmp_path / f"out{parts}", parts=parts, workers=workers)
        tables = {name: outcome.table(name).collect() for name in TABLES}
        assert sorted(tables["teachers"]["row"].to_list()) == list(range(2, 602))
        assert_judged_by_own_region(tables, reference)
        assert dict(outcome.regions) == {region: t["totals"] for region, t in reference.items()}
        written = pl.read_parquet(tmp_path / f"out{parts}" / "rollup.parquet")
        assert written.equals(rollup({r: t["totals"] for r, t in reference.items()}, REGISTRY))


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.integers(1, 6), seed=st.integers(0, 1000))
def test_any_split_into_parts_gives_the_same_rollup(tmp_path_factory: Any, parts: int, seed: int) -> None:
    rng = random.Random(seed)
    frame = mixed(150, 8, [rng.randrange(len(ALL)) for _ in range(8)], [rng.random() < 0.5], seed)
    folder = tmp_path_factory.mktemp("parts")
    path = folder / "nation.parquet"
    pl.from_pandas(frame).write_parquet(path)
    outcome = evaluate_partitioned(path, REGISTRY.policy("cn", on=ON), folder / "out", parts=parts)
    whole = ability2.evaluate_regions(frame, on=ON, registry=REGISTRY)
    assert dict(outcome.regions) == dict(whole.regions)
    assert outcome.rollup(REGISTRY).equals(whole.rollup(REGISTRY))


# --------------------------------------------------------------------------- the roll-up


def test_rollup_keys_areas_by_code_prefix() -> None:
    one = Totals(teachers=10, passed=8, excellent=2, failed=2, schools=2, schools_passed=1)
    two = Totals(teachers=30, passed=15, excellent=3, failed=10, pending=5, schools=3, schools_passed=3)
    frame = rollup(
        {
            "shandong/jining/yanzhou": one,  # 370812
            "shandong": two,  # the province's own rows: 370000, in no city or county
            "jiangsu/changzhou/jintan/baita": one,  # a school region: in its county 320413
            "cn": one,  # the nation's own rows: in no province
        },
        REGISTRY,
    )
    rows = {(r["level"], r["code"]): r for r in frame.iter_rows(named=True)}
    assert list(rows) == [
        ("nation", ""),
        ("province", "320000"),
        ("city", "320400"),
        ("county", "320413"),
        ("province", "370000"),
        ("city", "370800"),
        ("county", "370812"),
    ]
    nation = rows[("nation", "")]
    assert (nation["name"], nation["teachers"], nation["passed"], nation["schools"]) == ("全国", 60, 39, 9)
    shandong = rows[("province", "370000")]
    assert (shandong["name"], shandong["region"], shandong["teachers"], shandong["passed"]) == (
        "山东省",
        "shandong",
        40,
        23,
    )
    assert shandong["pass_rate"] == round(23 / 40, 6) and shandong["excellent_rate"] == round(5 / 40, 6)
    assert (shandong["schools"], shandong["schools_passed"], shandong["schools_failed"]) == (5, 4, 1)
    jining = rows[("city", "370800")]
    assert (jining["name"], jining["teachers"], jining["schools_failed"]) == ("济宁市", 10, 1)
    assert rows[("county", "370812")]["name"] == "兖州区"
    assert rows[("county", "320413")]["teachers"] == 10  # baita's teachers, in 金坛区


def test_rollup_adds_partial_counts() -> None:
    parts = [Totals(teachers=5, passed=4, schools=1, schools_passed=1), Totals(teachers=7, passed=1, schools=2)]
    whole = rollup({"hebei/baoding/xushui": parts[0] + parts[1]}, REGISTRY)
    assert whole["teachers"].to_list() == [12, 12, 12, 12]  # nation, 河北省, 保定市, 徐水区
    assert whole["code"].to_list() == ["", "130000", "130600", "130609"]
    assert whole["schools_failed"].to_list() == [2] * 4


def test_areas_without_a_code_are_keyed_by_id(tmp_path: Path) -> None:
    """A third-party plugin may leave a region's code out: its rows count under the ids of their areas."""
    files = []
    for name, text in {
        "p.yaml": "region: {id: testprov, name: 测试省, level: province, parent: cn}",
        "c.yaml": "region: {id: testprov/city, name: 测试市, level: city, parent: testprov}",
    }.items():
        (tmp_path / name).write_text(text + "\n", encoding="utf-8")
        files.append(tmp_path / name)
    registry = ability2.load_registry(extra_files=files)
    frame = rollup({"testprov/city": Totals(teachers=4, passed=3), "testprov": Totals(teachers=6, passed=1)}, registry)
    rows = [(r["level"], r["code"], r["region"], r["name"], r["teachers"]) for r in frame.iter_rows(named=True)]
    assert rows == [
        ("nation", "", "cn", "全国", 10),
        ("province", "", "testprov", "测试省", 10),
        ("city", "", "testprov/city", "测试市", 4),
    ]


# --------------------------------------------------------------------------- row errors


def test_region_problems_are_row_errors() -> None:
    frame = mixed(40, 4, [0, 5, 9, 12], [True])
    frame.loc[3, "地区"] = ""  # missing
    frame.loc[5, "地区"] = "beijing/haidian"  # not installed
    frame.loc[7, "地区"] = "110108"  # a real GB/T 2260 code (海淀区) no installed plugin declares
    with pytest.raises(RosterError) as caught:
        ability2.evaluate_regions(frame, on=ON, registry=REGISTRY)
    problems = [p for p in caught.value.problems if p.column == "region"]
    rows = [p.row for p in problems]
    assert {5, 7, 9} <= set(rows)  # DataFrame rows: the first is row 2
    said = {p.row: str(p.message) for p in problems}
    assert "empty region" in said[5]
    assert "unknown region 'beijing/haidian'" in said[7]
    assert "unknown region '110108'" in said[9]
    assert rows == sorted(rows)


def test_a_school_name_under_two_regions_is_two_schools() -> None:
    """实验小学 in two counties: each judged by its own county's rules and counted there."""
    frame = mixed(40, 4, [0, 5, 9, 12], [True])
    first, second = frame.loc[0, "地区"], next(v for v in frame["地区"] if region_of(v) != region_of(frame.loc[0, "地区"]))
    rows = frame[frame["地区"].isin([first, second])].copy()
    rows["school"] = "实验小学"
    outcome = ability2.evaluate_regions(rows, on=ON, registry=REGISTRY)
    schools = outcome.schools.to_pandas()
    mine = schools[schools["school"] == "实验小学"]
    assert sorted(mine["region"]) == sorted({region_of(first), region_of(second)})
    for region in (first, second):
        alone = ability2.evaluate(
            rows[rows["地区"] == region].drop(columns=["地区"]), REGISTRY.policy(region_of(region), on=ON)
        )
        counted = mine[mine["region"] == region_of(region)].iloc[0]
        assert int(counted["teachers"]) == len(alone)
        assert counted["status"] == alone.school_status()[0]


def test_within_a_region_and_dates_and_a_missing_column() -> None:
    frame = mixed(60, 6, [i for i, (r, _) in enumerate(ALL) if r.startswith(("shandong", "hebei"))], [False])
    with pytest.raises(RosterError) as caught:
        ability2.evaluate_regions(frame, on=ON, within="370000", registry=REGISTRY)
    outside = [p for p in caught.value.problems if "not within shandong" in str(p.message)]
    assert outside and all(frame.loc[p.row - 2, "地区"].startswith("hebei") for p in outside)
    assert len(outside) == sum(frame["地区"].str.startswith("hebei"))  # every row listed
    ok = frame[frame["地区"].str.startswith("shandong")]
    assert ability2.evaluate_regions(ok, on=ON, within="shandong", registry=REGISTRY).totals.teachers == len(ok)
    early = REGISTRY.effective_from("shandong/jining/yanzhou")
    assert early is not None
    with pytest.raises(RosterError) as caught:
        ability2.evaluate_regions(ok, on=early - dt.timedelta(days=1), registry=REGISTRY)
    assert any("no policy for shandong/jining/yanzhou" in str(p.message) for p in caught.value.problems)
    with pytest.raises(RosterError, match="region"):
        ability2.evaluate_regions(ok.drop(columns=["地区"]), on=ON, registry=REGISTRY)


def test_evaluate_with_one_policy_refuses_other_regions() -> None:
    frame = mixed(40, 4, [0, 5], [True])
    with pytest.raises(Ability2Error, match="evaluate_regions"):
        ability2.evaluate(frame, REGISTRY.policy("cn", on=ON))
    one = frame.assign(地区="370812")
    result = ability2.evaluate(one, REGISTRY.policy("shandong/jining/yanzhou", on=ON))
    assert len(result) == 40  # every row is the policy's region: evaluated as always


# --------------------------------------------------------------------------- the command line


def test_cli_without_region_prints_and_writes_the_rollup(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    frame = mixed(300, 20, list(range(len(ALL))), [True, False])
    path = tmp_path / "nation.csv"
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    on = ["--on", ON.isoformat()]
    assert main(["evaluate", str(path), *on]) == 0
    out = capsys.readouterr().out
    assert "合格率" in out and "山东省" in out and "兖州区" in out and "全国" in out
    assert main(["evaluate", str(path), *on, "--lang", "en"]) == 0
    english = capsys.readouterr().out
    assert "pass rate" in english and not re.search(r"[\u4e00-\u9fff]", english.replace("全国", ""))
    folder, plot = tmp_path / "tables", tmp_path / "rollup.png"
    assert main(["evaluate", str(path), *on, "--format", "parquet", "-o", str(folder), "--plot", str(plot)]) == 0
    assert {p.name for p in folder.iterdir()} >= {
        "teachers.parquet",
        "schools.parquet",
        "rollup.parquet",
        "totals.json",
    }
    assert pl.read_parquet(folder / "teachers.parquet").height == 300
    assert plot.read_bytes().startswith(b"\x89PNG")
    parts = tmp_path / "parts"
    args = ["evaluate", str(path), *on, "--partitions", "3", "--format", "parquet", "-o", str(parts)]
    assert main(args) == 0
    assert "个地区逐行按各自政策评估" in capsys.readouterr().err
    assert pl.read_parquet(parts / "rollup.parquet").equals(pl.read_parquet(folder / "rollup.parquet"))


def test_cli_refusals_write_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    frame = mixed(30, 3, [0, 5, 9], [True])
    frame.loc[4, "地区"] = "nowhere"
    bad = tmp_path / "bad.csv"
    frame.to_csv(bad, index=False)
    on = ["--on", ON.isoformat()]
    for extra in ([], ["--partitions", "2"]):
        out = tmp_path / f"out{len(extra)}"
        assert main(["evaluate", str(bad), *on, "--format", "csv", "-o", str(out), *extra]) == 2
        err = capsys.readouterr().err
        assert f"{bad}:6:地区: 未知地区“nowhere”" in err
        assert not out.exists()  # the folder is not made before the roster is refused
    plain = tmp_path / "plain.csv"
    frame.drop(columns=["地区"]).to_csv(plain, index=False)
    assert main(["evaluate", str(plain), *on]) == 2
    assert "--region" in capsys.readouterr().err
    assert main(["evaluate", str(plain), "--region", "370812", *on, "--plot", str(tmp_path / "p.png")]) == 2
    assert "--plot" in capsys.readouterr().err
    good = tmp_path / "good.csv"
    frame.assign(地区="370812").to_csv(good, index=False)
    assert main(["evaluate", str(good), *on, "--format", "json"]) == 2
    said = json.loads(capsys.readouterr().err)  # JSON mode: the error as one JSON object
    assert said["message_code"] == "cli.regional_formats" and "--format=table" in said["message"]
    assert main(["evaluate", str(good), "--region", "hebei", *on]) == 2
    assert "而“370812”不是 hebei" in capsys.readouterr().err
    missing = tmp_path / "never"
    assert main(["evaluate", str(plain), "--region", "nowhere", *on, "--format", "csv", "-o", str(missing)]) == 2
    assert not missing.exists()


def test_with_region_given_the_column_is_an_ordinary_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Contract §2: a column the contract does not name is kept and passed through; --region judges every row."""
    import json

    frame = mixed(12, 2, [0], [True]).drop(columns=["地区"])
    on = ["--on", ON.isoformat()]
    yanzhou = ability2.load_registry().region("370812").id
    for cell in ("兖州区", "370812", yanzhou):  # a district written out, the region's own code, its id
        path = tmp_path / "roster.csv"
        frame.assign(地区=cell).to_csv(path, index=False)
        assert main(["evaluate", str(path), "--region", yanzhou, *on, "--format", "json"]) == 0
        document = json.loads(capsys.readouterr().out)
        assert document["region"] == yanzhou
        assert len(document["teachers"]) == 12
        assert {t["columns"]["地区"] for t in document["teachers"]} == {cell}
        policy = ability2.load_registry().policy(yanzhou, on=ON)
        assert len(ability2.evaluate(str(path), policy)) == 12  # the API agrees


# --------------------------------------------------------------------------- the plot


def test_the_plot_draws_the_table(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from ability2 import plots
    from ability2.reports.rollup_plot import plot_rollup

    frame = mixed(300, 15, list(range(len(ALL))), [True])
    table = ability2.evaluate_regions(frame, on=ON, registry=REGISTRY).rollup(REGISTRY)
    assert plots.configure_cjk_font() is not None, "no CJK font: install fonts-noto-cjk"
    for lang in ("zh", "en"):
        figure = plot_rollup(table, lang=lang, on=ON)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            figure.savefig(tmp_path / f"{lang}.png")
        assert not [str(w.message) for w in caught if "missing from" in str(w.message)]
        provinces = table.filter(pl.col("level") == "province")
        bars = {a.get_gid(): a for ax in figure.axes for a in ax.patches if a.get_gid()}
        for row in provinces.iter_rows(named=True):
            assert bars[f"rollup:pass_rate:{row['code']}"].get_width() == pytest.approx(row["pass_rate"])
            assert bars[f"rollup:excellent_rate:{row['code']}"].get_width() == pytest.approx(row["excellent_rate"])
            assert bars[f"rollup:schools_failed:{row['code']}"].get_width() == row["schools_failed"]
        rates = {row["code"]: row["pass_rate"] for row in provinces.iter_rows(named=True)}
        heights = {code: bars[f"rollup:pass_rate:{code}"].get_y() for code in rates}
        assert sorted(rates, key=lambda c: -heights[c]) == sorted(rates, key=lambda c: (rates[c], c))  # weakest on top
        texts = [t.get_text() for ax in figure.axes for t in ax.get_yticklabels()]
        texts += [figure.get_suptitle()] if hasattr(figure, "get_suptitle") else []
        chinese = [t for t in texts if re.search(r"[\u4e00-\u9fff]", t)]
        if lang == "zh":
            assert "山东省" in texts and chinese
        else:
            assert "Shandong" in " ".join(texts) or "shandong" in " ".join(texts)
            assert not chinese, chinese
    small = plot_rollup(table, level="county", limit=2)
    assert "最低的 2 个" in small.get_suptitle()
