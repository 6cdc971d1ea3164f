"""Facts about schools, groups and teachers that an optional input gives: plans, teams, videos.

Some clauses bind a school or a research group (a 信息化管理团队, a 首席信息官, a
研修活动实施方案, a group's research plan) or need a roster column the contract does not
require (a teacher's personal 研修计划, the environment a teacher was assigned). Their facts
come from the school table (:mod:`ability2.schools`) or from optional roster columns.
Without that input a rule here is not checked: it is listed in ``Result.unchecked`` with the
reason, and passes or fails no one. With it, a blank cell fails the rule ("not given").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from ability2.roster import Column
from ability2.rules.bounds import Direction
from ability2.rules.compare import apply_bound
from ability2.rules.hours import bound_of
from ability2.rules.kind import RuleKind
from ability2.rules.spec import Kind, RuleSpec, Scope, spec
from ability2.rules.types import ValueType
from ability2.schools import SCHOOL_COLUMNS

if TYPE_CHECKING:
    import numpy as np

    from ability2.batch import Batch
    from ability2.policy import ResolvedRule
    from ability2.result import RuleColumn

__all__ = [
    "COUNT_RANGE",
    "SPECS",
    "AssignedEnvironment",
    "CountRange",
    "SchoolFactCount",
    "SchoolFactFlag",
    "TeacherFactFlag",
]

_SCHOOL = {column.name: column for column in SCHOOL_COLUMNS}


# -- a whole-number range ("3-5人"), both ends included --------------------------------------


@attrs.frozen
class CountRange:
    """A whole-number range such as 3–5 (人); both ends are included."""

    min: int
    max: int

    def holds(self, value: int) -> bool:
        """Whether ``value`` lies inside the range (both ends included)."""
        return self.min <= value <= self.max


def _parse_range(data: Any, context: Any) -> CountRange:
    if not isinstance(data, dict) or set(data) != {"min", "max"}:
        raise TypeError(f"expected a mapping with keys min and max, such as {{min: 3, max: 5}}, got {data!r}")
    low, high = data["min"], data["max"]
    for value in (low, high):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise TypeError(f"expected whole numbers ≥ 0, got {data!r}")
    if low > high:
        raise ValueError(f"min {low} is above max {high}")
    return CountRange(low, high)


def _show_range(value: Any, lang: str) -> str:
    return f"{value.min}–{value.max}"


#: a range of whole numbers, both ends included: ``{min: 3, max: 5}`` for "3-5人"
COUNT_RANGE = ValueType(
    "count_range", _parse_range, _show_range, description="a whole-number range, both ends included: {min: 3, max: 5}"
)


# -- specs -------------------------------------------------------------------------------------


def _school_flag(rule_id: str, column: str, title: str, title_en: str, scope: Scope = Scope.SCHOOL) -> RuleSpec:
    fact = _SCHOOL[column]
    table = "the school table's group rows" if scope is Scope.GROUP else "the school table"
    return spec(
        rule_id,
        Kind.FLAG,
        scope,
        title,
        title_en,
        description=f"When true, {table} must say yes in column {fact.name} ({fact.alias}): {fact.meaning}.",
    )


IT_TEAM = _school_flag("school.it_team", "it_team", "学校信息化管理团队", "the school's IT management team")
IT_TEAM_SIZE = spec(
    "school.it_team_size",
    COUNT_RANGE,
    Scope.SCHOOL,
    "学校信息化管理团队人数",
    "size of the school's IT management team",
    description="The school table's it_team_size (管理团队人数) lies in the range, both ends included.",
)
CIO = _school_flag("school.cio", "cio", "学校首席信息官(CIO)", "the school's chief information officer (CIO)")
CIO_IS_LEADER = _school_flag(
    "school.cio_is_leader", "cio_is_leader", "首席信息官由校领导担任", "the CIO is one of the school's leaders"
)
DEVELOPMENT_PLAN = _school_flag(
    "school.development_plan", "development_plan", "学校信息化发展规划", "the school's IT development plan"
)
DEVELOPMENT_PLAN_FILED = _school_flag(
    "school.development_plan_filed",
    "development_plan_filed",
    "学校发展规划盖章报上级备案",
    "the school's development plan sealed and filed with the office above",
)
ACTIVITY_PLAN = _school_flag(
    "school.activity_plan", "activity_plan", "学校研修活动实施方案", "the school's plan of research activities"
)
RESEARCH_SCHEME = _school_flag(
    "school.research_scheme", "research_scheme", "学校信息化校本研修方案", "the school's school-based research scheme"
)
ASSESSMENT_SCHEME = _school_flag(
    "school.assessment_scheme", "assessment_scheme", "学校考核方案", "the school's assessment scheme"
)
IT_COMPETITION = _school_flag(
    "school.it_competition",
    "it_competition",
    "开展信息技术融合教学能力竞赛",
    "a competition in IT-integrated teaching held",
)
GROUP_RESEARCH_PLAN = _school_flag(
    "group.research_plan", "research_plan", "教研组研修计划", "the research group's research plan", Scope.GROUP
)
GROUP_VIDEO_MINUTES = spec(
    "group.activity_video_minutes_min",
    Kind.COUNT,
    Scope.GROUP,
    "教研组集中教研视频时长下限(分钟)",
    "minutes of the group's video of a collective research activity, floor",
    Direction.MIN,
    description="The school table's group rows, column activity_video_minutes (集中教研视频时长).",
)

#: the roster columns teacher facts come from (optional: without them the rule is not checked)
TEACHER_RESEARCH_PLAN_COLUMN = Column(
    "research_plan", "个人研修计划", False, "yes/no: the teacher made a personal 研修计划"
)
ASSIGNED_ENVIRONMENT_COLUMN = Column(
    "assigned_environment",
    "分工环境",
    False,
    "the environment the school assigned: multimedia/hybrid/smart or 多媒体/混合/智慧",
)
CHANGE_CONFIRMED_COLUMN = Column(
    "environment_change_confirmed",
    "环境改动已确认",
    False,
    "yes/no: the school admin confirmed a change of environment",
)

TEACHER_RESEARCH_PLAN = spec(
    "teacher.research_plan",
    Kind.FLAG,
    Scope.TEACHER,
    "教师个人研修计划",
    "the teacher's personal research plan",
    description="When true, the roster's research_plan (个人研修计划) column must say yes.",
)
ASSIGNED_ENVIRONMENT = spec(
    "selection.assigned_environment",
    Kind.FLAG,
    Scope.TEACHER,
    "按分工环境选学能力点",
    "abilities chosen in the assigned environment",
    description=(
        "When true, every ability a teacher chose lies in the environment of the roster's "
        "assigned_environment (分工环境) column, unless environment_change_confirmed (环境改动已确认) says yes."
    ),
)
SCHOOL_BASED_CREDIT = spec(
    "credit.school_based_training",
    Kind.FLAG,
    Scope.REGION,
    "计入校本培训学分",
    "results credited as school-based training credit",
    description="The school credits a passed teacher with 校本培训学分; no amount is stated. Recorded.",
)

#: the family's specs, in catalogue order
SPECS = (
    TEACHER_RESEARCH_PLAN,
    ASSIGNED_ENVIRONMENT,
    GROUP_RESEARCH_PLAN,
    GROUP_VIDEO_MINUTES,
    IT_TEAM,
    IT_TEAM_SIZE,
    CIO,
    CIO_IS_LEADER,
    DEVELOPMENT_PLAN,
    DEVELOPMENT_PLAN_FILED,
    ACTIVITY_PLAN,
    RESEARCH_SCHEME,
    ASSESSMENT_SCHEME,
    IT_COMPETITION,
    SCHOOL_BASED_CREDIT,
)


# -- what is missing ---------------------------------------------------------------------------


def _missing_school_column(batch: Batch, rule: ResolvedRule, column: Column) -> tuple[str, str] | None:
    if batch.schools is None:
        return ("需要学校信息表（--schools）", "needs a school table (--schools)")
    if not batch.has_fact(column):
        return (
            f"学校信息表没有“{column.alias}”（{column.name}）列",
            f"the school table has no {column.name} ({column.alias}) column",
        )
    if rule.spec.scope is Scope.GROUP:
        if batch.group_idx is None:
            return ("花名册没有教研组列", "the roster has no group column")
        if not batch.schools.has_group_rows:
            return (
                "学校信息表没有教研组行（教研组列为空或缺失）",
                "the school table has no group rows (no group column, or none filled in)",
            )
    return None


def _missing_roster_column(batch: Batch, column: Column) -> tuple[str, str] | None:
    if batch.has_column(column):
        return None
    return (
        f"花名册没有“{column.alias}”（{column.name}）列",
        f"the roster has no {column.name} ({column.alias}) column",
    )


_WORDS = {"yes": ("是", "yes"), "no": ("否", "no"), "not given": ("未填写", "not given")}


def _flag_message(column: RuleColumn, index: int, lang: str) -> str:
    title = column.title if lang == "zh" else column.title_en
    value = str(column.value[index])
    word = _WORDS.get(value, (value, value))[0 if lang == "zh" else 1]
    if bool(column.ok[index]):
        return f"{title}: {word}"
    if value == "not given":
        return f"{title}: 未填写（要求: 是）" if lang == "zh" else f"{title}: not given (required: yes)"
    return f"{title}: {word}（要求: 是）" if lang == "zh" else f"{title}: {word} (required: yes)"


def _flag_column(kind: RuleKind, rule: ResolvedRule, flags: np.ndarray[Any, Any]) -> RuleColumn:
    import numpy as np

    value = np.where(flags == 1, "yes", np.where(flags == 0, "no", "not given")).astype(object)
    return kind.column(rule, value, flags == 1, "yes", formatter=_flag_message)


# -- kinds -------------------------------------------------------------------------------------


class SchoolFactFlag(RuleKind):
    """A yes/no fact of the school table that must be yes: per school, or per research group."""

    name = "facts.school_flag"
    specs = (
        GROUP_RESEARCH_PLAN,
        IT_TEAM,
        CIO,
        CIO_IS_LEADER,
        DEVELOPMENT_PLAN,
        DEVELOPMENT_PLAN_FILED,
        ACTIVITY_PLAN,
        RESEARCH_SCHEME,
        ASSESSMENT_SCHEME,
        IT_COMPETITION,
    )
    columns: ClassVar[dict[str, Column]] = {
        GROUP_RESEARCH_PLAN.id: _SCHOOL["research_plan"],
        IT_TEAM.id: _SCHOOL["it_team"],
        CIO.id: _SCHOOL["cio"],
        CIO_IS_LEADER.id: _SCHOOL["cio_is_leader"],
        DEVELOPMENT_PLAN.id: _SCHOOL["development_plan"],
        DEVELOPMENT_PLAN_FILED.id: _SCHOOL["development_plan_filed"],
        ACTIVITY_PLAN.id: _SCHOOL["activity_plan"],
        RESEARCH_SCHEME.id: _SCHOOL["research_scheme"],
        ASSESSMENT_SCHEME.id: _SCHOOL["assessment_scheme"],
        IT_COMPETITION.id: _SCHOOL["it_competition"],
    }

    def missing_input(self, batch: Batch, rule: ResolvedRule) -> tuple[str, str] | None:
        """No school table, or no such column in it (or, for a group fact, no group column)."""
        return _missing_school_column(batch, rule, self.columns[rule.spec.id])

    def evaluate(self, batch: Batch, rule: ResolvedRule) -> RuleColumn | None:
        """Per school (or group): the fact says yes."""
        if not rule.value:
            return None
        column = self.columns[rule.spec.id]
        if rule.spec.scope is Scope.GROUP:
            return _flag_column(self, rule, batch.group_fact(column, "flag"))
        return _flag_column(self, rule, batch.school_fact(column, "flag"))


def _count_message(column: RuleColumn, index: int, lang: str) -> str:
    title = column.title if lang == "zh" else column.title_en
    value = column.value[index]
    if value is None:
        return f"{title}: 学校信息表未填写" if lang == "zh" else f"{title}: not given in the school table"
    if isinstance(column.limit, str):  # a range
        inside = bool(column.ok[index])
        if lang == "zh":
            return f"{title}: {value}，{'在' if inside else '不在'} {column.limit} 之内"
        return f"{title}: {value}, {'inside' if inside else 'outside'} {column.limit}"
    return column.standard_message(index, lang)


class SchoolFactCount(RuleKind):
    """A number of the school table against a limit (by its word) or a range (both ends included)."""

    name = "facts.school_count"
    specs = (GROUP_VIDEO_MINUTES, IT_TEAM_SIZE)
    columns: ClassVar[dict[str, Column]] = {
        GROUP_VIDEO_MINUTES.id: _SCHOOL["activity_video_minutes"],
        IT_TEAM_SIZE.id: _SCHOOL["it_team_size"],
    }

    def missing_input(self, batch: Batch, rule: ResolvedRule) -> tuple[str, str] | None:
        """No school table, or no such column in it (or, for a group fact, no group column)."""
        return _missing_school_column(batch, rule, self.columns[rule.spec.id])

    def evaluate(self, batch: Batch, rule: ResolvedRule) -> RuleColumn:
        """Per school (or group): the number, checked exactly."""
        from fractions import Fraction

        import numpy as np

        column = self.columns[rule.spec.id]
        group = rule.spec.scope is Scope.GROUP
        kind_of_number: Any = "whole" if isinstance(rule.value, CountRange) else "number"
        numbers = batch.group_fact(column, kind_of_number) if group else batch.school_fact(column, kind_of_number)
        given = ~np.isnan(numbers)
        value = np.array(
            [None if np.isnan(x) else (int(x) if float(x).is_integer() else float(x)) for x in numbers], dtype=object
        )
        if isinstance(rule.value, CountRange):
            ok = given & (numbers >= rule.value.min) & (numbers <= rule.value.max)
            limit: Any = f"{rule.value.min}–{rule.value.max}"
        else:
            limit_value = Fraction(rule.value)
            # whole numbers compare exactly; a fractional cell compares as given
            ok = given & apply_bound(
                bound_of(rule), np.where(given, numbers, 0) * limit_value.denominator, limit_value.numerator
            )
            limit = rule.value
        return self.column(rule, value, ok, limit, formatter=_count_message)


class TeacherFactFlag(RuleKind):
    """A yes/no roster column a teacher must have as yes (an optional column: without it, not checked)."""

    name = "facts.teacher_flag"
    specs = (TEACHER_RESEARCH_PLAN,)
    columns: ClassVar[dict[str, Column]] = {TEACHER_RESEARCH_PLAN.id: TEACHER_RESEARCH_PLAN_COLUMN}

    def missing_input(self, batch: Batch, rule: ResolvedRule) -> tuple[str, str] | None:
        """The roster has no such column."""
        return _missing_roster_column(batch, self.columns[rule.spec.id])

    def evaluate(self, batch: Batch, rule: ResolvedRule) -> RuleColumn | None:
        """Per teacher: the column says yes."""
        if not rule.value:
            return None
        return _flag_column(self, rule, batch.column(self.columns[rule.spec.id], "flag"))


_ENVIRONMENT_WORDS = {
    "within": ("均在分工环境内", "all in the assigned environment"),
    "confirmed change": ("超出分工环境，改动已确认", "outside the assigned environment, change confirmed"),
    "outside": ("有能力点不在分工环境内，改动未确认", "outside the assigned environment, change not confirmed"),
    "not given": ("未填写分工环境", "no assigned environment given"),
}


def _environment_message(column: RuleColumn, index: int, lang: str) -> str:
    title = column.title if lang == "zh" else column.title_en
    value = str(column.value[index])
    return f"{title}: {_ENVIRONMENT_WORDS.get(value, (value, value))[0 if lang == 'zh' else 1]}"


class AssignedEnvironment(RuleKind):
    """A teacher's abilities lie in the environment the school assigned, unless a change was confirmed."""

    name = "selection.assigned_environment"
    specs = (ASSIGNED_ENVIRONMENT,)

    def missing_input(self, batch: Batch, rule: ResolvedRule) -> tuple[str, str] | None:
        """The roster has no assigned_environment (分工环境) column."""
        return _missing_roster_column(batch, ASSIGNED_ENVIRONMENT_COLUMN)

    def evaluate(self, batch: Batch, rule: ResolvedRule) -> RuleColumn | None:
        """Per teacher: ``within``, ``confirmed change``, ``outside`` or ``not given``."""
        import numpy as np

        from ability2.errors import RosterError, RosterProblem

        if not rule.value:
            return None
        environments = batch.policy.framework.environments
        names = {}
        for position, env in enumerate(environments):
            for name in (env.id, env.name, env.short_name, env.letter):
                names[name.casefold()] = position
        texts = batch.column(ASSIGNED_ENVIRONMENT_COLUMN, "text")
        assigned = np.full(batch.n, -1, dtype=np.int64)
        problems: list[RosterProblem] = []
        for i, text in enumerate(texts):
            cell = str(text).strip()
            if not cell:
                continue
            found = names.get(cell.casefold())
            if found is None:
                from ability2.messages import msg

                problems.append(
                    RosterProblem(
                        batch.roster.source,
                        batch.roster.row_number(i),
                        ASSIGNED_ENVIRONMENT_COLUMN.name,
                        msg("eval.not_environment", text=cell[:40]),
                        alias=ASSIGNED_ENVIRONMENT_COLUMN.alias,
                    )
                )
                continue
            assigned[i] = found
        if problems:
            raise RosterError(problems[:50])
        confirmed = (
            batch.column(CHANGE_CONFIRMED_COLUMN, "flag") == 1
            if batch.has_column(CHANGE_CONFIRMED_COLUMN)
            else np.zeros(batch.n, dtype=bool)
        )
        inside = (batch.env_mask & ~np.left_shift(np.int64(1), np.maximum(assigned, 0))) == 0
        given = assigned >= 0
        ok = given & (inside | confirmed)
        value = np.where(
            ~given, "not given", np.where(inside, "within", np.where(confirmed, "confirmed change", "outside"))
        ).astype(object)
        return self.column(rule, value, ok, "the assigned environment", formatter=_environment_message)
