"""Rules that are recorded, not checked on a roster: the bureau's process, the timeline, the forms.

They load, resolve and show with their sources like every rule; ``ability2 timeline`` and
``ability2 form`` read the timeline and form families. No roster can check them, so the
recording kind claims every spec outside the checked scopes that no other kind claims.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ability2.rules.bounds import Direction
from ability2.rules.kind import CHECKED_SCOPES, RuleKind
from ability2.rules.spec import Kind, RuleSpec, Scope, spec

if TYPE_CHECKING:
    from ability2.batch import Batch
    from ability2.policy import ResolvedRule
    from ability2.result import RuleColumn

__all__ = ["FAMILY_SPECS", "REGION_SPECS", "SCHOOL_PROCESS_SPECS", "Recorded"]

#: school-named rules that are the bureau's process (sampling, works sent up)
SCHOOL_PROCESS_SPECS = (
    spec(
        "school.verification_sample_share",
        Kind.SHARE,
        Scope.REGION,
        "教师抽查验证比例",
        "share of teachers sampled to verify the school's grades",
        None,
    ),
    spec(
        "school.recommended_works_share_min",
        Kind.SHARE,
        Scope.REGION,
        "上报优秀作品占教师人数比例下限",
        "works sent up as a share of the school's teachers, floor",
        Direction.MIN,
    ),
)
#: the bureau's own process
REGION_SPECS = (
    spec(
        "region.school_sample_share_min",
        Kind.SHARE,
        Scope.REGION,
        "抽查学校测评结果比例下限",
        "share of schools whose results the bureau re-checks, floor",
        Direction.MIN,
    ),
    spec("review.chain", Kind.STEPS, Scope.REGION, "校本应用考核流程", "review chain of school-based assessment"),
    spec(
        "credit.continuing_education_hours",
        Kind.HOURS,
        Scope.REGION,
        "计入继续教育学时",
        "continuing-education hours credited for the programme",
        None,
    ),
)
#: families: one phase or one form per id (``timeline.rollout_2020``, ``form.school``)
FAMILY_SPECS = (
    spec("timeline", Kind.PHASE, Scope.TIMELINE, "时间安排", "timeline phase", family=True),
    spec("form", Kind.FORM, Scope.FORM, "考核表", "scoring form", family=True),
)


class Recorded(RuleKind):
    """Keeps rules no roster can check (region, timeline, form and grading scopes)."""

    name = "recorded"
    checks = False

    def owns(self, spec: RuleSpec) -> bool:
        """Every spec outside the checked scopes (a fallback: an explicit owner wins)."""
        return spec.scope not in CHECKED_SCOPES

    def evaluate(self, batch: Batch, rule: ResolvedRule) -> RuleColumn | None:
        """Nothing to check on a roster."""
        return None
