"""Layering through the region tree, with throw-away plugins registered in-process."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import ability2
from ability2 import PolicyDateError, PolicyFileError, RegistryError, UnknownRegionError, load_registry
from ability2.messages import language


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """These tests read the messages' English text (the Chinese default: tests/test_policy_messages.py)."""
    with language("en"):
        yield


Write = Callable[[str, str], Path]

PROV = """
region: {id: testprov, name: 测试省, level: province, parent: cn, code: "990000"}
documents:
  prov-doc: {title: 测试省实施方案, number: 测〔2020〕1号, date: 2020-03-01}
rules:
  hours.online_min:
    value: 20
    bound: 不少于
    source: {document: prov-doc, clause: 二、(一)}
  hours.total_min:
    value: 60
    bound: 不少于
    replaces: cn
    source: {document: prov-doc, clause: 二、(二)}
"""

CITY = """
region: {id: testprov/city, name: 测试市, level: city, parent: testprov, code: "990100"}
rules: {}
"""

COUNTY = """
region: {id: testprov/city/county, name: 测试县, level: county, parent: testprov/city, code: "990101"}
documents:
  county-doc: {title: 测试县实施方案, date: 2022-09-01}
rules:
  hours.online_min:
    value: 25
    bound: 不少于
    replaces: testprov
    source: [{document: county-doc, clause: 四}, {document: prov-doc, clause: 二、(一)}]
  school.pass_rate_min:
    - {value: 90%, bound: 以上, source: {document: county-doc, clause: 五}, until: 2023-08-31}
    - {value: 95%, bound: 以上, source: {document: county-doc, clause: 五}, from: 2023-09-01}
"""


class FilesPlugin:
    """A throw-away plugin returning policy files."""

    def __init__(self, name: str, *files: Path) -> None:
        self.__name__ = name
        self.files = files

    @ability2.hookimpl
    def ability2_policy_files(self) -> list[Path]:
        return list(self.files)


@pytest.fixture
def tree(write: Write) -> dict[str, Path]:
    return {"prov": write("prov.yaml", PROV), "city": write("city.yaml", CITY), "county": write("county.yaml", COUNTY)}


def registry_of(*plugins: Any) -> ability2.Registry:
    return load_registry(plugins=plugins, entry_points=False)


def test_effective_policy_walks_cn_to_region_and_records_layers(tree: dict[str, Path]) -> None:
    registry = registry_of(FilesPlugin("prov", tree["prov"]), FilesPlugin("county", tree["county"], tree["city"]))
    policy = registry.policy("testprov/city/county", on=dt.date(2022, 10, 1))
    assert [r.id for r in policy.chain] == ["cn", "testprov", "testprov/city", "testprov/city/county"]
    online = policy["hours.online_min"]
    assert (online.value, online.layer) == (25, "testprov/city/county")
    assert online.overridden[0][0] == "testprov"
    assert [c.document.key for c in online.sources] == ["county-doc", "prov-doc"]
    total = policy["hours.total_min"]
    assert (total.value, total.layer) == (60, "testprov")
    assert total.overridden[0][0] == "cn"
    assert policy["hours.cycle_years"].layer == "cn"  # inherited untouched
    # the intermediate city without rules inherits everything from the province
    city = registry.policy("testprov/city", on=dt.date(2022, 10, 1))
    assert city["hours.online_min"].layer == "testprov"


def test_precedence_comes_from_the_tree_not_from_registration_order(tree: dict[str, Path]) -> None:
    forwards = registry_of(FilesPlugin("a", tree["prov"]), FilesPlugin("b", tree["city"], tree["county"]))
    backwards = registry_of(FilesPlugin("b", tree["county"], tree["city"]), FilesPlugin("a", tree["prov"]))
    day = dt.date(2022, 10, 1)
    one = {r.id: (r.value, r.layer) for r in forwards.policy("testprov/city/county", on=day)}
    two = {r.id: (r.value, r.layer) for r in backwards.policy("testprov/city/county", on=day)}
    assert one == two


def test_dated_values_switch_on_their_dates(tree: dict[str, Path]) -> None:
    registry = registry_of(FilesPlugin("p", tree["prov"], tree["city"], tree["county"]))
    rate = lambda day: registry.policy("testprov/city/county", on=day)["school.pass_rate_min"].value  # noqa: E731
    assert rate(dt.date(2023, 8, 31)) * 100 == 90
    assert rate(dt.date(2023, 9, 1)) * 100 == 95


def test_a_layer_value_not_yet_in_force_falls_back_to_the_inherited_one_and_says_so(tree: dict[str, Path]) -> None:
    registry = registry_of(FilesPlugin("p", tree["prov"], tree["city"], tree["county"]))
    # the county's rules take effect 2022-09-01: before that its policy is an error ...
    with pytest.raises(PolicyDateError, match="2022-09-01"):
        registry.policy("testprov/city/county", on=dt.date(2022, 8, 31))
    # ... and on its first day it holds
    assert registry.policy("testprov/city/county", on=dt.date(2022, 9, 1))["hours.online_min"].value == 25


