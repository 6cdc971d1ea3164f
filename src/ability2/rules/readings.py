"""Readings as switches: how an ambiguous clause is read, stated in a policy file, changed by a what-if.

Three clauses admit two readings that change dates, verdicts or a report:

* ``deadline.before_exclusive`` (flag, timeline): "各学校于11月25日前…", "6月30日前": whether day X
  itself is still in time. ``false`` (the seed plugins' reading): by day X, inclusive. ``true``:
  strictly before it, so a phase whose end a document writes "X日前" (``end_before: true`` in
  the phase) ends the day before. :meth:`ability2.Policy.phases` applies it, so the timeline,
  the iCalendar file, the Gantt chart and the final deadline all follow it.
* ``grading.pending_fails_after_deadline`` (flag, teacher): a teacher with an ability still not
  graded once the policy's final deadline (the latest end among its phases) has passed.
  ``false`` (the seed plugins' reading, and the state when no layer states it): the teacher
  stays pending, since the result is not known. ``true``: the teacher fails this rule. A flag
  that is ``false`` is switched off and not evaluated, so the default changes no verdict.
* ``summary.course_hours`` (method, region): what 附件2's 课程学时合格人数 counts.
  ``every_hours_rule`` (the default): teachers for whom every teacher rule tagged ``hours``
  holds (online, offline, total, practice share, peer review). ``online``: only the rules
  tagged ``online`` (the online course hours, 线上选学), reading 课程学时 as the courses
  taken online, apart from 校本实践活动完成数 (the offline practice).

* ``assess.items_without_criteria`` and ``assess.in_principle_limits`` (method, grading): how
  :func:`ability2.assess_ability` reads the national rubric where it is silent. Items whose
  sheet gives no 优秀 criteria (C4's 教学反思, C5's 情景描述 and 学生体会): ``not_blocking`` (the
  default) applies the 优秀 rule over the items that have criteria; ``blocking`` lets such an
  item, which cannot be 优秀, keep the ability from 优秀. A time limit stated 原则上 or 一般,
  exceeded: ``warn`` (the default) reports it; ``fail`` makes the item 不合格 like a plain limit.

* ``scoring.excellent_schools``, ``scoring.parts`` and ``scoring.excellent_cap_of`` (method,
  form): how a scoring form's silent points are read (:class:`ability2.forms.FormReadings`):
  which schools are 优秀 under a cap (``top_ranked`` or ``cap_only``), how an item with parts
  scores (``all_or_nothing`` or ``by_part``), and what the cap's 总数 counts (``batch`` or
  ``district``).

(A bare count, "选择3个", needs no switch of its own: its boundary word is the reading,
为 for exactly, 至少 for at least, and a what-if changes it.)
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from ability2.rules.kind import RuleKind
from ability2.rules.spec import Kind, Scope, spec

if TYPE_CHECKING:
    from ability2.batch import Batch
    from ability2.policy import Policy, ResolvedRule
    from ability2.result import RuleColumn

__all__ = [
    "BEFORE_EXCLUSIVE",
    "CAP_OF",
    "COURSE_HOURS",
    "EXCELLENT_SCHOOLS",
    "FORM_PARTS",
    "IN_PRINCIPLE_LIMITS",
    "ITEMS_WITHOUT_CRITERIA",
    "PENDING_FAILS",
    "SPECS",
    "PendingAfterDeadline",
    "course_hours_reading",
    "final_deadline",
]

BEFORE_EXCLUSIVE = spec(
    "deadline.before_exclusive",
    Kind.FLAG,
    Scope.TIMELINE,
    "“X日前”不含X日",
    '"before day X" excludes day X',
    description=(
        "true: a phase whose end is written 'X日前' (end_before: true) ends the day before X; "
        "false: day X is still in time."
    ),
)
PENDING_FAILS = spec(
    "grading.pending_fails_after_deadline",
    Kind.FLAG,
    Scope.TEACHER,
    "最终期限后仍待评者为不合格",
    "a teacher still pending after the final deadline fails",
    description=(
        "true: once the latest phase end of the policy has passed, a teacher with an ability not graded "
        "fails; false: the teacher stays pending."
    ),
)

COURSE_HOURS = spec(
    "summary.course_hours",
    Kind.METHOD,
    Scope.REGION,
    "汇总表“课程学时合格人数”的口径",
    "what the summary table's course-hours count counts",
    methods=("every_hours_rule", "online"),
    description=(
        "'every_hours_rule': every teacher rule tagged hours holds; 'online': the rules tagged online "
        "(the online course hours) hold."
    ),
)

ITEMS_WITHOUT_CRITERIA = spec(
    "assess.items_without_criteria",
    Kind.METHOD,
    Scope.GRADING,
    "无优秀标准的证据项与能力点“优秀”",
    "evidence items with no excellent criteria and the ability's excellence",
    methods=("not_blocking", "blocking"),
    description=(
        "'not_blocking': the 优秀 rule is applied over the items that have criteria; 'blocking': an item "
        "without 优秀 criteria keeps the ability from 优秀."
    ),
)
IN_PRINCIPLE_LIMITS = spec(
    "assess.in_principle_limits",
    Kind.METHOD,
    Scope.GRADING,
    "“原则上/一般”时长限制被超出时",
    "a time limit stated 'in principle', when exceeded",
    methods=("warn", "fail"),
    description="'warn': reported, the item keeps its level; 'fail': the item is 不合格, as with a plain limit.",
)

EXCELLENT_SCHOOLS = spec(
    "scoring.excellent_schools",
    Kind.METHOD,
    Scope.FORM,
    "考核表“优秀”学校的确定",
    "which schools a scoring form rates excellent",
    methods=("top_ranked", "cap_only"),
    description=(
        "'top_ranked': the top-ranked passing schools, up to the cap; 'cap_only': the form states only the "
        "cap, so no school is rated 优秀 by the tool."
    ),
)
FORM_PARTS = spec(
    "scoring.parts",
    Kind.METHOD,
    Scope.FORM,
    "多部分考核项目的计分",
    "how a form item with parts is scored from its checks",
    methods=("all_or_nothing", "by_part"),
    description="'all_or_nothing': full points when every check holds, else 0; 'by_part': an equal share per check.",
)
CAP_OF = spec(
    "scoring.excellent_cap_of",
    Kind.METHOD,
    Scope.FORM,
    "优秀比例“总数”的口径",
    "what the excellent cap's total counts",
    methods=("batch", "district"),
    description="'batch': the schools scored together; 'district': the district's number of schools (given).",
)

#: the readings' specs, in catalogue order
SPECS = (
    BEFORE_EXCLUSIVE,
    PENDING_FAILS,
    COURSE_HOURS,
    ITEMS_WITHOUT_CRITERIA,
    IN_PRINCIPLE_LIMITS,
    EXCELLENT_SCHOOLS,
    FORM_PARTS,
    CAP_OF,
)


def course_hours_reading(policy: Policy | None) -> str:
    """``summary.course_hours`` of ``policy``: ``every_hours_rule`` when it states none (or without a policy)."""
    value = policy.value("summary.course_hours") if policy is not None else None
    return str(value) if value is not None else "every_hours_rule"


def final_deadline(policy: Policy) -> dt.date | None:
    """The latest end among the policy's phases (after the "X日前" reading), ``None`` without phases."""
    return max((phase.end for _, phase in policy.phases()), default=None)


