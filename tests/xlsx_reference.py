"""The xlsx report as XlsxWriter wrote it, cell by cell: the reference the streamed writer is held to.

This is ``ability2.reports.xlsx`` as it stood before the worksheets were written as XML in
blocks (``ability2.reports._xlsxml``), unchanged but for this docstring and for the page setup
and the choice of sheets (issue 13 item 11: printing, and the 汇总表 only where the region's
documents define it), which it takes from the report and sets through XlsxWriter's own API. tests/test_xlsx_layout.py
writes the same results with both and compares what a reader sees, sheet by sheet and cell by
cell: values, types, styles, widths, panes, filters.
"""

from __future__ import annotations

import functools
import math
import os
import unicodedata
from typing import TYPE_CHECKING, Any

from ability2.errors import Ability2Error
from ability2.reports.printing import PrintSetup
from ability2.reports.safety import neutralise
from ability2.reports.summary import (
    SUMMARY_RATE_COLUMNS,
    entity_status_label,
    region_title,
    sources,
    status_label,
    summary_table,
    text,
)
from ability2.reports.xlsx import _builders

if TYPE_CHECKING:
    from ability2.result import Result, RuleColumn

__all__ = ["EXCEL_MAX_ROWS", "display_width", "write_xlsx"]

#: rows in one Excel worksheet, header included
EXCEL_MAX_ROWS = 1_048_576
#: characters Excel keeps in one cell
EXCEL_MAX_CELL = 32_767

_MIN_WIDTH = 4
_MAX_WIDTH = 60


def display_width(value: str) -> int:
    """Columns ``value`` takes on screen: wide (CJK) characters count double; the longest line."""
    if value.isascii() and "\n" not in value:  # ids, codes, numbers: one column a character
        return len(value)
    return _wide_width(value)


@functools.lru_cache(maxsize=65_536)
def _wide_width(value: str) -> int:
    """:func:`display_width` of text with wide characters or several lines (school names repeat: cached)."""
    best = 0
    for line in value.split("\n"):
        width = sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in line)
        best = max(best, width)
    return best


def _plain(value: Any) -> Any:
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        try:
            value = value.item()
        except (TypeError, ValueError):
            return value
    return value


class _Sheet:
    """A worksheet that writes typed, neutralised cells and remembers column widths."""

    def __init__(self, workbook: Any, name: str, formats: dict[str, Any]) -> None:
        self.sheet = workbook.add_worksheet(name)
        self.formats = formats
        self.widths: dict[int, int] = {}
        self.columns = 0

    def _width(self, col: int, width: int) -> None:
        if width > self.widths.get(col, 0):
            self.widths[col] = width

    def header(self, names: list[str]) -> None:
        fmt = self.formats["header"]
        lines = 1
        for col, name in enumerate(names):
            shown = neutralise(name)
            self.sheet.write_string(0, col, shown, fmt)
            self._width(col, display_width(shown))
            lines = max(lines, shown.count("\n") + 1)
        self.columns = len(names)
        if lines > 1:
            self.sheet.set_row(0, 15 * lines)
        self.sheet.freeze_panes(1, 0)

    def put(self, row: int, col: int, value: Any, fmt: Any = None) -> None:
        value = _plain(value)
        sheet = self.sheet
        if value is None:
            if fmt is not None:
                sheet.write_blank(row, col, None, fmt)
            return
        if isinstance(value, bool):
            sheet.write_boolean(row, col, value, fmt)
            self._width(col, 5)
            return
        if isinstance(value, int | float):
            if isinstance(value, float) and not math.isfinite(value):
                if math.isnan(value):
                    if fmt is not None:
                        sheet.write_blank(row, col, None, fmt)
                    return
                shown = str(value)
                sheet.write_string(row, col, shown, fmt)
                self._width(col, len(shown))
                return
            sheet.write_number(row, col, value, fmt)
            self._width(col, len(f"{value:g}") + (2 if fmt is self.formats.get("pct") else 0))
            return
        shown = neutralise(value if isinstance(value, str) else str(value))
        if len(shown) > EXCEL_MAX_CELL:
            # Excel holds 32,767 characters in a cell: say so in the cell, never cut without a word
            note = f"…[{len(shown):,} characters; Excel keeps {EXCEL_MAX_CELL:,}: the json report has the full text]"
            shown = shown[: EXCEL_MAX_CELL - len(note)] + note
        sheet.write_string(row, col, shown, fmt)
        self._width(col, display_width(shown))

    def finish(self, rows: int, wide: dict[int, int] | None = None) -> None:
        """Set column widths; add an autofilter over the table when it has rows."""
        wide = wide or {}
        for col in range(self.columns):
            limit = wide.get(col, _MAX_WIDTH)
            width = min(max(self.widths.get(col, 0) + 2, _MIN_WIDTH), limit)
            self.sheet.set_column(col, col, width)
        if rows > 0 and self.columns > 0:
            self.sheet.autofilter(0, 0, rows, self.columns - 1)


