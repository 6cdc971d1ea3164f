"""The school table and the rules that read it (or optional roster columns).

The clauses come from the seeds: a school's 信息化管理团队 and 首席信息官 (冀教师函〔2020〕8号
三、(三), the Xushui plan), a research group's 研修计划 (三、(二)), Baita's group video of
"10分钟以上" (白塔小学方案 四、6) and its assigned environments (四、1), Yanzhou's team of
"3-5 人" (兖教体发〔2022〕82号 附件1). The policy here is a test region stating them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ability2
from ability2.cli import main
from ability2.errors import SchoolTableError

POLICY = """\
region: {id: testprov, name: 测试省, level: province, parent: cn}
documents:
  doc: {title: 测试文件, date: 2021-01-01}
rules:
  school.it_team: {value: true, source: {document: doc, clause: 三、(三)}}
  school.cio: {value: true, source: {document: doc, clause: 三、(三)}}
  school.it_team_size: {value: {min: 3, max: 5}, source: {document: doc, clause: 附件1}}
  group.research_plan: {value: true, source: {document: doc, clause: 三、(二)}}
  group.activity_video_minutes_min: {value: 10, bound: 以上, source: {document: doc, clause: 四、6}}
  teacher.research_plan: {value: true, source: {document: doc, clause: 三、(二)}}
  selection.assigned_environment: {value: true, source: {document: doc, clause: 四、1}}
