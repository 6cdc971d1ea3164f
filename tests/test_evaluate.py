"""The evaluator, with cases written from the seed documents and the contract (§3.1)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ability2
from ability2 import Registry, evaluate, read_roster
from ability2.cli import main
from rows import run, teacher

XUSHUI = ("hebei/baoding/xushui", dt.date(2022, 6, 1))
BAITA = ("jiangsu/changzhou/jintan/baita", dt.date(2022, 6, 1))
KAIYUAN = ("liaoning/tieling/kaiyuan", dt.date(2024, 5, 1))
YANZHOU = ("shandong/jining/yanzhou", dt.date(2022, 11, 20))
GUANGXI = ("guangxi", dt.date(2022, 6, 1))


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """These tests are about what is found and refused, read in English; the language itself is tested in
    tests/test_input_messages.py (the command line, run in a child process, speaks its default, Chinese)."""
    from ability2.messages import language

    with language("en"):
        yield


def reason(result: ability2.Result, tid: str, rule: str) -> ability2.Reason:
    return next(r for r in result.explain(tid).reasons if r.rule == rule)


def school_check(result: ability2.Result, rule: str, school: int = 0) -> ability2.Reason:
    return next(r for r in result.school_checks(school) if r.rule == rule)


# --- teachers ------------------------------------------------------------------------------


def test_20_online_30_offline_passes_hebei_hours_and_fails_jiangsu(ability2_registry: Registry) -> None:
    # 冀教师函〔2020〕8号: 不少于50学时(其中,实践应用学时不少于25学时); 白塔: 线上不少于25学时
    rows = [teacher("T1", online_hours=20, offline_hours=30)]
    hebei = run(ability2_registry, XUSHUI, rows)
    assert reason(hebei, "T1", "hours.total_min").ok
    assert reason(hebei, "T1", "hours.offline_min").ok
    assert hebei.status[0] == "pass"
    baita = run(ability2_registry, BAITA, rows)
    online = reason(baita, "T1", "hours.online_min")
    assert not online.ok
    assert (online.value, online.limit) == (20, 25)
    assert baita.status[0] == "fail"


def test_exactly_25_offline_hours_pass_and_24_5_fail(ability2_registry: Registry) -> None:
    result = run(
        ability2_registry,
        KAIYUAN,
        [teacher("T1", offline_hours=25), teacher("T2", offline_hours=24.5, online_hours=30)],
    )
    assert reason(result, "T1", "hours.offline_min").ok
    assert not reason(result, "T2", "hours.offline_min").ok


def test_offline_hours_count_only_after_peer_review_at_baita(ability2_registry: Registry) -> None:
    # 白塔: 线下实践应用成果提交与学习点评都完成后方可获取线下实践应用学时
    result = run(ability2_registry, BAITA, [teacher("T1", offline_hours=30, peer_reviews="否")])
    assert not reason(result, "T1", "hours.offline_requires_peer_review").ok
    offline = reason(result, "T1", "hours.offline_min")
    assert not offline.ok
    assert offline.value == 0
    # Hebei states no such condition: the same teacher passes there
    assert run(ability2_registry, XUSHUI, [teacher("T1", offline_hours=30, peer_reviews="否")]).status[0] == "pass"


def test_three_abilities_over_two_dimensions_at_kaiyuan(ability2_registry: Registry) -> None:
    # 开教发[2024]1号: 选择3个微能力点,覆盖至少2个维度
    rows = [
        teacher("T1", abilities="A1;A2;A5"),  # 学情分析, 教学设计, 学法指导
        teacher("T2", abilities="A2;A3;A4"),  # all 教学设计
        teacher("T3", abilities="A1;A2", grades="合格;合格"),
    ]
    result = run(ability2_registry, KAIYUAN, rows)
    assert reason(result, "T1", "selection.dimensions_min").ok
    assert not reason(result, "T2", "selection.dimensions_min").ok
    assert not reason(result, "T3", "selection.count").ok
    assert list(result.status) == ["pass", "fail", "fail"]


def test_statuses_follow_the_grades(ability2_registry: Registry) -> None:
    rows = [
        teacher("E", grades="优秀;优秀;优秀"),
        teacher("P", grades="优秀;合格;优秀"),
        teacher("F", grades="优秀;不合格;优秀"),
        teacher("W", grades=""),
        teacher("X", grades="", online_hours=10),
    ]
    result = run(ability2_registry, GUANGXI, rows)
    assert list(result.status) == ["excellent", "pass", "fail", "pending", "fail"]
    assert not reason(result, "F", "grading.teacher").ok


def test_every_failed_teacher_has_a_failed_reason_with_a_source(ability2_registry: Registry) -> None:
    rows = [teacher("T1", online_hours=5), teacher("T2"), teacher("T3", grades="不合格;合格;合格")]
    data = run(ability2_registry, YANZHOU, rows).to_dict()
    for item in data["teachers"]:
        assert all(r["source"] for r in item["reasons"])
        if item["status"] == "fail":
            assert any(not r["ok"] for r in item["reasons"])
        if item["status"] in ("pass", "excellent"):
            assert all(r["ok"] for r in item["reasons"])


# --- groups and schools ----------------------------------------------------------------------


def school_of(n: int, passing: int, excellent: int = 0, **fields: Any) -> list[dict[str, Any]]:
    rows = []
    for i in range(n):
        grades = "优秀;优秀;优秀" if i < excellent else "合格;合格;合格"
        rows.append(
            teacher(f"T{i:02d}", grades=grades, **fields)
            if i < passing
            else teacher(f"T{i:02d}", online_hours=0, **fields)
        )
    return rows


def test_yanzhou_pass_rate_of_exactly_95_percent_holds(ability2_registry: Registry) -> None:
    # 兖教体发〔2022〕82号 附件1: 教师微能力合格率 95%以上 (以上 includes 95%)
    exact = school_check(run(ability2_registry, YANZHOU, school_of(20, 19, excellent=2)), "school.pass_rate_min")
    assert exact.ok
    assert exact.value == 0.95
    assert not school_check(run(ability2_registry, YANZHOU, school_of(20, 18, excellent=2)), "school.pass_rate_min").ok


def test_yanzhou_excellent_rate_of_exactly_10_percent_holds(ability2_registry: Registry) -> None:
    assert school_check(run(ability2_registry, YANZHOU, school_of(20, 20, excellent=2)), "school.excellent_rate_min").ok
    assert not school_check(
        run(ability2_registry, YANZHOU, school_of(20, 20, excellent=1)), "school.excellent_rate_min"
    ).ok


def test_kaiyuan_excellent_rate_is_over_ability_certifications(ability2_registry: Registry) -> None:
    # 开原: 各校微能力点认证优秀率不超过60%; 5 teachers × 3 abilities = 15 certifications
    def rows(excellent_certs: int) -> list[dict[str, Any]]:
        grades = ["优秀"] * excellent_certs + ["合格"] * (15 - excellent_certs)
        return [teacher(f"T{i}", abilities="A1;B2;C4", grades=";".join(grades[3 * i : 3 * i + 3])) for i in range(5)]

    at_cap = school_check(run(ability2_registry, KAIYUAN, rows(9)), "school.excellent_rate_max")
    assert at_cap.ok
    assert at_cap.value == 0.6
    assert not school_check(run(ability2_registry, KAIYUAN, rows(10)), "school.excellent_rate_max").ok


def test_kaiyuan_pass_rate_must_be_100_percent(ability2_registry: Registry) -> None:
    assert school_check(run(ability2_registry, KAIYUAN, school_of(10, 10)), "school.pass_rate_min").ok
    assert not school_check(run(ability2_registry, KAIYUAN, school_of(10, 9)), "school.pass_rate_min").ok


def test_yanzhou_multimedia_share_of_teachers_at_most_50_percent(ability2_registry: Registry) -> None:
    # 附件1: 多媒体教学环境 本校环境下选课人数不多于50%
    def rows(multimedia: int) -> list[dict[str, Any]]:
        return [teacher(f"T{i}", abilities="A1;B2;C4" if i < multimedia else "B1;B2;C4") for i in range(10)]

    assert school_check(run(ability2_registry, YANZHOU, rows(5)), "school.multimedia_share_max").ok
    assert not school_check(run(ability2_registry, YANZHOU, rows(6)), "school.multimedia_share_max").ok


def test_yanzhou_school_scope_of_8_to_10_abilities(ability2_registry: Registry) -> None:
    def rows(distinct: int) -> list[dict[str, Any]]:
        pool = ["A1", "A2", "A3", "B1", "B2", "B3", "C1", "C2", "C3", "C4", "C5", "C6"][:distinct]
        return [
            teacher(
                f"T{i}", abilities=";".join([pool[i % distinct], pool[(i + 1) % distinct], pool[(i + 2) % distinct]])
            )
            for i in range(12)
        ]

    for distinct, ok in ((7, False), (8, True), (10, True), (11, False)):
        check = school_check(
            run(ability2_registry, YANZHOU, rows(distinct)),
            "school.scope_abilities_min" if distinct < 9 else "school.scope_abilities_max",
        )
        assert check.ok is ok, distinct


def test_baita_excellent_videos_per_group_at_least_30_percent(ability2_registry: Registry) -> None:
    # 白塔: 要求本组提交的优秀视频数不少于本组总人数的30%
    rows = [
        teacher(f"A{i}", group="语文组", subject="语文", excellent_video="是" if i < 3 else "否") for i in range(10)
    ]
    rows += [
        teacher(f"B{i}", group="数学组", subject="数学", excellent_video="是" if i < 2 else "否") for i in range(10)
    ]
    result = run(ability2_registry, BAITA, rows)
    groups = result.to_dict()["groups"]
    assert [(g["group"], g["status"]) for g in groups] == [("语文组", "pass"), ("数学组", "fail")]
    check = groups[1]["checks"][0]
    assert check["rule"] == "group.excellent_video_share_min"
    assert check["value"] == 0.2


def test_baita_videos_must_cover_every_subject(ability2_registry: Registry) -> None:
    rows = [
        teacher(f"A{i}", group="综合组", subject="音乐" if i < 5 else "美术", excellent_video="是" if i < 5 else "否")
        for i in range(10)
    ]
    check = school_check(run(ability2_registry, BAITA, rows), "school.excellent_video_every_subject")
    assert not check.ok
    assert "美术" in str(check.message)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.sampled_from(["S1", "S2", "S3"]), st.sampled_from(["音乐", "美术", "", "体育"]), st.booleans()),
        min_size=1,
        max_size=25,
    )
)
def test_every_subject_names_each_schools_subjects_without_a_video_in_order(
    rows: list[tuple[str, str, bool]], ability2_registry: Registry
) -> None:
    """Property: per school, the subjects (a blank one is none) no teacher has an excellent video in, as first written."""
    roster = [
        teacher(f"T{i}", school=school, group="综合组", subject=subject, excellent_video="是" if video else "否")
        for i, (school, subject, video) in enumerate(rows)
    ]
    result = run(ability2_registry, BAITA, roster)
    column = next(c for c in result.school_columns if c.rule == "school.excellent_video_every_subject")
    for position, school in enumerate(result.school_names):
        subjects = dict.fromkeys(subject for s, subject, _ in rows if s == school and subject)
        lacking = [subject for subject in subjects if not any(s == school and t == subject and v for s, t, v in rows)]
        assert bool(column.ok[position]) == (not lacking)
        assert column.value[position] == ("missing: " + "、".join(lacking) if lacking else "all covered")


def test_every_subject_with_many_schools_and_free_text_subjects(ability2_registry: Registry) -> None:
    """Schools times subjects far past the teachers (free-text subjects): the pairs are factorized, the same verdicts."""
    rows = [
        teacher(f"T{i}", school=f"S{i}", group="综合组", subject=f"科目{i}", excellent_video="是" if i % 3 else "否")
        for i in range(60)
    ]
    result = run(ability2_registry, BAITA, rows)
    column = next(c for c in result.school_columns if c.rule == "school.excellent_video_every_subject")
    assert column.ok.tolist() == [bool(i % 3) for i in range(60)]
    assert column.value[0] == "missing: 科目0" and column.value[1] == "all covered"


def test_compare_ratio_takes_counts_as_floats() -> None:
    """np.bincount with weights counts in floats: whole numbers, compared exactly."""
    from fractions import Fraction

    import numpy as np

    from ability2.rules.bounds import Bound
    from ability2.rules.compare import compare_ratio

    bound = Bound("不低于")
    counts = np.bincount([0, 0, 1], weights=[1.0, 1.0, 0.0], minlength=2)
    ok = compare_ratio(bound, counts, np.array([2, 2]), Fraction(1, 2))
    assert ok.tolist() == [True, False]


# --- contract shapes ----------------------------------------------------------------------


def test_json_matches_contract_and_round_trips(ability2_registry: Registry) -> None:
    rows = [
        teacher("T2", group="语文组"),
        teacher("T1", group="数学组", online_hours=3),
        teacher("T3", school="S2", group="语文组"),
    ]
    result = run(ability2_registry, YANZHOU, rows)
    data = result.to_dict()
    assert (data["region"], data["on"]) == ("shandong/jining/yanzhou", "2022-11-20")
    assert [t["teacher_id"] for t in data["teachers"]] == ["T2", "T1", "T3"]  # roster order
    assert [s["school"] for s in data["schools"]] == ["S1", "S2"]  # first appearance
    assert set(data["teachers"][0]) >= {"teacher_id", "school", "group", "status", "reasons"}
    assert set(data["teachers"][0]["reasons"][0]) >= {"rule", "ok", "value", "limit", "message", "source"}
    school = data["schools"][0]
    assert set(school) >= {
        "school",
        "teachers",
        "passed",
        "excellent",
        "pass_rate",
        "excellent_rate",
        "status",
        "checks",
    }
    assert school["teachers"] == 2 and school["passed"] == 1 and school["pass_rate"] == 0.5
    text = json.dumps(data, ensure_ascii=False)
    assert ability2.Result.from_json(text).to_dict() == data


def test_groups_are_empty_without_a_group_column(ability2_registry: Registry) -> None:
    assert run(ability2_registry, YANZHOU, [teacher("T1")]).to_dict()["groups"] == []


def test_explain_reads_well(ability2_registry: Registry) -> None:
    text = str(run(ability2_registry, BAITA, [teacher("T1", online_hours=20)]).explain("T1"))
    assert "T1" in text and "不合格" in text  # the status in the explanation's language
    assert "✗ 线上学时下限: 20 学时, 未达到 ≥ 25（不少于）" in text
    assert "白塔" in text  # the source document


def test_tables_are_pandas(ability2_registry: Registry) -> None:
    result = run(
        ability2_registry, YANZHOU, [teacher("T1", note="extra column kept"), teacher("T2", online_hours=1, note="x")]
    )
    teachers = result.teachers
    assert list(teachers["status"]) == ["pass", "fail"]
    assert teachers.loc[1, "failed_rules"][0].startswith("hours.")
    assert list(teachers["note"]) == ["extra column kept", "x"]
    assert list(result.schools["school"]) == ["S1"]


def test_a_plugin_rule_written_per_teacher_runs_over_the_batch(write: Callable[[str, str], Path]) -> None:
    def check(row: ability2.TeacherRow, rule: ability2.ResolvedRule) -> tuple[Any, bool]:
        return len(row.abilities), "C4" not in row.abilities or row.offline_hours >= 30

    spec = ability2.RuleSpec(
        "teacher.smart_needs_more_practice",
        ability2.Kind.FLAG,
        ability2.Scope.TEACHER,
        "智慧环境加练",
        "smart needs practice",
        check=check,
    )

    class Plugin:
        __name__ = "custom"

        @ability2.hookimpl
        def ability2_rule_specs(self) -> list[ability2.RuleSpec]:
            return [spec]

    prov = write(
        "p.yaml",
        """
