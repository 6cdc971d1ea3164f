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
  This is the default reading of ``summary.course_hours`` (``every_hours_rule``); a policy
  (or a what-if) that sets it to ``online`` counts only the rules tagged ``online`` (the
  online course hours, 线上选学).
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
    "school_codes",
    "sources",
    "status_label",
    "summary_columns",
    "summary_table",
    "text",
    "text_codes",
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
    counts = result._grade_counts
    if counts is not None:  # the evaluator counted them per teacher: no pass over every selection
        _, ungraded, failed, _, _ = counts
        return np.asarray(ungraded) == 0, np.asarray(failed) == 0
    grades = np.asarray(roster.grades)

    def per_teacher(flags: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        cumulative = np.concatenate([[0], np.cumsum(flags.astype(np.int64))])
        counts: np.ndarray[Any, Any] = cumulative[offsets[1:]] - cumulative[offsets[:-1]]
        return counts

    return per_teacher(grades < 0) == 0, per_teacher(grades == 0) == 0


def text_codes(values: Any, factorized: Any = None) -> tuple[np.ndarray[Any, Any], list[str]]:
    """``(codes, texts)``: value ``i`` reads ``texts[codes[i]]`` (``str`` of each distinct value).

    ``factorized`` (a :class:`~ability2.roster.Factorized` the roster reader made for these
    values) is used as is; else the values are coded here, in order of first appearance.
    """
    import numpy as np

    if factorized is not None and len(factorized.codes) == len(values):
        return np.asarray(factorized.codes, dtype=np.int64), list(factorized.values)
    seen: dict[Any, int] = {}
    items = np.asarray(values, dtype=object).tolist()
    codes = np.fromiter((seen.setdefault(value, len(seen)) for value in items), dtype=np.int64, count=len(items))
    return codes, [str(value) for value in seen]


def school_codes(result: Result) -> tuple[np.ndarray[Any, Any], list[str]]:
    """Each teacher's school as :func:`text_codes` (the roster reader's codes when the result has them)."""
    roster = result.roster
    factorized = None
    if roster is not None and roster.school is result.teacher_schools:
        factorized = roster.factorized.get("school")
    return text_codes(result.teacher_schools, factorized)


def _positions(names: list[str], result: Result) -> np.ndarray[Any, Any]:
    """Each teacher's school's position in ``names`` (the last one when a name repeats), ``-1`` when absent.

    Each distinct school is looked up once (a province has a million teachers in 50,000 schools).
    """
    import numpy as np

    if not len(result):
        return np.zeros(0, dtype=np.int64)
    codes, texts = school_codes(result)
    position = {name: i for i, name in enumerate(names)}
    found = np.array([position.get(text, -1) for text in texts], dtype=np.int64)
    positions: np.ndarray[Any, Any] = found[codes]
    return positions


def _rates(counts: np.ndarray[Any, Any], totals: np.ndarray[Any, Any]) -> list[float]:
    """``round(count / total, 6)`` (0.0 without a total) per pair, each distinct pair computed once."""
    import numpy as np

    key = counts.astype(np.int64) * (int(totals.max(initial=0)) + 1) + totals.astype(np.int64)
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    rates = [round(int(counts[i]) / int(totals[i]), 6) if totals[i] else 0.0 for i in first.tolist()]
    return [rates[i] for i in inverse.reshape(-1).tolist()]


def summary_columns(result: Result, lang: str = "zh") -> dict[str, list[Any]]:
    """:func:`summary_table`'s columns as lists (header -> values, the total last), without pandas."""
    import numpy as np

    size = len(result)
    coded = result._status_codes()
    if coded is not None:  # the evaluator's codes: no text compared per teacher
        codes, words = coded
        codes = np.asarray(codes)
        passed = (codes == words.index("pass")) | (codes == words.index("excellent"))
        assessed = codes != words.index("pending")
    else:
        status = np.asarray(result.status, dtype=object)
        passed = (status == "pass") | (status == "excellent")
        assessed = status != "pending"
    columns = {column.rule: column for column in result.teacher_columns}
    tags = _tags_of(result)

    def tagged(tag: str) -> list[Any]:
        return [column for rule, column in columns.items() if tag in tags.get(rule, ())]

    from ability2.rules.readings import course_hours_reading

    hours = np.ones(size, dtype=bool)
    course_tag = "online" if course_hours_reading(result.policy) == "online" else "hours"
    for column in tagged(course_tag):
        hours &= _ok(column)

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
    school_index = _positions(names, result)
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
    # one row per school, then the total: column by column, each rate rounded once per distinct (count, total)
    totals = np.append(counts[0], counts[0].sum())
    header = SUMMARY_COLUMNS_EN if lang == "en" else SUMMARY_COLUMNS
    data: dict[str, list[Any]] = {header[0]: [*names, text("total", lang)], header[1]: totals.tolist()}
    for number, count in enumerate(counts[1:]):
        values = np.append(count, count.sum())
        data[header[2 + 2 * number]] = values.tolist()
        data[header[3 + 2 * number]] = _rates(values, totals)
    return data


def summary_table(result: Result, lang: str = "zh") -> pd.DataFrame:
    """The 参训人员情况汇总表 of 附件2: one row per school, then 合计 (see the module docstring)."""
    import pandas as pd

    header = SUMMARY_COLUMNS_EN if lang == "en" else SUMMARY_COLUMNS
    frame = pd.DataFrame(summary_columns(result, lang), columns=list(header))
    for col in (1, 2, 4, 6, 8):
        frame[header[col]] = frame[header[col]].astype("int64")
    for col in SUMMARY_RATE_COLUMNS:
        frame[header[col]] = frame[header[col]].astype("float64")
    return frame