def _formats(workbook: Any) -> dict[str, Any]:
    base = {"font_name": "Microsoft YaHei", "font_size": 10, "valign": "top"}

    def fmt(**extra: Any) -> Any:
        return workbook.add_format({**base, **extra})

    return {
        "text": fmt(),
        "header": fmt(bold=True, bg_color="#E8EDF3", border=1, text_wrap=True),
        "pct": fmt(num_format="0.0%"),
        "ok": fmt(font_color="#1E7B34", align="center"),
        "bad": fmt(font_color="#B3261E", bg_color="#FBE3E1", align="center", bold=True),
        "excellent": fmt(font_color="#1E7B34", bold=True),
        "pass": fmt(font_color="#1E7B34"),
        "fail": fmt(font_color="#B3261E", bold=True),
        "pending": fmt(font_color="#9A6700"),
        "total": fmt(bold=True, top=1),
        "total_pct": fmt(bold=True, top=1, num_format="0.0%"),
        "wrap": fmt(text_wrap=True),
    }


def _rule_header(column: RuleColumn, lang: str) -> str:
    title = (column.title_en if lang == "en" else column.title) or column.rule
    if title == column.rule:
        return column.rule
    return f"{title}\n{column.rule}"


def _mark(ok: bool) -> str:
    return "✓" if ok else "✗"


def _teachers_sheet(sheet: _Sheet, result: Result, lang: str) -> None:
    import numpy as np
    import pandas as pd

    frame = pd.DataFrame(result._teacher_data(tidy=False))  # the workbook's columns: no hours, counts, values
    rule_ids = [column.rule for column in result.teacher_columns]
    base = ["teacher_id", "name", "school", "group"]
    leading = [name for name in base if name in frame.columns]
    subject = frame["subject"].to_numpy(dtype=object) if "subject" in frame.columns else None
    known = {*base, "subject", "status", "failed_rules", *rule_ids}
    extras = [name for name in frame.columns if name not in known]

    header = [text(name, lang) for name in leading]
    if subject is not None:
        header.append(text("subject", lang))
    header += [text("status", lang), text("status_code", lang), text("failed_rules", lang)]
    header += [_rule_header(column, lang) for column in result.teacher_columns]
    header += [str(name) for name in extras]
    sheet.header(header)

    fmts = sheet.formats
    data = {name: frame[name].to_numpy(dtype=object) for name in [*leading, *extras]}
    status = frame["status"].to_numpy(dtype=object)
    failed = [";".join(rules) for rules in frame["failed_rules"]]  # one cell: the rule ids joined
    oks = [np.asarray(column.ok, dtype=bool) for column in result.teacher_columns]
    for i in range(len(frame)):
        row = i + 1
        col = 0
        for name in leading:
            sheet.put(row, col, data[name][i])
            col += 1
        if subject is not None:
            sheet.put(row, col, subject[i])
            col += 1
        code = str(status[i])
        sheet.put(row, col, status_label(code, lang), fmts.get(code))
        sheet.put(row, col + 1, code)
        sheet.put(row, col + 2, str(failed[i]).replace(";", "; "))
        col += 3
        for ok in oks:
            flag = bool(ok[i])
            sheet.put(row, col, _mark(flag), fmts["ok"] if flag else fmts["bad"])
            col += 1
        for name in extras:
            sheet.put(row, col, data[name][i])
            col += 1
    sheet.sheet.freeze_panes(1, 1)
    sheet.finish(len(frame))


def _check_cells(sheet: _Sheet, row: int, col: int, columns: list[RuleColumn], index: int) -> int:
    fmts = sheet.formats
    for column in columns:
        value = column.value_at(index)
        share = column.unit == "share" and isinstance(value, int | float) and not isinstance(value, bool)
        sheet.put(row, col, value, fmts["pct"] if share else None)
        flag = bool(column.ok[index])
        sheet.put(row, col + 1, _mark(flag), fmts["ok"] if flag else fmts["bad"])
        col += 2
    return col