def test_policy_on_the_day_before_a_province_document(tree: dict[str, Path]) -> None:
    registry = registry_of(FilesPlugin("p", tree["prov"]))
    with pytest.raises(PolicyDateError, match="take effect on 2020-03-01"):
        registry.policy("testprov", on=dt.date(2020, 2, 29))
    assert registry.policy("testprov", on=dt.date(2020, 3, 1))["hours.online_min"].value == 20


def test_region_by_code_and_unknown_region_suggestions(tree: dict[str, Path]) -> None:
    registry = registry_of(FilesPlugin("p", tree["prov"], tree["city"], tree["county"]))
    assert registry.region("990101").id == "testprov/city/county"
    with pytest.raises(UnknownRegionError, match="testprov/city/county"):
        registry.region("testprov/city/countty")
    with pytest.raises(UnknownRegionError, match="ability2 regions"):
        registry.region("atlantis")


def test_override_without_replaces_is_an_error(write: Write) -> None:
    path = write("prov.yaml", PROV.replace("    replaces: cn\n", ""))
    with pytest.raises(PolicyFileError, match=r"overrides the value inherited from 'cn'.*replaces: cn"):
        registry_of(FilesPlugin("p", path))


def test_replaces_naming_the_wrong_layer_is_an_error(write: Write) -> None:
    path = write("prov.yaml", PROV.replace("replaces: cn", "replaces: testprov"))
    with pytest.raises(PolicyFileError, match="nearest layer with this rule is 'cn'"):
        registry_of(FilesPlugin("p", path))


def test_replaces_with_nothing_to_replace_is_an_error(write: Write) -> None:
    path = write(
        "prov.yaml",
        PROV.replace(
            "    bound: 不少于\n    source: {document: prov-doc, clause: 二、(一)}",
            "    bound: 不少于\n    replaces: cn\n    source: {document: prov-doc, clause: 二、(一)}",
            1,
        ),
    )
    with pytest.raises(PolicyFileError, match="no ancestor layer has this rule"):
        registry_of(FilesPlugin("p", path))


def test_two_plugins_declaring_one_region_are_both_named(tree: dict[str, Path], write: Write) -> None:
    copy = write("other/prov.yaml", PROV.replace("prov-doc", "prov-doc2"))
    with pytest.raises(RegistryError) as info:
        registry_of(FilesPlugin("alpha", tree["prov"]), FilesPlugin("beta", copy))
    message = str(info.value)
    assert "'testprov' is declared twice" in message
    assert "alpha" in message
    assert "beta" in message
    assert "prov.yaml" in message


def test_missing_parent_names_region_and_parent(tree: dict[str, Path]) -> None:
    with pytest.raises(RegistryError, match=r"'testprov/city' .*names parent 'testprov', which no plugin declares"):
        registry_of(FilesPlugin("p", tree["city"]))


def test_level_must_go_down_the_tree(write: Write, tree: dict[str, Path]) -> None:
    city_as_province = write("c.yaml", CITY.replace("level: city", "level: province"))
    with pytest.raises(RegistryError, match="cannot sit under 'testprov'"):
        registry_of(FilesPlugin("p", tree["prov"], city_as_province))


def test_duplicate_codes_are_an_error(write: Write, tree: dict[str, Path]) -> None:
    twin = write("c.yaml", CITY.replace('"990100"', '"990000"'))
    with pytest.raises(RegistryError, match="code 990000 is declared by both"):
        registry_of(FilesPlugin("p", tree["prov"], twin))


def test_a_document_key_declared_twice_differently_is_an_error(write: Write, tree: dict[str, Path]) -> None:
    clash = write(
        "c.yaml", CITY.replace("rules: {}", "documents:\n  prov-doc: {title: 另一个文件, date: 2021-01-01}\nrules: {}")
    )
    with pytest.raises(PolicyFileError, match="also declared, differently"):
        registry_of(FilesPlugin("p", tree["prov"], clash))


def test_misspelled_hook_is_caught_at_start_up() -> None:
    class Typo:
        __name__ = "typo"

        @ability2.hookimpl
        def ability2_policy_file(self) -> list[Path]:
            return []

    with pytest.raises(RegistryError, match="typo"):
        registry_of(Typo())


def test_a_plugin_that_crashes_is_named() -> None:
    class Broken:
        __name__ = "broken"

        @ability2.hookimpl
        def ability2_policy_files(self) -> list[Path]:
            raise RuntimeError("boom")

    with pytest.raises(RegistryError, match="plugin 'broken' failed in ability2_policy_files: RuntimeError: boom"):
        registry_of(Broken())


