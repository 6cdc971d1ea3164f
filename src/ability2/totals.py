"""Counts over teachers, groups and schools that add up: a whole's are the sum of its parts'.

:class:`Totals` are what partitioned evaluation (:mod:`ability2.partition`), the Dask engine
and the national roll-up (:mod:`ability2.rollup`) combine: each part, or each region, counts
its own, and the counts are added, never recomputed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from ability2.result import Result

__all__ = ["Totals"]


@attrs.frozen
class Totals:
    """Counts over some teachers, groups and schools; two parts' totals add up to the whole's."""

    teachers: int = 0
    passed: int = 0  #: teachers who pass (合格 or 优秀)
    excellent: int = 0  #: teachers graded 优秀
    failed: int = 0
    pending: int = 0
    schools: int = 0
    schools_passed: int = 0
    groups: int = 0
    groups_passed: int = 0

    def __add__(self, other: Totals) -> Totals:
        return Totals(*(a + b for a, b in zip(attrs.astuple(self), attrs.astuple(other), strict=True)))

    @classmethod
    def of(cls, result: Result) -> Totals:
        """The counts of one evaluation."""
        counts = result.status_counts()
        school_status = result.school_status()
        return cls(
            teachers=len(result),
            passed=counts.get("pass", 0) + counts.get("excellent", 0),
            excellent=counts.get("excellent", 0),
            failed=counts.get("fail", 0),
            pending=counts.get("pending", 0),
            schools=len(school_status),
            schools_passed=sum(1 for status in school_status if status == "pass"),
            groups=len(result.group_keys),
            groups_passed=sum(1 for status in result.group_status if status == "pass"),
        )

    @property
    def pass_rate(self) -> float:
        """Teachers who pass over teachers (0 without teachers), rounded as the schools table rounds."""
        return round(self.passed / self.teachers, 6) if self.teachers else 0.0

    @property
    def excellent_rate(self) -> float:
        """Teachers graded 优秀 over teachers."""
        return round(self.excellent / self.teachers, 6) if self.teachers else 0.0

    def to_dict(self) -> dict[str, Any]:
        """The counts and the two rates, for JSON."""
        return {**attrs.asdict(self), "pass_rate": self.pass_rate, "excellent_rate": self.excellent_rate}
