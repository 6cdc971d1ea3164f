"""A broken installed plugin is left out and named; every other region is still served.

Each test installs throw-away plugins the way pip does (a package and a ``*.dist-info``
folder with an ``entry_points.txt`` on ``sys.path``), so that they are found through the
same discovery path as the seed plugins.
"""

from __future__ import annotations

import datetime as dt
import itertools
import sys
import textwrap
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ability2
from ability2 import PluginLoadWarning, PluginProblem, PolicyFileError, RegionUnavailableError, load_registry
from ability2.cli import main
from ability2.messages import render
from ability2.registry import STRICT_ENV

_counter = itertools.count()

#: a province whose only rule entry has a misspelled key (``valeu``, line 8)
BROKEN = """\
region: {id: zzbroken, name: 坏省, level: province, parent: cn, code: "980000"}
documents:
  zz-doc: {title: 坏省实施方案, number: 坏〔2020〕1号, date: 2020-03-01}
rules:
  hours.online_min:
    value: 20
    bound: 不少于
    valeu: 30
    source: {document: zz-doc, clause: 二}
"""

#: a sound city under the broken province, from another plugin
CHILD = """\
region: {id: zzbroken/city, name: 坏市, level: city, parent: zzbroken, code: "980100"}
rules: {}
"""

#: a sound province of a third plugin
GOOD = """\
region: {id: zzgood, name: 好省, level: province, parent: cn, code: "970000"}
documents:
  good-doc: {title: 好省实施方案, number: 好〔2020〕1号, date: 2020-03-01}
rules:
  hours.online_min:
    value: 20
    bound: 不少于
    source: {document: good-doc, clause: 二}
"""

HOOK = """
import ability2
from pathlib import Path


@ability2.hookimpl
def ability2_policy_files():
    return sorted((Path(__file__).parent / "policies").glob("*.yaml"))
"""

Install = Callable[..., str]


