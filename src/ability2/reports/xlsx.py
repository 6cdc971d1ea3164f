"""The Excel report: one workbook with the verdicts, the 附件2 summary and the sources.

Sheets (English names with ``lang="en"``):

* **教师** (Teachers): one row per teacher in roster order: id, name, school, group,
  subject (those the roster has), status in words (优秀/合格/不合格/待评) and as its code,
  the failed rules, one ✓/✗ column per rule, then the roster's passthrough columns.
* **教研组** (Groups): one row per research group, its status and each check's value with
  ✓/✗; only the header row when the roster has no groups.
* **学校** (Schools): counts, rates (formatted 0.0%), status, each check's value with ✓/✗.
* **参训人员情况汇总表** (Training summary): :func:`~ability2.reports.summary.summary_table`,
  only where the region's documents (or an ancestor's) define the table: the policy has the
  rule ``summary.table`` (:mod:`ability2.rules.tables`; 兖州's 附件2). A result without its
  policy (read back from JSON) cannot tell, and has no such sheet.
* **说明** (Sources): every rule with its meaning, scope, layer and source document.

Every sheet prints on A4 landscape, fitted to the page's width, its header row repeated on
each page, under a page header with the region, the sheet's title (the 汇总表's official
title) and the date, with "第 N 页，共 M 页" below (:mod:`ability2.reports.printing`).

Every text cell goes through :func:`~ability2.reports.safety.neutralise`, so a roster value
such as ``=HYPERLINK(...)`` is stored as the text ``'=HYPERLINK(...)``, never as a formula.
Header rows are frozen and columns sized to their content (CJK characters count double).

The sheets are described column by column from the result's arrays (a school, a status or a
✓/✗ is made once per distinct value), then written by :mod:`~ability2.reports._xlsxml` as XML
in blocks of rows, each deflated into the file as soon as it is made: a province's million
teachers take seconds and bounded memory. The cells, styles, widths, panes and filters are
those XlsxWriter wrote cell by cell before (tests/test_xlsx_layout.py compares the two). The
workbook is written only when every sheet has been described: an error leaves no file.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ability2.errors import Ability2Error
from ability2.messages import msg
from ability2.reports._xlsxml import (
    EXCEL_MAX_CELL,
    STYLES,
    Column,
    DictColumn,
    Sheet,
    Workbook,
    column,
    display_width,
    encode,
)
from ability2.reports.printing import PrintSetup
from ability2.reports.summary import (
    SUMMARY_RATE_COLUMNS,
    entity_status_label,
    region_title,
    sources,
    status_label,
    summary_columns,
    text,
)
from ability2.rules.tables import summary_table_title

if TYPE_CHECKING:
    from ability2.result import Result, RuleColumn

__all__ = ["EXCEL_MAX_CELL", "EXCEL_MAX_ROWS", "display_width", "write_xlsx"]

#: rows in one Excel worksheet, header included
EXCEL_MAX_ROWS = 1_048_576


class _Sheet(Sheet):
    """A worksheet of the report: the style names of :data:`~ability2.reports._xlsxml.STYLES` by name."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.formats: dict[str, str] = {style: style for style in STYLES}


def _rule_header(column: RuleColumn, lang: str) -> str:
    title = (column.title_en if lang == "en" else column.title) or column.rule
    if title == column.rule:
        return column.rule
    return f"{title}\n{column.rule}"


def _marks(ok: Any) -> DictColumn:
    """✓ (style ``ok``) where ``ok`` holds, ✗ (style ``bad``) where not."""
    import numpy as np

    return DictColumn(np.asarray(ok, dtype=bool).astype(np.int64), ["✗", "✓"], ["bad", "ok"])


def _statuses(
    values: Any,
    label: Callable[[str, str], str],
    formats: dict[str, str],
    lang: str,
    coded: tuple[Any, Sequence[str]] | None = None,
) -> tuple[DictColumn, DictColumn]:
    """The status in words (styled by its code) and as its code: one column each (``coded``: codes given)."""
    codes, distinct = coded if coded is not None else encode(values)
    names = [str(code) for code in distinct]
    words = DictColumn(codes, [label(name, lang) for name in names], [formats.get(name) for name in names])
    return words, DictColumn(codes, names)


def _roster_column(result: Result, name: str, values: Any) -> Column:
    """A teacher column from the roster's codes when the result still holds them (school, group, subject)."""
    roster = result.roster
    source = getattr(roster, name, None) if roster is not None else None
    if roster is not None and source is not None and source is values:
        factorized = roster.factorize(name)
        if factorized is not None and len(factorized.codes) == len(values):
            return DictColumn(factorized.codes, list(factorized.values))
    return column(values)