region: {id: testprov, name: 测试省, level: province, parent: cn}
documents:
  d: {title: 测试, date: 2020-01-01}
rules:
  teacher.smart_needs_more_practice: {value: true, source: {document: d, clause: 一}}
""",
    )
    registry = ability2.load_registry(plugins=[Plugin()], entry_points=False, extra_files=[prov])
    result = evaluate(
        read_roster(
            pd.DataFrame(
                [teacher("T1", offline_hours=25), teacher("T2", offline_hours=30), teacher("T3", abilities="A1;B2;A3")]
            )
        ),
        registry.policy("testprov", on=dt.date(2021, 1, 1)),
    )
    assert [reason(result, t, "teacher.smart_needs_more_practice").ok for t in ("T1", "T2", "T3")] == [
        False,
        True,
        True,
    ]


# --- one implementation for one and for many ----------------------------------------------

codes = st.sampled_from(["A1", "A2", "A5", "A11", "B1", "B2", "B6", "C4", "C6"])
rows_strategy = st.lists(
    st.builds(
        lambda online, offline, abilities, grades, peer: {
            "online_hours": str(online),
            "offline_hours": str(offline),
            "abilities": ";".join(abilities),
            "grades": ""
            if grades is None
            else ";".join(grades[: len(abilities)] + ["合格"] * (len(abilities) - len(grades[: len(abilities)]))),
            "peer_reviews": peer,
        },
        st.sampled_from([0, 10, 20, 24.5, 25, 30, 45]),
        st.sampled_from([0, 20, 24.5, 25, 30]),
        st.lists(codes, min_size=1, max_size=4, unique=True),
        st.one_of(st.none(), st.lists(st.sampled_from(["优秀", "合格", "不合格"]), min_size=4, max_size=4)),
        st.sampled_from(["是", "否"]),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=rows_strategy, where=st.sampled_from([XUSHUI, BAITA, KAIYUAN, YANZHOU, GUANGXI]))
def test_a_teacher_gets_the_same_verdict_alone_and_in_a_batch(
    ability2_registry: Registry, rows: list[dict[str, Any]], where: tuple[str, dt.date]
) -> None:
    full = [{"teacher_id": f"T{i}", "school": "S1", **row} for i, row in enumerate(rows)]
    batch = run(ability2_registry, where, full)
    for i, row in enumerate(full):
        alone = run(ability2_registry, where, [row])
        assert alone.status[0] == batch.status[i]
        assert [r.to_dict() for r in alone.reasons(row["teacher_id"])] == [
            r.to_dict() for r in batch.reasons(row["teacher_id"])
        ]
        status = batch.status[i]
        oks = [r.ok for r in batch.reasons(row["teacher_id"])]
        if status in ("pass", "excellent"):
            assert all(oks)


# --- command line -----------------------------------------------------------------------------


def test_cli_evaluate_json_and_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "roster.csv"
    pd.DataFrame([teacher("T1"), teacher("T2", online_hours=3)]).to_csv(good, index=False)
    assert main(["evaluate", str(good), "--region", "370812", "--on", "2022-11-20", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [t["status"] for t in data["teachers"]] == ["pass", "fail"]
    bad = tmp_path / "bad.csv"
    pd.DataFrame([teacher("T1", online_hours=-2), teacher("T1", abilities="A1;D7;C4")]).to_csv(bad, index=False)
    out = tmp_path / "out.xlsx"
    assert (
        main(["evaluate", str(bad), "--region", "370812", "--on", "2022-11-20", "--format", "xlsx", "-o", str(out)])
        == 2
    )
    err = capsys.readouterr().err
    assert f"{bad}:2:线上学时: 学时为负数" in err
    assert "D7" in err
    assert not out.exists()


def test_cli_evaluate_refuses_a_missing_output_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "roster.csv"
    pd.DataFrame([teacher("T1")]).to_csv(good, index=False)
    assert (
        main(
            ["evaluate", str(good), "--region", "guangxi", "--format", "html", "-o", str(tmp_path / "nope" / "r.html")]
        )
        == 2
    )
    assert "不存在" in capsys.readouterr().err


def test_cli_evaluate_writes_html_and_xlsx(tmp_path: Path) -> None:
    good = tmp_path / "roster.csv"
    pd.DataFrame([teacher("T1", group="语文组"), teacher("T2", group="语文组")]).to_csv(good, index=False)
    for fmt in ("html", "xlsx"):
        target = tmp_path / f"r.{fmt}"
        assert (
            main(
                [
                    "evaluate",
                    str(good),
                    "--region",
                    "jiangsu/changzhou/jintan/baita",
                    "--on",
                    "2022-06-01",
                    "--format",
                    fmt,
                    "-o",
                    str(target),
                ]
            )
            == 0
        )
        assert target.stat().st_size > 1000


def test_cli_demo_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "-o", str(tmp_path / "demo")]) == 0
    out = capsys.readouterr().out
    for name in ("徐水区", "白塔小学", "开原市", "兖州区", "广西壮族自治区"):
        assert name in out
    assert len(list((tmp_path / "demo").glob("*.html"))) == 5


def test_allowed_environments_and_abilities(write: Callable[[str, str], Path]) -> None:
    school = write(
        "school.yaml",
        """
