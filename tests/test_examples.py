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
