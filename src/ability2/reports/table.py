"""The terminal report (``--format table``): rich tables of schools, groups and the teachers to act on.

Values from the roster are shown as plain :class:`rich.text.Text`, never parsed as markup, so
a name such as ``[bold]x`` prints as written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ability2.i18n import entity_status_label, label, status_label
from ability2.reports.safety import printable
from ability2.reports.summary import region_title, text

if TYPE_CHECKING:
    from rich.console import Console

    from ability2.result import Result

__all__ = ["render_table"]

_STYLE = {"excellent": "bold green", "pass": "green", "fail": "bold red", "pending": "yellow"}


def _word(key: str, lang: str) -> str:
    return label(key, lang, "table")


def _pct(value: Any) -> str:
    try:
        return f"{float(value) * 100:.1f}%"
    except (TypeError, ValueError):
        return str(value)


def render_table(result: Result, lang: str = "zh", console: Console | None = None, limit: int = 50) -> None:
    """Print the result to ``console`` (a new :class:`rich.console.Console` when ``None``)."""
    import numpy as np
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    if console is None:
        console = Console()

    def cell(value: Any, style: str = "") -> Text:
        return Text(printable(str(value)), style=style)

    def print_details(details: list[tuple[str, list[str]]]) -> None:
        for name, messages in details:
            line = Text()
            line.append(printable(name), style="bold")
            line.append(f" {_word('failed', lang)}:")
            console.print(line)
            for message in messages:
                item = Text("  ✗ ", style="red")
                item.append(printable(message))
                console.print(item)

    counts = result.status_counts()
    school_status = result.school_status()
    counts_text = ", ".join(f"{status_label(code, lang)} {n}" for code, n in counts.items())
    line = _word("summary", lang).format(
        teachers=len(result), counts=counts_text, ok=school_status.count("pass"), schools=len(school_status)
    )
    header = Text()
    header.append(region_title(result, lang), style="bold")
    header.append(f" · {result.on}")
    console.print(header)
    console.print(Text(line))
    for item in result.unchecked_dicts(lang):
        note = _word("unchecked", lang).format(rule=item["rule"], reason=item["reason"])
        console.print(Text(note, style="yellow"))

    schools = result.schools
    table = Table(title=text("sheet_schools", lang), title_justify="left", show_lines=False)
    table.add_column(text("school", lang), min_width=8)
    for key in ("teachers", "passed", "excellent", "pass_rate", "excellent_rate"):
        table.add_column(_word(key, lang), justify="right", no_wrap=True)
    table.add_column(text("status", lang), no_wrap=True)
    table.add_column(_word("failed_checks", lang), justify="right", no_wrap=True)
    details: list[tuple[str, list[str]]] = []
    for i in range(len(schools)):
        record = schools.iloc[i]
        code = str(record["status"])
        checks = result.school_checks(i, lang)
        failed = [check.message for check in checks if not check.ok]
        if failed:
            details.append((str(record["school"]), failed))
        table.add_row(
            cell(record["school"]),
            cell(int(record["teachers"])),
            cell(int(record["passed"])),
            cell(int(record["excellent"])),
            cell(_pct(record["pass_rate"])),
            cell(_pct(record["excellent_rate"])),
            cell(entity_status_label(code, lang), _STYLE.get(code, "")),
            cell(f"{len(failed)}/{len(checks)}", "red" if failed else "green"),
        )
    console.print(table)
    print_details(details)

    groups = result.groups
    if len(groups):
        table = Table(title=text("sheet_groups", lang), title_justify="left")
        table.add_column(text("school", lang), min_width=8)
        table.add_column(text("group", lang), min_width=6)
        table.add_column(_word("teachers", lang), justify="right", no_wrap=True)
        table.add_column(text("status", lang), no_wrap=True)
        table.add_column(_word("failed_checks", lang), justify="right", no_wrap=True)
        details = []
        for i in range(len(groups)):
            record = groups.iloc[i]
            code = str(record["status"])
            checks = result.group_checks(i, lang)
            failed = [check.message for check in checks if not check.ok]
            if failed:
                details.append((f"{record['school']} · {record['group']}", failed))
            table.add_row(
                cell(record["school"]),
                cell(record["group"]),
                cell(int(record["teachers"])),
                cell(entity_status_label(code, lang), _STYLE.get(code, "")),
                cell(f"{len(failed)}/{len(checks)}", "red" if failed else "green"),
            )
        console.print(table)
        print_details(details)

    teachers = result.teachers
    status = teachers["status"].to_numpy(dtype=object).astype(str)
    todo = np.flatnonzero(np.isin(status, ("fail", "pending")))
    if len(todo) == 0:
        return
    shown = todo[: max(limit, 0)]
    columns = ["teacher_id"] + [name for name in ("name", "school", "group") if name in teachers.columns]
    data = {name: teachers[name].to_numpy(dtype=object) for name in columns}
    table = Table(title=text("failing_teachers", lang), title_justify="left")
    for name in columns:
        table.add_column(text(name, lang))
    table.add_column(text("status", lang), no_wrap=True)
    table.add_column(text("failed_rules", lang), overflow="fold", min_width=24)
    for index in shown:
        i = int(index)
        code = status[i]
        messages = [reason.message for reason in result._open_reasons_at(i, lang)]  # failed, or not decided yet
        if not messages and code == "pending":
            messages = [_word("awaiting", lang)]
        table.add_row(
            *(cell(data[name][i]) for name in columns),
            cell(status_label(code, lang), _STYLE.get(code, "")),
            cell("\n".join(messages)),
        )
    console.print(table)
    more = len(todo) - len(shown)
    if more > 0:
        console.print(Text(text("more_teachers", lang).format(n=more), style="dim"))
