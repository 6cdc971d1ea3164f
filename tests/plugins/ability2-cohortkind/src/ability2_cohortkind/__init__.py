"""A throw-away plugin for the tests: two school rules that need the whole cohort.

Both judge a school by the cohort's pass rate: a school fails when its pass rate is more
than the rule's value below the pass rate of all the cohort's teachers (the rows judged
under the same policy). :class:`GapToCohort` gives ``partial`` (its part's teachers who
pass, and its teachers) and ``combine`` (the sums), so it can be evaluated part by part;
:class:`GapToCohortWhole` reads the whole batch and gives neither, so a path that evaluates
parts must refuse it.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.resources.abc import Traversable
from typing import Any

import ability2

GAP = ability2.RuleSpec(
    id="cohortkind.pass_rate_gap_max",
    kind=ability2.Kind.SHARE,
    scope=ability2.Scope.SCHOOL,
    title="学校合格率低于全体合格率的差距上限",
    title_en="gap of the school's pass rate below the cohort's, cap",
    direction=ability2.Direction.MAX,
)
GAP_WHOLE = ability2.RuleSpec(
    id="cohortkind.pass_rate_gap_whole_max",
    kind=ability2.Kind.SHARE,
    scope=ability2.Scope.SCHOOL,
    title="学校合格率低于全体合格率的差距上限（整体计算）",
    title_en="gap of the school's pass rate below the cohort's, cap (computed whole)",
    direction=ability2.Direction.MAX,
)


def _column(
    kind: ability2.RuleKind, batch: ability2.Batch, rule: ability2.ResolvedRule, passed: int, total: int
) -> Any:
    """Each school against the cohort's ``passed / total``, compared exactly."""
    import numpy as np

    assert batch.status is not None
    mine = batch.per_school((batch.status >= 2).astype(np.int64))
    size = batch.school_size
    value = rule.value  # a Fraction
    # cohort - school <= value  <=>  (passed * size - mine * total) * den <= num * total * size
    gap = passed * size - mine * total
    ok = gap * value.denominator <= value.numerator * total * size
    shown = np.divide(gap, total * size, out=np.zeros(len(size)), where=size > 0)
    return kind.column(rule, shown, ok, float(value), "share")


class GapToCohort(ability2.RuleKind):
    """The gap to the cohort's pass rate, combined from the parts' counts."""

    name = "cohortkind.gap"
    specs = (GAP,)
    reach = ability2.Reach.COHORT

    def partial(self, batch: ability2.Batch, rule: ability2.ResolvedRule) -> tuple[int, int]:
        """This part's teachers who pass, and its teachers."""
        assert batch.status is not None
        return int((batch.status >= 2).sum()), int(batch.n)

    def combine(self, partials: Sequence[tuple[int, int]]) -> tuple[int, int]:
        """The cohort's: the parts' counts added."""
        return sum(p for p, _ in partials), sum(t for _, t in partials)

    def evaluate(self, batch: ability2.Batch, rule: ability2.ResolvedRule) -> ability2.RuleColumn:
        """Every school against the cohort's pass rate."""
        passed, total = batch.cohort(rule)
        return _column(self, batch, rule, passed, total)


class GapToCohortWhole(ability2.RuleKind):
    """The same rule, reading the cohort from the batch: right only when the batch is the whole cohort."""

    name = "cohortkind.gap_whole"
    specs = (GAP_WHOLE,)
    reach = ability2.Reach.COHORT

    def evaluate(self, batch: ability2.Batch, rule: ability2.ResolvedRule) -> ability2.RuleColumn:
        """Every school against the batch's pass rate."""
        assert batch.status is not None
        return _column(self, batch, rule, int((batch.status >= 2).sum()), int(batch.n))


@ability2.hookimpl
def ability2_rule_kinds() -> list[ability2.RuleKind]:
    """The two kinds."""
    return [GapToCohort(), GapToCohortWhole()]


@ability2.hookimpl
def ability2_policy_files() -> list[Traversable]:
    """The policy files of the two test regions."""
    return ability2.package_files(__name__, "policies")
