"""The printable HTML report: one self-contained page a school or a county reads.

The page has inline CSS only (no scripts, no fonts or images from elsewhere) and prints on
A4: a title with the region and date, the teacher status counts, one card per school (rates,
status, every check with ✓/✗, its finding and its source), the 参训人员情况汇总表 (only where the region's documents define it: 兖州's 附件2), the research
groups, the teachers (failed rules with their findings) and the sources of every rule. One
language per page (``lang``: Chinese by default, or English). Every value is escaped with
:func:`html.escape`: the page is built from untrusted roster text.

**Large cohorts.** A page that lists a province's million teachers is one nobody opens or
prints, so the report lists every teacher up to ``max_teachers`` (default
:data:`MAX_TEACHERS`) and every school up to ``max_schools`` (default :data:`MAX_SCHOOLS`).
Past a cap it lists, up to the cap, only those to act on: teachers who failed or are
pending (in roster order), schools with a failed check (a card and a row of the summary
table each; the summary's total row still covers every school), research groups with a
failed check (groups follow the teachers' cap: a group has at least one teacher, so when
every teacher is listed, so is every group). The status counts and the summary's total
cover everyone. Nothing is left out silently: a box at the top and a sentence in each
shortened section say how many are not listed, which are, and how to get them all (the
``csv``, ``parquet`` or ``jsonl`` outputs); :func:`plan_html` gives the same facts to a
program (the command line prints them on stderr).

The page is written as a stream (:func:`iter_html`, :func:`write_html`): a slice of rows at
a time, each rule's finding rendered once per distinct sentence, so memory stays near the
evaluation's own and the time is linear in the rows listed.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Iterator
from itertools import repeat
from typing import TYPE_CHECKING, Any, TextIO

import attrs

from ability2.errors import Ability2Error
from ability2.messages import msg
from ability2.reports.summary import (
    SUMMARY_RATE_COLUMNS,
    entity_status_label,
    region_title,
    school_codes,
    sources,
    status_label,
    summary_columns,
    text,
    text_codes,
)
from ability2.rules.tables import summary_table_title

if TYPE_CHECKING:
    import numpy as np

    from ability2.result import Reason, Result, RuleColumn

__all__ = [
    "MAX_SCHOOLS",
    "MAX_TEACHERS",
    "HtmlPlan",
    "Listing",
    "check_caps",
    "iter_html",
    "plan_html",
    "render_html",
    "write_html",
]

#: teachers the report lists in full; past it, those who failed or are pending, up to this many (research groups alike)
MAX_TEACHERS = 10_000
#: schools the report lists in full (a card and a summary row each); past it, those with a failed check, up to this many
MAX_SCHOOLS = 1_000

#: teacher rows rendered per piece of the stream
_SLICE = 5_000

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
.fails .pending { color: var(--pending); }
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


@attrs.frozen
class Listing:
    """The rows one section of the report lists: all of them, or past its cap those to act on.

    ``rows`` are the positions listed (roster order for teachers, first appearance for
    schools and groups); ``to_act`` counts the entities that did not pass (teachers who
    failed or are pending, schools and groups with a failed check).
    """

    #: ``teachers``, ``schools`` or ``groups``
    kind: str
    #: how many there are
    total: int
    #: the most the report lists
    cap: int
    #: how many did not pass
    to_act: int
    #: the positions listed, in order
    rows: np.ndarray[Any, Any] = attrs.field(eq=False, repr=False)

    @property
    def listed(self) -> int:
        """How many are listed."""
        return len(self.rows)

    @property
    def omitted(self) -> int:
        """How many are not listed."""
        return self.total - self.listed

    @property
    def complete(self) -> bool:
        """Every one is listed."""
        return self.omitted == 0

    def statement(self, lang: str = "zh") -> str:
        """What this section leaves out and why, in ``lang`` (``""`` when it lists every one)."""
        if self.complete:
            return ""
        case = "none" if self.to_act == 0 else "all" if self.to_act <= self.cap else "some"
        return text(f"omitted_{self.kind}_{case}", lang).format(
            total=f"{self.total:,}",
            cap=f"{self.cap:,}",
            to_act=f"{self.to_act:,}",
            listed=f"{self.listed:,}",
            omitted=f"{self.omitted:,}",
            more=f"{self.to_act - self.listed:,}",
        )


@attrs.frozen
class HtmlPlan:
    """What the HTML report of a result lists: its :class:`Listing` of teachers, schools and groups."""

    region: str
    on: str
    teachers: Listing
    schools: Listing
    groups: Listing

    @property
    def complete(self) -> bool:
        """The report lists every teacher, school and group."""
        return self.teachers.complete and self.schools.complete and self.groups.complete

    def statements(self, lang: str = "zh") -> list[str]:
        """Each omission in ``lang``, then how to get every row (empty when the report is complete)."""
        said = [listing.statement(lang) for listing in (self.schools, self.groups, self.teachers)]
        said = [sentence for sentence in said if sentence]
        if said:
            said.append(text("omitted_all_rows", lang).format(region=self.region, on=self.on))
        return said


def check_caps(max_teachers: int | None = None, max_schools: int | None = None) -> tuple[int, int]:
    """The caps in force: each given one checked, :data:`MAX_TEACHERS` and :data:`MAX_SCHOOLS` for ``None``.

    Raises :class:`~ability2.errors.Ability2Error` when a cap is not a whole number 0 or more.
    """
    caps = []
    for name, value, default in (
        ("max_teachers", max_teachers, MAX_TEACHERS),
        ("max_schools", max_schools, MAX_SCHOOLS),
    ):
        if value is None:
            value = default
        elif isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise Ability2Error(msg("reports.bad_cap", name=name, value=repr(value)[:40]))
        caps.append(value)
    return caps[0], caps[1]


def _listing(kind: str, total: int, cap: int, to_act: Any) -> Listing:
    import numpy as np

    flags = np.asarray(to_act, dtype=bool)
    acting = np.flatnonzero(flags)
    rows = np.arange(total, dtype=np.int64) if total <= cap else acting[:cap].astype(np.int64)
    return Listing(kind, total, cap, len(acting), rows)


def plan_html(result: Result, *, max_teachers: int | None = None, max_schools: int | None = None) -> HtmlPlan:
    """What :func:`render_html` lists of ``result`` under these caps (defaults :data:`MAX_TEACHERS`, :data:`MAX_SCHOOLS`).

    Raises :class:`~ability2.errors.Ability2Error` when a cap is not a whole number 0 or more.
    """
    import numpy as np

    teacher_cap, school_cap = check_caps(max_teachers, max_schools)
    status = np.asarray(result.status, dtype=object)
    teachers = _listing("teachers", len(status), teacher_cap, (status == "fail") | (status == "pending"))
    if result._stored_school_rows is None:
        school_status = np.asarray(result._school_statuses(), dtype=object)
    else:  # a result read back from JSON: the statuses it states, as its cards show them
        school_status = np.asarray([str(row.get("status")) for row in result._stored_school_rows], dtype=object)
    schools = _listing("schools", len(school_status), school_cap, school_status != "pass")
    group_status = np.asarray(result.group_status, dtype=object)
    groups = _listing("groups", len(group_status), teacher_cap, group_status != "pass")
    return HtmlPlan(result.region, result.on, teachers, schools, groups)


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _fixed(value: Any) -> str:
    """:func:`_e` of a value that recurs (a rule id, a source, a layer): each text escaped once."""
    return _escape_once(value) if isinstance(value, str) else _e(value)


@functools.lru_cache(maxsize=4096)
def _escape_once(value: str) -> str:
    return _e(value)


#: joins texts to escape them in one call; a text that holds it is escaped on its own
_SEPARATOR = "\x00"


def _escaped(texts: list[str]) -> list[str]:
    """Every text escaped (as :func:`html.escape` with quotes), in a few C-level passes."""
    if not texts:
        return []
    joined = _SEPARATOR.join(texts)
    if joined.count(_SEPARATOR) == len(texts) - 1:
        return html.escape(joined, quote=True).split(_SEPARATOR)
    return [html.escape(value, quote=True) for value in texts]


def _cell_texts(values: Any) -> list[str]:
    """Values as a cell shows them: ``str(value)``, a missing value (``None``) as blank."""
    return ["" if value is None else str(value) for value in values]


def _pct(value: Any) -> str:
    try:
        return f"{float(value) * 100:.1f}%"
    except (TypeError, ValueError):
        return _e(value)


def _mark(ok: bool) -> str:
    return '<span class="ok">✓</span>' if ok else '<span class="bad">✗</span>'


def _badge(code: str, label: str) -> str:
    return f'<span class="badge {_e(code)}">{_e(label)}</span>'


def _omitted(sentence: str) -> str:
    return f'<p class="omitted"><b>{_e(sentence)}</b></p>'


def _checks_table(checks: list[Reason], lang: str) -> str:
    if not checks:
        return f'<p class="note">{_e(text("no_checks", lang))}</p>'
    rows = "".join(
        f'<tr><td class="mark">{_mark(check.ok)}</td><td>{_e(check.message)}<br><code>{_fixed(check.rule)}</code></td>'
        f'<td class="src">{_fixed(check.source)}<br>[{_fixed(check.layer)}]</td></tr>'
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


def _school_cards(result: Result, listing: Listing, lang: str) -> Iterator[str]:
    """One card per school listed (each school's own checks: linear in the schools listed)."""
    cards = []
    for index in listing.rows.tolist():
        record = result._school_base(index)
        code = str(record["status"])
        stats = [
            (text("teachers", lang), _e(int(record["teachers"]))),
            (text("passed", lang), _e(int(record["passed"]))),
            (text("excellent", lang), _e(int(record["excellent"]))),
            (text("pass_rate", lang), _pct(record["pass_rate"])),
            (text("excellent_rate", lang), _pct(record["excellent_rate"])),
        ]
        for name in ("ability_pass_rate", "ability_excellent_rate"):
            if name in record:
                stats.append((text(name, lang), _pct(record[name])))
        stat_html = "".join(f"<span>{_e(label)} <b>{value}</b></span>" for label, value in stats)
        cards.append(
            f'<section class="card school"><div class="card-head"><h3>{_e(record["school"])}</h3>'
            f"{_badge(code, entity_status_label(code, lang))}</div>"
            f'<div class="stats">{stat_html}</div>{_checks_table(result.school_checks(index, lang), lang)}</section>'
        )
        if len(cards) == 500:
            yield "".join(cards)
            cards = []
    yield "".join(cards)


def _summary(result: Result, listing: Listing, lang: str) -> str:
    """The 参训人员情况汇总表: the rows of the schools listed, then the total over every school."""
    data = summary_columns(result, lang)
    num = ' class="num"'
    head = "".join(f"<th{num if col else ''}>{_e(name)}</th>" for col, name in enumerate(data))
    columns = list(data.values())
    last = len(columns[0]) - 1
    rows = []
    for i in [*listing.rows.tolist(), last]:
        cells = [f"<td>{_e(columns[0][i])}</td>"]
        for col in range(1, len(columns)):
            value = columns[col][i]
            shown = _pct(value) if col in SUMMARY_RATE_COLUMNS else _e(int(value))
            cells.append(f'<td class="num">{shown}</td>')
        opening = '<tr class="total">' if i == last else "<tr>"
        rows.append(f"{opening}{''.join(cells)}</tr>")
    return f'<table class="summary"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _groups(result: Result, listing: Listing, lang: str) -> str:
    if listing.total == 0:
        return f'<p class="note">{_e(text("no_groups", lang))}</p>'
    if listing.listed == 0:
        return ""
    rows = []
    for index in listing.rows.tolist():
        record = result._group_base(index)
        code = str(record["status"])
        checks = result.group_checks(index, lang)
        if checks:
            items = "".join(
                f'<li>{_mark(c.ok)} {_e(c.message)} <span class="src">{_fixed(c.source)}</span></li>' for c in checks
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


def _escaped_table(texts: list[str]) -> np.ndarray[Any, Any]:
    """The distinct texts of a repeated column, each escaped once: index it by the column's codes."""
    import numpy as np

    table = np.empty(len(texts), dtype=object)
    table[:] = _escaped(texts)
    return table


def _teacher_rows(
    result: Result, listing: Listing, lang: str, schools: tuple[np.ndarray[Any, Any], list[str]] | None
) -> Iterator[str]:
    """The rows of the teachers listed, a slice at a time, cell by cell as whole columns.

    ``schools`` is the school column as :func:`school_codes` gives it, ``None`` to leave it out.
    """
    import numpy as np

    # the columns shown: id, name, school, group; repeated ones escaped once per distinct text
    plain: list[Any] = [np.asarray(result.teacher_ids, dtype=object)]
    if "name" in result.teacher_info:
        plain.append(np.asarray(result.teacher_info["name"], dtype=object))
    coded: list[tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]] = []
    if schools is not None:
        coded.append((schools[0], _escaped_table(_cell_texts(schools[1]))))
    if result.teacher_groups is not None:
        roster = result.roster
        factorized = None
        if roster is not None and roster.group is result.teacher_groups:
            factorized = roster.factorized.get("group")
        group_codes, groups = text_codes(result.teacher_groups, factorized)
        coded.append((group_codes, _escaped_table(_cell_texts(groups))))
    status = np.asarray(result.status, dtype=object)
    badges: dict[str, str] = {}
    distinct = listing.listed > _DISTINCT_FROM
    findings = [_Findings(column, lang, distinct=distinct) for column in result.teacher_columns]
    for start in range(0, listing.listed, _SLICE):
        rows = listing.rows[start : start + _SLICE]
        count = len(rows)
        cells = [_escaped(_cell_texts(values[rows].tolist())) for values in plain]
        cells += [table[column_codes[rows]].tolist() for column_codes, table in coded]
        marks = []
        for code in status[rows].tolist():
            code = str(code)
            badge = badges.get(code)
            if badge is None:
                badge = badges[code] = _badge(code, status_label(code, lang))
            marks.append(badge)
        failed = _failed_items(findings, rows)
        pieces: list[Any] = [repeat("<tr><td>", count)]
        for number, column in enumerate(cells):
            if number:
                pieces.append(repeat("</td><td>", count))
            pieces.append(column)
        pieces += [repeat("</td><td>", count), marks, repeat("</td><td>", count), failed, repeat("</td></tr>", count)]
        yield "".join(map("".join, zip(*pieces, strict=True)))


#: past this many teachers listed, each rule's findings are grouped by distinct reason first (one sentence each)
_DISTINCT_FROM = 50_000


class _Findings:
    """One teacher rule's failures as list items, each distinct finding rendered once.

    With ``distinct`` the teachers are first grouped by the per-entity fields the finding is
    made from (:func:`~ability2.resultjson.distinct_reasons`, as the JSON report does), so a
    sentence is written once per group; otherwise once per teacher listed, then kept by text.
    """

    def __init__(self, column: RuleColumn, lang: str, *, distinct: bool) -> None:
        import numpy as np

        self.column = column
        self.lang = lang
        self.ok = np.asarray(column.ok, dtype=bool)
        #: per teacher: listed under this rule (failed, or not decided yet)
        self.shown = ~self.ok if column.pending is None else ~self.ok | np.asarray(column.pending, dtype=bool)
        self.rule = _fixed(column.rule)
        self.by_text: dict[tuple[str, bool], str] = {}
        self.by_code: dict[int, str] = {}
        self.codes: np.ndarray[Any, Any] | None = None
        self.representatives: list[int] = []
        if distinct and self.shown.any():
            from ability2.resultjson import distinct_reasons

            codes, representatives = distinct_reasons(column)
            self.codes, self.representatives = codes, [int(i) for i in representatives.tolist()]

    def item(self, index: int) -> str:
        """The list item of teacher ``index``'s failure (or undecided rule)."""
        ok = bool(self.ok[index])
        if self.codes is not None:
            code = int(self.codes[index])
            found = self.by_code.get(code)
            if found is None:
                message = self.column.message_at(self.representatives[code], self.lang)
                found = self.by_code[code] = self._render(message, ok)
            return found
        message = self.column.message_at(index, self.lang)
        found = self.by_text.get((message, ok))
        if found is None:
            found = self.by_text[(message, ok)] = self._render(message, ok)
        return found

    def _render(self, message: str, ok: bool) -> str:
        mark = '<span class="pending">…</span>' if ok else '<span class="bad">✗</span>'  # ok: not decided yet
        return f"<li>{mark} {_e(message)} <code>{self.rule}</code></li>"


def _failed_items(findings: list[_Findings], rows: np.ndarray[Any, Any]) -> list[str]:
    """Each listed teacher's failed rules as a list (blank when none), rule by rule in policy order."""
    import numpy as np

    count = len(rows)
    pieces = []
    for finding in findings:
        bad = np.flatnonzero(finding.shown[rows])
        if not len(bad):
            continue
        piece = np.full(count, "", dtype=object)
        for position, index in zip(bad.tolist(), rows[bad].tolist(), strict=True):
            piece[position] = finding.item(index)
        pieces.append(piece)
    if not pieces:
        return [""] * count
    joined = ["".join(parts) for parts in zip(*pieces, strict=True)]
    return [f'<ul class="fails">{inner}</ul>' if inner else "" for inner in joined]


def _teachers(result: Result, listing: Listing, lang: str) -> Iterator[str]:
    if listing.listed == 0 and not listing.complete:
        return
    schools = school_codes(result)
    several = len(set(schools[1])) > 1  # one school's report leaves its name out of every row
    columns = ["teacher_id"]
    if "name" in result.teacher_info:
        columns.append("name")
    if several:
        columns.append("school")
    if result.teacher_groups is not None:
        columns.append("group")
    head = "".join(f"<th>{_e(text(name, lang))}</th>" for name in columns)
    head += f"<th>{_e(text('status', lang))}</th><th>{_e(text('failed_rules', lang))}</th>"
    yield f'<table class="teachers"><thead><tr>{head}</tr></thead><tbody>'
    yield from _teacher_rows(result, listing, lang, schools if several else None)
    yield "</tbody></table>"


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


def _check_lang(lang: str) -> None:
    if lang not in ("zh", "en"):
        raise Ability2Error(msg("lang.unknown", lang=str(lang), langs=("zh", "en")))


def iter_html(
    result: Result, lang: str = "zh", *, max_teachers: int | None = None, max_schools: int | None = None
) -> Iterator[str]:
    """The report in pieces (joined, :func:`render_html`'s page); rows a slice at a time.

    ``max_teachers`` and ``max_schools`` cap the rows listed (see the module docstring and
    :func:`plan_html`). Raises :class:`~ability2.errors.Ability2Error` for an unknown
    language or a cap that is not a whole number 0 or more, before anything is yielded.
    """
    _check_lang(lang)
    plan = plan_html(result, max_teachers=max_teachers, max_schools=max_schools)
    return _pieces(result, lang, plan)


def _pieces(result: Result, lang: str, plan: HtmlPlan) -> Iterator[str]:
    region = region_title(result, lang)
    title = f"{text('report_title', lang)} · {region} · {result.on}"
    html_lang = "en" if lang == "en" else "zh-CN"
    yield (
        f'<!DOCTYPE html>\n<html lang="{html_lang}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
    )
    yield f"<h1>{_e(text('report_title', lang))}</h1>\n"
    yield f'<p class="meta">{_e(text("region", lang))}: <b>{_e(region)}</b> · {_e(text("on", lang))}: <b>{_e(result.on)}</b></p>\n'
    statements = plan.statements(lang)
    if statements:
        paragraphs = "".join(f"<p>{_e(sentence)}</p>" for sentence in statements)
        yield f'<section class="card omitted"><h3>{_e(text("omitted_title", lang))}</h3>{paragraphs}</section>\n'
    yield f"<h2>{_e(text('status_counts', lang))}</h2>\n"
    yield _counts(result, lang) + "\n"
    yield _unchecked(result, lang) + "\n"
    yield f"<h2>{_e(text('sheet_schools', lang))}</h2>\n"
    if not plan.schools.complete:
        yield _omitted(plan.schools.statement(lang))
    yield from _school_cards(result, plan.schools, lang)
    yield "\n"
    official = summary_table_title(result.policy, lang)
    if official is not None:  # only where the region's documents define the table (兖州's 附件2), as in the workbook
        yield f"<h2>{_e(official)}</h2>\n"
        if not plan.schools.complete:
            yield _omitted(
                text("omitted_summary", lang).format(listed=f"{plan.schools.listed:,}", total=f"{plan.schools.total:,}")
            )
        yield _summary(result, plan.schools, lang) + "\n"
    yield f"<h2>{_e(text('sheet_groups', lang))}</h2>\n"
    if not plan.groups.complete:
        yield _omitted(plan.groups.statement(lang))
    yield _groups(result, plan.groups, lang) + "\n"
    yield f"<h2>{_e(text('sheet_teachers', lang))}</h2>\n"
    if not plan.teachers.complete:
        yield _omitted(plan.teachers.statement(lang))
    yield from _teachers(result, plan.teachers, lang)
    yield "\n"
    yield f"<h2>{_e(text('sheet_sources', lang))}</h2>\n"
    yield _sources(result, lang) + "\n"
    yield f"<footer>{_e(text('generated', lang))} · {_e(result.region)} · {_e(result.on)}</footer>"
    yield "\n</body>\n</html>\n"


def write_html(
    result: Result,
    handle: TextIO,
    lang: str = "zh",
    *,
    max_teachers: int | None = None,
    max_schools: int | None = None,
) -> HtmlPlan:
    """Write the report to ``handle`` as it is rendered; returns what it lists (:func:`plan_html`)."""
    _check_lang(lang)
    plan = plan_html(result, max_teachers=max_teachers, max_schools=max_schools)
    for piece in _pieces(result, lang, plan):
        handle.write(piece)
    return plan


def render_html(
    result: Result, lang: str = "zh", *, max_teachers: int | None = None, max_schools: int | None = None
) -> str:
    """The whole report as one self-contained, printable HTML page (see :func:`iter_html` for the caps)."""
    return "".join(iter_html(result, lang, max_teachers=max_teachers, max_schools=max_schools))
