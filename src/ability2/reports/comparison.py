"""Comparison reports: the same tables in a terminal, JSON, a workbook or one html page.

The workbook prints as the evaluation report's does (:mod:`ability2.reports.printing`): A4
landscape, fitted to the width, the header row on every page, the comparison's policies and
dates in the page header and numbered pages.
"""

from __future__ import annotations

import html
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ability2.errors import Ability2Error
from ability2.files import write_atomic, write_text_atomic
from ability2.i18n import status_label
from ability2.messages import msg
from ability2.reports.safety import neutralise

if TYPE_CHECKING:
    import pandas as pd

    from ability2.comparison import Comparison

__all__ = ["SHEETS", "render_comparison_html", "render_comparison_table", "write_comparison"]

#: sheet (and section) names: Chinese, English
SHEETS = {
    "schools": ("学校对比", "schools"),
    "deltas": ("变化", "deltas"),
    "differences": ("结论不同的教师", "differences"),
    "status": ("教师结论", "teacher status"),
    "policy": ("政策对比", "policies"),
}


def _tables(comparison: Comparison) -> dict[str, pd.DataFrame]:
    policy = comparison.policy_table()
    return {
        "schools": comparison.school_table(),
        "deltas": _joined(comparison.deltas()),
        "differences": _joined(comparison.differences()),
        "status": comparison.status(),
        "policy": policy,
    }


def _joined(frame: pd.DataFrame) -> pd.DataFrame:
    """List cells (rules, schools) as one text each, ``;``-joined, as a workbook or page shows them."""
    lists = [name for name in frame.columns if len(frame) and isinstance(frame[name].iloc[0], list)]
    return frame.assign(**{name: frame[name].map(";".join) for name in lists}) if lists else frame


def _write_xlsx(comparison: Comparison, path: Path, lang: str) -> None:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(
        str(path), {"strings_to_formulas": False, "strings_to_urls": False, "nan_inf_to_errors": True}
    )
    from ability2.reports.printing import PrintSetup

    bold = workbook.add_format({"bold": True, "bg_color": "#EEF2F7", "border": 1})
    percent = workbook.add_format({"num_format": "0.0%"})
    heading = "政策对比" if lang == "zh" else "Policy comparison"
    regions = " · ".join(comparison.labels)
    dates = " / ".join(dict.fromkeys(str(policy.on) for policy in comparison.policies))
    for key, frame in _tables(comparison).items():
        name = SHEETS[key][0 if lang == "zh" else 1]
        sheet = workbook.add_worksheet(name)
        # printed on A4 landscape, fitted to the width, the header row on every page
        PrintSetup(f"{heading} · {name}", regions, dates, lang).apply(sheet)
        for col, name in enumerate(frame.columns):
            sheet.write_string(0, col, neutralise(str(name)), bold)
            width = max([len(str(name))] + [len(str(v)) for v in frame[name].head(200)])
            sheet.set_column(col, col, min(60, max(8, width + 2)))
        for row, values in enumerate(frame.itertuples(index=False), start=1):
            for col, value in enumerate(values):
                name = str(frame.columns[col])
                if isinstance(value, bool):
                    sheet.write_boolean(row, col, value)
                elif isinstance(value, int | float) and not isinstance(value, bool):
                    sheet.write_number(row, col, float(value), percent if name.endswith("_rate") else None)
                else:
                    sheet.write_string(row, col, neutralise("" if value is None else str(value)))
        sheet.freeze_panes(1, 0)
    workbook.close()


def render_comparison_html(comparison: Comparison, lang: str = "zh") -> str:
    """One self-contained, printable page with every comparison table."""
    zh = lang == "zh"
    title = "政策对比" if zh else "Policy comparison"
    parts = [
        "<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>body{{font-family:'Noto Sans CJK SC','Microsoft YaHei',sans-serif;margin:24px}}"
        "table{border-collapse:collapse;margin:8px 0 24px}td,th{border:1px solid #ccd;padding:3px 8px;text-align:left;vertical-align:top;font-size:13px}"
        "th{background:#eef2f7}@media print{body{margin:0}}</style></head><body>",
        f"<h1>{html.escape(title)}</h1><p>{html.escape(' · '.join(comparison.labels))}</p>",
    ]
    for key, frame in _tables(comparison).items():
        parts.append(f"<h2>{html.escape(SHEETS[key][0 if zh else 1])}</h2>")
        if frame.empty:
            parts.append("<p>—</p>")
            continue
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
        rows = "".join(
            "<tr>"
            + "".join(f"<td>{html.escape(_cell(v, str(c)))}</td>" for c, v in zip(frame.columns, values, strict=True))
            + "</tr>"
            for values in frame.itertuples(index=False)
        )
        parts.append(f"<table><tr>{head}</tr>{rows}</table>")
    parts.append("</body></html>")
    return "".join(parts)


