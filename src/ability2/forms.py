"""Scoring forms (考核表) as contract §3.4 shows them, and filling one in.

A form's sections add up to its total (checked at load). Filling takes one score per item
(self-check and evaluator), gives the total and whether it reaches the pass line; across
schools, :func:`rank_excellent` applies the form's cap on excellent schools.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import attrs

from ability2.errors import Ability2Error
from ability2.policy import Policy, ResolvedRule
from ability2.rules.values import ScoringForm

__all__ = ["FilledForm", "fill_form", "form_to_dict", "forms", "rank_excellent"]


def form_to_dict(rule: ResolvedRule, form: ScoringForm) -> dict[str, Any]:
    """``{"id", "name", "total", "pass_min", "source", "sections": [...]}`` (contract §3.4)."""
    return {
        "id": rule.id.removeprefix("form."),
        "rule": rule.id,
        "name": form.name,
        "total": form.total,
        "pass_min": form.pass_min,
        "pass_bound": form.pass_bound.word if form.pass_bound else None,
        "excellent_cap": float(form.excellent_cap) if form.excellent_cap is not None else None,
        "excellent_cap_bound": form.excellent_cap_bound.word if form.excellent_cap_bound else None,
        "source": rule.source,
        "layer": rule.layer,
        "sections": [
            {
                "name": section.name,
                "points": section.points,
                "items": [
                    {
                        "name": item.name,
                        "points": item.points,
                        "criterion": item.criterion,
                        "parts": [part.name for part in item.parts],
                    }
                    for item in section.items
                ],
            }
            for section in form.sections
        ],
    }


def forms(policy: Policy) -> list[dict[str, Any]]:
    """Every scoring form of the policy, as contract §3.4 lists them."""
    return [form_to_dict(rule, form) for rule, form in policy.forms()]


@attrs.frozen
class FilledForm:
    """A form with scores: per item, per section, the total and the pass verdict."""

    form: ScoringForm
    scores: Mapping[tuple[str, str], Fraction]
    total: Fraction
    passed: bool | None

    def section_total(self, section: str) -> Fraction:
        """The points scored in one section."""
        return sum((v for (s, _), v in self.scores.items() if s == section), Fraction(0))


def fill_form(form: ScoringForm, scores: Mapping[str, Mapping[str, Any]]) -> FilledForm:
    """Score a form: ``scores[section name][item name] = points``.

    Every item must be scored, between 0 and its points; an unknown section or item, a
    missing item or a score out of range is an error listing every problem.
    """
    problems: list[str] = []
    filled: dict[tuple[str, str], Fraction] = {}
    sections = {section.name: section for section in form.sections}
    for name in scores:
        if name not in sections:
            problems.append(f"unknown section {name!r}; the form's sections are {list(sections)}")
    for section in form.sections:
        given = scores.get(section.name, {})
        items = {item.name: item for item in section.items}
        for item_name in given:
            if item_name not in items:
                problems.append(f"{section.name}: unknown item {item_name!r}")
        for item in section.items:
            if item.name not in given:
                problems.append(f"{section.name} / {item.name}: no score given")
                continue
            try:
                value = Fraction(str(given[item.name]))
            except (ValueError, ZeroDivisionError):
                problems.append(f"{section.name} / {item.name}: {given[item.name]!r} is not a number")
                continue
            if not 0 <= value <= item.points:
                problems.append(f"{section.name} / {item.name}: {value} is outside 0..{item.points}")
                continue
            filled[(section.name, item.name)] = value
    if problems:
        raise Ability2Error("form scores rejected:\n  " + "\n  ".join(problems))
    total = sum(filled.values(), Fraction(0))
    passed = None
    if form.pass_min is not None and form.pass_bound is not None:
        passed = form.pass_bound.holds(total, form.pass_min)
    return FilledForm(form, filled, total, passed)


def rank_excellent(form: ScoringForm, totals: Sequence[tuple[str, Fraction]]) -> dict[str, str]:
    """Grade schools by their totals under the form's pass line and excellent cap.

    Schools are ranked by total; at most ``excellent_cap`` of all schools (by its boundary
    word: 以内 includes the number) may be excellent, taken from the top among those that
    pass. Ties at the cap's edge are not split: if taking every school tied with the last
    place would break the cap, none of the tied schools is excellent. Returns
    ``{school: "excellent" | "pass" | "fail"}``.
    """
    grades: dict[str, str] = {}
    for school, total in totals:
        passed = (
            form.pass_bound.holds(total, form.pass_min)
            if form.pass_min is not None and form.pass_bound is not None
            else True
        )
        grades[school] = "pass" if passed else "fail"
    if form.excellent_cap is None or form.excellent_cap_bound is None:
        return grades
    ranked = sorted((t for t in totals if grades[t[0]] == "pass"), key=lambda t: t[1], reverse=True)
    count = len(totals)
    chosen = 0
    index = 0
    while index < len(ranked):
        tie = [t for t in ranked[index:] if t[1] == ranked[index][1]]
        if not form.excellent_cap_bound.holds(Fraction(chosen + len(tie), count), form.excellent_cap):
            break
        for school, _ in tie:
            grades[school] = "excellent"
        chosen += len(tie)
        index += len(tie)
    return grades
