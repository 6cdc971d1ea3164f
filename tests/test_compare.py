"""Comparing regions and what-if overlays on one cohort (issue: analysts in notebooks)."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pytest

import ability2
from ability2 import Ability2Error, Registry, compare, read_roster
from ability2.cli import main
from ability2.messages import language
from ability2.whatif import ChangeSetError


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """These tests read the messages' English text (the Chinese default: tests/test_policy_messages.py)."""
    with language("en"):
        yield


DAY = dt.date(2024, 5, 1)  # every seed region is in force


def teacher(tid: str, **fields: Any) -> dict[str, str]:
    row = {
        "teacher_id": tid,
        "school": "S1",
        "online_hours": "25",
        "offline_hours": "25",
        "abilities": "A1;B2;C4",
        "grades": "合格;合格;合格",
        "peer_reviews": "是",
    }
    row.update({k: str(v) for k, v in fields.items()})
    return row


@pytest.fixture
def kaiyuan(ability2_registry: Registry) -> ability2.Policy:
    return ability2_registry.policy("liaoning/tieling/kaiyuan", on=DAY)


def test_what_if_leaves_the_baseline_untouched_and_shares_unchanged_rules(kaiyuan: ability2.Policy) -> None:
    before = dict(kaiyuan.rules)
    changed = kaiyuan.with_changes({"school.excellent_rate_max": 0.3})
    assert kaiyuan["school.excellent_rate_max"].value * 10 == 6  # still 60%
    assert dict(kaiyuan.rules) == before
    assert changed["school.excellent_rate_max"].value * 10 == 3
    assert changed["school.excellent_rate_max"].layer == "what-if"
    assert changed["school.excellent_rate_max"].overridden[0][0] == "liaoning/tieling/kaiyuan"
    assert "what-if" in changed["school.excellent_rate_max"].source
    assert changed.rules["hours.online_min"] is kaiyuan.rules["hours.online_min"]  # shared, not copied
    assert changed.name != kaiyuan.name


def test_a_bad_change_set_is_rejected_whole(kaiyuan: ability2.Policy) -> None:
    with pytest.raises(ChangeSetError) as info:
        kaiyuan.with_changes(
            {
                "school.excellent_rate_mx": 0.3,
                "school.pass_rate_min": "150%",
                "hours.online_min": "lots",
                "selection.count": {"value": 3, "bound": "大约"},
            }
        )
    messages = [str(p) for p in info.value.problems]
    assert len(messages) == 4
    assert any("did you mean 'school.excellent_rate_max'" in m for m in messages)
    assert any("cannot exceed 1" in m for m in messages)


def test_a_rule_the_policy_does_not_have_cannot_be_changed(ability2_registry: Registry) -> None:
    guangxi = ability2_registry.policy("guangxi", on=DAY)
    with pytest.raises(ChangeSetError, match=r"has no rule 'school.excellent_rate_max'"):
        guangxi.with_changes({"school.excellent_rate_max": 0.3})


def test_a_dated_change_applies_only_from_its_date(kaiyuan: ability2.Policy) -> None:
    later = kaiyuan.with_changes({"hours.online_min": {"value": 30, "from": "2025-01-01"}})
    assert later["hours.online_min"].value == 25
    assert [item.id for item in later.inactive if item.layer == "what-if"] == ["hours.online_min"]
    now = kaiyuan.with_changes({"hours.online_min": {"value": 30, "from": "2024-01-01"}})
    assert now["hours.online_min"].value == 30


def test_compare_finds_who_differs_and_the_rule_that_makes_the_difference(ability2_registry: Registry) -> None:
    # 开原 asks for ≥2 dimensions; 兖州 does not: A2;A3;A4 (all 教学设计) fails only under 开原
    rows = [teacher("T1"), teacher("T2", abilities="A2;A3;A4")]
    comparison = compare(
        pd.DataFrame(rows), ["shandong/jining/yanzhou", "liaoning/tieling/kaiyuan"], on=DAY, registry=ability2_registry
    )
    status = comparison.status()
    assert list(status["liaoning/tieling/kaiyuan"]) == ["pass", "fail"]
    [row] = comparison.differences().to_dict("records")
    assert row["teacher_id"] == "T2"
    assert row["failed_only_under_b"] == ["selection.dimensions_min"]
    winners, losers = comparison.winners_and_losers("liaoning/tieling/kaiyuan")
    assert (winners, losers) == ([], ["T2"])