def test_a_school_rule_nothing_evaluates_is_refused_at_load() -> None:
    spec = ability2.RuleSpec(
        "school.cohort_share_min",
        ability2.Kind.SHARE,
        ability2.Scope.SCHOOL,
        "批次完成比例下限",
        "cohort share, floor",
        ability2.Direction.MIN,
    )

    class Specs:
        __name__ = "specs"

        @ability2.hookimpl
        def ability2_rule_specs(self) -> list[ability2.RuleSpec]:
            return [spec]

    with pytest.raises(
        RegistryError,
        match=r"rule 'school.cohort_share_min' \(plugin 'specs'\) is a school rule that no rule kind evaluates",
    ):
        registry_of(Specs())


def test_plugin_rule_specs_extend_the_catalogue(write: Write) -> None:
    # a region-scope rule is recorded (the bureau's process): it needs no kind
    spec = ability2.RuleSpec(
        "school.cohort_share_min",
        ability2.Kind.SHARE,
        ability2.Scope.REGION,
        "批次完成比例下限",
        "cohort share, floor",
        ability2.Direction.MIN,
    )

    class Specs:
        __name__ = "specs"

        @ability2.hookimpl
        def ability2_rule_specs(self) -> list[ability2.RuleSpec]:
            return [spec]

    prov = write(
        "p.yaml",
        PROV + "  school.cohort_share_min: {value: 25%, bound: 不少于, source: {document: prov-doc, clause: 三}}\n",
    )
    registry = registry_of(Specs(), FilesPlugin("p", prov))
    assert registry.policy("testprov", on=dt.date(2021, 1, 1))["school.cohort_share_min"].value * 4 == 1


def test_plugins_listing_names_regions_and_hooks(tree: dict[str, Path]) -> None:
    registry = registry_of(FilesPlugin("prov-plugin", tree["prov"]))
    info = {p.name: p for p in registry.plugins()}
    assert info["prov-plugin"].regions == ("testprov",)
    assert info["prov-plugin"].hooks == ("ability2_policy_files",)
    assert info["ability2.national"].regions == ("cn",)


def test_national_policy_holds_only_what_the_nation_fixes() -> None:
    # reference §6: no national selection count, rates, review chain
    policy = load_registry(entry_points=False).policy("cn", on=dt.date(2022, 1, 1))
    assert set(policy.rules) == {
        "hours.total_min",
        "hours.practice_share_min",
        "hours.cycle_years",
        "grading.ability",
        "grading.teacher",
        # readings of the rubric where it is silent (switches, issue 14)
        "assess.items_without_criteria",
        "assess.in_principle_limits",
    }
    assert policy["hours.total_min"].value == 50
    assert policy["hours.total_min"].bound.word == "不少于"  # type: ignore[union-attr]
    assert "教师〔2019〕1号" in policy["hours.total_min"].source


# -- the default registry (issue 13 item 13): loaded once per process, shared, resettable ----


@pytest.fixture
def counted_loads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    import threading
    import time

    import ability2.registry as registry_module

    real = registry_module.load_registry
    loads: list[int] = []
    lock = threading.Lock()

    def counting(**kwargs: Any) -> ability2.Registry:
        with lock:
            loads.append(1)
        time.sleep(0.05)  # a slow first load: threads asking meanwhile must wait, not load again
        return real(entry_points=False, **kwargs)

    ability2.reset_default_registry()
    monkeypatch.setattr(registry_module, "load_registry", counting)
    yield loads
    ability2.reset_default_registry()


def test_default_registry_is_loaded_once_and_shared(counted_loads: list[int]) -> None:
    first = ability2.default_registry()
    assert ability2.default_registry() is first
    assert len(counted_loads) == 1


def test_default_registry_first_load_is_made_once_under_concurrent_callers(counted_loads: list[int]) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=8) as pool:
        found = list(pool.map(lambda _: ability2.default_registry(), range(16)))
    assert len(counted_loads) == 1
    assert all(registry is found[0] for registry in found)


def test_reset_default_registry_loads_the_plugins_again(counted_loads: list[int]) -> None:
    first = ability2.default_registry()
    ability2.reset_default_registry()
    second = ability2.default_registry()
    assert second is not first
    assert len(counted_loads) == 2


def test_compare_without_a_registry_uses_the_default_one(counted_loads: list[int]) -> None:
    roster = pd.DataFrame(
        [
            {
                "teacher_id": "T1",
                "school": "S1",
                "online_hours": "30",
                "offline_hours": "30",
                "abilities": "A1;B2;C4",
                "grades": "合格;合格;合格",
            }
        ]
    )
    for _ in range(3):
        ability2.compare(roster, ["cn"], on=dt.date(2021, 6, 1))
    assert len(counted_loads) == 1
