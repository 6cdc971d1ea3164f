"""The printable HTML report: one self-contained page a school principal reads.

The page has inline CSS only (no scripts, no fonts or images from elsewhere) and prints on
A4: a title with the region and date, the teacher status counts, one card per school (rates,
status, every check with ✓/✗, its finding and its source), the research groups, the
teachers (failed rules with their findings) and the sources of every rule. Every value is
escaped with :func:`html.escape`.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from ability2.reports.summary import (
    SUMMARY_RATE_COLUMNS,
    entity_status_label,
    region_title,
    sources,
    status_label,
    summary_table,
    text,
)

if TYPE_CHECKING:
    from ability2.result import Reason, Result

__all__ = ["render_html"]

_CSS = """
:root { --ok: #1e7b34; --bad: #b3261e; --pending: #9a6700; --line: #d8dee6; --muted: #5b6573; --head: #eef2f6; }
* { box-sizing: border-box; }
body { font-family: "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", "Helvetica Neue", Arial, sans-serif;
       color: #1d2330; margin: 0 auto; padding: 24px 28px; max-width: 1100px; font-size: 14px; line-height: 1.5; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 2px solid #1d2330; }
h3 { font-size: 15px; margin: 0; }
.meta { color: var(--muted); margin: 0 0 14px; }
.counts { display: flex; flex-wrap: wrap; gap: 10px; margin: 8px 0 4px; }
.count { border: 1px solid var(--line); border-radius: 6px; padding: 8px 14px; min-width: 92px; }
.count .n { font-size: 22px; font-weight: 700; display: block; }
.count .l { color: var(--muted); font-size: 12px; }
.count.excellent .n, .count.pass .n { color: var(--ok); }
.count.fail .n { color: var(--bad); }
.count.pending .n { color: var(--pending); }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; margin: 0 0 14px; break-inside: avoid; page-break-inside: avoid; }
.card-head { display: flex; justify-content: space-between; align-items: baseline; gap: 12px; flex-wrap: wrap; }
.stats { display: flex; flex-wrap: wrap; gap: 4px 18px; margin: 6px 0 8px; color: #2b3342; }
.stats b { font-variant-numeric: tabular-nums; }
.badge { display: inline-block; border-radius: 10px; padding: 0 9px; font-size: 12px; font-weight: 600; white-space: nowrap; border: 1px solid currentColor; }
.badge.pass, .badge.excellent { color: var(--ok); }
.badge.fail { color: var(--bad); }
.badge.pending { color: var(--pending); }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: var(--head); font-weight: 600; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
table.summary td:first-child, table.summary th:first-child { white-space: nowrap; min-width: 6em; }
td.nowrap { white-space: nowrap; }
td.mark { width: 1.6em; text-align: center; font-weight: 700; }
.ok { color: var(--ok); }
.bad { color: var(--bad); }
.src { color: var(--muted); font-size: 12px; }
code { font-family: "SFMono-Regular", Consolas, "Liberation Mono", monospace; font-size: 12px; color: #3b4658; }
ul.fails { margin: 0; padding-left: 0; list-style: none; }
ul.fails li { margin: 0 0 2px; }
.note { color: var(--muted); font-style: italic; }
tr.total td { font-weight: 700; border-top: 2px solid #1d2330; }
footer { margin-top: 28px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--line); padding-top: 6px; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { padding: 0; max-width: none; font-size: 11pt; }
  h2 { break-after: avoid; page-break-after: avoid; }
  .card, .count { border-color: #999; }
  th { background: #eee !important; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  .sources, .teachers { break-before: auto; }
  a { color: inherit; text-decoration: none; }
}
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _pct(value: Any) -> str:
    try:
        return f"{float(value) * 100:.1f}%"
    except (TypeError, ValueError):
        return _e(value)


def _mark(ok: bool) -> str:
    return '<span class="ok">✓</span>' if ok else '<span class="bad">✗</span>'


def _badge(code: str, label: str) -> str:
    return f'<span class="badge {_e(code)}">{_e(label)}</span>'


def _checks_table(checks: list[Reason], lang: str) -> str:
    if not checks:
        return f'<p class="note">{_e(text("no_checks", lang))}</p>'
    rows = "".join(
        f'<tr><td class="mark">{_mark(check.ok)}</td><td>{_e(check.message)}<br><code>{_e(check.rule)}</code></td>'
        f'<td class="src">{_e(check.source)}<br>[{_e(check.layer)}]</td></tr>'
        for check in checks
    )
    return (
        f'<table class="checks"><thead><tr><th></th><th>{_e(text("message", lang))}</th>'
        f"<th>{_e(text('source', lang))}</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _counts(result: Result, lang: str) -> str:
    counts = result.status_counts()
    total = sum(counts.values())
    tiles = [
        f'<div class="count"><span class="n">{total}</span><span class="l">{_e(text("all_teachers", lang))}</span></div>'
    ]
    for code, count in counts.items():
        tiles.append(
            f'<div class="count {_e(code)}"><span class="n">{count}</span><span class="l">{_e(status_label(code, lang))}</span></div>'
        )
    return f'<div class="counts">{"".join(tiles)}</div>'


def _schools(result: Result, lang: str) -> str:
    frame = result.schools
    cards = []
    for i in range(len(frame)):
        record = frame.iloc[i]
        code = str(record["status"])
        stats = [
            (text("teachers", lang), _e(int(record["teachers"]))),
            (text("passed", lang), _e(int(record["passed"]))),
            (text("excellent", lang), _e(int(record["excellent"]))),
            (text("pass_rate", lang), _pct(record["pass_rate"])),
            (text("excellent_rate", lang), _pct(record["excellent_rate"])),
        ]
        for name in ("ability_pass_rate", "ability_excellent_rate"):
            if name in frame.columns:
                stats.append((text(name, lang), _pct(record[name])))
        stat_html = "".join(f"<span>{_e(label)} <b>{value}</b></span>" for label, value in stats)
        cards.append(
            f'<section class="card school"><div class="card-head"><h3>{_e(record["school"])}</h3>'
            f"{_badge(code, entity_status_label(code, lang))}</div>"
            f'<div class="stats">{stat_html}</div>{_checks_table(result.school_checks(i, lang), lang)}</section>'
        )
    return "".join(cards)


def _summary(result: Result, lang: str) -> str:
    frame = summary_table(result, lang)
    num = ' class="num"'
    head = "".join(f"<th{num if col else ''}>{_e(name)}</th>" for col, name in enumerate(frame.columns))
    rows = []
    last = len(frame) - 1
    for i in range(len(frame)):
        values = frame.iloc[i].tolist()
        cells = [f"<td>{_e(values[0])}</td>"]
        for col, value in enumerate(values[1:], start=1):
            shown = _pct(value) if col in SUMMARY_RATE_COLUMNS else _e(int(value))
            cells.append(f'<td class="num">{shown}</td>')
        opening = '<tr class="total">' if i == last else "<tr>"
        rows.append(f"{opening}{''.join(cells)}</tr>")
    return f'<table class="summary"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _groups(result: Result, lang: str) -> str:
    frame = result.groups
    if len(frame) == 0:
        return f'<p class="note">{_e(text("no_groups", lang))}</p>'
    rows = []
    for i in range(len(frame)):
        record = frame.iloc[i]
        code = str(record["status"])
        checks = result.group_checks(i, lang)
        if checks:
            items = "".join(
                f'<li>{_mark(c.ok)} {_e(c.message)} <span class="src">{_e(c.source)}</span></li>' for c in checks
            )
            check_html = f'<ul class="fails">{items}</ul>'
        else:
            check_html = f'<span class="note">{_e(text("no_checks", lang))}</span>'
        rows.append(
            f'<tr><td>{_e(record["school"])}</td><td>{_e(record["group"])}</td><td class="num">{_e(int(record["teachers"]))}</td>'
            f"<td>{_badge(code, entity_status_label(code, lang))}</td><td>{check_html}</td></tr>"
        )
    head = (
        f'<tr><th>{_e(text("school", lang))}</th><th>{_e(text("group", lang))}</th><th class="num">{_e(text("teachers", lang))}</th>'
        f"<th>{_e(text('status', lang))}</th><th>{_e(text('checks', lang))}</th></tr>"
    )
    return f'<table class="groups"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'


def _teachers(result: Result, lang: str) -> str:
    import numpy as np

    frame = result.teachers
    size = len(frame)
    failures: list[list[tuple[str, str]]] = [[] for _ in range(size)]
    for column in result.teacher_columns:
        bad = np.flatnonzero(~np.asarray(column.ok, dtype=bool))
        for index in bad:
            failures[int(index)].append((column.rule, column.message_at(int(index), lang)))
    columns = ["teacher_id"] + [name for name in ("name", "school", "group") if name in frame.columns]
    if len(set(frame["school"].astype(str))) <= 1 and "school" in columns:
        columns.remove("school")
    data = {name: frame[name].to_numpy(dtype=object) for name in columns}
    status = frame["status"].to_numpy(dtype=object)
    rows = []
    for i in range(size):
        code = str(status[i])
        cells = "".join(f"<td>{_e(data[name][i])}</td>" for name in columns)
        if failures[i]:
            items = "".join(
                f'<li><span class="bad">✗</span> {_e(message)} <code>{_e(rule)}</code></li>'
                for rule, message in failures[i]
            )
            failed = f'<ul class="fails">{items}</ul>'
        else:
            failed = ""
        rows.append(f"<tr>{cells}<td>{_badge(code, status_label(code, lang))}</td><td>{failed}</td></tr>")
    head = "".join(f"<th>{_e(text(name, lang))}</th>" for name in columns)
    head += f"<th>{_e(text('status', lang))}</th><th>{_e(text('failed_rules', lang))}</th>"
    return f'<table class="teachers"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _sources(result: Result, lang: str) -> str:
    rows = "".join(
        f'<tr><td><code>{_e(item.rule)}</code></td><td>{_e(item.title)}</td><td class="nowrap">{_e(item.scope)}</td>'
        f"<td>{_e(item.layer)}</td><td>{_e(item.source)}</td></tr>"
        for item in sources(result, lang)
    )
    head = "".join(f"<th>{_e(text(name, lang))}</th>" for name in ("rule", "title", "scope", "layer", "source"))
    return f'<table class="sources"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


def _unchecked(result: Result, lang: str) -> str:
    """The rules this input could not check, with why (nothing when every rule was checked)."""
    items = result.unchecked_dicts(lang)
    if not items:
        return ""
    rows = "".join(
        f'<li><code>{_e(item["rule"])}</code>: {_e(item["reason"])} <span class="src">{_e(item["source"])}</span></li>'
        for item in items
    )
    return f'<h2>{_e(text("unchecked_title", lang))}</h2><ul class="unchecked">{rows}</ul>'


def render_html(result: Result, lang: str = "zh") -> str:
    """The whole report as one self-contained, printable HTML page."""
    region = region_title(result, lang)
    title = f"{text('report_title', lang)} · {region} · {result.on}"
    sections = [
        f"<h1>{_e(text('report_title', lang))}</h1>",
        f'<p class="meta">{_e(text("region", lang))}: <b>{_e(region)}</b> · {_e(text("on", lang))}: <b>{_e(result.on)}</b></p>',
        f"<h2>{_e(text('status_counts', lang))}</h2>",
        _counts(result, lang),
        _unchecked(result, lang),
        f"<h2>{_e(text('sheet_schools', lang))}</h2>",
        _schools(result, lang),
        f"<h2>{_e(text('summary_title', lang))}</h2>",
        _summary(result, lang),
        f"<h2>{_e(text('sheet_groups', lang))}</h2>",
        _groups(result, lang),
        f"<h2>{_e(text('sheet_teachers', lang))}</h2>",
        _teachers(result, lang),
        f"<h2>{_e(text('sheet_sources', lang))}</h2>",
        _sources(result, lang),
        f"<footer>{_e(text('generated', lang))} · {_e(result.region)} · {_e(result.on)}</footer>",
    ]
    html_lang = "en" if lang == "en" else "zh-CN"
    return (
        f'<!DOCTYPE html>\n<html lang="{html_lang}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        + "\n".join(sections)
        + "\n</body>\n</html>\n"
    )