def _late_message(column: RuleColumn, index: int, lang: str) -> str:
    title = column.title if lang == "zh" else column.title_en
    waiting = int(column.value[index])
    deadline = str(column.limit)
    if not bool(column.ok[index]):
        if lang == "zh":
            return f"{title}: 最终期限 {deadline} 已过，仍有 {waiting} 个能力点未考核，不合格"
        return f"{title}: the final deadline {deadline} has passed with {waiting} abilities not graded: fail"
    if waiting == 0:
        return f"{title}: 无待评能力点" if lang == "zh" else f"{title}: no ability waiting for a grade"
    if lang == "zh":
        return f"{title}: 最终期限 {deadline} 未过，待评"
    return f"{title}: the final deadline {deadline} has not passed: pending"


class PendingAfterDeadline(RuleKind):
    """``grading.pending_fails_after_deadline``: after the final deadline, pending fails."""

    name = "grading.pending_fails_after_deadline"
    specs = (PENDING_FAILS,)

    def evaluate(self, batch: Batch, rule: ResolvedRule) -> RuleColumn:
        """Per teacher: the abilities not graded; fails when some remain after the final deadline."""
        import numpy as np

        policy = batch.policy
        deadline = final_deadline(policy)
        late = deadline is not None and policy.on > deadline
        waiting: Any = batch.n_ungraded
        ok = ~((waiting > 0) & late) if late else np.ones(batch.n, dtype=bool)
        limit = deadline.isoformat() if deadline is not None else "—"
        return self.column(rule, waiting, ok, limit, "", formatter=_late_message)
