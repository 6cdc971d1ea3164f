"""Rules that need the whole cohort (issue 12, item 1): declared, combined across parts, or refused.

A kind of reach COHORT judges a school by a figure of the whole cohort (here: the cohort's
pass rate). With ``partial`` and ``combine`` it must give the same verdicts in one process,
on the partitioned path and on the Dask engine, however the cohort is split; without them
the paths that evaluate parts refuse it, naming the rule, the kind and the plugin. The
throw-away plugin ``tests/plugins/ability2-cohortkind`` is installed through its entry point,
so that worker processes (``--workers``, Dask) load it as an installed plugin is loaded.
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

import ability2
from ability2.cohort import Cohort, PartialsNeeded, UncombinableRule, add_counts, combine_partials
from ability2.errors import RegistryError
from ability2.partition import Totals, evaluate_frame
from ability2.reports.partitioned import evaluate_partitioned
from ability2.tables import TABLES, table_frame
from test_partition import assert_same_tables, cohort

PLUGIN = Path(__file__).parent / "plugins" / "ability2-cohortkind"
ON = dt.date(2022, 11, 21)
GAP = "cohortkind.pass_rate_gap_max"
WHOLE = "cohortkind.pass_rate_gap_whole_max"


@pytest.fixture(scope="module")
def plugin() -> Iterator[Any]:
    sys.path.insert(0, str(PLUGIN / "src"))
    try:
        yield importlib.import_module("ability2_cohortkind")
    finally:
        sys.path.remove(str(PLUGIN / "src"))


@pytest.fixture(scope="module")
def registry(plugin: Any) -> ability2.Registry:
    """The installed plugins and the throw-away one."""
    return ability2.load_registry(plugins=[plugin])


def expected_gap_verdicts(frame: pd.DataFrame, statuses: dict[str, str], cap: Fraction) -> dict[str, bool]:
    """The rule read from its text: a school fails when its pass rate is more than ``cap`` below the cohort's."""
    passed = {tid for tid, status in statuses.items() if status in ("pass", "excellent")}
    cohort_rate = Fraction(len(passed), len(frame))
    out = {}
    for school, rows in frame.groupby("school"):
        rate = Fraction(sum(tid in passed for tid in rows["teacher_id"]), len(rows))
        out[str(school)] = cohort_rate - rate <= cap
    return out


def rule_verdicts(schools: pl.DataFrame, rule: str) -> dict[str, bool]:
    return dict(zip(schools["school"].to_list(), schools[rule].to_list(), strict=True))


# -- the declaration ----------------------------------------------------------------------


def test_every_core_kind_declares_it_judges_within_a_school() -> None:
    catalogue = ability2.load_registry(entry_points=False).policy("cn", on=dt.date(2022, 1, 1)).catalogue
    assert catalogue.kinds
    for kind in catalogue.kinds:
        assert kind.reach is ability2.Reach.SCHOOL, kind.label
        assert not kind.combinable


def test_the_plugins_kinds_declare_the_whole_cohort(plugin: Any) -> None:
    gap, whole = plugin.GapToCohort(), plugin.GapToCohortWhole()
    assert (gap.reach, gap.combinable) == (ability2.Reach.COHORT, True)
    assert (whole.reach, whole.combinable) == (ability2.Reach.COHORT, False)


def kinds_plugin(*kinds: ability2.RuleKind) -> Any:
    class Plugin:
        @ability2.hookimpl
        def ability2_rule_kinds(self) -> list[ability2.RuleKind]:
            return list(kinds)

    return Plugin()


def test_a_half_declaration_is_refused_when_the_registry_loads(plugin: Any) -> None:
    class PartialOnly(plugin.GapToCohort):
        name = "partial-only"
        combine = ability2.RuleKind.combine  # type: ignore[assignment]

    class NotDeclared(plugin.GapToCohort):
        name = "not-declared"
        reach = ability2.Reach.SCHOOL

    class Wrong(plugin.GapToCohortWhole):
        name = "wrong"
        reach = "cohort"  # type: ignore[assignment]

    from ability2.messages import language

    for kind, said in (
        (PartialOnly(), "implements partial without combine"),
        (NotDeclared(), "declares reach SCHOOL"),
        (Wrong(), "expected ability2.Reach.SCHOOL or ability2.Reach.COHORT"),
    ):
        with language("en"), pytest.raises(RegistryError, match=said):
            ability2.load_registry(plugins=[kinds_plugin(kind)], entry_points=False)


