"""Issue 14, policy fidelity: superseded parent rules, regions known only through a county,
phases with no stated start, and the controlled vocabulary of ``not_encoded`` labels.

Every expectation is written from the seed documents' words (quoted beside it), not from
ability2's output.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import ability2
from ability2 import PolicyDateError, PolicyFileError, Registry, load_registry
from ability2.cli import main
from ability2.messages import language, render
from ability2.notencoded import LABELS
from ability2.timeline import timeline, to_ics


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """These tests read the messages' English text (the Chinese default: tests/test_policy_messages.py)."""
    with language("en"):
        yield


Write = Callable[[str, str], Path]
ROOT = Path(__file__).resolve().parents[1]
BARE = ROOT / "tests" / "golden" / "rosters" / "bare.csv"


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> Any:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


# --- 1. a child that restates the schedule ---------------------------------------------------


def test_xushui_timeline_hides_baodings_2019_step_and_lists_it_as_superseded(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # 徐水: "全区自 2020 年开始"; 分年度任务安排 2020, 2021, 2022. 保定: "2019 年,首批试点校启动…培训".
    data = _json(capsys, ["timeline", "hebei/baoding/xushui", "--on", "2020-06-01", "--json"])
    names = [phase["name"] for phase in data["phases"]]
    assert "首批试点校启动能力提升工程 2.0 培训" not in names
    assert all(
        phase["layer"] != "hebei/baoding" or phase["rule"] != "timeline.rollout_2019" for phase in data["phases"]
    )
    # the district's own 2020 step is current on 2020-06-01
    assert "设立能力提升工程 2.0 试点校,进行探索,总结经验" in [phase["name"] for phase in data["current"]]
    # nothing is dropped silently: the parent's step is listed as the parent's, superseded
    (gone,) = data["superseded"]
    assert gone["rule"] == "timeline.rollout_2019"
    assert gone["layer"] == "hebei/baoding"
    assert gone["superseded_by"] == "hebei/baoding/xushui"
    assert "全区自 2020 年开始" in gone["superseded_source"] or "二、总体目标" in gone["superseded_source"]
    # the contract's keys are unchanged (§3.2)
    assert {"region", "on", "phases", "current", "next_deadline"} <= set(data)
    for phase in data["phases"]:
        assert {"name", "start", "end", "source"} <= set(phase)
        dt.date.fromisoformat(phase["start"])


def test_baoding_keeps_its_2019_step(ability2_registry: Registry) -> None:
    # the supersession is 徐水's: it does not reach up to the city
    policy = ability2_registry.policy("hebei/baoding", on=dt.date(2020, 6, 1))
    assert policy["timeline.rollout_2019"].layer == "hebei/baoding"
    assert not any(item.id == "timeline.rollout_2019" for item in policy.superseded)


def test_expert_teams_stay_inherited_in_xushui(ability2_registry: Registry) -> None:
    # 徐水 三、(三) recounts "2019 年省教育厅组建了专家团队" and "2020 年保定市相应组建专家培训团队"
    policy = ability2_registry.policy("hebei/baoding/xushui", on=dt.date(2020, 6, 1))
    assert policy["timeline.provincial_expert_team"].layer == "hebei"
    assert policy["timeline.local_expert_teams"].layer == "hebei/baoding"


def test_xushui_policy_text_and_json_list_the_superseded_step(capsys: pytest.CaptureFixture[str]) -> None:
    data = _json(capsys, ["policy", "hebei/baoding/xushui", "--on", "2020-06-01", "--json"])
    rules = {item["rule"] for item in data["rules"]}
    assert "timeline.rollout_2019" not in rules
    superseded = {item["rule"]: item for item in data["superseded"]}
    assert superseded["timeline.rollout_2019"]["replaced_by"] == [
        "timeline.rollout_2020",
        "timeline.rollout_2021",
        "timeline.rollout_2022",
    ]
    assert main(["policy", "hebei/baoding/xushui", "--on", "2020-06-01"]) == 0
    text = capsys.readouterr().out
    assert "timeline.rollout_2019" in text and "被本地区文件取代" in text
    assert main(["policy", "hebei/baoding/xushui", "--on", "2020-06-01", "--lang", "en"]) == 0
    text = capsys.readouterr().out
    assert "set aside" in text and "被本地区文件取代" not in text


def test_xushui_ics_does_not_write_the_superseded_step(ability2_registry: Registry) -> None:
    text = to_ics(ability2_registry.policy("hebei/baoding/xushui", on=dt.date(2020, 6, 1)))
    assert "timeline.rollout_2019" not in text
    assert "timeline.rollout_2020" in text


# --- 2. provinces and cities known only through a county's document ----------------------------


@pytest.mark.parametrize("region", ["shandong", "shandong/jining", "jiangsu", "liaoning"])
def test_evaluate_a_province_known_only_through_a_county_before_its_notice(
    region: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # 山东省's only rule is reported by 兖教体发〔2022〕82号 (2022-11-15); Jiangsu and Liaoning have no
    # provincial text either. Before the notice each has the national policy: exit 0, not 2.
    assert main(["evaluate", str(BARE), "--region", region, "--on", "2022-06-01", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["region"] == region
    assert data["teachers"]


def test_shandong_before_the_notice_is_the_national_policy(ability2_registry: Registry) -> None:
    before = ability2_registry.policy("shandong", on=dt.date(2022, 6, 1))
    national = ability2_registry.policy("cn", on=dt.date(2022, 6, 1))
    assert {rule.id: rule.value for rule in before} == {rule.id: rule.value for rule in national}
    # the reported rule is shown as not yet in force, not dropped
    assert [item.id for item in before.inactive] == ["timeline.province_completion"]
    after = ability2_registry.policy("shandong", on=dt.date(2022, 11, 15))
    assert after["timeline.province_completion"].layer == "shandong"


def test_yanzhou_itself_still_has_no_policy_before_its_notice(ability2_registry: Registry) -> None:
    # contract §1: asking before a region's own rules take effect is an error
    with pytest.raises(PolicyDateError):
        ability2_registry.policy("shandong/jining/yanzhou", on=dt.date(2022, 11, 14))


def test_a_rule_citing_the_regions_own_document_still_dates_it(write: Write) -> None:
    prov = write(
        "prov.yaml",
        """
        region: {id: testprov, name: 测试省, level: province, parent: cn}
        documents:
          prov-doc: {title: 测试省实施方案, date: 2021-03-01}
        rules:
          timeline.prov_end:
            value: {name: 完成, start: null, end: 2022-12-31}
            source: {document: prov-doc, clause: 一}
        """,
    )
    county = write(
        "county.yaml",
        """
        region: {id: testprov/county, name: 测试县, level: county, parent: testprov}
        documents:
          county-doc: {title: 测试县通知, date: 2022-05-01}
        rules: {}
        """,
    )
    registry = load_registry(plugins=[_Files("t", prov, county)], entry_points=False)
    assert registry.effective_from("testprov") == dt.date(2021, 3, 1)
    with pytest.raises(PolicyDateError):
        registry.policy("testprov", on=dt.date(2021, 2, 28))


def test_a_rule_citing_only_a_lower_regions_document_does_not_date_the_province(write: Write) -> None:
    prov = write(
        "prov.yaml",
        """
        region: {id: testprov, name: 测试省, level: province, parent: cn}
        rules:
          timeline.prov_end:
            value: {name: 全省完成, start: null, end: 2022-12-31}
            source: {document: county-doc, clause: 六、(一), note: the county's notice reports it}
        """,
    )
    county = write(
        "county.yaml",
        """
        region: {id: testprov/county, name: 测试县, level: county, parent: testprov}
        documents:
          county-doc: {title: 测试县通知, date: 2022-05-01}
        rules:
          hours.online_min:
            value: 25
            bound: 不少于
            source: {document: county-doc, clause: 二}
        """,
    )
    registry = load_registry(plugins=[_Files("t", prov, county)], entry_points=False)
    national = registry.effective_from("cn")
    assert registry.effective_from("testprov") == national
    assert registry.effective_from("testprov/county") == dt.date(2022, 5, 1)
    early = registry.policy("testprov", on=dt.date(2022, 4, 30))
    assert "timeline.prov_end" not in early
    with pytest.raises(PolicyDateError):
        registry.policy("testprov/county", on=dt.date(2022, 4, 30))


# --- 2b. phases whose start no document states --------------------------------------------------


def test_kaiyuan_deadlines_have_unknown_starts(capsys: pytest.CaptureFixture[str]) -> None:
    # 开原: "各学校于6月14日前总结培训工作", "到2024年6月30日前，完成…共计至少50学时": no start stated.
    # "第一阶段（2024年3月1日至17日）" states both ends.
    data = _json(capsys, ["timeline", "liaoning/tieling/kaiyuan", "--on", "2024-05-01", "--json"])
    by_rule = {phase["rule"]: phase for phase in data["phases"]}
    assert by_rule["timeline.teacher_completion"]["start_stated"] is False
    assert by_rule["timeline.school_summary"]["start_stated"] is False
    assert by_rule["timeline.stage1_planning"]["start_stated"] is True
    assert by_rule["timeline.stage1_planning"]["start"] == "2024-03-01"
    # the start is the day the rule takes effect (开教发[2024]1号, dated 2024-01-01), not 03-01 or 06-01
    assert by_rule["timeline.teacher_completion"]["start"] == "2024-01-01"
    assert by_rule["timeline.school_summary"]["start"] == "2024-01-01"
    assert by_rule["timeline.school_summary"]["end"] == "2024-06-14"
    # the deadline is still the next one on 2024-06-10
    data = _json(capsys, ["timeline", "liaoning/tieling/kaiyuan", "--on", "2024-06-10", "--json"])
    assert data["next_deadline"]["date"] == "2024-06-14"


def test_ics_writes_an_unknown_start_as_the_deadline_day(ability2_registry: Registry) -> None:
    text = to_ics(
        ability2_registry.policy("liaoning/tieling/kaiyuan", on=dt.date(2024, 5, 1)),
        stamp=dt.datetime(2024, 5, 1, tzinfo=dt.UTC),
    )
    unfolded = text.replace("\r\n ", "")
    events = unfolded.split("BEGIN:VEVENT")[1:]
    summary = next(event for event in events if "timeline.school_summary" in event)
    assert "DTSTART;VALUE=DATE:20240614" in summary
    assert "DTEND;VALUE=DATE:20240615" in summary
    assert "SUMMARY:截止：" in summary
    assert "开始日期：文件未载明" in summary
    stage1 = next(event for event in events if "timeline.stage1_planning" in event)
    assert "DTSTART;VALUE=DATE:20240301" in stage1 and "截止" not in stage1


def test_ics_in_english_says_deadline_and_start_not_stated_in_english(ability2_registry: Registry) -> None:
    policy = ability2_registry.policy("liaoning/tieling/kaiyuan", on=dt.date(2024, 5, 1))
    text = to_ics(policy, stamp=dt.datetime(2024, 5, 1, tzinfo=dt.UTC), lang="en").replace("\r\n ", "")
    summary = next(event for event in text.split("BEGIN:VEVENT")[1:] if "timeline.school_summary" in event)
    assert "SUMMARY:Deadline: " in summary and "Start date: not stated in the documents" in summary
    assert "截止" not in text and "未载明" not in text and "能力提升工程" not in text.split("BEGIN:VEVENT")[0]


def test_timeline_table_says_the_start_is_not_stated(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["timeline", "liaoning/tieling/kaiyuan", "--on", "2024-05-01"]) == 0
    assert "未载明" in capsys.readouterr().out
    assert main(["timeline", "liaoning/tieling/kaiyuan", "--on", "2024-05-01", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "not stated" in out and "未载明" not in out


@pytest.mark.parametrize(
    ("region", "rule"),
    [
        ("shandong/jining/yanzhou", "timeline.submit_reports"),  # 各学校于11月25日前
        ("shandong/jining/yanzhou", "timeline.special_training"),  # 要11月底前安排
        ("shandong/jining/yanzhou", "timeline.offline_practice"),  # 力争在12月上旬全面完成
        ("shandong/jining/yanzhou", "timeline.assessment_complete"),  # 到2022年底前
        ("shandong", "timeline.province_completion"),  # 将于2022年底前全面完成
        ("guangxi", "timeline.target_2022"),  # 2022年,…基本实现
    ],
)
def test_deadlines_without_a_start_are_marked(ability2_registry: Registry, region: str, rule: str) -> None:
    policy = ability2_registry.policy(region, on=dt.date(2022, 11, 20))
    assert policy[rule].value.start_stated is False


def test_a_phase_needs_its_start_written_even_when_unknown(write: Write) -> None:
    path = write(
        "prov.yaml",
        """
        region: {id: testprov, name: 测试省, level: province, parent: cn}
        documents:
          d: {title: 通知, date: 2022-05-01}
        rules:
          timeline.x:
            value: {name: 截止, end: 2022-12-31}
            source: {document: d, clause: 一}
        """,
    )
    with pytest.raises(PolicyFileError, match="start"):
        load_registry(plugins=[_Files("t", path)], entry_points=False)


def test_an_unknown_start_after_the_deadline_is_an_error(write: Write) -> None:
    path = write(
        "prov.yaml",
        """
        region: {id: testprov, name: 测试省, level: province, parent: cn}
        documents:
          d: {title: 通知, date: 2023-05-01}
        rules:
          timeline.x:
            value: {name: 截止, start: null, end: 2022-12-31}
            source: {document: d, clause: 一}
        """,
    )
    with pytest.raises(PolicyFileError, match=r"prov\.yaml:\d+.*before the rule takes effect"):
        load_registry(plugins=[_Files("t", path)], entry_points=False)


# --- 3. the national five-year cycle where the county sets its own window ------------------------


@pytest.mark.parametrize(
    ("region", "on", "window"),
    [
        ("hebei/baoding/xushui", "2021-06-01", "timeline.programme"),  # 全区自 2020 年开始……到 2022 年
        ("jiangsu/changzhou/jintan/baita", "2022-06-01", "timeline.overall"),  # 培训从2022年4月起,到2022年底
        ("liaoning/tieling/kaiyuan", "2024-05-01", "timeline.teacher_completion"),  # 到2024年6月30日前
        ("shandong/jining/yanzhou", "2022-11-20", "timeline.assessment_complete"),  # 到2022年底前
    ],
)
def test_the_national_cycle_is_set_aside_for_the_countys_window(
    ability2_registry: Registry, region: str, on: str, window: str
) -> None:
    policy = ability2_registry.policy(region, on=dt.date.fromisoformat(on))
    assert "hours.cycle_years" not in policy
    (gone,) = [item for item in policy.superseded if item.id == "hours.cycle_years"]
    assert gone.layer == "cn"
    assert window in policy
    assert gone.supersession.sources  # the clause that sets it aside


@pytest.mark.parametrize("region", ["cn", "jiangsu", "liaoning/tieling", "shandong/jining", "guangxi"])
def test_regions_without_their_own_window_keep_the_cycle(ability2_registry: Registry, region: str) -> None:
    policy = ability2_registry.policy(region, on=dt.date(2024, 5, 1))
    assert policy["hours.cycle_years"].value == 5


def test_guangxi_states_the_cycle_itself(ability2_registry: Registry) -> None:
    # 桂教规范〔2019〕14号: "完成每人5年不少于50学时"
    assert ability2_registry.policy("guangxi", on=dt.date(2021, 1, 1))["hours.cycle_years"].layer == "guangxi"


# --- supersedes: validation ----------------------------------------------------------------------

PROV = """
region: {id: testprov, name: 测试省, level: province, parent: cn}
documents:
  prov-doc: {title: 测试省实施方案, date: 2021-03-01}
rules:
  hours.online_min:
    value: 20
    bound: 不少于
    source: {document: prov-doc, clause: 二}
supersedes:
"""


class _Files:
    def __init__(self, name: str, *files: Path) -> None:
        self.__name__ = name
        self.files = files

    @ability2.hookimpl
    def ability2_policy_files(self) -> list[Path]:
        return list(self.files)


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ("  hours.cycle_yaers: {source: {document: prov-doc, clause: 一}}", "unknown rule 'hours.cycle_yaers'"),
        ("  hours.online_min: {source: {document: prov-doc, clause: 一}}", "states hours.online_min itself"),
        ("  selection.count: {source: {document: prov-doc, clause: 一}}", "nothing to set aside"),
        (
            "  hours.cycle_years: {by: [timeline.none], source: {document: prov-doc, clause: 一}}",
            "'timeline.none' is not a rule of this layer",
        ),
        ("  hours.cycle_years: {source: {document: nodoc, clause: 一}}", "unknown document 'nodoc'"),
        ("  hours.cycle_years: {source: {document: prov-doc, clause: 一}, value: 3}", "value"),
        (
            "  hours.cycle_years: {by: timeline.none, source: {document: prov-doc, clause: 一}}",
            "expected a list of this layer's rule ids",
        ),
        ("  hours.cycle_years: {}", "source: required key is missing"),
    ],
)
def test_bad_supersedes_entries_are_named_with_file_and_line(write: Write, block: str, message: str) -> None:
    path = write("prov.yaml", PROV + block + "\n")
    with pytest.raises(PolicyFileError) as info:
        load_registry(plugins=[_Files("t", path)], entry_points=False)
    text = str(info.value)
    assert message in text
    assert re.search(r"prov\.yaml:\d+", text)


def test_a_supersession_holds_from_its_documents_date(write: Write) -> None:
    path = write("prov.yaml", PROV + "  hours.cycle_years: {source: {document: prov-doc, clause: 一}}\n")
    registry = load_registry(plugins=[_Files("t", path)], entry_points=False)
    assert "hours.cycle_years" not in registry.policy("testprov", on=dt.date(2021, 3, 1))
    # the layer's own rules hold from the same date, so no earlier policy exists to keep it in
    with pytest.raises(PolicyDateError):
        registry.policy("testprov", on=dt.date(2021, 2, 28))


def test_a_lower_layer_may_state_a_superseded_rule_again(write: Write) -> None:
    prov = write("prov.yaml", PROV + "  hours.cycle_years: {source: {document: prov-doc, clause: 一}}\n")
    county = write(
        "county.yaml",
        """
        region: {id: testprov/county, name: 测试县, level: county, parent: testprov}
        documents:
          county-doc: {title: 测试县通知, date: 2022-05-01}
        rules:
          hours.cycle_years:
            value: 3
            replaces: cn
            source: {document: county-doc, clause: 二}
        """,
    )
    registry = load_registry(plugins=[_Files("t", prov, county)], entry_points=False)
    policy = registry.policy("testprov/county", on=dt.date(2022, 6, 1))
    assert policy["hours.cycle_years"].value == 3
    assert policy["hours.cycle_years"].layer == "testprov/county"
    assert not policy.superseded


def test_a_what_if_keeps_the_superseded_list(ability2_registry: Registry) -> None:
    policy = ability2_registry.policy("hebei/baoding/xushui", on=dt.date(2020, 6, 1))
    changed = policy.with_changes({"hours.total_min": 60})
    assert [item.id for item in changed.superseded] == [item.id for item in policy.superseded]


# --- 4. one label per kind of clause ----------------------------------------------------------------


def test_an_unknown_label_is_an_error_naming_file_and_line(write: Write) -> None:
    path = write(
        "prov.yaml",
        """
        region: {id: testprov, name: 测试省, level: province, parent: cn}
        documents:
          d: {title: 通知, date: 2022-05-01}
        not_encoded:
          - label: organisational
            source: {document: d, clause: 一}
            reason: the bureau's own team
        """,
    )
    with pytest.raises(PolicyFileError) as info:
        load_registry(plugins=[_Files("t", path)], entry_points=False)
    assert re.search(r"prov\.yaml:\d+: not_encoded\[0\]\.label: unknown label 'organisational'", str(info.value))


@given(
    st.one_of(st.sampled_from(sorted(LABELS)), st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=20))
)
def test_only_vocabulary_labels_load(label: str) -> None:
    from ability2.framework import load_framework
    from ability2.loading import STRUCTURER, ParsedLayer, build_layer
    from ability2.rules.catalogue import builtin_catalogue
    from ability2.schema import RawLayerFile
    from ability2.yamlio import read_yaml

    text = (
        "region: {id: testprov, name: 测试省, level: province, parent: cn}\n"
        "documents:\n  d: {title: 通知, date: 2022-05-01}\n"
        f"not_encoded:\n  - label: {json.dumps(label)}\n    source: {{document: d, clause: 一}}\n    reason: r\n"
    )
    doc = read_yaml(text, "h.yaml")
    parsed = ParsedLayer(doc, STRUCTURER.structure(doc.data, RawLayerFile))
    framework = load_framework()
    build = {"bibliography": framework.documents, "catalogue": builtin_catalogue(), "framework": framework}
    if label in LABELS:
        assert build_layer(parsed, **build).not_encoded[0].label == label  # type: ignore[arg-type]
    else:
        with pytest.raises(PolicyFileError, match="unknown label"):
            build_layer(parsed, **build)  # type: ignore[arg-type]


def _seed_items(registry: Registry) -> list[tuple[str, Any]]:
    return [(layer.region.id, item) for layer in registry.layers() for item in layer.not_encoded]


def test_every_seed_clause_not_encoded_has_a_label(ability2_registry: Registry) -> None:
    unlabelled = [(region, str(item.source)) for region, item in _seed_items(ability2_registry) if item.label is None]
    assert unlabelled == []


#: kinds of duty that recur across the seed documents, by the words of their clauses, and the
#: one label each must carry in every plugin
DUTIES = {
    "a leading group or programme office": (r"领导小组|工程办|项目办", "authority-duty"),
    "an encouragement to try out a CIO": (r"鼓励.*首席信息官", "encouragement"),
    "training of the management teams": (r"管理团队的专项培训", "authority-duty"),
    "funding": (r"经费", "funding"),
    "titles and awards": (r"职称评定|评先选优|评优评先", "consequence"),
    "who takes part": (r"含幼儿园|^全区中小学、幼儿园教师|校（园）长、各级管理层", "population"),
    "a lecturer group": (r"讲师团", "authority-duty"),
    "graded evaluation by inspection": (r"分级考评机制", "authority-duty"),
}


@pytest.mark.parametrize("duty", sorted(DUTIES))
def test_one_label_for_one_kind_of_duty_across_plugins(ability2_registry: Registry, duty: str) -> None:
    pattern, label = DUTIES[duty]
    found = [
        (region, item.source.clause, item.label)
        for region, item in _seed_items(ability2_registry)
        if item.source.quote and re.search(pattern, item.source.quote)
    ]
    assert found, f"no clause about {duty} found"
    assert {entry[2] for entry in found} == {label}, found


def test_the_population_clause_is_listed_in_all_three_hebei_plans(ability2_registry: Registry) -> None:
    # 冀教师函〔2020〕8号, 保教函〔2020〕95号 and the 徐水 plan, 一、指导思想: "(含幼儿园、普通中小学、中等职业学校)"
    for region in ("hebei", "hebei/baoding", "hebei/baoding/xushui"):
        items = [item for item in ability2_registry.layer(region).not_encoded if item.label == "population"]
        assert len(items) == 1
        assert "含幼儿园、普通中小学、中等职业学校" in (items[0].source.quote or "")


def test_kaiyuan_principal_clause_is_listed(ability2_registry: Registry) -> None:
    quotes = [item.source.quote or "" for item in ability2_registry.layer("liaoning/tieling/kaiyuan").not_encoded]
    assert any("校长是第一责任人，需参与到培训项目中" in quote for quote in quotes)


def test_inventory_shows_labels_and_set_aside_rules(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inventory", "hebei/baoding/xushui"]) == 0
    text = capsys.readouterr().out
    assert "## Inherited rules set aside" in text
    assert "### `timeline.rollout_2019`" in text
    assert "Label: `population`" in text


def test_policy_json_gives_each_clause_its_label(capsys: pytest.CaptureFixture[str]) -> None:
    data = _json(capsys, ["policy", "liaoning/tieling/kaiyuan", "--on", "2024-05-01", "--json"])
    assert data["not_encoded"]
    assert all(item["label"] in LABELS for item in data["not_encoded"])


def test_timeline_view_of_a_policy_without_supersessions_is_empty(ability2_registry: Registry) -> None:
    assert timeline(ability2_registry.policy("cn", on=dt.date(2022, 1, 1))).superseded == ()


# --- 6. bare counts: exactly, or at least ----------------------------------------------------------


def _roster(rows: list[dict[str, Any]]) -> Any:
    import pandas as pd

    base = {"school": "甲校", "online_hours": 25, "offline_hours": 25}
    return pd.DataFrame([{**base, **row} for row in rows])


@pytest.mark.parametrize(
    ("region", "on"),
    [("liaoning/tieling/kaiyuan", "2024-05-01"), ("shandong/jining/yanzhou", "2022-11-20")],
)
def test_a_bare_count_reads_exactly_by_default_and_at_least_by_a_what_if(
    ability2_registry: Registry, region: str, on: str
) -> None:
    # 开原 "选择3个微能力点" and 兖州 "指导教师选择三项微能力" give bare numbers: read as exactly 3 (为)
    policy = ability2_registry.policy(region, on=dt.date.fromisoformat(on))
    rule = policy["selection.count"]
    assert (rule.value, rule.bound.word if rule.bound else None) == (3, "为")
    assert rule.holds(3) and not rule.holds(4) and not rule.holds(2)
    # the other reading, 3 or more, is the boundary word 至少: per plugin (bound:) or by a what-if
    at_least = policy.with_changes({"selection.count": {"value": 3, "bound": "至少"}})["selection.count"]
    assert at_least.holds(3) and at_least.holds(4) and not at_least.holds(2)


def test_a_fourth_ability_fails_exactly_three_and_passes_at_least_three(ability2_registry: Registry) -> None:
    policy = ability2_registry.policy("liaoning/tieling/kaiyuan", on=dt.date(2024, 5, 1))
    roster = _roster([{"teacher_id": "T1", "abilities": "A1;A5;B2;B10", "grades": "合格;合格;合格;合格"}])
    exact = ability2.evaluate(roster, policy)
    assert list(exact.status) == ["fail"]
    loose = ability2.evaluate(roster, policy.with_changes({"selection.count": {"value": 3, "bound": "至少"}}))
    assert list(loose.status) == ["pass"]


# --- 7. "X日前": inclusive or not --------------------------------------------------------------------


def test_before_day_x_includes_day_x_by_default(ability2_registry: Registry) -> None:
    # 兖州 "各学校于11月25日前…报区教体局人事科": on the 25th the reports are still in time
    policy = ability2_registry.policy("shandong/jining/yanzhou", on=dt.date(2022, 11, 25))
    assert policy["deadline.before_exclusive"].value is False
    view = timeline(policy)
    assert "timeline.submit_reports" in [phase.rule for phase in view.current]
    assert view.next_deadline is not None and view.next_deadline.end == dt.date(2022, 11, 25)


def test_before_day_x_excludes_day_x_by_a_what_if(ability2_registry: Registry) -> None:
    policy = ability2_registry.policy("shandong/jining/yanzhou", on=dt.date(2022, 11, 25))
    strict = policy.with_changes({"deadline.before_exclusive": True})
    view = timeline(strict)
    assert "timeline.submit_reports" not in [phase.rule for phase in view.current]
    ends = {rule.id: phase.end for rule, phase in strict.phases()}
    assert ends["timeline.submit_reports"] == dt.date(2022, 11, 24)
    # only the phases written "X日前" move: "11月底前" and "本周" do not
    assert ends["timeline.special_training"] == dt.date(2022, 11, 30)
    assert ends["timeline.online_study_this_week"] == dt.date(2022, 11, 20)


def test_kaiyuan_before_deadlines_switch_together(ability2_registry: Registry) -> None:
    # 开原 "各学校于6月14日前", "到2024年6月30日前"; the stages' "至6月30日" is not written 前
    policy = ability2_registry.policy("liaoning/tieling/kaiyuan", on=dt.date(2024, 5, 1))
    strict = {rule.id: phase.end for rule, phase in policy.with_changes({"deadline.before_exclusive": True}).phases()}
    loose = {rule.id: phase.end for rule, phase in policy.phases()}
    assert (loose["timeline.school_summary"], strict["timeline.school_summary"]) == (
        dt.date(2024, 6, 14),
        dt.date(2024, 6, 13),
    )
    assert (loose["timeline.teacher_completion"], strict["timeline.teacher_completion"]) == (
        dt.date(2024, 6, 30),
        dt.date(2024, 6, 29),
    )
    assert strict["timeline.stage3_acceptance"] == loose["timeline.stage3_acceptance"] == dt.date(2024, 6, 30)


def test_a_policy_file_can_state_the_strict_reading(write: Write) -> None:
    path = write(
        "prov.yaml",
        """
        region: {id: testprov, name: 测试省, level: province, parent: cn}
        documents:
          d: {title: 通知, date: 2022-05-01}
        rules:
          timeline.report:
            value: {name: 报送, start: null, end: 2022-11-25, end_before: true}
            source: {document: d, clause: 六}
          deadline.before_exclusive:
            value: true
            source: {document: d, clause: 六}
        """,
    )
    registry = load_registry(plugins=[_Files("t", path)], entry_points=False)
    view = timeline(registry.policy("testprov", on=dt.date(2022, 11, 25)))
    assert view.next_deadline is None  # the report was due by the 24th


# --- 8. pending after the final deadline -----------------------------------------------------------


def _kaiyuan_pending_roster() -> Any:
    return _roster(
        [
            {"teacher_id": "T1", "abilities": "A1;A5;B2", "grades": "合格;合格;合格"},
            {"teacher_id": "T2", "abilities": "A1;A5;B2", "grades": ""},
        ]
    )


def test_pending_stays_pending_after_the_deadline_by_default(ability2_registry: Registry) -> None:
    # 开原: "到2024年6月30日前…完成…并学习合格"; the plan does not say what an ungraded teacher becomes
    policy = ability2_registry.policy("liaoning/tieling/kaiyuan", on=dt.date(2024, 7, 1))
    assert policy["grading.pending_fails_after_deadline"].value is False
    result = ability2.evaluate(_kaiyuan_pending_roster(), policy)
    assert list(result.status) == ["pass", "pending"]


def test_pending_fails_after_the_deadline_by_a_what_if(ability2_registry: Registry) -> None:
    policy = ability2_registry.policy("liaoning/tieling/kaiyuan", on=dt.date(2024, 7, 1))
    result = ability2.evaluate(
        _kaiyuan_pending_roster(), policy.with_changes({"grading.pending_fails_after_deadline": True})
    )
    assert list(result.status) == ["pass", "fail"]
    explanation = result.explain("T2")
    assert "2024-06-30" in str(explanation)


def test_pending_is_still_pending_on_the_deadline_day(ability2_registry: Registry) -> None:
    strict = ability2_registry.policy("liaoning/tieling/kaiyuan", on=dt.date(2024, 6, 30)).with_changes(
        {"grading.pending_fails_after_deadline": True}
    )
    assert list(ability2.evaluate(_kaiyuan_pending_roster(), strict).status) == ["pass", "pending"]
    # with "6月30日前" read strictly too, the teachers' phase ends on the 29th, but the final deadline
    # is still the 30th: 第三阶段 runs "至6月30日", which is not written 前
    stricter = strict.with_changes({"deadline.before_exclusive": True})
    from ability2.rules.readings import final_deadline

    assert final_deadline(stricter) == dt.date(2024, 6, 30)
    assert list(ability2.evaluate(_kaiyuan_pending_roster(), stricter).status) == ["pass", "pending"]
    later = ability2_registry.policy("liaoning/tieling/kaiyuan", on=dt.date(2024, 7, 1)).with_changes(
        {"grading.pending_fails_after_deadline": True, "deadline.before_exclusive": True}
    )
    assert list(ability2.evaluate(_kaiyuan_pending_roster(), later).status) == ["pass", "fail"]


# --- 10. 附件2 课程学时合格人数: every hours rule, or online only -------------------------------------


def _course_hours_passed(result: Any) -> list[int]:
    from ability2.reports.summary import summary_columns

    return list(summary_columns(result)["课程学时合格人数"])


def test_course_hours_count_every_hours_rule_by_default(ability2_registry: Registry) -> None:
    # 兖州 附件2 "课程学时合格人数"; 线上选学 "不少于 25 学时", 线下 "不少于 25 学时"
    policy = ability2_registry.policy("shandong/jining/yanzhou", on=dt.date(2022, 11, 20))
    assert policy["summary.course_hours"].value == "every_hours_rule"
    roster = _roster(
        [
            # 互学互评 done by all (the offline hours count only after peer review)
            {
                "teacher_id": "T1",
                "abilities": "A1;A5;B2",
                "online_hours": 25,
                "offline_hours": 25,
                "peer_reviews": "是",
            },
            {
                "teacher_id": "T2",
                "abilities": "A1;A5;B2",
                "online_hours": 25,
                "offline_hours": 10,
                "peer_reviews": "是",
            },
            {
                "teacher_id": "T3",
                "abilities": "A1;A5;B2",
                "online_hours": 10,
                "offline_hours": 40,
                "peer_reviews": "是",
            },
        ]
    )
    # T2 lacks offline hours, T3 online hours: only T1 counts (per school, then the total)
    assert _course_hours_passed(ability2.evaluate(roster, policy)) == [1, 1]
    online = policy.with_changes({"summary.course_hours": "online"})
    # online only: T1 and T2 (25 online each) count, T3 (10 online) does not
    assert _course_hours_passed(ability2.evaluate(roster, online)) == [2, 2]


def test_a_bad_course_hours_reading_is_refused(ability2_registry: Registry) -> None:
    policy = ability2_registry.policy("shandong/jining/yanzhou", on=dt.date(2022, 11, 20))
    from ability2.errors import ChangeSetError

    with pytest.raises(ChangeSetError, match=r"unknown method .offline."):
        policy.with_changes({"summary.course_hours": "offline"})


# --- 11. evidence sheets: items without 优秀 criteria; 原则上/一般 time limits ------------------------

C5_ALL_EXCELLENT = [
    {"item": "scenario"},  # 情景描述: the sheet gives no 优秀/合格 criteria
    {"item": "case", "level": "优秀", "minutes": 9.5, "teacher_on_screen": True},
    {"item": "student_reflections", "minutes": 2, "copies": 2},  # 学生体会: no criteria either
]


def test_items_without_criteria_do_not_block_excellent_by_default(ability2_registry: Registry) -> None:
    policy = ability2_registry.policy("cn", on=dt.date(2022, 1, 1))
    assert policy["assess.items_without_criteria"].value == "not_blocking"
    assert ability2.assess_ability("C5", C5_ALL_EXCELLENT, policy=policy).grade == "excellent"
    assert ability2.assess_ability("C5", C5_ALL_EXCELLENT).grade == "excellent"  # no policy: the default


def test_items_without_criteria_block_excellent_by_a_what_if(ability2_registry: Registry) -> None:
    policy = ability2_registry.policy("cn", on=dt.date(2022, 1, 1)).with_changes(
        {"assess.items_without_criteria": "blocking"}
    )
    result = ability2.assess_ability("C5", C5_ALL_EXCELLENT, policy=policy)
    assert result.grade == "pass"
    assert any("blocking" in render(reason, "en") for reason in result.reasons)
    assert any("`assess.items_without_criteria: blocking`" in render(reason, "zh") for reason in result.reasons)


def _c6_over_its_in_principle_limit() -> list[dict[str, Any]]:
    # C6 (seed 000 p.54): 时间原则上不超过 10 分钟; 12 minutes exceed it
    sheet = ability2.load_framework().sheet("C6")
    assert sheet is not None
    video = next(item for item in sheet.items if item.time_limit is not None)
    assert video.time_limit is not None and video.time_limit.in_principle
    evidence: list[dict[str, Any]] = [{"item": item.id, "level": "合格"} for item in sheet.items]
    evidence[[item.id for item in sheet.items].index(video.id)]["minutes"] = 12
    return evidence


def test_in_principle_limits_warn_by_default(ability2_registry: Registry) -> None:
    policy = ability2_registry.policy("shandong/jining/yanzhou", on=dt.date(2022, 11, 20))
    assert policy["assess.in_principle_limits"].value == "warn"
    assert policy["assess.in_principle_limits"].layer == "cn"
    result = ability2.assess_ability("C6", _c6_over_its_in_principle_limit(), policy=policy)
    assert result.grade == "pass"
    assert any("原则上" in render(warning, "zh") for item in result.items for warning in item.warnings)


def test_in_principle_limits_fail_by_a_what_if(ability2_registry: Registry) -> None:
    policy = ability2_registry.policy("shandong/jining/yanzhou", on=dt.date(2022, 11, 20)).with_changes(
        {"assess.in_principle_limits": "fail"}
    )
    result = ability2.assess_ability("C6", _c6_over_its_in_principle_limit(), policy=policy)
    assert result.grade == "fail"
    # a time within the limit still passes under the strict reading
    within = _c6_over_its_in_principle_limit()
    for entry in within:
        if "minutes" in entry:
            entry["minutes"] = 10
    assert ability2.assess_ability("C6", within, policy=policy).grade == "pass"


# --- 9. 兖州's school form: 优秀 by rank or cap only; parts all or nothing; 总数 -------------------------


def _yanzhou_form(ability2_registry: Registry) -> tuple[Any, Any]:
    policy = ability2_registry.policy("shandong/jining/yanzhou", on=dt.date(2022, 11, 20))
    [(_, form)] = policy.forms()
    return policy, form


def _totals(*points: int) -> list[tuple[str, Any]]:
    from fractions import Fraction

    return [(f"S{i}", Fraction(p)) for i, p in enumerate(points, start=1)]


def test_form_readings_default_to_the_plain_reading(ability2_registry: Registry) -> None:
    from ability2.forms import FormReadings, rank_excellent

    policy, form = _yanzhou_form(ability2_registry)
    readings = FormReadings.of(policy)
    assert readings == FormReadings("top_ranked", "all_or_nothing", "batch", None)
    # "优秀等次控制在总数30%以内": of 10 schools at most 3 (30% included); 79 fails "80分及以上"
    grades = rank_excellent(form, _totals(99, 95, 90, 88, 85, 84, 83, 82, 80, 79), readings)
    assert [grades[f"S{i}"] for i in range(1, 11)] == ["excellent"] * 3 + ["pass"] * 6 + ["fail"]


def test_cap_only_rates_no_school_excellent(ability2_registry: Registry) -> None:
    from ability2.forms import FormReadings, rank_excellent

    policy, form = _yanzhou_form(ability2_registry)
    readings = FormReadings.of(policy.with_changes({"scoring.excellent_schools": "cap_only"}))
    grades = rank_excellent(form, _totals(99, 95, 90, 79), readings)
    assert sorted(grades.values()) == ["fail", "pass", "pass", "pass"]


def test_the_cap_over_the_districts_schools(ability2_registry: Registry) -> None:
    from ability2 import Ability2Error
    from ability2.forms import FormReadings, rank_excellent

    policy, form = _yanzhou_form(ability2_registry)
    district = policy.with_changes({"scoring.excellent_cap_of": "district"})
    # 4 schools scored in a district of 10: 30% of 10 is 3 excellent, where the batch (4) allows 1
    grades = rank_excellent(form, _totals(99, 95, 90, 85), FormReadings.of(district, 10))
    assert [grades[f"S{i}"] for i in range(1, 5)] == ["excellent", "excellent", "excellent", "pass"]
    batch = rank_excellent(form, _totals(99, 95, 90, 85), FormReadings.of(policy))
    assert [batch[f"S{i}"] for i in range(1, 5)] == ["excellent", "pass", "pass", "pass"]
    with pytest.raises(Ability2Error, match="--district-schools"):
        rank_excellent(form, _totals(99, 95), FormReadings.of(district))
    with pytest.raises(Ability2Error, match="fewer than"):
        rank_excellent(form, _totals(99, 95, 90), FormReadings.of(district, 2))


def test_the_three_environment_item_all_or_nothing_or_by_part(ability2_registry: Registry) -> None:
    from fractions import Fraction

    from ability2.forms import FormReadings, prefill

    policy, form = _yanzhou_form(ability2_registry)
    # 10 teachers: 6 choose multimedia (A*), 3 hybrid (B*), 1 smart (C*): 多媒体 60% > 50% fails,
    # 混合 30% ≥ 30% holds, 智慧 10% < 20% fails: one of the three shares holds
    rows = (
        [{"teacher_id": f"M{i}", "abilities": "A1;A5;A2"} for i in range(6)]
        + [{"teacher_id": f"H{i}", "abilities": "B1;B2;B3"} for i in range(3)]
        + [{"teacher_id": "S0", "abilities": "C1;C2;C3"}]
    )
    result = ability2.evaluate(_roster(rows), policy)
    section = "校本研修组织实施"
    item = "三种环境下教师选择内容比例调控"
    plain = prefill(form, result, FormReadings.of(policy))
    assert plain["甲校"][section][item] == 0
    parts = prefill(form, result, FormReadings.of(policy.with_changes({"scoring.parts": "by_part"})))
    assert parts["甲校"][section][item] == Fraction(5, 3)


def test_form_command_takes_the_districts_schools(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scores = tmp_path / "scores.yaml"
    scores.write_text("schools: {}\n", encoding="utf-8")
    code = main(
        ["form", "370812", "--on", "2022-11-20", "--scores", str(scores), "--district-schools", "0", "--lang", "en"]
    )
    assert code == 2
    assert "whole number ≥ 1" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["[1, 2]", "", "3"])
def test_supersedes_must_be_a_mapping(write: Write, value: str) -> None:
    path = write("prov.yaml", PROV.replace("supersedes:\n", f"supersedes: {value}\n"))
    with pytest.raises(PolicyFileError, match=r"prov\.yaml:\d+: supersedes: expected a mapping of rule ids"):
        load_registry(plugins=[_Files("t", path)], entry_points=False)
