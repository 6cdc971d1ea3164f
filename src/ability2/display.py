"""Rich display in Jupyter: compact HTML tables for policies, results and comparisons.

Sources appear as hover text (``title``) and in a footnote column, so a table stays small
while every value can still say where it comes from. Plain ``repr`` stays one line.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ability2.comparison import Comparison
    from ability2.policy import Policy
    from ability2.result import Result

__all__ = ["comparison_html", "policy_html", "result_html"]

_STYLE = "<style>.a2 td,.a2 th{padding:2px 8px;text-align:left;vertical-align:top}.a2 .ok{color:#17803d}.a2 .no{color:#b42318}</style>"


def _e(value: Any) -> str:
    return html.escape(str(value))


def policy_html(policy: Policy) -> str:
    """A policy as a table: rule, meaning, value, layer; the source on hover and in the last column."""
    rows = "".join(
        f"<tr><td><code>{_e(rule.id)}</code></td><td>{_e(rule.spec.title)}</td><td title='{_e(rule.source)}'>{_e(rule.describe_value())}</td>"
        f"<td>{_e(rule.layer)}</td><td><small>{_e(rule.source)}</small></td></tr>"
        for rule in policy
    )
    chain = " → ".join(region.id for region in policy.chain)
    return (
        f"{_STYLE}<div class='a2'><p><b>{_e(policy.name)}</b> ({_e(policy.region.name)}) on {policy.on} · {_e(chain)} · {len(policy)} rules</p>"
        f"<table><tr><th>rule</th><th>含义</th><th>value</th><th>layer</th><th>source</th></tr>{rows}</table></div>"
    )


def result_html(result: Result, limit: int = 20) -> str:
    """A result: status counts, the schools with their checks, the first failing teachers."""
    counts = result.status_counts()
    summary = " · ".join(f"{k} {v}" for k, v in counts.items())
    school_rows = []
    for i, name in enumerate(result.school_names):
        checks = " ".join(
            f"<span class='{'ok' if r.ok else 'no'}' title='{_e(r.message)} · {_e(r.source)}'>{'✓' if r.ok else '✗'} {_e(r.rule)}</span>"
            for r in result.school_checks(i)
        )
        row = result._school_row(i, with_checks=False)
        school_rows.append(
            f"<tr><td>{_e(name)}</td><td>{row['teachers']}</td><td>{row['pass_rate'] * 100:.1f}%</td><td>{row['excellent_rate'] * 100:.1f}%</td>"
            f"<td>{_e(row['status'])}</td><td>{checks}</td></tr>"
        )
    failing = [i for i, s in enumerate(result.status) if s in ("fail", "pending")][:limit]
    teacher_rows = "".join(
        f"<tr><td>{_e(result.teacher_ids[i])}</td><td>{_e(result.status[i])}</td><td>"
        + "<br>".join(
            f"<span class='no' title='{_e(r.source)}'>{_e(r.message)}</span>" for r in result.reasons(i) if not r.ok
        )
        + "</td></tr>"
        for i in failing
    )
    return (
        f"{_STYLE}<div class='a2'><p><b>{_e(result.region)}</b> on {_e(result.on)} · {len(result)} teachers · {summary}</p>"
        f"<table><tr><th>school</th><th>teachers</th><th>pass rate</th><th>excellent rate</th><th>status</th><th>checks</th></tr>{''.join(school_rows)}</table>"
        + (f"<p>fail or pending (first {len(failing)}):</p><table>{teacher_rows}</table>" if failing else "")
        + "</div>"
    )


def comparison_html(comparison: Comparison) -> str:
    """A comparison: the school table per policy, the deltas, the rules that differ."""
    table = comparison.school_table()
    school_rows = "".join(
        f"<tr><td>{_e(r.policy)}</td><td>{_e(r.school)}</td><td>{r.teachers}</td><td>{r.pass_rate * 100:.1f}%</td>"
        f"<td>{r.excellent_rate * 100:.1f}%</td><td>{r.checks_failed}</td><td>{_e(r.status)}</td></tr>"
        for r in table.itertuples()
    )
    deltas = comparison.deltas()
    delta_rows = "".join(
        f"<tr><td>{_e(r.policy)}</td><td>{r.winners}</td><td>{r.losers}</td><td>{_e(r.schools_changed)}</td></tr>"
        for r in deltas.itertuples()
    )
    rules = comparison.policy_table()
    differing = rules[rules["differs"]]
    head = "".join(f"<th>{_e(label)}</th>" for label in comparison.labels)
    rule_rows = "".join(
        "<tr><td><code>"
        + _e(row["rule"])
        + "</code></td>"
        + "".join(f"<td>{_e(row[label])}</td>" for label in comparison.labels)
        + "</tr>"
        for _, row in differing.iterrows()
    )
    return (
        f"{_STYLE}<div class='a2'><p><b>{len(comparison.policies)} policies</b> on {len(comparison.results[0])} teachers</p>"
        f"<table><tr><th>policy</th><th>school</th><th>teachers</th><th>pass rate</th><th>excellent rate</th><th>checks failed</th><th>status</th></tr>{school_rows}</table>"
        + (
            f"<p>against the baseline <b>{_e(comparison.baseline.name)}</b>:</p><table><tr><th>policy</th><th>winners</th><th>losers</th><th>schools changed</th></tr>{delta_rows}</table>"
            if len(comparison.policies) > 1
            else ""
        )
        + f"<p>rules that differ:</p><table><tr><th>rule</th>{head}</tr>{rule_rows}</table></div>"
    )