def _check_header(columns: list[RuleColumn], lang: str) -> list[str]:
    names: list[str] = []
    for column in columns:
        names += [_rule_header(column, lang), "✓/✗"]
    return names


def _groups_sheet(sheet: _Sheet, result: Result, lang: str) -> None:
    frame = result.groups
    header = [text(name, lang) for name in ("school", "group", "teachers", "status", "status_code")]
    sheet.header(header + _check_header(result.group_columns, lang))
    fmts = sheet.formats
    for i in range(len(frame)):
        row = i + 1
        record = frame.iloc[i]
        code = str(record["status"])
        sheet.put(row, 0, record["school"])
        sheet.put(row, 1, record["group"])
        sheet.put(row, 2, record["teachers"])
        sheet.put(row, 3, entity_status_label(code, lang), fmts.get(code))
        sheet.put(row, 4, code)
        _check_cells(sheet, row, 5, result.group_columns, i)
    sheet.finish(len(frame))


def _schools_sheet(sheet: _Sheet, result: Result, lang: str) -> None:
    frame = result.schools
    check_ids = {column.rule for column in result.school_columns}
    stats = [name for name in frame.columns if name not in check_ids and name not in ("school", "status")]
    rates = {name for name in stats if name.endswith("_rate")}
    header = (
        [text("school", lang)]
        + [text(name, lang) for name in stats]
        + [text("status", lang), text("status_code", lang)]
    )
    sheet.header(header + _check_header(result.school_columns, lang))
    fmts = sheet.formats
    for i in range(len(frame)):
        row = i + 1
        record = frame.iloc[i]
        sheet.put(row, 0, record["school"])
        col = 1
        for name in stats:
            sheet.put(row, col, record[name], fmts["pct"] if name in rates else None)
            col += 1
        code = str(record["status"])
        sheet.put(row, col, entity_status_label(code, lang), fmts.get(code))
        sheet.put(row, col + 1, code)
        _check_cells(sheet, row, col + 2, result.school_columns, i)
    sheet.sheet.freeze_panes(1, 1)
    sheet.finish(len(frame))


def _summary_sheet(sheet: _Sheet, result: Result, lang: str) -> None:
    frame = summary_table(result, lang)
    sheet.header([str(name) for name in frame.columns])
    fmts = sheet.formats
    last = len(frame) - 1
    for i in range(len(frame)):
        total = i == last
        for col, value in enumerate(frame.iloc[i].tolist()):
            if col in SUMMARY_RATE_COLUMNS:
                fmt = fmts["total_pct"] if total else fmts["pct"]
            else:
                fmt = fmts["total"] if total else None
            sheet.put(i + 1, col, value, fmt)
    sheet.sheet.freeze_panes(1, 1)
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


def write_xlsx(result: Result, path: str | os.PathLike[str], lang: str = "zh") -> None:
    """Write ``result`` as an Excel workbook at ``path`` (see the module docstring for the sheets)."""
    import xlsxwriter

    if len(result) + 1 > EXCEL_MAX_ROWS:
        raise Ability2Error(
            f"{len(result):,} teachers do not fit in one Excel sheet ({EXCEL_MAX_ROWS - 1:,} rows at most); "
            "write the tables as Parquet or CSV instead (--format parquet -o FOLDER), or the json report, "
            "or split the roster"
        )
    workbook = xlsxwriter.Workbook(
        os.fspath(path),
        {
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            # each row goes to disk once the next is begun: a province's sheet is never whole in memory
            "constant_memory": True,
        },
    )
    workbook.set_properties(
        {
            "title": f"{text('report_title', lang)} · {result.region} · {result.on}",
            "subject": region_title(result, lang),
            "comments": text("generated", lang),
        }
    )
    formats = _formats(workbook)
    builders = {
        "sheet_teachers": _teachers_sheet,
        "sheet_groups": _groups_sheet,
        "sheet_schools": _schools_sheet,
        "sheet_summary": _summary_sheet,
        "sheet_sources": _sources_sheet,
    }
    # the sheets and their printed titles as the report chooses them; the page setup through XlsxWriter's API
    for key, title, _ in _builders(result, lang):
        sheet = _Sheet(workbook, text(key, lang), formats)
        builders[key](sheet, result, lang)
        PrintSetup(title, region_title(result, lang), str(result.on), lang).apply(sheet.sheet)
    # Only now is anything written: an exception above leaves no file at ``path``.
    workbook.close()
