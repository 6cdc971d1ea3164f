"""The plugin guide's worked examples (docs/examples): loaded, tested and evaluated like a user would."""

from __future__ import annotations

import datetime as dt
import importlib
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import ability2
from ability2.cli import main
from ability2.testing import load_cases, run_case

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"
NAMES = ("sichuan", "chongqing", "zhejiang", "anhui")


@pytest.fixture(scope="module")
def registry() -> ability2.Registry:
    plugins = []
    for name in NAMES:
        sys.path.insert(0, str(EXAMPLES / f"ability2-{name}" / "src"))
        plugins.append(importlib.import_module(f"ability2_{name}"))
    return ability2.load_registry(plugins=plugins)


@pytest.mark.parametrize("name", NAMES)
def test_example_cases_pass(registry: ability2.Registry, name: str) -> None:
    for case in load_cases(EXAMPLES / f"ability2-{name}" / "tests" / f"test_{name}.yaml"):
        assert run_case(case, registry) == [], case.name


@pytest.mark.parametrize("name", NAMES)
def test_examples_validate(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    # the examples with rule kinds of their own are checked with their code imported (--import)
    args = ["validate", str(EXAMPLES / f"ability2-{name}" / "src")]
    assert main([*args, "--import"] if name != "sichuan" else args) == 0


def row(tid: str, **fields: object) -> dict[str, str]:
    base = {
        "teacher_id": tid,
        "school": "S1",
        "online_hours": "20",
        "offline_hours": "30",
        "abilities": "A1;B2;C4",
        "grades": "合格;合格;合格",
    }
    base.update({k: str(v) for k, v in fields.items()})
    return base


def test_sichuan_20_plus_30(registry: ability2.Registry) -> None:
    policy = registry.policy("sichuan", on=dt.date(2021, 1, 1))
    result = ability2.evaluate(pd.DataFrame([row("T1"), row("T2", online_hours=19.5, offline_hours=30.5)]), policy)
    assert list(result.status) == ["pass", "fail"]


def test_chongqing_practice_sums_three_activity_columns(registry: ability2.Registry) -> None:
    policy = registry.policy("chongqing", on=dt.date(2021, 1, 1))
    rows = [
        row("T1", 集中培训学时=10, 校本研修学时=10, 应用考核学时=5),  # 25 = 50% of 50
        row("T2", 集中培训学时=10, 校本研修学时=10, 应用考核学时=4.5),
    ]
    result = ability2.evaluate(pd.DataFrame(rows), policy)
    reasons = [
        next(r for r in result.reasons(tid) if r.rule == "chongqing.practice_activities_share_min")
        for tid in ("T1", "T2")
    ]
    assert [(r.value, r.ok) for r in reasons] == [(25, True), (24.5, False)]
    assert list(result.status) == ["pass", "fail"]


def _practice_reason(result: ability2.Result, tid: str, lang: str) -> ability2.Reason:
    return next(r for r in result.reasons(tid, lang=lang) if r.rule == "chongqing.practice_activities_share_min")


def test_chongqing_message_says_sign_and_word_once_in_one_language(registry: ability2.Registry) -> None:
    # issue 13 item 15: the message read "20, 未达到 ≥ ≥ 50% (不少于)（不少于）"
    policy = registry.policy("chongqing", on=dt.date(2021, 1, 1))
    rows = [
        row("T1", 集中培训学时=10, 校本研修学时=5, 应用考核学时=5),
        row("T2", 集中培训学时=20, 校本研修学时=5, 应用考核学时=0),
    ]
    result = ability2.evaluate(pd.DataFrame(rows), policy)
    zh = _practice_reason(result, "T1", "zh")
    assert zh.message == "实践应用(集中培训+校本研修+应用考核)占比下限: 20, 未达到 ≥ 50%（不少于）"
    assert _practice_reason(result, "T2", "zh").message.endswith(": 25, 符合 ≥ 50%（不少于）")
    en = _practice_reason(result, "T1", "en")
    assert (
        en.message
        == "practice (training, school-based study, assessment) share of 50 hours, floor: 20, below ≥ 50% (at least)"
    )
    assert zh.limit == 0.5  # the rule's value as a number (contract §3.1), not a display string
    for message in (zh.message, en.message):
        assert message.count("≥") == 1
    assert not any(ch in en.message for ch in "不少于未达到（）")


def test_plugin_rule_reading_a_column_the_roster_lacks_is_refused(registry: ability2.Registry) -> None:
    # issue 13 item 15: a missing column used to count as 0 and fail every teacher silently
    policy = registry.policy("chongqing", on=dt.date(2021, 1, 1))
    rows = [row("T1", 集中培训学时=20, 校本研修学时=10), row("T2", 集中培训学时=20, 校本研修学时=10)]
    with pytest.raises(ability2.EvaluationError) as caught:
        ability2.evaluate(pd.DataFrame(rows), policy)
    text = caught.value.text("en")
    assert "chongqing.practice_activities_share_min" in text
    assert "应用考核学时" in text
    assert "集中培训学时" not in text.split("roster does not have")[0]  # names only the absent column


def test_example_plugins_collect_with_pytest(tmp_path: Path) -> None:
    # the YAML case files are collected by ability2's pytest plugin like the seed plugins'
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(EXAMPLES / "ability2-sichuan" / "tests"),
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        timeout=120,
    )
    assert "test_sichuan.yaml::Sichuan's 20 + 30 split over 3 years" in out.stdout
