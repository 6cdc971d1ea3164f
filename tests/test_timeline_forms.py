"""Timelines (contract §3.2), ICS export and scoring forms (§3.4), from the seed documents."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import pytest

from ability2 import Ability2Error, Registry
from ability2.cli import main
from ability2.forms import fill_form, rank_excellent
from ability2.messages import language
from ability2.timeline import timeline, to_ics


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """These tests read the messages' English text (the Chinese default: tests/test_policy_messages.py)."""
    with language("en"):
        yield


def test_baita_on_2022_04_10_is_choosing_abilities_until_04_13(ability2_registry: Registry) -> None:
    # 白塔: 选能力点 2022.4.7-4.13日
    view = timeline(ability2_registry.policy("jiangsu/changzhou/jintan/baita", on=dt.date(2022, 4, 10)))
    assert "选能力点" in [p.name for p in view.current]
    assert view.next_deadline is not None
    assert view.next_deadline.end == dt.date(2022, 4, 13)


def test_a_phase_holds_on_both_of_its_ends(ability2_registry: Registry) -> None:
    for day in (dt.date(2022, 4, 7), dt.date(2022, 4, 13)):
        view = timeline(ability2_registry.policy("jiangsu/changzhou/jintan/baita", on=day))
        assert "选能力点" in [p.name for p in view.current]
    after = timeline(ability2_registry.policy("jiangsu/changzhou/jintan/baita", on=dt.date(2022, 4, 14)))
    assert "选能力点" not in [p.name for p in after.current]


def test_yanzhou_forms_are_due_on_11_25(ability2_registry: Registry) -> None:
    # 兖教体发〔2022〕82号 六、(三): 各学校于11月25日前 ... 报区教体局人事科
    view = timeline(ability2_registry.policy("shandong/jining/yanzhou", on=dt.date(2022, 11, 21)))
    assert view.next_deadline is not None
    assert view.next_deadline.end == dt.date(2022, 11, 25)
    assert "82号" in view.next_deadline.source


def test_no_deadline_after_the_last_one(ability2_registry: Registry) -> None:
    view = timeline(ability2_registry.policy("liaoning/tieling/kaiyuan", on=dt.date(2025, 1, 1)))
    assert view.next_deadline is None
    assert view.to_dict()["next_deadline"] is None