def _teachers_sheet(sheet: _Sheet, result: Result, lang: str) -> None:
    from ability2.result import _failed_rule_codes

    passed: dict[str, str] = {}
    data = result._teacher_data(failed=False, passed=passed, tidy=False)
    rule_ids = [column.rule for column in result.teacher_columns]
    base = ["teacher_id", "name", "school", "group"]
    leading = [name for name in base if name in data]
    has_subject = "subject" in data
    known = {*base, "subject", "status", "failed_rules", *rule_ids}
    extras = [name for name in data if name not in known]

    header = [text(name, lang) for name in leading]
    if has_subject:
        header.append(text("subject", lang))
    header += [text("status", lang), text("status_code", lang), text("failed_rules", lang)]
    header += [_rule_header(column, lang) for column in result.teacher_columns]
    header += [str(name) for name in extras]
    sheet.header(header)

    sources = {
        "teacher_id": result.teacher_ids,
        "name": result.teacher_info.get("name"),
        "school": result.teacher_schools,
        "group": result.teacher_groups,
        "subject": result.teacher_info.get("subject"),
    }
    columns: list[Column | None] = []
    for name in [*leading, *(["subject"] if has_subject else [])]:
        given = sources.get(name)
        if name in ("school", "group", "subject") and given is not None:
            columns.append(_roster_column(result, name, given))
        else:
            columns.append(column(data[name]))
    words, codes = _statuses(data["status"], status_label, sheet.formats, lang, result._status_codes())
    failed_codes, failed = _failed_rule_codes(result.teacher_columns, len(result))
    columns += [words, codes, DictColumn(failed_codes, [item.replace(";", "; ") for item in failed])]
    columns += [_marks(rule.ok) for rule in result.teacher_columns]
    columns += [_extra_column(result, passed.get(name), data[name]) for name in extras]
    sheet.set_table(columns)
    sheet.freeze = (1, 1)
    sheet.finish(len(result))


def _extra_column(result: Result, name: str | None, values: Any) -> Column:
    """A roster column passed through (``name`` in the roster): from the roster's own column while the result has it."""
    roster = result.roster
    series = roster.column(name) if roster is not None and name is not None and name in roster.extra_columns else None
    if series is not None and len(series) == len(values):
        return column(series)
    return column(values)


def _check_columns(columns: list[RuleColumn]) -> list[Column | None]:
    """Per check: its value as the JSON has it (a percentage for a share) and ✓/✗."""
    from ability2.result import _plain

    out: list[Column | None] = []
    for rule in columns:

        def style(value: Any, share: bool = rule.unit == "share") -> str | None:
            number = isinstance(value, int | float) and not isinstance(value, bool)
            return "pct" if share and number else None

        out += [column(rule.value, style, transform=_plain), _marks(rule.ok)]
    return out


def _check_header(columns: list[RuleColumn], lang: str) -> list[str]:
    names: list[str] = []
    for column_ in columns:
        names += [_rule_header(column_, lang), "✓/✗"]
    return names


def _groups_sheet(sheet: _Sheet, result: Result, lang: str) -> None:
    header = [text(name, lang) for name in ("school", "group", "teachers", "status", "status_code")]
    sheet.header(header + _check_header(result.group_columns, lang))
    keys = result.group_keys
    words, codes = _statuses(list(result.group_status), entity_status_label, sheet.formats, lang)
    columns: list[Column | None] = [
        column([key[0] for key in keys]),
        column([key[1] for key in keys]),
        column(_integers(result.group_sizes)),
        words,
        codes,
        *_check_columns(result.group_columns),
    ]
    if keys:
        sheet.set_table(columns)
    sheet.finish(len(keys))


def _integers(values: Any) -> Any:
    """``int`` of each value (as the groups table has its sizes), as a numpy array when they are integers already."""
    import numpy as np

    array = np.asarray(values)
    if array.dtype.kind in "iu":
        return array.astype(np.int64)
    return [int(value) for value in values]


def _schools_sheet(sheet: _Sheet, result: Result, lang: str) -> None:
    data = result._school_data()
    if data is None:  # read back from JSON: whatever its rows hold, through pandas
        frame = result.schools
        data = {str(name): _frame_values(frame[name]) for name in frame.columns}
    check_ids = {column.rule for column in result.school_columns}
    stats = [name for name in data if name not in check_ids and name not in ("school", "status")]
    rates = {name for name in stats if name.endswith("_rate")}
    header = (
        [text("school", lang)]
        + [text(name, lang) for name in stats]
        + [text("status", lang), text("status_code", lang)]
    )
    sheet.header(header + _check_header(result.school_columns, lang))
    if len(result.school_names) and "school" in data:
        words, codes = _statuses(data["status"], entity_status_label, sheet.formats, lang)
        columns: list[Column | None] = [column(data["school"])]
        columns += [column(data[name], "pct" if name in rates else None) for name in stats]
        columns += [words, codes, *_check_columns(result.school_columns)]
        sheet.set_table(columns)
    sheet.freeze = (1, 1)
    sheet.finish(len(result.school_names))


