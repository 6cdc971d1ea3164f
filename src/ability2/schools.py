"""The school table: facts about schools and research groups that a teacher roster cannot carry.

Some clauses bind a school, not a teacher: a 信息化管理团队 led by the principal, a 首席信息官,
a 研修活动实施方案, a development plan filed with the office above. A school table gives
those facts, one row per school (and, for facts about a research group, one row per
school and group). It is optional: without it, the rules that need it are listed as not
checked (``Result.unchecked``), never passed or failed on made-up data.

Reading (CSV, XLSX, pandas or polars) follows the roster's rules
(:func:`ability2.io.schools.read_schools`); the columns the core's rules read are
:data:`SCHOOL_COLUMNS`. A plugin's kind may read any other column by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from ability2.roster import Column

if TYPE_CHECKING:
    import numpy as np
    import polars as pl

__all__ = ["SCHOOL_COLUMNS", "SCHOOL_KEYS", "SchoolTable"]

#: the columns that say which school (and group) a row is about
SCHOOL_KEYS: tuple[Column, ...] = (
    Column("school", "学校", True, "the school's name or id, exactly as in the roster"),
    Column("group", "教研组", False, "a research group of the school: the row's facts are about the group"),
)

#: the facts the core's rules read (yes/no unless said otherwise)
SCHOOL_COLUMNS: tuple[Column, ...] = (
    Column("it_team", "信息化管理团队", False, "the school has its 信息化管理团队, led by the principal"),
    Column("it_team_size", "管理团队人数", False, "how many people the team has (a whole number)"),
    Column("cio", "首席信息官", False, "the school has appointed a 首席信息官 (CIO)"),
    Column("cio_is_leader", "首席信息官由校领导担任", False, "the CIO is a member of the school's leadership"),
    Column("activity_plan", "研修活动实施方案", False, "the school has made its 研修活动实施方案"),
    Column("development_plan", "信息化发展规划", False, "the school has made its 信息化(教育教学)发展规划"),
    Column("development_plan_filed", "发展规划已备案", False, "the plan was sealed and filed with the office above"),
    Column("research_scheme", "校本研修方案", False, "the school has made its 信息化校本研修方案"),
    Column("assessment_scheme", "考核方案", False, "the school has made its 考核方案"),
    Column("it_competition", "信息技术融合教学能力竞赛", False, "the school held the competition"),
    Column("research_plan", "教研组研修计划", False, "(a group row) the group has made its 研修计划"),
    Column(
        "activity_video_minutes",
        "集中教研视频时长",
        False,
        "(a group row) minutes of the group's video of a collective research activity",
    ),
)


@attrs.frozen(eq=False)
class SchoolTable:
    """A validated school table: one row per school (group blank) or per school and group.

    ``frame`` holds every column as text (``""`` when blank) under the header as written,
    with ``school`` and ``group`` under their canonical names; ``rows`` the row number a
    spreadsheet shows for each row.
    """

    source: str
    frame: pl.DataFrame
    rows: np.ndarray[Any, Any]
    headers: Mapping[str, str] = attrs.field(factory=dict)
    _typed: dict[tuple[str, str], Any] = attrs.field(factory=dict, init=False, repr=False)

    def __len__(self) -> int:
        return self.frame.height

    def __repr__(self) -> str:
        return f"<SchoolTable {self.source}: {len(self)} rows>"

    @property
    def keys(self) -> list[tuple[str, str]]:
        """Each row's ``(school, group)``; the group is ``""`` for a school's own row."""
        schools = self.frame.get_column("school").to_list()
        groups = self.frame.get_column("group").to_list() if "group" in self.frame.columns else [""] * len(self)
        return list(zip(schools, groups, strict=True))

    def find(self, column: Column | str) -> str | None:
        """The table's name for ``column`` (canonical name or Chinese alias), or ``None``.

        The core's fact columns (:data:`SCHOOL_COLUMNS`) are stored under their canonical
        names, whichever name or case the file used.
        """
        names = (column.name, column.alias) if isinstance(column, Column) else (column,)
        for name in names:
            if name in self.frame.columns and name not in ("school", "group"):
                return name
        return None

    @property
    def has_group_rows(self) -> bool:
        """Whether any row is about a research group (a ``group`` cell filled in)."""
        return any(group for _, group in self.keys)

    def typed(self, name: str, type: str) -> np.ndarray[Any, Any]:
        """Column ``name`` read as ``text``, ``number``, ``date`` or ``flag`` (see :meth:`ability2.Batch.column`)."""
        from ability2.batch import _parse_texts
        from ability2.errors import SchoolTableError

        key = (name, type)
        if key not in self._typed:
            texts = [str(v) for v in self.frame.get_column(name).to_list()]
            values, bad = _parse_texts(texts, type)  # type: ignore[arg-type]
            if bad:
                from ability2.errors import RosterProblem

                aliases = {column.name: column.alias for column in SCHOOL_COLUMNS}
                raise SchoolTableError(
                    [
                        RosterProblem(self.source, int(self.rows[i]), name, message, alias=aliases.get(name))
                        for i, message in bad[:50]
                    ]
                )
            self._typed[key] = values
        cached: np.ndarray[Any, Any] = self._typed[key]
        return cached