def test_timeline_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["timeline", "jiangsu/changzhou/jintan/baita", "--on", "2022-04-10", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    # contract §3.2's keys, plus the documented extension `superseded` (docs/cli.md)
    assert set(data) == {"region", "on", "phases", "current", "next_deadline", "superseded"}
    assert set(data["phases"][0]) >= {"name", "start", "end", "source"}
    assert set(data["next_deadline"]) == {"name", "date", "source"}


def test_ics_has_one_all_day_event_per_phase_with_its_source(ability2_registry: Registry) -> None:
    policy = ability2_registry.policy("liaoning/tieling/kaiyuan", on=dt.date(2024, 5, 1))
    text = to_ics(policy, stamp=dt.datetime(2024, 5, 1, tzinfo=dt.UTC))
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert text.count("BEGIN:VEVENT") == len(policy.phases())
    # 第一阶段（2024年3月1日至17日）: DTEND is the day after the inclusive end
    assert "DTSTART;VALUE=DATE:20240301\r\nDTEND;VALUE=DATE:20240318" in text
    assert "开教发" in text.replace("\r\n ", "")
    for line in text.split("\r\n"):
        assert len(line.encode("utf-8")) <= 75


def test_timeline_ics_file_and_bad_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "kaiyuan.ics"
    assert main(["timeline", "211282", "--on", "2024-05-01", "--ics", str(target)]) == 0
    assert target.read_text(encoding="utf-8").count("BEGIN:VEVENT") >= 3
    assert main(["timeline", "211282", "--ics", str(tmp_path / "missing" / "x.ics")]) == 2
    assert "不存在" in capsys.readouterr().err


def test_yanzhou_form_json_matches_the_contract(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["form", "shandong/jining/yanzhou", "--on", "2022-11-20", "--json"]) == 0
    [form] = json.loads(capsys.readouterr().out)
    assert {"id", "name", "total", "pass_min", "source", "sections"} <= set(form)
    assert (form["total"], form["pass_min"]) == (100, 80)
    assert [s["points"] for s in form["sections"]] == [6, 6, 45, 25, 5, 5, 4, 4]
    for section in form["sections"]:
        assert sum(item["points"] for item in section["items"]) == section["points"]


def full_scores(ability2_registry: Registry, minus: int = 0) -> tuple[object, dict[str, dict[str, int]]]:
    [(_, form)] = ability2_registry.policy("shandong/jining/yanzhou", on=dt.date(2022, 11, 20)).forms()
    scores = {s.name: {i.name: i.points for i in s.items} for s in form.sections}
    first = form.sections[2]
    scores[first.name][first.items[3].name] -= minus  # 线下校本研修实践 (20 points)
    return form, scores


def test_a_form_total_of_exactly_80_passes(ability2_registry: Registry) -> None:
    # 说明: 得分80分及以上为合格等次
    form, scores = full_scores(ability2_registry, minus=20)
    filled = fill_form(form, scores)  # type: ignore[arg-type]
    assert filled.total == 80
    assert filled.passed is True
    scores2 = json.loads(json.dumps(scores))
    section = next(iter(scores2))
    item = next(iter(scores2[section]))
    scores2[section][item] -= 0.5
    assert fill_form(form, scores2).passed is False  # type: ignore[arg-type]


def test_bad_scores_are_listed_together(ability2_registry: Registry) -> None:
    form, scores = full_scores(ability2_registry)
    section = next(iter(scores))
    item = next(iter(scores[section]))
    scores[section][item] = 99
    scores["不存在的项目"] = {}
    with pytest.raises(Ability2Error) as info:
        fill_form(form, scores)  # type: ignore[arg-type]
    assert "outside 0..1" in str(info.value) and "unknown section" in str(info.value)


def test_excellent_schools_capped_at_30_percent(ability2_registry: Registry) -> None:
    # 说明: 优秀等次控制在总数30%以内: 3 of 10 schools at most
    form, _ = full_scores(ability2_registry)
    totals = [(f"S{i}", Fraction(100 - i)) for i in range(10)]
    grades = rank_excellent(form, totals)  # type: ignore[arg-type]
    assert [s for s, g in grades.items() if g == "excellent"] == ["S0", "S1", "S2"]
    tied = [
        ("A", Fraction(95)),
        ("B", Fraction(95)),
        ("C", Fraction(95)),
        ("D", Fraction(95)),
        *[(f"S{i}", Fraction(81)) for i in range(6)],
    ]
    # four schools tie for first: taking them all would make 40% > 30%, so none is excellent
    assert "excellent" not in rank_excellent(form, tied).values()  # type: ignore[arg-type]
    assert rank_excellent(form, [("X", Fraction(79))])["X"] == "fail"  # type: ignore[arg-type]


def test_items_that_follow_from_the_roster_are_prefilled(ability2_registry: Registry) -> None:
    import pandas as pd

    from ability2 import evaluate, read_roster
    from ability2.forms import prefill

    policy = ability2_registry.policy("shandong/jining/yanzhou", on=dt.date(2022, 11, 20))
    [(_, form)] = policy.forms()
    rows = [
        {
            "teacher_id": f"T{i}",
            "school": "S1",
            "online_hours": "25",
            "offline_hours": "25" if i < 19 else "10",
            "abilities": "A1;B2;C4",
            "grades": "优秀;优秀;优秀" if i < 2 else "合格;合格;合格",
            "peer_reviews": "是",
        }
        for i in range(20)
    ]
    filled = prefill(form, evaluate(read_roster(pd.DataFrame(rows)), policy))["S1"]
    # 19 of 20 pass: 合格率 95%以上 holds, so its 15 points; 2 of 20 excellent: 优秀率 10%以上, 7 points
    assert filled["校本应用考核"] == {"合格率": 15, "优秀率": 7}
    # every teacher has a multimedia ability: 多媒体 > 50%, so the environment item scores 0
    assert filled["校本研修组织实施"] == {"三种环境下教师选择内容比例调控": 0}


def test_cli_form_fill_with_scores(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], ability2_registry: Registry
) -> None:
    [(_, form)] = ability2_registry.policy("shandong/jining/yanzhou", on=dt.date(2022, 11, 20)).forms()
    full = {s.name: {i.name: i.points for i in s.items} for s in form.sections}
    low = json.loads(json.dumps(full))
    low["校本研修组织实施"]["线下校本研修实践"] = 0
    scores = tmp_path / "scores.yaml"
    scores.write_text(
        json.dumps({"schools": {"甲校": full, "乙校": low, "丙校": full, "丁校": low}}, ensure_ascii=False),
        encoding="utf-8",
    )
    assert main(["form", "370812", "--on", "2022-11-20", "--scores", str(scores), "--json"]) == 0
    rows = {r["school"]: r for r in json.loads(capsys.readouterr().out)["schools"]}
    assert (rows["甲校"]["total"], rows["乙校"]["total"]) == (100, 80)
    # two schools tie at 100: taking both is 50% of four, over the 30% cap, so neither is 优秀
    assert [rows[s]["grade"] for s in ("甲校", "乙校", "丙校", "丁校")] == ["pass", "pass", "pass", "pass"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("schools: [1, 2]\n", encoding="utf-8")
    assert main(["form", "370812", "--on", "2022-11-20", "--scores", str(bad)]) == 2


def test_self_check_and_assessor_scores(ability2_registry: Registry) -> None:
    # 附件1 has two score columns: 自查得分 (the school's self-check) and 评估得分 (the assessors')
    from ability2.forms import score_schools

    [(_, form)] = ability2_registry.policy("shandong/jining/yanzhou", on=dt.date(2022, 11, 20)).forms()
    both = {s.name: {i.name: {"self": i.points, "evaluator": i.points} for i in s.items} for s in form.sections}
    both["校本研修组织实施"]["线下校本研修实践"] = {"self": 20, "evaluator": 0}
    self_only = {s.name: {i.name: {"self": i.points} for i in s.items} for s in form.sections}
    rows = {r["school"]: r for r in score_schools(form, {"甲校": both, "乙校": self_only})}
    assert (rows["甲校"]["total"], rows["甲校"]["self_total"], rows["甲校"]["basis"]) == (80, 100, "evaluator")
    assert (rows["乙校"]["total"], rows["乙校"]["basis"]) == (100, "self")
    with pytest.raises(Ability2Error, match="unknown key"):
        score_schools(form, {"丙校": {"校本应用考核": {"合格率": {"selff": 15}}}})