def test_policy_table_marks_real_differences_not_wording(ability2_registry: Registry) -> None:
    comparison = compare(
        pd.DataFrame([teacher("T1")]),
        ["shandong/jining/yanzhou", "liaoning/tieling/kaiyuan"],
        on=DAY,
        registry=ability2_registry,
    )
    table = comparison.policy_table().set_index("rule")
    assert not table.loc["hours.total_min", "differs"]  # ≥ 50 from 不少于 and from 至少
    assert table.loc["school.pass_rate_min", "differs"]  # 95% vs 100%
    long = comparison.policy_table(long=True)
    assert list(long.columns) == [
        "rule",
        "policy",
        "value",
        "unit",
        "word",
        "direction",
        "inclusive",
        "basis",
        "display",
        "layer",
        "source",
    ]


def test_deltas_against_a_what_if(ability2_registry: Registry, kaiyuan: ability2.Policy) -> None:
    # 15 certifications, 6 优秀 = 40%: within 开原's 60% cap, over a 30% what-if cap
    grades = ["优秀;优秀;合格", "优秀;优秀;合格", "优秀;优秀;合格", "合格;合格;合格", "合格;合格;合格"]
    # A11 brings the fourth dimension (学业评价), so the school's scope check holds in both
    rows = [teacher(f"T{i}", abilities="A1;B2;C4" if i else "A11;B2;C4", grades=g) for i, g in enumerate(grades)]
    comparison = compare(
        pd.DataFrame(rows), [kaiyuan, kaiyuan.with_changes({"school.excellent_rate_max": "30%"}, label="cap 30%")]
    )
    [delta] = comparison.deltas().to_dict("records")
    assert (delta["policy"], delta["schools_now_fail"], delta["schools_changed"]) == ("cap 30%", 1, ["S1"])
    assert delta["winners"] == delta["losers"] == 0  # a school check: no teacher changes


def test_errors_come_before_any_work(ability2_registry: Registry) -> None:
    with pytest.raises(Ability2Error) as info:
        compare(
            pd.DataFrame([teacher("T1")]),
            ["guangxi", "atlantis", "shandong/jining/yanzhou"],
            on=dt.date(2020, 1, 1),
            registry=ability2_registry,
        )
    text = str(info.value)
    assert "atlantis" in text and "shandong/jining/yanzhou" in text  # both problems at once
    with pytest.raises(ability2.RosterError):
        compare(pd.DataFrame([teacher("T1", abilities="Z9")]), ["guangxi"], on=DAY, registry=ability2_registry)


def test_polars_in_and_out(ability2_registry: Registry) -> None:
    frame = pl.DataFrame([teacher("T1"), teacher("T2", online_hours=3)])
    comparison = compare(frame, ["guangxi", "hebei/baoding/xushui"], on=DAY, registry=ability2_registry)
    status = comparison.status(backend="polars")
    assert isinstance(status, pl.DataFrame)
    assert status["guangxi"].to_list() == ["pass", "fail"]
    assert isinstance(comparison.schools(), pd.DataFrame)
    assert set(comparison.schools()["metric"]) == {
        "teachers",
        "passed",
        "excellent",
        "pass_rate",
        "excellent_rate",
        "checks_failed",
    }


def test_rich_display_is_compact_and_cites_sources(ability2_registry: Registry, kaiyuan: ability2.Policy) -> None:
    result = ability2.evaluate(read_roster(pd.DataFrame([teacher("T1", online_hours=3)])), kaiyuan)
    comparison = compare(pd.DataFrame([teacher("T1")]), [kaiyuan, "guangxi"], registry=ability2_registry)
    for thing in (kaiyuan, result, result.explain("T1"), comparison):
        page = thing._repr_html_()
        assert "<table>" in page
        assert len(repr(thing)) < 200
    assert "开教发[2024]1号" in kaiyuan._repr_html_()
    assert "<small>开教发[2024]1号" in result._repr_html_()  # the source in the text, not only on hover