@given(
    st.lists(
        st.lists(st.tuples(st.sampled_from("abc"), st.integers(0, 50), st.integers(0, 50)), max_size=6), max_size=5
    )
)
def test_counts_added_by_key_do_not_depend_on_the_split(parts: list[list[tuple[str, int, int]]]) -> None:
    whole: dict[str, tuple[int, int]] = {}
    for part in parts:
        for key, a, b in part:
            whole[key] = (whole.get(key, (0, 0))[0] + a, whole.get(key, (0, 0))[1] + b)
    partials = []
    for part in parts:
        own: dict[str, tuple[int, int]] = {}
        for key, a, b in part:
            own[key] = (own.get(key, (0, 0))[0] + a, own.get(key, (0, 0))[1] + b)
        partials.append(own)
    assert add_counts(partials) == whole
    assert add_counts([{"n": 2}, {"n": 3}, {}]) == {"n": 5}


# -- in this process ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def roster(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cohort") / "roster.csv"
    cohort(300, 9).to_csv(path, index=False)
    return path


def test_one_process_judges_each_school_by_the_cohorts_pass_rate(registry: Any, roster: Path) -> None:
    policy = registry.policy("370881", on=ON)
    result = ability2.evaluate(ability2.read_roster(roster), policy)
    teachers = table_frame(result, "teachers")
    statuses = dict(zip(teachers["teacher_id"].to_list(), teachers["status"].to_list(), strict=True))
    verdicts = rule_verdicts(table_frame(result, "schools"), GAP)
    assert verdicts == expected_gap_verdicts(pd.read_csv(roster, dtype=str), statuses, Fraction(1, 10))
    assert set(verdicts.values()) == {True, False}  # some schools fall more than 10 points short, some do not


@pytest.mark.parametrize("parts", [1, 2, 4, 12])
def test_the_partitioned_path_combines_the_figure(registry: Any, roster: Path, tmp_path: Path, parts: int) -> None:
    policy = registry.policy("370881", on=ON)
    result = ability2.evaluate(ability2.read_roster(roster), policy)
    outcome = evaluate_partitioned(roster, policy, tmp_path / "out", parts=parts)  # 12 parts: some empty
    assert_same_tables(
        {name: table_frame(result, name) for name in TABLES}, {n: outcome.table(n).collect() for n in TABLES}
    )
    assert outcome.totals == Totals.of(result)


def test_a_partition_asks_for_the_figure_then_uses_it(registry: Any, roster: Path) -> None:
    """evaluate_frame, the engine-neutral call: the partial first, the verdicts once the figure is given."""
    policy = registry.policy("370881", on=ON)
    frame = pd.read_csv(roster, dtype=str, keep_default_na=False)
    halves = [frame[frame["school"] < "学校04"], frame[frame["school"] >= "学校04"]]
    partials = []
    for half in halves:
        with pytest.raises(PartialsNeeded) as asked:
            evaluate_frame(half, policy)
        partials.append(asked.value.partials)
    figures = combine_partials(partials, {}, lambda region: policy)
    whole = ability2.evaluate(ability2.read_roster(roster), policy)
    passed = int((table_frame(whole, "teachers")["status"].is_in(["pass", "excellent"])).sum())
    assert figures == {("shandong/jining/qufu", GAP): (passed, len(frame))}
    schools = pl.concat([evaluate_frame(half, policy, cohort=Cohort(figures)).schools for half in halves])
    assert schools.sort("school").equals(table_frame(whole, "schools").sort("school"))


def test_a_kind_that_cannot_be_combined_is_refused_on_the_partitioned_path(
    registry: Any, roster: Path, tmp_path: Path
) -> None:
    policy = registry.policy("370883", on=ON)
    whole = ability2.evaluate(ability2.read_roster(roster), policy)  # in one process the batch is the cohort
    assert set(rule_verdicts(table_frame(whole, "schools"), WHOLE).values()) == {True, False}
    with pytest.raises(UncombinableRule) as refused:
        evaluate_partitioned(roster, policy, tmp_path / "out", parts=2)
    message = refused.value.text("en")
    assert WHOLE in message and "rule kind cohortkind.gap_whole (plugin 'ability2_cohortkind')" in message
    assert "规则类型 cohortkind.gap_whole" in refused.value.text("zh")
    assert not (tmp_path / "out").exists()  # nothing written
    with pytest.raises(UncombinableRule):
        evaluate_frame(pd.read_csv(roster, dtype=str, keep_default_na=False), policy)


