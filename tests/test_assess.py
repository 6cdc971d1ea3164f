"""One ability from its evidence, against the C4–C7 sheets of seed 000 and the national rule."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ability2 import Ability2Error
from ability2.assess import SheetUnavailableError, assess_ability
from ability2.messages import language, render


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """These tests read the messages' English text (the Chinese default: tests/test_policy_messages.py)."""
    with language("en"):
        yield


C5_ALL_EXCELLENT = [
    {"item": "scenario"},
    {"item": "case", "level": "优秀", "minutes": 9.5, "teacher_on_screen": True},
    {"item": "student_reflections", "minutes": 2, "copies": 2},
]


def c5(**case: object) -> list[dict[str, object]]:
    evidence = [dict(e) for e in C5_ALL_EXCELLENT]
    evidence[1].update(case)
    return evidence


def test_item_ids_of_c5() -> None:
    from ability2 import load_framework

    ids = [item.id for item in load_framework().sheet("C5").items]  # type: ignore[union-attr]
    assert ids == ["scenario", "case", "student_reflections"]


def test_all_graded_items_excellent_make_the_ability_excellent() -> None:
    result = assess_ability("C5", C5_ALL_EXCELLENT)
    assert result.grade == "excellent"
    assert result.grade_zh == "优秀"


def test_a_case_video_over_ten_minutes_does_not_meet_the_task() -> None:
    # seed 000 p.53: 以视频形式提交,需出现教师个人形象,时间不超过 10 分钟
    result = assess_ability("C5", c5(minutes=10.5))
    assert result.grade == "fail"
    case = result.items[1]
    assert case.grade == "fail"
    assert "不超过 10" in render(case.reasons[0], "zh")
    assert "at most 10" in render(case.reasons[0], "en")


def test_exactly_ten_minutes_is_within_the_limit() -> None:
    assert assess_ability("C5", c5(minutes=10)).grade == "excellent"


def test_teacher_must_be_on_screen() -> None:
    assert assess_ability("C5", c5(teacher_on_screen=False)).grade == "fail"


def test_one_pass_item_makes_the_ability_pass() -> None:
    assert assess_ability("C5", c5(level="合格")).grade == "pass"


def test_a_missing_item_is_fail() -> None:
    result = assess_ability("C5", C5_ALL_EXCELLENT[1:])
    assert result.grade == "fail"
    assert render(result.items[0].reasons[0], "zh").startswith("未提交")
    assert result.text("en").splitlines()[2:4] == [
        f"  - {result.items[0].name}: fail",
        "      not submitted: the evidence does not meet the task",
    ]


def test_ungraded_item_leaves_the_ability_pending() -> None:
    assert assess_ability("C5", c5(level=None)).grade == "pending"


def test_in_principle_limit_is_a_warning() -> None:
    # C6 p.54: 时间原则上不超过 10 分钟
    from ability2 import load_framework

    sheet = load_framework().sheet("C6")
    assert sheet is not None
    video = next(item for item in sheet.items if item.time_limit is not None)
    assert video.time_limit is not None and video.time_limit.in_principle
    evidence = [{"item": item.id, "level": "合格"} for item in sheet.items]
    evidence[[item.id for item in sheet.items].index(video.id)]["minutes"] = 12
    result = assess_ability("C6", evidence)
    assert result.grade == "pass"
    assert any("原则上" in render(w, "zh") for item in result.items for w in item.warnings)


def test_c4_takes_one_of_two_tasks_and_the_video_task_has_five_minutes() -> None:
    from ability2 import load_framework

    sheet = load_framework().sheet("C4")
    assert sheet is not None
    choice = next(item for item in sheet.items if item.alternatives)
    video = next(alt for alt in choice.alternatives if alt.time_limit is not None)
    others = [{"item": item.id, "level": "优秀"} for item in sheet.items if not item.alternatives]
    ok = assess_ability("C4", [*others, {"item": video.id, "level": "优秀", "minutes": 5, "copies": 2}])
    assert ok.grade == "excellent"
    late = assess_ability("C4", [*others, {"item": video.id, "level": "优秀", "minutes": 5.5, "copies": 2}])
    assert late.grade == "fail"


def test_a5_clip_of_about_five_minutes() -> None:
    result = assess_ability(
        "A5", [{"item": "问题描述"}, {"item": "课堂导入设计"}, {"item": "课堂导入片段", "minutes": 4}]
    )
    assert result.grade in {"pass", "excellent"}
    assert not result.sheet_complete


def test_sheet_not_in_the_framework_is_said_plainly() -> None:
    with pytest.raises(SheetUnavailableError, match=r"A2 .*not in the framework data"):
        assess_ability("A2", [])
    with pytest.raises(SheetUnavailableError, match="B2"):
        assess_ability("B2", [])


def test_unknown_item_and_level_are_errors() -> None:
    with pytest.raises(Ability2Error, match="unknown evidence item"):
        assess_ability("C5", [*C5_ALL_EXCELLENT, {"item": "poster"}])
    with pytest.raises(Ability2Error, match="unknown level"):
        assess_ability("C5", c5(level="good"))


def test_an_assessment_reads_in_one_language() -> None:
    import re

    result = assess_ability("C5", c5(minutes=10.5))
    zh, en = result.text("zh"), result.text("en")
    assert "不合格" in zh and "fail" not in zh
    # English apart from the names of the ability, its items and the source, which are the sheet's own
    names = [result.name, result.source, *(item.name for item in result.items)]
    for name in names:
        en = en.replace(name, "")
    assert not re.search(r"[\u4e00-\u9fff]", en), en
