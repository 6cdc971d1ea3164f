"""A school's own scope (校本研修范围): how many abilities, environments and dimensions it covers."""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Literal

from ability2.rules.bounds import Direction
from ability2.rules.compare import compare_scaled, popcount
from ability2.rules.hours import bound_of
from ability2.rules.kind import RuleKind
from ability2.rules.spec import Kind, Scope, spec

if TYPE_CHECKING:
    from ability2.batch import Batch
    from ability2.policy import ResolvedRule
    from ability2.result import RuleColumn

__all__ = ["SPECS", "ScopeCount"]

ABILITIES_MIN = spec(
    "school.scope_abilities_min",
    Kind.COUNT,
    Scope.SCHOOL,
    "学校研修能力点数下限",
    "distinct abilities in the school's scope, floor",
    Direction.MIN,
)
ABILITIES_MAX = spec(
    "school.scope_abilities_max",
    Kind.COUNT,
    Scope.SCHOOL,
    "学校研修能力点数上限",
    "distinct abilities in the school's scope, cap",
    Direction.MAX,
)
ENVIRONMENTS_MIN = spec(
    "school.scope_environments_min",
    Kind.COUNT,
    Scope.SCHOOL,
    "学校研修范围覆盖环境数下限",
    "environments covered by the school's scope, floor",
    Direction.MIN,
)
DIMENSIONS_MIN = spec(
    "school.scope_dimensions_min",
    Kind.COUNT,
    Scope.SCHOOL,
    "学校研修范围覆盖维度数下限",
    "dimensions covered by the school's scope, floor",
    Direction.MIN,
)

#: the family's specs, in catalogue order
SPECS = (ABILITIES_MIN, ABILITIES_MAX, ENVIRONMENTS_MIN, DIMENSIONS_MIN)


class ScopeCount(RuleKind):
    """Distinct abilities, environments or dimensions the school's teachers chose, floor or cap."""

    name = "scope.count"
    specs = SPECS

    def evaluate(self, batch: Batch, rule: ResolvedRule) -> RuleColumn:
        """Per school: how many distinct items its teachers' choices cover."""
        coverage: dict[str, Literal["abilities", "environments", "dimensions"]] = {
            ABILITIES_MIN.id: "abilities",
            ABILITIES_MAX.id: "abilities",
            ENVIRONMENTS_MIN.id: "environments",
            DIMENSIONS_MIN.id: "dimensions",
        }
        of = coverage[rule.spec.id]
        covered = popcount(batch.school_coverage(of))
        ok = compare_scaled(bound_of(rule), covered, Fraction(rule.value), 1)
        return self.column(rule, covered, ok, rule.value)