# -- installed through the entry point: worker processes, Dask, the command line -------------


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    from test_docs import install_editable

    root = tmp_path_factory.mktemp("installed")
    site = root / "site"
    site.mkdir()
    install_editable(PLUGIN, site)
    (root / "sitecustomize.py").write_text(f"import site\nsite.addsitedir({str(site)!r})\n", encoding="utf-8")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(root), str(site), env.get("PYTHONPATH", "")])
    return env


def cli(env: dict[str, str], args: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ability2", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def national(frame: pd.DataFrame, regions: Sequence[str]) -> pd.DataFrame:
    """The roster with a region column: school k in ``regions[k % len(regions)]``."""
    out = frame.copy()
    out["地区"] = [regions[int(school[-2:]) % len(regions)] for school in out["school"]]
    return out


def read_tables(folder: Path) -> dict[str, pl.DataFrame]:
    single = folder / "teachers.parquet"
    if single.exists():
        return {name: pl.read_parquet(folder / f"{name}.parquet") for name in TABLES}
    out = {}
    for name in TABLES:  # parts of several regions may hold different rule columns
        frames = [pl.read_parquet(path) for path in sorted((folder / name).glob("*.parquet"))]
        out[name] = pl.concat([f for f in frames if f.height] or frames[:1], how="diagonal_relaxed")
    return out


def assert_same_output(whole: dict[str, pl.DataFrame], parts: dict[str, pl.DataFrame]) -> None:
    teachers = parts["teachers"].drop("file", strict=False).sort("row")
    assert (
        teachers.equals(whole["teachers"].sort("row"))
        if "row" in whole["teachers"].columns
        else (teachers.drop("row").equals(whole["teachers"]))
    )
    keys = ["region", "school"] if "region" in whole["schools"].columns else ["school"]
    for name, key in (("groups", [*keys, "group"]), ("schools", keys)):
        assert parts[name].sort(key).equals(whole[name].sort(key).select(parts[name].columns)), name


@pytest.mark.parametrize("regional", [False, True], ids=["one region", "region column"])
def test_same_verdicts_in_one_process_partitioned_and_on_dask(
    installed: dict[str, str], tmp_path: Path, regional: bool
) -> None:
    frame = cohort(300, 9)
    if regional:
        frame = national(frame, ["370881", "370812", "shandong/jining/qufu"])
    roster = tmp_path / "roster.parquet"
    pl.DataFrame({c: frame[c].astype(str).tolist() for c in frame.columns}).write_parquet(roster)
    where = [] if regional else ["--region", "370881"]
    common = [str(roster), *where, "--on", ON.isoformat(), "--format", "parquet"]
    done = cli(installed, ["evaluate", *common, "-o", str(tmp_path / "whole")], tmp_path)
    assert done.returncode == 0, done.stderr
    whole = read_tables(tmp_path / "whole")
    assert set(whole["schools"][GAP].drop_nulls().to_list()) == {True, False}
    runs = [["--partitions", "3", "--workers", "2"], ["--partitions", "12"]]
    try:
        import distributed  # noqa: F401

        runs.append(["--engine", "dask", "--workers", "2", "--partitions", "3"])
    except ImportError:
        pass
    for k, run in enumerate(runs):
        done = cli(installed, ["evaluate", *common, *run, "-o", str(tmp_path / f"run{k}")], tmp_path)
        assert done.returncode == 0, (run, done.stderr)
        assert_same_output(whole, read_tables(tmp_path / f"run{k}"))


def test_a_kind_that_cannot_be_combined_is_refused_on_the_command_line(
    installed: dict[str, str], tmp_path: Path
) -> None:
    roster = tmp_path / "roster.csv"
    national(cohort(120, 6), ["370812", "370883"]).to_csv(roster, index=False)
    one = cli(installed, ["evaluate", str(roster), "--on", ON.isoformat()], tmp_path)
    assert one.returncode == 0, one.stderr  # in one process the roster is the cohort
    for run in (["--partitions", "2"], ["--partitions", "2", "--workers", "2"]):
        out = tmp_path / "out"
        done = cli(
            installed,
            ["evaluate", str(roster), "--on", ON.isoformat(), *run, "--format", "parquet", "-o", str(out)],
            tmp_path,
        )
        assert done.returncode == 2, done.stderr
        assert WHOLE in done.stderr and "插件“cohortkind”的规则类型 cohortkind.gap_whole" in done.stderr
        assert "Traceback" not in done.stderr
        assert not list(out.glob("*/*.parquet"))
