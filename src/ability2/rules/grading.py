"""Grading (测评等级): how an ability's grade follows from its evidence, and a teacher's from the abilities.

The teacher grading rule is the one that decides statuses beyond pass and fail: a teacher
with an ability not graded yet is pending, and one whose every ability is 优秀 is excellent
(when every other rule holds). Its column says so through ``pending`` and ``excellent``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ability2.rules.kind import RuleKind
from ability2.rules.spec import Kind, Scope, spec

if TYPE_CHECKING:
    import numpy as np

    from ability2.batch import Batch
    from ability2.policy import ResolvedRule
    from ability2.result import RuleColumn
    from ability2.roster import Roster

__all__ = ["SPECS", "TeacherGrading"]

ABILITY = spec(
    "grading.ability",
    Kind.METHOD,
    Scope.GRADING,
    "微能力测评等级规则",
    "how an ability's grade follows from its evidence",
    methods=("all_items",),
    description="'all_items': 优秀 iff every evidence item is 优秀; 不合格 if any item is 不合格; else 合格.",
)
TEACHER = spec(
    "grading.teacher",
    Kind.METHOD,
    Scope.TEACHER,
    "教师考核等级规则",
    "how a teacher's status follows from the ability grades",
    methods=("all_abilities",),
    description=(
        "'all_abilities': a teacher is excellent iff every chosen ability is 优秀 (and every pass rule holds), "
        "fails if any ability is 不合格, is pending while any ability is not graded, else passes."
    ),
    tags=("grading",),
)

#: the family's specs, in catalogue order
SPECS = (ABILITY, TEACHER)


def _fails_message(column: RuleColumn, index: int, lang: str) -> str:
    assert column.counts is not None
    title = column.title if lang == "zh" else column.title_en
    failed, total = int(column.counts[0][index]), int(column.counts[1][index])
    if failed == 0:
        verdict = "无不合格能力点" if lang == "zh" else "no ability graded fail"
    else:
        verdict = f"{failed}/{total} 个能力点不合格" if lang == "zh" else f"{failed} of {total} abilities graded fail"
    waiting = "" if column.detail is None else str(column.detail[index])
    if waiting:  # say which abilities are not graded yet: pending, or failing already with more to come
        if lang == "zh":
            rest = f"{waiting} 尚未考核"
            return f"{title}: {verdict}；{rest}" if failed else f"{title}: 待评，{rest}"
        rest = f"{waiting.replace('、', ', ')} not graded yet"
        return f"{title}: {verdict}; {rest}" if failed else f"{title}: pending, {rest}"
    return f"{title}: {verdict}"


def _ungraded(roster: Roster, abilities: Sequence[str]) -> np.ndarray[Any, Any]:
    """Per teacher: the codes (``abilities``, by index) of the chosen abilities not graded yet, ``A3、B2`` (``""`` when none)."""
    import numpy as np

    from ability2.roster import GRADE_UNGRADED

    detail = np.full(len(roster), "", dtype=object)
    waiting = np.flatnonzero(roster.grades == GRADE_UNGRADED)
    if not len(waiting):
        return detail
    import polars as pl
    import pyarrow as pa

    from ability2.arrays import arrow_ints

    # polars makes the Arrow array of codes (pyarrow.array of Python texts would import pandas)
    codes = pl.Series(list(abilities), dtype=pl.String).to_arrow()
    # the teacher of each waiting selection: selections are stored teacher by teacher, so
    # each teacher's waiting codes are one run, joined as one list (no hashing)
    teachers = np.searchsorted(np.asarray(roster.ability_offsets), waiting, side="right") - 1
    starts = np.flatnonzero(np.r_[True, teachers[1:] != teachers[:-1]])
    runs = pa.LargeListArray.from_arrays(
        arrow_ints(np.r_[starts, len(teachers)].astype(np.int64)),
        codes.take(arrow_ints(np.asarray(roster.ability_codes[waiting], dtype=np.int64))),
    )
    joined = pl.Series(runs).list.join("、")
    detail[teachers[starts]] = joined.to_numpy()
    return detail


class TeacherGrading(RuleKind):
    """``all_abilities``: any 不合格 fails; any ungraded is pending; all 优秀 is excellent."""

    name = "grading.teacher"
    specs = (TEACHER,)

    def evaluate(self, batch: Batch, rule: ResolvedRule) -> RuleColumn:
        """Per teacher: abilities graded fail, out of those chosen."""
        column = self.column(
            rule, batch.n_fail, batch.n_fail == 0, 0, "fails", counts=(batch.n_fail, batch.k), formatter=_fails_message
        )
        column.pending = batch.n_ungraded > 0
        column.excellent = (batch.n_excellent == batch.k) & (batch.k > 0)
        # the codes not graded yet are written out when a report reads them
        column.detail = functools.partial(
            _ungraded, batch.roster, tuple(ability.code for ability in batch.policy.framework.abilities)
        )
        return column