@pytest.fixture
def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Install]:
    """``install(name, {file: yaml}, code=HOOK)``: an installed plugin package; returns its entry-point name."""
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    modules: list[str] = []

    def _install(name: str, files: dict[str, str], code: str = HOOK) -> str:
        module = f"ability2_test_{name}_{next(_counter)}"
        package = site / module
        (package / "policies").mkdir(parents=True)
        (package / "__init__.py").write_text(textwrap.dedent(code), encoding="utf-8")
        for file, text in files.items():
            (package / "policies" / file).write_text(text, encoding="utf-8")
        dist = site / f"{module}-1.0.dist-info"
        dist.mkdir()
        (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n", encoding="utf-8")
        (dist / "entry_points.txt").write_text(f"[ability2]\n{name} = {module}\n", encoding="utf-8")
        modules.append(module)
        return name

    yield _install
    for module in modules:
        sys.modules.pop(module, None)


def _loaded() -> tuple[ability2.Registry, list[PluginLoadWarning]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        registry = load_registry()
    return registry, [w.message for w in caught if isinstance(w.message, PluginLoadWarning)]


def test_a_stray_key_leaves_its_plugin_out_and_every_other_region_served(install: Install) -> None:
    install("zzbroken", {"zzbroken.yaml": BROKEN})
    install("zzgood", {"zzgood.yaml": GOOD})
    registry, warned = _loaded()
    [problem] = registry.problems
    assert (problem.plugin, problem.kind, problem.regions) == ("zzbroken", "policy", ("zzbroken",))
    assert problem.file is not None and problem.file.endswith("zzbroken.yaml")
    assert problem.line == 8  # the misspelled key
    assert problem.path == 'rules["hours.online_min"].valeu' and problem.code == "policy.unknown_key"
    assert "unknown key" in render(problem.message, "en")
    assert [w.problem for w in warned] == [problem]
    # the other plugins' regions, seed and throw-away, are served
    ids = {region.id for region in registry.regions()}
    assert {"zzgood", "shandong/jining/yanzhou", "liaoning/tieling/kaiyuan", "guangxi"} <= ids
    assert "zzbroken" not in ids
    assert registry.policy("liaoning/tieling/kaiyuan", on=dt.date(2024, 5, 1))["hours.total_min"].value > 0
    assert registry.policy("zzgood", on=dt.date(2021, 1, 1))["hours.online_min"].value == 20


def test_the_broken_region_is_refused_by_id_and_code_naming_the_plugin(install: Install) -> None:
    install("zzbroken", {"zzbroken.yaml": BROKEN})
    registry, _ = _loaded()
    for name in ("zzbroken", "980000", 980000):
        with pytest.raises(RegionUnavailableError, match="插件 zzbroken 加载失败") as info:
            registry.policy(name, on=dt.date(2022, 1, 1))
        assert info.value.problems == registry.problems
        assert "插件 zzbroken" in info.value.describe("zh")
        assert isinstance(info.value, ability2.UnknownRegionError)  # what callers catch already


def test_a_region_inheriting_from_a_broken_one_is_not_served_and_says_why(install: Install) -> None:
    install("zzbroken", {"zzbroken.yaml": BROKEN})
    install("zzchild", {"city.yaml": CHILD})
    registry, _ = _loaded()
    by_plugin = {p.plugin: p for p in registry.problems}
    inherits = by_plugin["zzchild"]
    assert (inherits.kind, inherits.regions, inherits.cause) == ("inherits", ("zzbroken/city",), "zzbroken")
    assert "不可用" in inherits.describe("zh") and "zzbroken" in inherits.describe("zh")
    assert "inherit from broken plugin zzbroken" in inherits.describe("en")
    with pytest.raises(RegionUnavailableError) as info:
        registry.region("980100")
    assert [p.plugin for p in info.value.problems] == ["zzchild", "zzbroken"]
    assert registry.unavailable().keys() == {"zzbroken", "zzbroken/city"}


def test_problems_are_frozen_values_with_their_fields(install: Install) -> None:
    install("zzbroken", {"zzbroken.yaml": BROKEN})
    registry, _ = _loaded()
    assert isinstance(registry.problems, tuple)
    problem = registry.problems[0]
    assert isinstance(problem, PluginProblem)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        problem.plugin = "other"  # type: ignore[misc]
    data = problem.to_dict()
    assert data["plugin"] == "zzbroken" and data["line"] == 8 and data["regions"] == ["zzbroken"]


def test_strict_mode_raises_by_argument_and_by_environment(install: Install, monkeypatch: pytest.MonkeyPatch) -> None:
    install("zzbroken", {"zzbroken.yaml": BROKEN})
    with pytest.raises(PolicyFileError, match="valeu"):
        load_registry(strict=True)
    monkeypatch.setenv(STRICT_ENV, "1")
    with pytest.raises(PolicyFileError, match="valeu"):
        load_registry()
    registry, warned = _loaded_with(strict=False)
    assert [p.plugin for p in registry.problems] == ["zzbroken"] and warned


def _loaded_with(**options: bool) -> tuple[ability2.Registry, list[PluginLoadWarning]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        registry = load_registry(**options)
    return registry, [w.message for w in caught if isinstance(w.message, PluginLoadWarning)]


def test_a_plugin_that_fails_to_import_is_named_where_a_region_is_not_found(install: Install) -> None:
    install("zzimport", {}, code="raise ImportError('a dependency is missing')\n")
    registry, _ = _loaded()
    [problem] = registry.problems
    assert (problem.plugin, problem.kind) == ("zzimport", "import")
    assert "a dependency is missing" in render(problem.message, "en")
    assert registry.region("guangxi").id == "guangxi"
    with pytest.raises(ability2.UnknownRegionError, match="插件 zzimport 加载失败，该地区可能由它提供"):
        registry.region("zzsomewhere")


def test_a_region_under_a_plugin_that_failed_to_import_says_which(install: Install) -> None:
    install("zzbroken", {}, code="raise ImportError('a dependency is missing')\n")
    install("zzchild", {"city.yaml": CHILD})
    registry, _ = _loaded()
    child = next(p for p in registry.problems if p.plugin == "zzchild")
    assert child.kind == "tree" and child.regions == ("zzbroken/city",)
    assert "names parent 'zzbroken', which no plugin declares; plugin 'zzbroken' failed to load" in render(
        child.message, "en"
    )
    with pytest.raises(RegionUnavailableError):
        registry.region("zzbroken/city")


def test_a_plugin_whose_hook_raises_or_is_misspelled_is_left_out(install: Install) -> None:
    install("zzcrash", {}, code=HOOK.replace("return sorted", "raise RuntimeError('boom')  #"))
    install("zztypo", {}, code=HOOK.replace("def ability2_policy_files", "def ability2_policy_file"))
    registry, _ = _loaded()
    found = {p.plugin: p for p in registry.problems}
    assert found["zzcrash"].kind == "hook" and "RuntimeError: boom" in render(found["zzcrash"].message, "en")
    assert found["zztypo"].kind == "hook" and "ability2_policy_file" in render(found["zztypo"].message, "en")
    assert {"plugin", "kind"} <= found["zztypo"].to_dict().keys()
    assert registry.region("shandong/jining/yanzhou").code == "370812"


def test_two_installed_plugins_declaring_one_region_are_both_left_out(install: Install) -> None:
    install("zzone", {"a.yaml": GOOD})
    install("zztwo", {"b.yaml": GOOD.replace("good-doc", "good-doc2")})
    registry, _ = _loaded()
    assert {p.plugin for p in registry.problems} == {"zzone", "zztwo"}
    assert all("declared twice" in render(p.message, "en") for p in registry.problems)
    with pytest.raises(RegionUnavailableError):
        registry.region("zzgood")
    assert registry.region("hebei/baoding/xushui").name == "徐水区"


def test_a_plugin_passed_in_by_the_caller_still_raises(write: Callable[[str, str], Path]) -> None:
    class Files:
        __name__ = "mine"

        @ability2.hookimpl
        def ability2_policy_files(self) -> list[Path]:
            return [write("broken.yaml", BROKEN)]

    with pytest.raises(PolicyFileError, match="valeu"):
        load_registry(plugins=[Files()], entry_points=False)


# -- the command line ---------------------------------------------------------------------------


def test_cli_lists_the_other_regions_and_tells_the_problem_in_chinese_or_english(
    install: Install, capsys: pytest.CaptureFixture[str]
) -> None:
    install("zzbroken", {"zzbroken.yaml": BROKEN})
    assert main(["regions"]) == 0
    captured = capsys.readouterr()
    assert "兖州区" in captured.out and "坏省" not in captured.out
    assert captured.err.count("插件 zzbroken") == 1
    assert "已跳过" in captured.err and "zzbroken.yaml:8" in captured.err
    assert "left out" not in captured.err and "regions not served" not in captured.err
    assert main(["regions", "--lang", "en"]) == 0
    err = capsys.readouterr().err
    assert "plugin zzbroken has a bad policy file and was left out" in err and "插件" not in err


def test_cli_exits_0_for_a_sound_region_and_2_for_the_broken_one(
    install: Install, capsys: pytest.CaptureFixture[str]
) -> None:
    install("zzbroken", {"zzbroken.yaml": BROKEN})
    assert main(["policy", "liaoning/tieling/kaiyuan", "--on", "2024-05-01", "--json"]) == 0
    capsys.readouterr()
    assert main(["policy", "zzbroken", "--on", "2022-01-01"]) == 2
    err = capsys.readouterr().err
    assert "地区“zzbroken”不可用：插件 zzbroken 加载失败" in err
    assert "Traceback" not in err
    assert main(["policy", "980000", "--on", "2022-01-01", "--lang", "en"]) == 2
    assert "is not available: plugin zzbroken failed to load" in capsys.readouterr().err


def test_cli_strict_switch_and_environment_stop_at_a_broken_plugin(
    install: Install, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    install("zzbroken", {"zzbroken.yaml": BROKEN})
    assert main(["regions", "--strict-plugins"]) == 2
    assert "valeu" in capsys.readouterr().err
    import os

    assert STRICT_ENV not in os.environ  # the switch lasts for its command only
    monkeypatch.setenv(STRICT_ENV, "1")
    assert main(["regions"]) == 2
    assert "valeu" in capsys.readouterr().err


def test_validate_still_fails_loudly_on_the_broken_file(install: Install, capsys: pytest.CaptureFixture[str]) -> None:
    install("zzbroken", {"zzbroken.yaml": BROKEN})
    [path] = Path(sys.path[0]).glob("*/policies/zzbroken.yaml")
    assert main(["validate", str(path)]) == 2
    assert "valeu" in capsys.readouterr().err


# -- any tree, any plugins broken -----------------------------------------------------------------

LEVELS = ("province", "city", "county", "school")


@st.composite
def trees(draw: st.DrawFn) -> tuple[list[int | None], list[bool]]:
    """Parents (``None``: under ``cn``; else an earlier region no deeper than a county) and which plugins are broken."""
    size = draw(st.integers(1, 5))
    parents: list[int | None] = []
    depth: list[int] = []
    for i in range(size):
        choices = [None, *(j for j in range(i) if depth[j] < len(LEVELS))]
        parent = draw(st.sampled_from(choices))
        parents.append(parent)
        depth.append(1 if parent is None else depth[parent] + 1)
    broken = draw(st.lists(st.booleans(), min_size=size, max_size=size))
    return parents, broken


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tree=trees())
def test_exactly_the_regions_without_a_broken_ancestor_are_served(
    tree: tuple[list[int | None], list[bool]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    parents, broken = tree
    ids: list[str] = []
    depth: list[int] = []
    site = tmp_path_factory.mktemp("site")
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(site))
        modules = []
        for i, parent in enumerate(parents):
            ids.append(f"zzr{i}" if parent is None else f"{ids[parent]}/zzr{i}")
            depth.append(1 if parent is None else depth[parent] + 1)
            text = (
                f"region: {{id: {ids[i]}, name: 区{i}, level: {LEVELS[depth[i] - 1]}, "
                f"parent: {'cn' if parent is None else ids[parent]}}}\n"
                + ("regoin: stray\n" if broken[i] else "")
                + "rules: {}\n"
            )
            module = f"ability2_test_tree_{next(_counter)}"
            (site / module / "policies").mkdir(parents=True)
            (site / module / "__init__.py").write_text(HOOK, encoding="utf-8")
            (site / module / "policies" / "r.yaml").write_text(text, encoding="utf-8")
            dist = site / f"{module}-1.0.dist-info"
            dist.mkdir()
            (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n", encoding="utf-8")
            (dist / "entry_points.txt").write_text(f"[ability2]\nzz{i} = {module}\n", encoding="utf-8")
            modules.append(module)
        try:
            registry, _ = _loaded()
        finally:
            for module in modules:
                sys.modules.pop(module, None)

    def out(i: int) -> bool:  # broken itself, or below a broken region
        parent = parents[i]
        return broken[i] or (parent is not None and out(parent))

    served = {region.id for region in registry.regions()}
    assert {ids[i] for i in range(len(ids)) if not out(i)} <= served
    for i, region_id in enumerate(ids):
        if not out(i):
            continue
        assert region_id not in served
        with pytest.raises(RegionUnavailableError) as info:
            registry.region(region_id)
        # the problems name the broken plugin nearest above (or the region's own)
        j = i
        while not broken[j]:
            j = parents[j]  # type: ignore[assignment]
        assert f"zz{j}" in {p.cause or p.plugin for p in info.value.problems}
    assert {p.plugin for p in registry.problems if p.kind != "inherits"} == {
        f"zz{i}" for i, b in enumerate(broken) if b
    }


def test_a_worker_loads_quietly_what_its_parent_told(install: Install) -> None:
    install("zzbroken", {"zzbroken.yaml": BROKEN})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        registry = load_registry(warn=False)
    assert [p.plugin for p in registry.problems] == ["zzbroken"]
    assert not [w for w in caught if isinstance(w.message, PluginLoadWarning)]


def test_a_roster_row_of_a_broken_region_says_its_plugin_failed(install: Install, tmp_path: Path) -> None:
    import pandas as pd

    from ability2 import RosterError, evaluate_regions

    install("zzbroken", {"zzbroken.yaml": BROKEN})
    registry, _ = _loaded()
    rows = [
        {
            "teacher_id": "T1",
            "school": "S1",
            "region": "370812",
            "online_hours": "30",
            "offline_hours": "30",
            "abilities": "A1;B2;C4",
        },
        {
            "teacher_id": "T2",
            "school": "S2",
            "region": "980000",
            "online_hours": "30",
            "offline_hours": "30",
            "abilities": "A1;B2;C4",
        },
    ]
    path = tmp_path / "nation.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    with pytest.raises(RosterError) as info:
        evaluate_regions(str(path), on=dt.date(2022, 11, 20), registry=registry)
    [problem] = info.value.problems
    said = render(problem.message, "en")
    assert problem.row == 3 and "not served" in said and "zzbroken" in said
    assert "no installed plugin declares" not in said


def test_a_file_citing_a_document_of_its_left_out_parent_is_not_blamed_for_it(install: Install) -> None:
    city = """\
region: {id: zzbroken/city, name: 坏市, level: city, parent: zzbroken, code: "980100"}
documents:
  city-doc: {title: 坏市实施方案, number: 坏市〔2021〕1号, date: 2021-03-01}
rules: {}
"""
    county = """\
region: {id: zzbroken/city/county, name: 坏县, level: county, parent: zzbroken/city, code: "980101"}
rules:
  hours.online_min:
    value: 30
    bound: 不少于
    replaces: cn
    source: {document: city-doc, clause: 三}
"""
    install("zzbroken", {"zzbroken.yaml": BROKEN})
    install("zzlocal", {"city.yaml": city, "county.yaml": county})
    registry, _ = _loaded()
    local = [p for p in registry.problems if p.plugin == "zzlocal"]
    assert local and {p.kind for p in local} == {"inherits"}  # not "unknown document 'city-doc'"
    assert "zzbroken/city/county" in {r for p in local for r in p.regions}


def test_a_plugin_declaring_the_nation_again_is_left_out_not_the_core(install: Install) -> None:
    install("zzcn", {"cn.yaml": "region: {id: cn, name: 假全国, level: nation}\nrules: {}\n"})
    install("zzgood", {"zzgood.yaml": GOOD})
    registry, _ = _loaded()
    assert {(p.plugin, p.kind) for p in registry.problems} == {("zzcn", "tree")}
    ids = {region.id for region in registry.regions()}
    assert {"cn", "zzgood", "shandong/jining/yanzhou", "hebei/baoding/xushui"} <= ids
    assert registry.region("cn").name == "全国"  # the core's nation, not the copy