def _cell(value: Any, column: str) -> str:
    if isinstance(value, float) and column.endswith("_rate"):
        return f"{value * 100:.1f}%"
    if isinstance(value, bool):
        return "✓" if value else ""
    return "" if value is None else str(value)


def render_comparison_table(comparison: Comparison, lang: str = "zh", console: Any = None) -> None:
    """Print the school table, the deltas and the rules that differ with rich."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    zh = lang == "zh"
    table = Table(title="学校对比" if zh else "schools", box=box.SIMPLE_HEAD, title_justify="left")
    for name in (
        ["政策", "学校", "教师", "合格", "优秀", "合格率", "优秀率", "未通过检查", "结论"]
        if zh
        else [
            "policy",
            "school",
            "teachers",
            "passed",
            "excellent",
            "pass rate",
            "excellent rate",
            "checks failed",
            "status",
        ]
    ):
        table.add_column(name, overflow="fold")
    for r in comparison.school_table().itertuples():
        status = status_label(str(r.status), "zh" if zh else "en")
        table.add_row(
            _plain(r.policy),
            _plain(r.school),
            str(r.teachers),
            str(r.passed),
            str(r.excellent),
            f"{r.pass_rate * 100:.1f}%",
            f"{r.excellent_rate * 100:.1f}%",
            str(r.checks_failed),
            status,
        )
    console.print(table)
    for policy, result in zip(comparison.policies, comparison.results, strict=True):
        for item in result.unchecked_dicts("zh" if zh else "en"):
            note = (
                f"未检查（{policy.name}）: {item['rule']}（{item['reason']}）"
                if zh
                else f"not checked ({policy.name}): {item['rule']} ({item['reason']})"
            )
            console.print(_plain(note), style="yellow")
    if len(comparison.policies) > 1:
        deltas = Table(
            title=("相对基准 " if zh else "against the baseline ") + comparison.baseline.name,
            box=box.SIMPLE_HEAD,
            title_justify="left",
        )
        for name in (
            ["政策", "改善", "变差", "不变", "学校结论变化"]
            if zh
            else ["policy", "winners", "losers", "unchanged", "schools changed"]
        ):
            deltas.add_column(name, overflow="fold")
        for r in comparison.deltas().itertuples():
            deltas.add_row(
                _plain(r.policy),
                str(r.winners),
                str(r.losers),
                str(r.unchanged),
                _plain(";".join(r.schools_changed) or "—"),
            )
        console.print(deltas)
    rules = comparison.policy_table()
    differing = rules[rules["differs"]]
    if not differing.empty:
        table = Table(title="不同的规则" if zh else "rules that differ", box=box.SIMPLE_HEAD, title_justify="left")
        table.add_column("rule", no_wrap=True)
        for label in comparison.labels:
            table.add_column(label, overflow="fold")
        for _, row in differing.iterrows():
            table.add_row(_plain(row["rule"]), *[_plain(row[label] or "—") for label in comparison.labels])
        console.print(table)


def write_comparison(comparison: Comparison, path: str | os.PathLike[str], fmt: str, *, lang: str = "zh") -> Path:
    """Write the comparison as ``json``, ``xlsx`` or ``html``, atomically."""
    target = Path(path)
    if fmt == "json":
        write_text_atomic(target, json.dumps(comparison.to_dict(), ensure_ascii=False, indent=2))
    elif fmt == "html":
        write_text_atomic(target, render_comparison_html(comparison, lang))
    elif fmt == "xlsx":
        write_atomic(target, lambda temporary: _write_xlsx(comparison, temporary, lang))
    else:
        raise Ability2Error(msg("reports.unknown_format", fmt=str(fmt), formats=("json", "xlsx", "html")))
    return target


def _plain(value: object) -> Any:
    """A table cell from data: printed as written (no rich markup, control characters shown)."""
    from rich.text import Text

    from ability2.reports.safety import printable

    return Text(printable(str(value)))
