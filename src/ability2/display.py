"""Rich display in Jupyter: compact HTML tables for policies, results, explanations and comparisons.

Every display speaks one language: Chinese by default, English with ``lang="en"`` (each
function here takes it), or for every display of a session with
:func:`set_display_language`. Sources are shown, not only hovered: a screenshot, an exported
notebook or a printout keeps them. A ✓ or ✗ never wraps away from the rule it marks.
Plain ``repr`` stays one line.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from ability2.i18n import LANGUAGES, entity_status_label, status_label

if TYPE_CHECKING:
    from ability2.comparison import Comparison
    from ability2.policy import Policy
    from ability2.result import Explanation, Result

__all__ = [
    "comparison_html",
    "display_language",
    "explanation_html",
    "policy_html",
    "result_html",
    "set_display_language",
]

_STYLE = (
    "<style>.a2 td,.a2 th{padding:2px 8px;text-align:left;vertical-align:top}.a2 .ok{color:#17803d}"
    ".a2 .no{color:#b42318}.a2 .wait{color:#9a6700}.a2 .mark{white-space:nowrap}.a2 small{color:#555}</style>"
)

#: the words of the displays: (Chinese, English)
_WORDS: dict[str, tuple[str, str]] = {
    "rule": ("规则", "rule"),
    "title": ("含义", "meaning"),
    "value": ("取值", "value"),
    "layer": ("层级", "layer"),
    "source": ("依据", "source"),
    "on": ("日期", "on"),
    "rules": ("条规则", "rules"),
    "school": ("学校", "school"),
    "teachers": ("教师", "teachers"),
    "teacher": ("教师", "teacher"),
    "pass_rate": ("合格率", "pass rate"),
    "excellent_rate": ("优秀率", "excellent rate"),
    "status": ("结论", "status"),
    "checks": ("考核指标", "checks"),
    "finding": ("说明", "finding"),
    "failing": ("未通过或待评的教师（前 {n} 名）", "failing or pending teachers (first {n})"),
    "policies": ("项政策", "policies"),
    "policy": ("政策", "policy"),
    "checks_failed": ("未达标指标", "checks failed"),
    "baseline": ("相对基准", "against the baseline"),
    "winners": ("改善", "winners"),
    "losers": ("变差", "losers"),
    "schools_changed": ("学校结论变化", "schools changed"),
    "differ": ("不同的规则", "rules that differ"),
    "none": ("无", "none"),
}


def set_display_language(lang: str) -> None:
    """Make every later display (``_repr_html_``) and message speak ``lang``: ``zh`` (default) or ``en``.

    One setting for the process: error messages (:mod:`ability2.messages`) follow it too,
    except inside a :func:`ability2.messages.language` block.
    """
    from ability2.messages import set_process_language

    set_process_language(lang)


def display_language() -> str:
    """The language displays speak when not told (see :func:`set_display_language`)."""
    from ability2.messages import process_language

    return process_language()


def _word(key: str, lang: str) -> str:
    pair = _WORDS[key]
    return pair[1] if lang == "en" else pair[0]


def _lang(lang: str | None) -> str:
    chosen = lang or display_language()
    if chosen not in LANGUAGES:
        raise ValueError(f"unknown language {chosen!r}; use one of {', '.join(LANGUAGES)}")
    return chosen


def _e(value: Any) -> str:
    return html.escape(str(value))


def _mark(ok: bool, *, pending: bool = False) -> str:
    if pending:  # not decided yet: neither a pass nor a failure
        return "<span class='mark wait'>…</span>"
    return f"<span class='mark {'ok' if ok else 'no'}'>{'✓' if ok else '✗'}</span>"


def _heads(*keys: str, lang: str) -> str:
    return "<tr>" + "".join(f"<th>{_e(_word(key, lang))}</th>" for key in keys) + "</tr>"


def policy_html(policy: Policy, lang: str | None = None) -> str:
    """A policy as a table: rule, meaning, value, layer, source (in ``lang``; default: the display language)."""
    lang = _lang(lang)
    rows = "".join(
        f"<tr><td><code>{_e(rule.id)}</code></td><td>{_e(rule.spec.title if lang == 'zh' else rule.spec.title_en)}</td>"
        f"<td>{_e(rule.describe_value(lang))}</td><td>{_e(rule.layer)}</td><td><small>{_e(rule.source)}</small></td></tr>"
        for rule in policy
    )
    chain = " → ".join(region.id for region in policy.chain)
    return (
        f"{_STYLE}<div class='a2'><p><b>{_e(policy.name)}</b> ({_e(policy.region.name)}) · {_e(_word('on', lang))} "
        f"{policy.on} · {_e(chain)} · {len(policy)} {_e(_word('rules', lang))}</p>"
        f"<table>{_heads('rule', 'title', 'value', 'layer', 'source', lang=lang)}{rows}</table></div>"
    )


def explanation_html(explanation: Explanation, lang: str | None = None) -> str:
    """Why one teacher got their status: every rule's verdict, finding, layer and source, shown."""
    lang = _lang(lang or explanation.lang)
    rows = "".join(
        f"<tr><td>{_mark(r.ok)}</td><td><code>{_e(r.rule)}</code></td><td>{_e(r.message)}</td>"
        f"<td>{_e(r.layer)}</td><td><small>{_e(r.source)}</small></td></tr>"
        for r in explanation.reasons
    )
    where = explanation.school + (f" · {explanation.group}" if explanation.group else "")
    return (
        f"{_STYLE}<div class='a2'><p><b>{_e(explanation.teacher_id)}</b> ({_e(where)}): "
        f"<b>{_e(status_label(explanation.status, lang))}</b> · {_e(explanation.region)} · {_e(explanation.on)}</p>"
        f"<table><tr><th></th><th>{_e(_word('rule', lang))}</th><th>{_e(_word('finding', lang))}</th>"
        f"<th>{_e(_word('layer', lang))}</th><th>{_e(_word('source', lang))}</th></tr>{rows}</table></div>"
    )