region: {id: testprov, name: 测试省, level: province, parent: cn}
documents:
  d: {title: 测试学校方案, date: 2021-01-01}
rules:
  selection.environments_allowed: {value: [multimedia, hybrid], source: {document: d, clause: 三}}
  selection.abilities_allowed: {value: [A1, A5, B2, B6, C4], source: {document: d, clause: 三}}
""",
    )
    registry = ability2.load_registry(entry_points=False, extra_files=[school])
    policy = registry.policy("testprov", on=dt.date(2021, 6, 1))
    rows = [
        teacher("T1", abilities="A1;B2;A5"),
        teacher("T2", abilities="A1;B2;C4"),
        teacher("T3", abilities="A1;B2;B3"),
    ]
    result = evaluate(read_roster(pd.DataFrame(rows)), policy)
    envs = [reason(result, t, "selection.environments_allowed").ok for t in ("T1", "T2", "T3")]
    codes = [reason(result, t, "selection.abilities_allowed").ok for t in ("T1", "T2", "T3")]
    assert envs == [True, False, True]  # C4 is a smart-environment ability
    assert codes == [True, True, False]  # B3 is outside the school's scope


# ------------------------------------------------- a pending teacher is told what is not graded (issue 13, item 3)


def test_a_pending_teacher_is_told_which_abilities_are_not_graded(ability2_registry: Registry, tmp_path: Path) -> None:
    from ability2.display import result_html
    from ability2.reports import render_report

    rows = [
        teacher("T1", abilities="A1;B2;C4", grades="合格;;合格"),  # B2 not graded yet: pending
        teacher("T2", abilities="A1;B2;C4", grades="不合格;;合格"),  # A1 fails, B2 still to grade
        teacher("T3", abilities="A1;B2;C4", grades="合格;合格;合格"),
    ]
    result = run(ability2_registry, BAITA, rows)
    assert list(result.status) == ["pending", "fail", "pass"]
    (grading,) = [r for r in result.explain("T1").reasons if r.rule == "grading.teacher"]
    assert str(grading.message).endswith("待评，B2 尚未考核")
    (english,) = [r for r in result.explain("T1", lang="en").reasons if r.rule == "grading.teacher"]
    assert str(english.message).endswith("pending, B2 not graded yet")
    (failing,) = [r for r in result.explain("T2").reasons if r.rule == "grading.teacher"]
    assert str(failing.message).endswith("1/3 个能力点不合格；B2 尚未考核")
    assert [r.rule for r in result.open_reasons("T1")] == ["grading.teacher"]
    assert result.open_reasons("T3") == []
    document = json.loads(result.to_json())
    assert "B2 尚未考核" in json.dumps(document["teachers"][0], ensure_ascii=False)
    page = render_report(result, "html")
    assert "待评，B2 尚未考核" in page and '<span class="pending">…</span>' in page
    assert "待评，B2 尚未考核" in result_html(result)


def test_the_status_cannot_be_edited_in_place_behind_the_counts(ability2_registry: Registry) -> None:
    """The status words are made from the evaluator's codes, which the counts and reports read.

    An edit in place would change one and not the other, so the words are read-only; a
    caller who wants other verdicts assigns a new status, and the counts follow it.
    """
    hebei = run(
        ability2_registry,
        XUSHUI,
        [teacher("T1", online_hours=20, offline_hours=30), teacher("T2", online_hours=1, offline_hours=1)],
    )
    assert list(hebei.status) == ["pass", "fail"]
    with pytest.raises(ValueError, match="read-only"):
        hebei.status[1] = "pass"
    assert hebei.status_counts()["fail"] == 1
    hebei.status = ["pass", "pass"]
    assert hebei.status_counts()["fail"] == 0 and hebei.status_counts()["pass"] == 2
