"""The 参训人员情况汇总表 (summary of participants) of 兖教体发〔2022〕82号 附件2.

The form (seed 004, 附件2) has one row per school and exactly these columns, in this order::

    学校名称 | 老师人数 | 合格人数 | 合格率 | 课程学时合格人数 | 课程学时合格率 |
    校本应用考核合格人数 | 校本应用合格率 | 校本实践活动完成数 | 校本实践活动完成率

The form names the columns but does not define them. Reading decision (how each column is
computed from a :class:`~ability2.result.Result`):

* **老师人数**: the school's teachers in the roster.
* **合格人数**: teachers whose status is ``pass`` or ``excellent`` (the ``passed`` count of
  contract §3.1).
* **课程学时合格人数**: teachers for whom every teacher rule tagged ``hours`` holds (the
  core's: online, offline, total hours, practice share, peer review before offline hours
  count; a plugin's rule with the tag counts too). All teachers when the policy has none.
* **校本应用考核合格人数**: teachers for whom the rule tagged ``grading`` (the core's
  ``grading.teacher``) holds (no ability graded 不合格) and whose status is not ``pending``;
  when the result still has its roster, every selected ability must also carry a grade (a
  teacher who failed on hours with ungraded abilities has not passed the 校本应用考核
  either). Without a grading rule only the grade conditions apply.
* **校本实践活动完成数**: teachers for whom the rules tagged ``practice`` hold (the core's
  ``hours.offline_min`` and ``hours.offline_requires_peer_review``, those the policy has; all
  teachers when it has none): the offline school-based practice done and reviewed.
* **rates**: the count divided by 老师人数, as a fraction 0..1 (0 for a school without
  teachers); a report formats them as percentages.

One row per school in the result's order (first appearance in the roster), then a final
合计 row over all schools. ``lang="en"`` gives English column names and ``Total``.

This module also holds the small labels shared by every report (statuses, scopes, the
rule sources), so the report writers agree on words.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from ability2.i18n import entity_status_label, label, status_label

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from ability2.result import Result, RuleColumn

__all__ = [
    "SUMMARY_COLUMNS",
    "SUMMARY_COLUMNS_EN",
    "SUMMARY_RATE_COLUMNS",
    "SourceRow",
    "entity_status_label",
    "region_title",
    "sources",
    "status_label",
    "summary_columns",
    "summary_table",
    "text",
]

#: the columns of 附件2 参训人员情况汇总表, in the form's order
SUMMARY_COLUMNS: tuple[str, ...] = (
    "学校名称",
    "老师人数",
    "合格人数",
    "合格率",
    "课程学时合格人数",
    "课程学时合格率",
    "校本应用考核合格人数",
    "校本应用合格率",
    "校本实践活动完成数",
    "校本实践活动完成率",
)

#: the same columns in English (``lang="en"``)
SUMMARY_COLUMNS_EN: tuple[str, ...] = (
    "School",
    "Teachers",
    "Passed",
    "Pass rate",
    "Course hours passed",
    "Course hours pass rate",
    "School-based assessment passed",
    "School-based assessment pass rate",
    "School-based practice completed",
    "School-based practice completion rate",
)

#: positions of the rate columns (fractions 0..1)
SUMMARY_RATE_COLUMNS: tuple[int, ...] = (3, 5, 7, 9)


def _tags_of(result: Result) -> dict[str, tuple[str, ...]]:
    """Each rule's tags: from the result's policy, else (a result read back from JSON) the built-in specs."""
    from ability2.rules.catalogue import builtin_catalogue

    catalogue = result.policy.catalogue if result.policy is not None else builtin_catalogue()
    out: dict[str, tuple[str, ...]] = {}
    for column in result.teacher_columns:
        spec = catalogue.find(column.rule)
        out[column.rule] = spec.tags if spec is not None else ()
    return out


def text(key: str, lang: str = "zh") -> str:
    """A report label in ``lang`` (unknown keys come back as is)."""
    return label(key, lang, "report")


def region_title(result: Result, lang: str = "zh") -> str:
    """The region in words: its names along the chain (山东省 济宁市 兖州区) and its id."""
    policy = result.policy
    if policy is None:
        return result.region
    names = []
    for region in policy.chain:
        if region.id == "cn" and len(policy.chain) > 1:
            continue
        name = region.name_en if lang == "en" and region.name_en else region.name
        names.append(name)
    if not names:
        return result.region
    return f"{' '.join(names)} ({result.region})"


@attrs.frozen
class SourceRow:
    """One rule of the result with its meaning, scope, layer and source (for 说明 sections)."""

    rule: str
    title: str
    scope: str
    layer: str
    source: str


def _title(column: RuleColumn, lang: str) -> str:
    title = column.title_en if lang == "en" else column.title
    return title or column.rule


def sources(result: Result, lang: str = "zh") -> list[SourceRow]:
    """Every rule the result applies (teacher rules, then group checks, then school checks)."""
    rows: list[SourceRow] = []
    for scope, columns in (
        ("scope_teacher", result.teacher_columns),
        ("scope_group", result.group_columns),
        ("scope_school", result.school_columns),
    ):
        for column in columns:
            rows.append(SourceRow(column.rule, _title(column, lang), text(scope, lang), column.layer, column.source))
    return rows


def _ok(column: RuleColumn) -> np.ndarray[Any, Any]:
    import numpy as np

    return np.asarray(column.ok, dtype=bool)


def _grade_flags(result: Result, size: int) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]] | None:
    """Per teacher: every selected ability graded, and none graded 不合格 (``None`` without the roster)."""
    import numpy as np

    roster = result.roster
    if roster is None or len(roster) != size:
        return None
    offsets = np.asarray(roster.ability_offsets, dtype=np.int64)
    if not roster.has_grades:
        return np.diff(offsets) == 0, np.ones(size, dtype=bool)
    grades = np.asarray(roster.grades)

    def per_teacher(flags: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        cumulative = np.concatenate([[0], np.cumsum(flags.astype(np.int64))])
        counts: np.ndarray[Any, Any] = cumulative[offsets[1:]] - cumulative[offsets[:-1]]
        return counts

    return per_teacher(grades < 0) == 0, per_teacher(grades == 0) == 0


def summary_table(result: Result, lang: str = "zh") -> pd.DataFrame:
    """The 参训人员情况汇总表 of 附件2: one row per school, then 合计 (see the module docstring)."""
    import pandas as pd

    columns = summary_columns(result, lang)
    frame = pd.DataFrame(columns)
    header = list(columns)
    for col in (1, 2, 4, 6, 8):
        frame[header[col]] = frame[header[col]].astype("int64")
    for col in SUMMARY_RATE_COLUMNS:
        frame[header[col]] = frame[header[col]].astype("float64")
    return frame


def summary_columns(result: Result, lang: str = "zh") -> dict[str, Any]:
    """:func:`summary_table` as columns (name: list of school names, int64 counts, float64 rates), without pandas."""
    import numpy as np

    size = len(result)
    coded = result._status_codes()
    if coded is not None:  # as the evaluator coded it: compare numbers, not texts
        codes, words = coded
        passed = np.isin(codes, [i for i, word in enumerate(words) if word in ("pass", "excellent")])
        pending = np.isin(codes, [i for i, word in enumerate(words) if word == "pending"])
    else:
        status = _texts(result.status, size)
        passed = (status == "pass") | (status == "excellent")
        pending = status == "pending"
    columns = {column.rule: column for column in result.teacher_columns}
    tags = _tags_of(result)

    def tagged(tag: str) -> list[Any]:
        return [column for rule, column in columns.items() if tag in tags.get(rule, ())]

    hours = np.ones(size, dtype=bool)
    for column in tagged("hours"):
        hours &= _ok(column)

    assessed = ~pending
    grading_columns = tagged("grading")
    grading = grading_columns[0] if grading_columns else None
    for column in grading_columns:
        assessed &= _ok(column)
    flags = _grade_flags(result, size)
    if flags is not None:
        graded, no_fail = flags
        assessed &= graded
        if grading is None:
            assessed &= no_fail

    practice = np.ones(size, dtype=bool)
    for column in tagged("practice"):
        practice &= _ok(column)

    names = [str(name) for name in result.school_names]
    school_index = _school_index(result, names, size)
    known = school_index >= 0

    def per_school(mask: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        return np.bincount(school_index[known], weights=mask[known].astype(np.int64), minlength=len(names)).astype(
            np.int64
        )

    counts = [
        per_school(np.ones(size, dtype=bool)),
        per_school(passed),
        per_school(hours),
        per_school(assessed),
        per_school(practice),
    ]
    counts = [np.append(count[: len(names)], count[: len(names)].sum()) for count in counts]
    totals = counts[0]
    header = SUMMARY_COLUMNS_EN if lang == "en" else SUMMARY_COLUMNS
    out: dict[str, Any] = {header[0]: [*names, text("total", lang)], header[1]: totals}
    for i, count in enumerate(counts[1:]):
        out[header[2 + 2 * i]] = count
        out[header[3 + 2 * i]] = _rates(count, totals)
    return out


def _texts(values: Any, size: int) -> np.ndarray[Any, Any]:
    """``values`` as a numpy array of ``str`` (each value's ``str``)."""
    import numpy as np

    array = np.asarray(values, dtype=object) if size else np.zeros(0, dtype=object)
    if all(type(value) is str for value in set(array.tolist())):
        return array
    return array.astype(str)


def _school_index(result: Result, names: list[str], size: int) -> np.ndarray[Any, Any]:
    """Per teacher, the position of their school in ``names`` (-1: none; a name listed twice: its last place)."""
    import numpy as np

    if not size:
        return np.zeros(0, dtype=np.int64)
    position = {name: i for i, name in enumerate(names)}
    roster = result.roster
    if roster is not None and result.teacher_schools is roster.school:
        factorized = roster.factorize("school")
        if factorized is not None and len(factorized.codes) == size:
            table = np.array([position.get(str(value), -1) for value in factorized.values] + [-1], dtype=np.int64)
            codes = np.asarray(factorized.codes, dtype=np.int64)
            return table[np.where(codes >= 0, codes, len(factorized.values))]
    schools = _texts(result.teacher_schools, size)
    distinct, inverse = np.unique(schools, return_inverse=True)
    table = np.array([position.get(value, -1) for value in distinct.tolist()], dtype=np.int64)
    index: np.ndarray[Any, Any] = table[inverse.reshape(-1)]
    return index


def _rates(counts: np.ndarray[Any, Any], totals: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """``round(count / total, 6)`` per school (0 without teachers), each distinct pair computed once."""
    import numpy as np

    if not len(counts):
        return np.zeros(0, dtype=np.float64)
    counts = np.asarray(counts, dtype=np.int64)
    totals = np.asarray(totals, dtype=np.int64)
    width = int(totals.max()) + 1
    distinct, inverse = np.unique(counts * width + totals, return_inverse=True)  # a pair as one number
    table = np.array(
        [
            round(c / t, 6) if t else 0.0
            for c, t in zip((distinct // width).tolist(), (distinct % width).tolist(), strict=True)
        ],
        dtype=np.float64,
    )
    rates: np.ndarray[Any, Any] = table[inverse.reshape(-1)]
    return rates
