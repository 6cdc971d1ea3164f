"""Ability selection (选学能力点): how many abilities, which dimensions, from which allowed set."""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

from ability2.rules.bounds import Direction
from ability2.rules.compare import compare_scaled, popcount
from ability2.rules.hours import bound_of
from ability2.rules.kind import RuleKind
from ability2.rules.spec import Kind, Scope, spec

if TYPE_CHECKING:
    from ability2.batch import Batch
    from ability2.policy import ResolvedRule
    from ability2.result import RuleColumn

__all__ = ["SPECS", "AllowedChoices", "DimensionsCovered", "SelectionCount"]

COUNT = spec("selection.count", Kind.COUNT, Scope.TEACHER, "每人选择能力点数", "abilities chosen per teacher", None)
DIMENSIONS_MIN = spec(
    "selection.dimensions_min",
    Kind.COUNT,
    Scope.TEACHER,
    "所选能力点覆盖维度数下限",
    "dimensions covered by a teacher's abilities, floor",
    Direction.MIN,
)
ENVIRONMENTS_ALLOWED = spec(
    "selection.environments_allowed",
    Kind.ENVIRONMENTS,
    Scope.TEACHER,
    "可选环境",
    "environments a teacher may choose from",
)
ABILITIES_ALLOWED = spec(
    "selection.abilities_allowed",
    Kind.ABILITIES,
    Scope.TEACHER,
    "可选能力点范围",
    "abilities a teacher may choose from",
    description="A school's own scope (校本研修范围): teachers choose only among these codes.",
)
DEFAULT_BY_ADMIN = spec(
    "selection.default_by_admin",
    Kind.FLAG,
    Scope.REGION,
    "逾期未选由管理员代选",
    "the school admin selects for a teacher who did not select in time",
)

#: the family's specs, in catalogue order
SPECS = (COUNT, DIMENSIONS_MIN, ENVIRONMENTS_ALLOWED, ABILITIES_ALLOWED, DEFAULT_BY_ADMIN)


class SelectionCount(RuleKind):
    """How many abilities each teacher chose, against the count the policy states."""

    name = "selection.count"
    specs = (COUNT,)

    def evaluate(self, batch: Batch, rule: ResolvedRule) -> RuleColumn:
        """Per teacher: the number of abilities chosen."""
        ok = compare_scaled(bound_of(rule), batch.k, Fraction(rule.value), 1)
        return self.column(rule, batch.k, ok, rule.value)


class DimensionsCovered(RuleKind):
    """How many of the four dimensions a teacher's abilities cover."""

    name = "selection.dimensions"
    specs = (DIMENSIONS_MIN,)

    def evaluate(self, batch: Batch, rule: ResolvedRule) -> RuleColumn:
        """Per teacher: dimensions covered."""
        covered = popcount(batch.dim_mask)
        ok = compare_scaled(bound_of(rule), covered, Fraction(rule.value), 1)
        return self.column(rule, covered, ok, rule.value)


class AllowedChoices(RuleKind):
    """A teacher's abilities must lie inside the allowed environments or the allowed abilities."""

    name = "selection.allowed"
    specs = (ENVIRONMENTS_ALLOWED, ABILITIES_ALLOWED)

    def evaluate(self, batch: Batch, rule: ResolvedRule) -> RuleColumn:
        """Per teacher: ``within`` or ``outside`` the allowed set."""
        import numpy as np

        framework = batch.policy.framework
        if rule.spec.id == ENVIRONMENTS_ALLOWED.id:
            names = [env.id for env in framework.environments]
            masks = batch.env_mask
        else:
            names = [a.code for a in framework.abilities]
            masks = batch.ability_mask
        allowed = sum(1 << names.index(name) for name in rule.value)
        ok = (masks & ~allowed) == 0
        return self.column(rule, np.where(ok, "within", "outside").astype(object), ok, ", ".join(rule.value))