def result_html(result: Result, limit: int = 20, lang: str | None = None) -> str:
    """A result: status counts, the schools with their checks, the first failing teachers."""
    lang = _lang(lang)
    counts = result.status_counts()
    summary = " · ".join(f"{status_label(k, lang)} {v}" for k, v in counts.items())
    school_rows = []
    for i, name in enumerate(result.school_names):
        checks = "<br>".join(
            f"<span class='mark {'ok' if r.ok else 'no'}'>{'✓' if r.ok else '✗'} <code>{_e(r.rule)}</code></span> "
            f"<small>{_e(r.message)}</small>"
            for r in result.school_checks(i, lang)
        )
        row = result._school_row(i, with_checks=False)
        school_rows.append(
            f"<tr><td>{_e(name)}</td><td>{row['teachers']}</td><td>{row['pass_rate'] * 100:.1f}%</td>"
            f"<td>{row['excellent_rate'] * 100:.1f}%</td><td>{_e(entity_status_label(row['status'], lang))}</td>"
            f"<td>{checks or _e(_word('none', lang))}</td></tr>"
        )
    failing = [i for i, s in enumerate(result.status) if s in ("fail", "pending")][:limit]
    teacher_rows = "".join(
        f"<tr><td>{_e(result.teacher_ids[i])}</td><td>{_e(status_label(result.status[i], lang))}</td><td>"
        + "<br>".join(
            f"{_mark(r.ok, pending=r.ok)} {_e(r.message)} <small>{_e(r.source)}</small>"
            for r in result._open_reasons_at(i, lang)
        )
        + "</td></tr>"
        for i in failing
    )
    heads = _heads("school", "teachers", "pass_rate", "excellent_rate", "status", "checks", lang=lang)
    failing_title = _word("failing", lang).format(n=len(failing))
    return (
        f"{_STYLE}<div class='a2'><p><b>{_e(result.region)}</b> · {_e(_word('on', lang))} {_e(result.on)} · "
        f"{_e(_word('teachers', lang))} {len(result)} · {_e(summary)}</p>"
        f"<table>{heads}{''.join(school_rows)}</table>"
        + (f"<p>{_e(failing_title)}</p><table>{teacher_rows}</table>" if failing else "")
        + "</div>"
    )


def comparison_html(comparison: Comparison, lang: str | None = None) -> str:
    """A comparison: the school table per policy, the deltas, the rules that differ."""
    lang = _lang(lang)
    table = comparison.school_table()
    school_rows = "".join(
        f"<tr><td>{_e(r.policy)}</td><td>{_e(r.school)}</td><td>{r.teachers}</td><td>{r.pass_rate * 100:.1f}%</td>"
        f"<td>{r.excellent_rate * 100:.1f}%</td><td>{r.checks_failed}</td><td>{_e(entity_status_label(r.status, lang))}</td></tr>"
        for r in table.itertuples()
    )
    deltas = comparison.deltas()
    delta_rows = "".join(
        f"<tr><td>{_e(r.policy)}</td><td>{r.winners}</td><td>{r.losers}</td><td>{_e(';'.join(r.schools_changed) or '—')}</td></tr>"
        for r in deltas.itertuples()
    )
    rules = comparison.policy_table(lang=lang)
    differing = rules[rules["differs"]]
    head = "".join(f"<th>{_e(label)}</th>" for label in comparison.labels)
    rule_rows = "".join(
        "<tr><td><code>"
        + _e(row["rule"])
        + "</code></td>"
        + "".join(f"<td>{_e(row[label] or '—')}</td>" for label in comparison.labels)
        + "</tr>"
        for _, row in differing.iterrows()
    )
    schools = _heads(
        "policy", "school", "teachers", "pass_rate", "excellent_rate", "checks_failed", "status", lang=lang
    )
    baseline = (
        f"<p>{_e(_word('baseline', lang))} <b>{_e(comparison.baseline.name)}</b></p><table>"
        f"{_heads('policy', 'winners', 'losers', 'schools_changed', lang=lang)}{delta_rows}</table>"
    )
    return (
        f"{_STYLE}<div class='a2'><p><b>{len(comparison.policies)} {_e(_word('policies', lang))}</b> · "
        f"{_e(_word('teachers', lang))} {len(comparison.results[0])}</p>"
        f"<table>{schools}{school_rows}</table>"
        + (baseline if len(comparison.policies) > 1 else "")
        + f"<p>{_e(_word('differ', lang))}</p><table><tr><th>{_e(_word('rule', lang))}</th>{head}</tr>{rule_rows}</table></div>"
    )