def _frame_values(series: Any) -> Any:
    """A pandas column's values: numbers as a numpy array, anything else as objects."""
    values = series.to_numpy()
    return values if values.dtype.kind in "biuf" else series.to_numpy(dtype=object)


def _summary_sheet(sheet: _Sheet, result: Result, lang: str) -> None:
    columns = summary_columns(result, lang)
    sheet.header([str(name) for name in columns])
    fmts = sheet.formats
    values = list(columns.values())
    last = len(values[0]) - 1  # the 合计 row
    if last > 0:
        sheet.set_table(
            [
                column(items[:last], fmts["pct"] if col in SUMMARY_RATE_COLUMNS else None)
                for col, items in enumerate(values)
            ]
        )
    for col, items in enumerate(values):
        fmt = fmts["total_pct"] if col in SUMMARY_RATE_COLUMNS else fmts["total"]
        sheet.put(last + 1, col, items[last], fmt)
    sheet.freeze = (1, 1)
    sheet.finish(0)


def _sources_sheet(sheet: _Sheet, result: Result, lang: str) -> None:
    header = [text(name, lang) for name in ("rule", "title", "scope", "layer", "source")]
    sheet.header(header)
    rows = sources(result, lang)
    wrap = sheet.formats["wrap"]
    for i, item in enumerate(rows):
        for col, value in enumerate((item.rule, item.title, item.scope, item.layer, item.source)):
            sheet.put(i + 1, col, value, wrap if col == 4 else None)
    row = len(rows) + 2
    unchecked = result.unchecked_dicts(lang)
    if unchecked:  # the rules this input could not check, with why
        sheet.put(row, 0, text("unchecked_title", lang))
        for offset, entry in enumerate(unchecked, start=1):
            for col, key in enumerate(("rule", "reason", "scope", "layer", "source")):
                sheet.put(row + offset, col, entry[key], wrap if col == 4 else None)
        row += len(unchecked) + 2
    sheet.put(row, 0, text("region", lang))
    sheet.put(row, 1, region_title(result, lang))
    sheet.put(row + 1, 0, text("on", lang))
    sheet.put(row + 1, 1, result.on)
    sheet.finish(0, wide={1: 40, 4: 80})


def _builders(result: Result, lang: str) -> list[tuple[str, str, Callable[[_Sheet, Result, str], None]]]:
    """Each sheet's name key, printed title and builder, in order; the 汇总表 only where the policy defines it."""
    report = text("report_title", lang)
    sheets: list[tuple[str, str, Callable[[_Sheet, Result, str], None]]] = [
        ("sheet_teachers", f"{report} · {text('sheet_teachers', lang)}", _teachers_sheet),
        ("sheet_groups", f"{report} · {text('sheet_groups', lang)}", _groups_sheet),
        ("sheet_schools", f"{report} · {text('sheet_schools', lang)}", _schools_sheet),
    ]
    official = summary_table_title(result.policy, lang)
    if official is not None:  # 附件2 of 兖教体发〔2022〕82号, for 兖州 and the regions below it
        sheets.append(("sheet_summary", official, _summary_sheet))
    sheets.append(("sheet_sources", f"{report} · {text('sheet_sources', lang)}", _sources_sheet))
    return sheets


def write_xlsx(result: Result, path: str | os.PathLike[str], lang: str = "zh") -> None:
    """Write ``result`` as an Excel workbook at ``path`` (see the module docstring for the sheets)."""
    if len(result) + 1 > EXCEL_MAX_ROWS:
        raise Ability2Error(msg("reports.too_many_rows", count=len(result), most=EXCEL_MAX_ROWS - 1))
    workbook = Workbook(
        title=f"{text('report_title', lang)} · {result.region} · {result.on}",
        subject=region_title(result, lang),
        comments=text("generated", lang),
    )
    for key, title, build in _builders(result, lang):
        sheet = _Sheet(text(key, lang))
        build(sheet, result, lang)
        sheet.printing = PrintSetup(title, region_title(result, lang), str(result.on), lang)
        workbook.add(sheet)
    # Only now is anything written: an exception above leaves no file at ``path``.
    target = os.fspath(path)
    with open(target, "wb") as handle:
        try:
            workbook.save(handle)
        except BaseException:
            handle.close()
            with contextlib.suppress(OSError):
                os.unlink(target)
            raise
