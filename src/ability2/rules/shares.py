"""School shares (学校比例): pass and excellent rates, and the share of each environment.

A rate is counted per teacher (basis ``teachers``) or per ability certification (basis
``abilities``); an environment share per teacher who chose one of its abilities (basis
``teachers``) or per ability selection (basis ``selections``). Ratios compare exactly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ability2.rules.bounds import Direction
from ability2.rules.compare import compare_ratio
from ability2.rules.hours import bound_of
from ability2.rules.kind import RuleKind
from ability2.rules.spec import Kind, RuleSpec, Scope, spec

if TYPE_CHECKING:
    import numpy as np

    from ability2.batch import Batch
    from ability2.policy import ResolvedRule
    from ability2.result import RuleColumn

__all__ = ["ENVIRONMENT_SPECS", "RATE_SPECS", "EnvironmentShare", "SchoolRate", "ratio_column"]

_RATE_BASES = ("teachers", "abilities")
PASS_RATE_MIN = spec(
    "school.pass_rate_min",
    Kind.SHARE,
    Scope.SCHOOL,
    "合格率下限",
    "pass rate, floor",
    Direction.MIN,
    bases=_RATE_BASES,
    tags=("rate:pass",),
)
EXCELLENT_RATE_MAX = spec(
    "school.excellent_rate_max",
    Kind.SHARE,
    Scope.SCHOOL,
    "优秀率上限",
    "excellent rate, cap",
    Direction.MAX,
    bases=_RATE_BASES,
    tags=("rate:excellent",),
)
EXCELLENT_RATE_MIN = spec(
    "school.excellent_rate_min",
    Kind.SHARE,
    Scope.SCHOOL,
    "优秀率下限",
    "excellent rate, floor",
    Direction.MIN,
    bases=_RATE_BASES,
    tags=("rate:excellent",),
)
#: the rate specs, in catalogue order
RATE_SPECS = (PASS_RATE_MIN, EXCELLENT_RATE_MAX, EXCELLENT_RATE_MIN)

_ENV_NAMES = {
    "multimedia": ("多媒体教学环境", "multimedia"),
    "hybrid": ("混合学习环境", "hybrid"),
    "smart": ("智慧学习环境", "smart"),
}


def _environment_specs() -> tuple[RuleSpec, ...]:
    out = []
    for env, (zh, en) in _ENV_NAMES.items():
        for direction, word_zh, word_en in ((Direction.MIN, "下限", "floor"), (Direction.MAX, "上限", "cap")):
            out.append(
                spec(
                    f"school.{env}_share_{direction.value}",
                    Kind.SHARE,
                    Scope.SCHOOL,
                    f"{zh}选课比例{word_zh}",
                    f"share of {en} selections, {word_en}",
                    direction,
                    bases=("teachers", "selections"),
                    description=(
                        "Share of the school's teachers who chose an ability of this environment "
                        "(basis 'teachers'), or share of all ability selections that are of this "
                        "environment (basis 'selections')."
                    ),
                    tags=(f"environment:{env}",),
                )
            )
    return tuple(out)


#: the environment-share specs, in catalogue order (environment, then floor and cap)
ENVIRONMENT_SPECS = _environment_specs()
_ENVIRONMENT_OF = {s.id: s.id.split(".", 1)[1].rsplit("_share_", 1)[0] for s in ENVIRONMENT_SPECS}


def ratio_column(
    kind: RuleKind,
    batch: Batch,
    rule: ResolvedRule,
    count: np.ndarray[Any, Any],
    total: np.ndarray[Any, Any],
) -> RuleColumn:
    """A school column of ``count / total`` against the rule's limit (exact; shown as a share)."""
    import numpy as np

    ok = compare_ratio(bound_of(rule), count, total, rule.value)
    share = np.divide(count, total, out=np.zeros(len(total)), where=total > 0)
    return kind.column(rule, share, ok, float(rule.value), "share", counts=(count, total))


class SchoolRate(RuleKind):
    """合格率 and 优秀率 of a school, per teacher or per ability certification.

    Ability-basis rates count certifications made: ungraded selections are not yet
    certifications, so a cap such as 微能力点认证优秀率不超过60% cannot pass on missing grades.
    """

    name = "shares.rate"
    specs = RATE_SPECS

    def evaluate(self, batch: Batch, rule: ResolvedRule) -> RuleColumn:
        """Per school: passed (or excellent) teachers or certifications over the total."""
        assert batch.status is not None, "school rates need the teachers' statuses"
        wanted = "passed" if rule.spec.id == PASS_RATE_MIN.id else "excellent"
        if rule.basis == "abilities":
            certifications = batch.certifications()
            return ratio_column(self, batch, rule, certifications[wanted], certifications["graded"])
        flags = batch.status >= 2 if wanted == "passed" else batch.status == 3
        return ratio_column(self, batch, rule, batch.per_school(flags), batch.school_size)


class EnvironmentShare(RuleKind):
    """The share of a school's teachers (or selections) in one environment, floor or cap."""

    name = "shares.environment"
    specs = ENVIRONMENT_SPECS

    def evaluate(self, batch: Batch, rule: ResolvedRule) -> RuleColumn:
        """Per school: the environment's share by the rule's basis."""
        env_ids = [env.id for env in batch.policy.framework.environments]
        position = env_ids.index(_ENVIRONMENT_OF[rule.spec.id])
        if rule.basis == "selections":
            in_env = batch.env_of_ability[batch.roster.ability_codes] == position
            return ratio_column(self, batch, rule, batch.per_school_selections(in_env), batch.per_school(batch.k))
        has_env = (batch.env_mask >> position) & 1
        return ratio_column(self, batch, rule, batch.per_school(has_env), batch.school_size)