def test_cli_compare_in_every_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    roster = tmp_path / "r.csv"
    pd.DataFrame([teacher("T1"), teacher("T2", abilities="A2;A3;A4")]).to_csv(roster, index=False)
    base = ["compare", str(roster), "--region", "370812", "--region", "211282", "--on", "2024-05-01"]
    assert main(base) == 0
    assert "学校对比" in capsys.readouterr().out
    assert main([*base, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [p["region"] for p in data["policies"]] == ["shandong/jining/yanzhou", "liaoning/tieling/kaiyuan"]
    assert len(data["differences"]) == 1
    for fmt in ("xlsx", "html"):
        target = tmp_path / f"c.{fmt}"
        assert main([*base, "--format", fmt, "-o", str(target)]) == 0
        assert target.stat().st_size > 500
    change = tmp_path / "w.yaml"
    change.write_text("school.pass_rate_min: 90%\n", encoding="utf-8")
    assert main([*base, "--what-if", str(change), "--format", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["policies"]) == 3
    change.write_text("school.pass_rate_mn: 90%\n", encoding="utf-8")
    assert main([*base, "--what-if", str(change), "--lang", "en"]) == 2
    assert "did you mean 'school.pass_rate_min'" in capsys.readouterr().err


# ------------------------------------------------- a what-if value under the document's word
# 开原: "各校培训合格率为100%" (五、进度安排 第三阶段): 为 states an exact value. A what-if
# that lowers the floor to 60% and gives no word means a floor of 60%, not "exactly 60%".


def _school_at(passing: int, total: int) -> pd.DataFrame:
    rows = [teacher(f"T{i}") for i in range(passing)]
    rows += [teacher(f"F{i}", online_hours="0", offline_hours="0") for i in range(total - passing)]
    return pd.DataFrame(rows)


def _pass_rate_check(policy: ability2.Policy, frame: pd.DataFrame) -> bool:
    result = ability2.evaluate(frame, policy)
    counts = result.status_counts()
    assert counts.get("pass", 0) + counts.get("excellent", 0) == 13
    (check,) = [reason for reason in result.school_checks(0) if reason.rule == "school.pass_rate_min"]
    return check.ok


def test_a_lower_pass_rate_floor_without_a_word_is_a_floor(kaiyuan: ability2.Policy) -> None:
    assert kaiyuan["school.pass_rate_min"].bound.word == "为"
    frame = _school_at(13, 20)  # 65%
    with pytest.warns(ability2.whatif.WhatIfWarning, match="为.*不少于"):
        floor = kaiyuan.with_changes({"school.pass_rate_min": "60%"})
    assert floor["school.pass_rate_min"].bound.word == "不少于"
    assert "不少于" in str(floor["school.pass_rate_min"].entry.decision)
    assert _pass_rate_check(floor, frame)  # 65% meets a 60% floor
    exact = kaiyuan.with_changes({"school.pass_rate_min": {"value": "60%", "bound": "为"}})  # asked for: kept
    assert exact["school.pass_rate_min"].bound.word == "为"
    assert not _pass_rate_check(exact, frame)  # 65% is not exactly 60%


def test_a_word_that_goes_the_rules_way_is_kept_without_a_warning(kaiyuan: ability2.Policy) -> None:
    import warnings

    word = kaiyuan["hours.online_min"].bound.word
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        changed = kaiyuan.with_changes({"hours.online_min": 30})
    assert changed["hours.online_min"].bound.word == word


def test_the_derived_word_is_explained_in_english_when_asked(kaiyuan: ability2.Policy) -> None:
    with pytest.warns(ability2.whatif.WhatIfWarning) as caught:
        kaiyuan.with_changes({"school.pass_rate_min": "60%"}, lang="en")
    message = str(caught[0].message)
    assert "a floor" in message and "at least" in message
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in message.replace("为", "").replace("不少于", ""))


def test_compare_prints_the_derived_word_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kaiyuan: ability2.Policy
) -> None:
    roster = tmp_path / "school.csv"
    _school_at(13, 20).to_csv(roster, index=False)
    changes = tmp_path / "floor.yaml"
    changes.write_text("school.pass_rate_min: 60%\n", encoding="utf-8")
    code = main(
        [
            "compare",
            str(roster),
            "--region",
            "liaoning/tieling/kaiyuan",
            "--on",
            "2024-05-01",
            "--what-if",
            str(changes),
        ]
    )
    assert code == 0
    err = capsys.readouterr().err
    assert "注意: school.pass_rate_min" in err and "不少于" in err


# ------------------------------------------------- each region on its own date (issue 13, item 7)


def test_each_region_on_its_own_date(ability2_registry: Registry) -> None:
    yanzhou_day, kaiyuan_day = dt.date(2022, 11, 20), dt.date(2024, 5, 1)
    comparison = compare(
        pd.DataFrame([teacher("T1")]),
        [("shandong/jining/yanzhou", yanzhou_day), ("liaoning/tieling/kaiyuan", kaiyuan_day)],
        registry=ability2_registry,
    )
    assert [policy.on for policy in comparison.policies] == [yanzhou_day, kaiyuan_day]
    assert comparison.labels == ["shandong/jining/yanzhou@2022-11-20", "liaoning/tieling/kaiyuan@2024-05-01"]
    same_day = compare(pd.DataFrame([teacher("T1")]), ["shandong/jining/yanzhou", "liaoning/tieling/kaiyuan"], on=DAY)
    assert same_day.labels == ["shandong/jining/yanzhou", "liaoning/tieling/kaiyuan"]  # one date: plain names


def test_regions_on_their_documents_dates(ability2_registry: Registry) -> None:
    comparison = compare(
        pd.DataFrame([teacher("T1")]),
        ["shandong/jining/yanzhou", "liaoning/tieling/kaiyuan"],
        on="documents",
        registry=ability2_registry,
    )
    assert [policy.on for policy in comparison.policies] == [
        ability2_registry.effective_from("shandong/jining/yanzhou"),
        ability2_registry.effective_from("liaoning/tieling/kaiyuan"),
    ]
    with pytest.raises(Ability2Error, match="documents"):
        compare(pd.DataFrame([teacher("T1")]), ["guangxi"], on="yesterday", registry=ability2_registry)


def test_a_date_before_a_regions_rules_is_reported_with_the_others(ability2_registry: Registry) -> None:
    with pytest.raises(Ability2Error) as info:
        compare(
            pd.DataFrame([teacher("T1")]),
            [("shandong/jining/yanzhou", dt.date(2000, 1, 1)), "nowhere"],
            registry=ability2_registry,
        )
    assert "shandong/jining/yanzhou" in str(info.value) and "nowhere" in str(info.value)


def test_differences_are_against_the_baseline_unless_every_pair_is_asked(ability2_registry: Registry) -> None:
    rows = [teacher("T1"), teacher("T2", abilities="A2;A3;A4")]
    regions = ["shandong/jining/yanzhou", "liaoning/tieling/kaiyuan", "guangxi"]
    comparison = compare(pd.DataFrame(rows), regions, on=DAY, registry=ability2_registry)
    baseline = comparison.differences()
    assert set(baseline["policy_a"]) <= {"shandong/jining/yanzhou"}
    every = comparison.differences(pairs="all")
    assert len(every) >= len(baseline)
    statuses = comparison.status().set_index("teacher_id")
    expected = sum(
        int(statuses.loc[t, a] != statuses.loc[t, b])
        for t in ("T1", "T2")
        for i, a in enumerate(regions)
        for b in regions[i + 1 :]
    )
    assert len(every) == expected
    with pytest.raises(Ability2Error):
        comparison.differences(pairs="some")


def test_the_policy_table_leaves_the_timeline_out_unless_asked(ability2_registry: Registry) -> None:
    comparison = compare(
        pd.DataFrame([teacher("T1")]),
        ["shandong/jining/yanzhou", "liaoning/tieling/kaiyuan"],
        on=DAY,
        registry=ability2_registry,
    )
    phases = {rule.id for policy in comparison.policies for rule in policy if rule.id.startswith("timeline.")}
    assert phases  # both regions have dated phases
    assert not phases & set(comparison.policy_table()["rule"])
    assert phases <= set(comparison.policy_table(timeline=True)["rule"])


def test_cli_compare_takes_a_date_per_region(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    roster = tmp_path / "r.csv"
    pd.DataFrame([teacher("T1"), teacher("T2", abilities="A2;A3;A4")]).to_csv(roster, index=False)
    code = main(
        [
            "compare", str(roster),
            "--region", "370812@2022-11-20",
            "--region", "liaoning/tieling/kaiyuan@2024-05-01",
            "--format", "json",
        ]
    )  # fmt: skip
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert [(p["region"], p["on"]) for p in data["policies"]] == [
        ("shandong/jining/yanzhou", "2022-11-20"),
        ("liaoning/tieling/kaiyuan", "2024-05-01"),
    ]
    with pytest.raises(SystemExit) as exit_info:
        main(["compare", str(roster), "--region", "370812@2022-13-01"])
    assert exit_info.value.code == 2
    assert "不是 ISO 日期" in capsys.readouterr().err


# ------------------------------------------------- one language per display (issue 13, items 1, 2, 4)

_CJK = re.compile(r"[\u4e00-\u9fff]")
_ENGLISH_WORD = re.compile(r"\b(?:yes|no|years|per|all_items|all_abilities|rule|value|layer|source|school|teachers)\b")


def _visible_text(page: str) -> str:
    """What a reader sees: the text outside tags, without code ids and sources (data, in their own words)."""
    page = re.sub(r"<code>.*?</code>|<small>.*?</small>|<style>.*?</style>", "", page)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def test_displays_speak_chinese_by_default_and_english_when_asked(
    ability2_registry: Registry, kaiyuan: ability2.Policy
) -> None:
    from ability2 import display

    frame = pd.DataFrame([teacher("T1", online_hours=3), teacher("T2")])
    result = ability2.evaluate(read_roster(frame), kaiyuan)
    comparison = compare(frame, [kaiyuan, "guangxi"], registry=ability2_registry)
    zh_pages = [
        kaiyuan._repr_html_(),
        result._repr_html_(),
        result.explain("T1")._repr_html_(),
        comparison._repr_html_(),
    ]
    for page in zh_pages:
        seen = _visible_text(page)
        assert not _ENGLISH_WORD.search(seen), _ENGLISH_WORD.search(seen)
    assert "规则" in zh_pages[0] and "取值" in zh_pages[0]
    en_pages = [
        display.policy_html(kaiyuan, lang="en"),
        display.result_html(result, lang="en"),
        display.explanation_html(result.explain("T1", lang="en")),
        display.comparison_html(comparison, lang="en"),
    ]
    for page in en_pages:
        seen = _visible_text(page)
        for name in (kaiyuan.region.name, "广西壮族自治区"):  # data: the regions' own names
            seen = seen.replace(name, "")
        assert not _CJK.search(seen), seen[max(0, _CJK.search(seen).start() - 40) :][:120]  # type: ignore[union-attr]
    display.set_display_language("en")
    try:
        assert "<th>rule</th>" in kaiyuan._repr_html_()
    finally:
        display.set_display_language("zh")
    with pytest.raises(ValueError, match="unknown language"):
        display.set_display_language("fr")


def test_an_explanation_shows_its_sources_and_keeps_each_mark_with_its_rule(kaiyuan: ability2.Policy) -> None:
    result = ability2.evaluate(read_roster(pd.DataFrame([teacher("T1", online_hours=3)])), kaiyuan)
    explanation = result.explain("T1")
    page = explanation._repr_html_()
    for reason in explanation.reasons:
        assert html.escape(reason.source) in _strip_attributes(page)  # in the text, not only on hover
    assert "white-space:nowrap" in page
    assert re.search(r"<span class='mark no'>✗</span>", page)
    assert str(explanation).splitlines()[0].endswith("不合格")
    assert str(result.explain("T1", lang="en")).splitlines()[0].endswith("fail")


def _strip_attributes(page: str) -> str:
    return re.sub(r"<(\w+)[^>]*>", r"<\1>", page)


def test_policy_values_read_in_the_tables_language(kaiyuan: ability2.Policy, ability2_registry: Registry) -> None:
    assert kaiyuan["grading.ability"].describe_value() == "按全部考核项目：各项均优秀为优秀，任一项不合格为不合格"
    assert kaiyuan["grading.ability"].describe_value("en").startswith("by every evidence item")
    comparison = compare(pd.DataFrame([teacher("T1")]), [kaiyuan, "guangxi"], registry=ability2_registry)
    zh = comparison.policy_table().set_index("rule")
    en = comparison.policy_table(lang="en").set_index("rule")
    label = kaiyuan.name
    assert "按教师" in zh.loc["school.pass_rate_min", label] and "per teacher" in en.loc["school.pass_rate_min", label]
