"""A plugin's YAML test cases: a misspelled rule id is reported as unknown, not as missing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import ability2
from ability2.messages import language
from ability2.testing import load_cases, run_case


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """These tests read the failures' English text (the Chinese default: tests/test_policy_messages.py)."""
    with language("en"):
        yield


Write = Callable[[str, str], Path]


@pytest.fixture(scope="module")
def registry() -> ability2.Registry:
    return ability2.load_registry()


def failures_of(write: Write, registry: ability2.Registry, body: str) -> list[str]:
    # 兖州区 (shandong/jining/yanzhou): its notice 济宁市兖州区… is dated in 2022
    text = "cases:\n  - name: c\n    region: shandong/jining/yanzhou\n    on: 2023-06-01\n" + body
    [case] = load_cases(write("test_c.yaml", text))
    return run_case(case, registry)


@pytest.mark.parametrize(
    "body",
    [
        "    expect_rules:\n      hours.totl_min: {value: 50}\n",
        "    checks:\n      - {rule: hours.totl_min, value: 50, ok: true}\n",
        "    expect_superseded:\n      hours.totl_min: {layer: cn}\n",
    ],
)
def test_a_misspelled_rule_is_unknown_with_a_did_you_mean(write: Write, registry: ability2.Registry, body: str) -> None:
    [failure] = failures_of(write, registry, body)
    assert "unknown rule 'hours.totl_min'; did you mean 'hours.total_min'" in failure, failure
    assert "missing from the policy" not in failure and "no such rule" not in failure


def test_a_misspelled_rule_expected_absent_fails(write: Write, registry: ability2.Registry) -> None:
    # a typo must not make an absence check pass whatever the policy holds
    [failure] = failures_of(write, registry, "    expect_absent: [hours.totl_min]\n")
    assert "unknown rule 'hours.totl_min'" in failure


def test_a_known_rule_the_policy_lacks_is_still_missing(write: Write, registry: ability2.Registry) -> None:
    # hours.cycle_years is a catalogue rule; 兖州区 sets the national 5-year cycle aside (supersedes:)
    [failure] = failures_of(write, registry, "    expect_rules:\n      hours.cycle_years: {value: 5}\n")
    assert "hours.cycle_years: missing from the policy of shandong/jining/yanzhou" in failure
    assert "unknown rule" not in failure