"""

SCHOOL_RULES = {
    "school.it_team",
    "school.cio",
    "school.it_team_size",
    "group.research_plan",
    "group.activity_video_minutes_min",
}


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """These tests are about what is found and refused, read in English; the language itself is tested in
    tests/test_input_messages.py (the command line, run in a child process, speaks its default, Chinese)."""
    from ability2.messages import language

    with language("en"):
        yield



@pytest.fixture(scope="module")
def policy(tmp_path_factory: pytest.TempPathFactory) -> ability2.Policy:
    file = tmp_path_factory.mktemp("policy") / "testprov.yaml"
    file.write_text(POLICY, encoding="utf-8")
    registry = ability2.load_registry(entry_points=False, extra_files=[file])
    return registry.policy("testprov", on=dt.date(2022, 1, 1))


def teacher(tid: str, school: str = "S1", group: str = "语文组", **fields: object) -> dict[str, str]:
    base = {
        "teacher_id": tid,
        "school": school,
        "group": group,
        "online_hours": "25",
        "offline_hours": "25",
        "abilities": "A1;A3;A5",
        "grades": "合格;合格;合格",
        "个人研修计划": "是",
        "分工环境": "多媒体",
    }
    base.update({k: str(v) for k, v in fields.items()})
    return base


def schools(*rows: dict[str, object]) -> pd.DataFrame:
    return pd.DataFrame([{k: str(v) for k, v in row.items()} for row in rows])


GOOD_SCHOOL = {"学校": "S1", "信息化管理团队": "是", "首席信息官": "是", "管理团队人数": 4}
GOOD_GROUP = {"学校": "S1", "教研组": "语文组", "教研组研修计划": "是", "集中教研视频时长": 12}


def check(result: ability2.Result, rule: str, school: int = 0) -> ability2.Reason:
    return next(c for c in result.school_checks(school) if c.rule == rule)


def group_check(result: ability2.Result, rule: str, group: int = 0) -> ability2.Reason:
    return next(c for c in result.group_checks(group) if c.rule == rule)


# -- without a school table: not checked, and said so ----------------------------------------


def test_without_a_school_table_the_school_rules_are_listed_as_unchecked(policy: ability2.Policy) -> None:
    result = ability2.evaluate(pd.DataFrame([teacher("T1")]), policy)
    unchecked = {item["rule"]: item for item in result.unchecked}
    assert set(unchecked) == SCHOOL_RULES
    assert unchecked["school.it_team"]["reason"] == "需要学校信息表（--schools）"
    assert unchecked["school.it_team"]["source"].startswith("《测试文件》")
    assert result.school_status() == ["pass"]  # nothing made up
    assert not any(c.rule in SCHOOL_RULES for c in result.school_checks(0))
    data = result.to_dict("en")
    assert data["unchecked"][0]["reason"] == "needs a school table (--schools)"
    back = ability2.Result.from_dict(json.loads(result.to_json()))
    assert [u["rule"] for u in back.unchecked] == [u["rule"] for u in result.unchecked]


def test_a_roster_without_the_optional_columns_leaves_the_teacher_rules_unchecked(policy: ability2.Policy) -> None:
    frame = pd.DataFrame([teacher("T1")]).drop(columns=["个人研修计划", "分工环境"])
    result = ability2.evaluate(frame, policy)
    reasons = {u["rule"]: u["reason"] for u in result.unchecked}
    assert reasons["teacher.research_plan"] == "花名册没有“个人研修计划”（research_plan）列"
    assert reasons["selection.assigned_environment"] == "花名册没有“分工环境”（assigned_environment）列"
    assert list(result.status) == ["pass"]


def test_a_policy_without_fact_rules_has_no_unchecked_key() -> None:
    policy = ability2.load_registry(entry_points=False).policy("cn", on=dt.date(2022, 1, 1))
    result = ability2.evaluate(pd.DataFrame([teacher("T1")]), policy)
    assert result.unchecked == [] and "unchecked" not in result.to_dict()


# -- with a school table ------------------------------------------------------------------------


def test_school_facts_pass_when_the_table_says_yes(policy: ability2.Policy) -> None:
    result = ability2.evaluate(pd.DataFrame([teacher("T1")]), policy, schools=schools(GOOD_SCHOOL, GOOD_GROUP))
    assert result.unchecked == []
    assert result.school_status() == ["pass"]
    assert check(result, "school.it_team").message == "学校信息化管理团队: 是"
    assert check(result, "school.it_team", 0).ok and check(result, "school.cio").ok
    assert group_check(result, "group.research_plan").ok


def test_a_school_missing_from_the_table_or_saying_no_fails(policy: ability2.Policy) -> None:
    table = schools({**GOOD_SCHOOL, "首席信息官": "否"}, GOOD_GROUP)
    result = ability2.evaluate(pd.DataFrame([teacher("T1"), teacher("U1", "S2", "数学组")]), policy, schools=table)
    assert result.school_status() == ["fail", "fail"]
    cio = check(result, "school.cio")
    assert (cio.ok, cio.value, str(cio.message)) == (False, "no", "学校首席信息官(CIO): 否（要求: 是）")
    absent = check(result, "school.it_team", 1)
    assert (absent.ok, absent.value) == (False, "not given")
    assert check(result, "school.it_team", 1).message == "学校信息化管理团队: 未填写（要求: 是）"
    assert not group_check(result, "group.research_plan", 1).ok  # no row for S2 数学组


@pytest.mark.parametrize(("minutes", "ok"), [(10, True), (9, False), (10.5, True), (9.9, False)])
def test_a_group_video_of_10_minutes_or_more(policy: ability2.Policy, minutes: float, ok: bool) -> None:
    # 白塔小学方案 四、6: "提交其中1 份10分钟以上视频资料": 以上 includes 10 (民法典 第1259条)
    table = schools(GOOD_SCHOOL, {**GOOD_GROUP, "集中教研视频时长": minutes})
    result = ability2.evaluate(pd.DataFrame([teacher("T1")]), policy, schools=table)
    assert group_check(result, "group.activity_video_minutes_min").ok is ok


@pytest.mark.parametrize(("size", "ok"), [(2, False), (3, True), (5, True), (6, False)])
def test_a_team_of_3_to_5_includes_both_ends(policy: ability2.Policy, size: int, ok: bool) -> None:
    # 兖教体发〔2022〕82号 附件1: "3-5 人构成的学校信息化管理团队"
    table = schools({**GOOD_SCHOOL, "管理团队人数": size}, GOOD_GROUP)
    result = ability2.evaluate(pd.DataFrame([teacher("T1")]), policy, schools=table)
    team = check(result, "school.it_team_size")
    assert team.ok is ok
    assert str(team.message) == f"学校信息化管理团队人数: {size}，{'在' if ok else '不在'} 3–5 之内"


def test_a_bad_cell_in_the_school_table_names_file_row_and_column(policy: ability2.Policy, tmp_path: Path) -> None:
    path = tmp_path / "schools.csv"
    schools(GOOD_SCHOOL, {"学校": "S2", "信息化管理团队": "也许"}).to_csv(path, index=False)
    with pytest.raises(SchoolTableError, match=r"schools.csv:3:it_team: not yes or no: '也许'"):
        ability2.evaluate(pd.DataFrame([teacher("T1")]), policy, schools=path)


# -- teacher facts ----------------------------------------------------------------------------


def test_abilities_outside_the_assigned_environment_fail_unless_the_change_was_confirmed(
    policy: ability2.Policy,
) -> None:
    # 白塔小学方案 四、1: "不可随意改动 … 如果有改动必须上报给学校管理员进行确认"
    rows = [
        teacher("T1"),  # A1;A3;A5 in 多媒体
        teacher("T2", abilities="A1;B2;A5"),  # B2 is hybrid
        teacher("T3", abilities="A1;B2;A5", 环境改动已确认="是"),
        teacher("T4", 分工环境=""),
        teacher("T5", abilities="B1;B2;B6", 分工环境="hybrid"),
    ]
    result = ability2.evaluate(pd.DataFrame(rows), policy, schools=schools(GOOD_SCHOOL, GOOD_GROUP))
    reasons = [
        next(r for r in result.reasons(f"T{i + 1}") if r.rule == "selection.assigned_environment") for i in range(5)
    ]
    assert [(r.value, r.ok) for r in reasons] == [
        ("within", True),
        ("outside", False),
        ("confirmed change", True),
        ("not given", False),
        ("within", True),
    ]
    assert str(reasons[1].message) == "按分工环境选学能力点: 有能力点不在分工环境内，改动未确认"
    assert result.reasons("T4", "en")[-1].rule == "selection.assigned_environment"


def test_an_unknown_environment_names_the_row(policy: ability2.Policy) -> None:
    with pytest.raises(ability2.RosterError, match=r":3:assigned_environment: not an environment: '远程'"):
        ability2.evaluate(pd.DataFrame([teacher("T1"), teacher("T2", 分工环境="远程")]), policy)


def test_the_personal_research_plan_column(policy: ability2.Policy) -> None:
    rows = [teacher("T1"), teacher("T2", 个人研修计划="否")]
    result = ability2.evaluate(pd.DataFrame(rows), policy, schools=schools(GOOD_SCHOOL, GOOD_GROUP))
    assert list(result.status) == ["pass", "fail"]
    assert [str(r.message) for r in result.explain("T2").reasons if not r.ok] == ["教师个人研修计划: 否（要求: 是）"]


# -- the reader ---------------------------------------------------------------------------------


def test_reader_takes_chinese_or_english_headers_and_group_rows(tmp_path: Path) -> None:
    path = tmp_path / "s.xlsx"
    schools({"school": "S1", "it_team": "yes"}, {"school": "S1", "group": "数学组", "research_plan": "no"}).to_excel(
        path, index=False
    )
    table = ability2.read_schools(path)
    assert table.keys == [("S1", ""), ("S1", "数学组")]
    assert table.find("信息化管理团队") is None and table.find("it_team") == "it_team"


def test_reader_refuses_duplicates_blank_schools_and_a_missing_school_column() -> None:
    with pytest.raises(
        SchoolTableError, match=r"<DataFrame>:3:school: school 'S1' is given twice: rows 2 and 3"
    ):
        ability2.read_schools(schools({"学校": "S1", "首席信息官": "是"}, {"学校": "S1", "首席信息官": "否"}))
    with pytest.raises(SchoolTableError, match=r"<DataFrame>:2:school: empty school"):
        ability2.read_schools(schools({"学校": "", "首席信息官": "是"}))
    with pytest.raises(SchoolTableError, match=r"missing required column: add a column headed 'school' or '学校'"):
        ability2.read_schools(schools({"名称": "S1"}))


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["S1", "S2", "实验小学"]),
            st.sampled_from(["", "语文组", "数学组"]),
            st.sampled_from(["是", "否", ""]),
        ),
        min_size=1,
        max_size=12,
        unique_by=lambda row: (row[0], row[1]),
    )
)
def test_reader_keeps_every_row(rows: list[tuple[str, str, str]]) -> None:
    table = ability2.read_schools(schools(*({"学校": s, "教研组": g, "首席信息官": c} for s, g, c in rows)))
    assert table.keys == [(s, g) for s, g, _ in rows]
    assert list(table.rows) == list(range(2, len(rows) + 2))


# -- the command line -------------------------------------------------------------------------


def test_cli_schools_option_and_exit_2_on_a_bad_table(
    policy: ability2.Policy, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy_file = tmp_path / "testprov.yaml"
    policy_file.write_text(POLICY, encoding="utf-8")
    roster = tmp_path / "roster.csv"
    pd.DataFrame([teacher("T1")]).to_csv(roster, index=False)
    good = tmp_path / "schools.csv"
    schools(GOOD_SCHOOL, GOOD_GROUP).to_csv(good, index=False)
    bad = tmp_path / "bad.csv"
    schools({"学校": "S1"}, {"学校": "S1"}).to_csv(bad, index=False)
    registry = ability2.load_registry(extra_files=[policy_file])
    from unittest import mock

    with mock.patch("ability2.registry.load_registry", return_value=registry):
        assert main(["evaluate", str(roster), "--region", "testprov", "--on", "2022-01-01", "--format", "json"]) == 0
        data = json.loads(capsys.readouterr().out)
        assert {u["rule"] for u in data["unchecked"]} == SCHOOL_RULES
        assert main(["evaluate", str(roster), "--region", "testprov", "--on", "2022-01-01"]) == 0
        assert "未检查: school.it_team（需要学校信息表（--schools））" in capsys.readouterr().out
        args = [
            "evaluate",
            str(roster),
            "--region",
            "testprov",
            "--on",
            "2022-01-01",
            "--schools",
            str(good),
            "--format",
            "json",
        ]
        assert main(args) == 0
        data = json.loads(capsys.readouterr().out)
        assert "unchecked" not in data and data["schools"][0]["status"] == "pass"
        assert main(["evaluate", str(roster), "--region", "testprov", "--schools", str(bad)]) == 2
        err = capsys.readouterr().err
        assert "bad.csv:3:学校: 学校“S1”重复：第 2 行和第 3 行" in err and "Traceback" not in err
        assert "学校表未通过检查" in err
        html = tmp_path / "r.html"
        assert (
            main(
                [
                    "evaluate",
                    str(roster),
                    "--region",
                    "testprov",
                    "--on",
                    "2022-01-01",
                    "--format",
                    "html",
                    "-o",
                    str(html),
                ]
            )
            == 0
        )
        assert "未检查的规则" in html.read_text(encoding="utf-8")


# -- found in review -----------------------------------------------------------------------------


def test_headers_in_any_case_a_row_column_and_duplicates(policy: ability2.Policy) -> None:
    table = ability2.read_schools(schools({"School": "S1", "CIO": "是", "IT_Team": "是", "__row": "x"}))
    assert table.find("cio") == "cio" and "__row" in table.frame.columns
    with pytest.raises(SchoolTableError, match=r"column given twice: 'cio' and '首席信息官'"):
        ability2.read_schools(schools({"学校": "S1", "cio": "是", "首席信息官": "否"}))


def test_a_team_size_that_is_not_whole_is_an_error(policy: ability2.Policy) -> None:
    for size in ("3.5", "-1"):
        with pytest.raises(
            SchoolTableError, match=rf":2:it_team_size: not a whole number ≥ 0: '{size}'"
        ):
            ability2.evaluate(
                pd.DataFrame([teacher("T1")]),
                policy,
                schools=schools({**GOOD_SCHOOL, "管理团队人数": size}, GOOD_GROUP),
            )


def test_group_facts_without_group_rows_are_unchecked(policy: ability2.Policy) -> None:
    result = ability2.evaluate(
        pd.DataFrame([teacher("T1")]), policy, schools=schools({**GOOD_SCHOOL, "教研组研修计划": "是"})
    )
    reasons = {u["rule"]: u["reason"] for u in result.unchecked}
    assert reasons["group.research_plan"] == "学校信息表没有教研组行（教研组列为空或缺失）"
    assert "school.it_team" not in reasons


def test_xlsx_and_compare_say_which_rules_were_not_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    registry = ability2.load_registry()
    xushui = registry.policy("hebei/baoding/xushui", on=dt.date(2022, 11, 20))
    result = ability2.evaluate(pd.DataFrame([teacher("T1")]), xushui)
    from ability2.reports import write_report

    path = write_report(result, tmp_path / "r.xlsx", "xlsx")
    sheets = pd.read_excel(path, sheet_name=None, dtype=str, engine="calamine", header=None)
    text = "\n".join(frame.fillna("").to_string() for frame in sheets.values())
    assert "未检查的规则" in text and "school.cio" in text and "需要学校信息表" in text
    comparison = ability2.compare(
        pd.DataFrame([teacher("T1")]), [xushui, registry.policy("guangxi", on=dt.date(2022, 11, 20))]
    )
    policies = comparison.to_dict()["policies"]
    assert {u["rule"] for u in policies[0]["unchecked"]} >= {"school.cio", "school.it_team"}
    from rich.console import Console

    from ability2.reports.comparison import render_comparison_table

    console = Console(file=__import__("io").StringIO(), width=200)
    render_comparison_table(comparison, console=console)
    assert "未检查（hebei/baoding/xushui）: school.cio" in console.file.getvalue()
