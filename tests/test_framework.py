"""The national framework data, checked against shared/reference/national_framework.md and seed 000."""

from __future__ import annotations

from collections import Counter

import pytest

from ability2 import load_framework


def test_thirty_abilities_in_the_three_series() -> None:
    codes = [a.code for a in load_framework().abilities]
    assert codes == [f"A{i}" for i in range(1, 14)] + [f"B{i}" for i in range(1, 11)] + [f"C{i}" for i in range(1, 8)]


def test_dimension_counts_follow_the_reference() -> None:
    # reference §4: 学情分析 2, 教学设计 7, 学法指导 14, 学业评价 7; no C-series 学情分析 point
    counts = Counter(a.dimension.name for a in load_framework().abilities)
    assert counts == {"学情分析": 2, "教学设计": 7, "学法指导": 14, "学业评价": 7}
    assert not [a for a in load_framework().abilities if a.code.startswith("C") and a.dimension.name == "学情分析"]


def test_environment_follows_the_code_letter() -> None:
    framework = load_framework()
    for ability in framework.abilities:
        assert ability.environment.letter == ability.code[0]
    assert framework.ability("C4").environment.name == "智慧学习环境"
    assert framework.ability("A1").environment.short_name == "多媒体"


def test_lookup_by_code_name_and_alias() -> None:
    framework = load_framework()
    assert framework.ability("a1").code == "A1"
    assert framework.ability("技术支持下的学情分析").code == "A1"  # variant name
    assert framework.ability("创建数据分析微模型").code == "C7"
    with pytest.raises(KeyError, match="A1–A13"):
        framework.ability("D1")


def test_every_fact_has_a_source() -> None:
    framework = load_framework()
    for thing in (*framework.environments, *framework.dimensions, *framework.abilities):
        assert thing.source.document.title
        assert thing.source.clause


@pytest.mark.parametrize("code", ["C4", "C5", "C6", "C7"])
def test_c4_to_c7_sheets_are_complete(code: str) -> None:
    sheet = load_framework().sheet(code)
    assert sheet is not None
    assert sheet.complete
    graded = [item for item in sheet.items if item.criteria is not None] + [
        alt for item in sheet.items for alt in item.alternatives if alt.criteria is not None
    ]
    assert graded, f"{code} has criteria"
    for item in graded:
        assert item.criteria is not None
        assert item.criteria.excellent
        assert item.criteria.passing


def test_c5_case_video_limit_and_teacher_on_screen() -> None:
    # seed 000 p.53: 以视频形式提交,需出现教师个人形象,时间不超过 10 分钟
    case = load_framework().sheet("C5").item("case")  # type: ignore[union-attr]
    assert case.time_limit is not None
    assert case.time_limit.minutes == 10
    assert case.time_limit.bound.word == "不超过"
    assert case.teacher_on_screen


def test_c4_student_case_offers_two_tasks_one_a_video_of_at_most_five_minutes() -> None:
    sheet = load_framework().sheet("C4")
    assert sheet is not None
    choice = next(item for item in sheet.items if item.alternatives)
    assert len(choice.alternatives) == 2
    video = next(alt for alt in choice.alternatives if alt.time_limit is not None)
    assert video.time_limit is not None
    assert video.time_limit.minutes == 5


def test_a5_has_three_items_and_a_five_minute_clip() -> None:
    sheet = load_framework().sheet("A5")
    assert sheet is not None
    assert not sheet.complete
    assert [item.name for item in sheet.items] == ["问题描述", "课堂导入设计", "课堂导入片段"]
    clip = sheet.items[2]
    assert clip.time_limit is not None
    assert clip.time_limit.minutes == 5


def test_abilities_without_a_sheet_say_so() -> None:
    framework = load_framework()
    assert framework.sheet("A2") is None
    b2 = framework.sheet("B2")
    assert b2 is not None
    assert not b2.complete
    assert b2.items == ()
