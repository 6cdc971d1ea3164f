"""ability2 plugin for chongqing, with one rule written in Python.

Chongqing counts three kinds of activity as practice (实践应用): 集中培训, 校本研修 and
应用考核. A roster from Chongqing carries one column per kind; the core knows none of them,
so the rule that sums them is a plugin's own, written per teacher in plain Python. The
evaluator runs it over the whole roster.
"""

from __future__ import annotations

from fractions import Fraction
from importlib.resources.abc import Traversable
from typing import Any

import ability2

#: the roster columns Chongqing's practice hours come from
PRACTICE_COLUMNS = ("集中培训学时", "校本研修学时", "应用考核学时")


def practice_hours(teacher: Any, rule: ability2.ResolvedRule) -> tuple[Any, bool]:
    """Practice = 集中培训 + 校本研修 + 应用考核; it must reach the rule's share of 50 hours."""
    total = Fraction(0)
    for column in PRACTICE_COLUMNS:
        text = str(teacher.extra.get(column, "") or "0").strip()
        total += Fraction(text)
    required = rule.value * 50  # the share of the 50 hours every teacher owes
    assert rule.bound is not None
    return float(total), rule.bound.holds(total, required)


PRACTICE_RULE = ability2.RuleSpec(
    id="chongqing.practice_activities_share_min",
    kind=ability2.Kind.SHARE,
    scope=ability2.Scope.TEACHER,
    title="实践应用(集中培训+校本研修+应用考核)占比下限",
    title_en="practice (training, school-based study, assessment) share of 50 hours, floor",
    direction=ability2.Direction.MIN,
    description="Sums the roster columns 集中培训学时, 校本研修学时 and 应用考核学时.",
    check=practice_hours,
)


@ability2.hookimpl
def ability2_rule_specs() -> list[ability2.RuleSpec]:
    """The rule this plugin adds to the catalogue."""
    return [PRACTICE_RULE]


@ability2.hookimpl
def ability2_policy_files() -> list[Traversable]:
    """The policy files of this plugin's regions."""
    return ability2.package_files(__name__, "policies")
