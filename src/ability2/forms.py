"""Scoring forms (考核表) as contract §3.4 shows them, and filling one in.

A form's sections add up to its total (checked at load). Filling takes one score per item
(self-check and evaluator), gives the total and whether it reaches the pass line; across
schools, :func:`rank_excellent` applies the form's cap on excellent schools.

Three readings of a form are switches of the policy (:class:`FormReadings`, from the rules
``scoring.excellent_schools``, ``scoring.parts`` and ``scoring.excellent_cap_of``, which a
policy file states and a what-if changes):

* which schools are 优秀: ``top_ranked`` (the default) takes the top-ranked passing schools
  up to the cap; ``cap_only`` reads the form as stating only the cap, so no school is rated
  优秀 by the tool (the bureau chooses within the cap);
* an item with parts whose points follow from several checks (the 三种环境 item): by default
  ``all_or_nothing`` (full points when every check holds, else 0); ``by_part`` gives each
  check holding an equal share of the points;
* what the cap's 总数 counts: ``batch`` (the default), the schools scored together;
  ``district``, the district's number of schools, which the caller gives
  (``district_schools``; ``ability2 form --district-schools N``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import attrs

from ability2.converting import kind_of, quoted, said, shown_value
from ability2.errors import Ability2Error, ProblemListError
from ability2.messages import Message, msg
from ability2.policy import Policy, ResolvedRule
from ability2.rules.values import ScoringForm

__all__ = [
    "FilledForm",
    "FormReadings",
    "fill_form",
    "form_to_dict",
    "forms",
    "load_scores",
    "prefill",
    "rank_excellent",
    "score_schools",
]


@attrs.frozen
class FormReadings:
    """How a scoring form's silent points are read (see the module docstring); defaults keep the plain reading."""

    excellent: str = "top_ranked"
    parts: str = "all_or_nothing"
    cap_of: str = "batch"
    district_schools: int | None = None

    @classmethod
    def of(cls, policy: Policy | None, district_schools: int | None = None) -> FormReadings:
        """The readings a policy states (the defaults for what it does not state)."""
        if district_schools is not None and (
            isinstance(district_schools, bool) or not isinstance(district_schools, int) or district_schools < 1
        ):
            raise Ability2Error(msg("forms.district_schools", value=repr(district_schools)))

        def read(rule_id: str, default: str) -> str:
            value = policy.value(rule_id) if policy is not None else None
            return default if value is None else str(value)

        return cls(
            read("scoring.excellent_schools", "top_ranked"),
            read("scoring.parts", "all_or_nothing"),
            read("scoring.excellent_cap_of", "batch"),
            district_schools,
        )


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
    from ability2.converting import exact_number

    if not isinstance(scores, Mapping):
        raise Ability2Error(msg("forms.scores_not_mapping", kind=kind_of(scores)))
    problems: list[Message] = []
    filled: dict[tuple[str, str], Fraction] = {}
    sections = {section.name: section for section in form.sections}
    for name in scores:
        if name not in sections:
            problems.append(msg("forms.unknown_section", section=name, sections=tuple(quoted(s) for s in sections)))
    for section in form.sections:
        given = scores.get(section.name, {})
        if not isinstance(given, Mapping):
            problems.append(msg("forms.section_not_mapping", section=section.name, kind=kind_of(given)))
            continue
        items = {item.name: item for item in section.items}
        for item_name in given:
            if item_name not in items:
                problems.append(msg("forms.unknown_item", section=section.name, item=item_name))
        for item in section.items:
            if item.name not in given:
                problems.append(msg("forms.no_score", section=section.name, item=item.name))
                continue
            try:
                value = exact_number(given[item.name])
            except (TypeError, ValueError) as exc:
                problems.append(
                    msg(
                        "forms.not_a_number",
                        section=section.name,
                        item=item.name,
                        value=shown_value(given[item.name]),
                        said=said(exc),
                    )
                )
                continue
            if not 0 <= value <= item.points:
                problems.append(
                    msg("forms.outside", section=section.name, item=item.name, value=str(value), points=item.points)
                )
                continue
            filled[(section.name, item.name)] = value
    if problems:
        raise ProblemListError(msg("forms.rejected"), problems)
    total = sum(filled.values(), Fraction(0))
    passed = None
    if form.pass_min is not None and form.pass_bound is not None:
        passed = form.pass_bound.holds(total, form.pass_min)
    return FilledForm(form, filled, total, passed)


def rank_excellent(
    form: ScoringForm, totals: Sequence[tuple[str, Fraction]], readings: FormReadings | None = None
) -> dict[str, str]:
    """Grade schools by their totals under the form's pass line and excellent cap.

    Schools are ranked by total; at most ``excellent_cap`` of all schools (by its boundary
    word: 以内 includes the number) may be excellent, taken from the top among those that
    pass. Ties at the cap's edge are not split: if taking every school tied with the last
    place would break the cap, none of the tied schools is excellent. Returns
    ``{school: "excellent" | "pass" | "fail"}``. ``readings`` switches the two readings of
    the cap: ``cap_only`` rates no school 优秀; ``district`` counts the cap over the
    district's number of schools instead of the schools given.
    """
    readings = readings or FormReadings()
    grades: dict[str, str] = {}
    for school, total in totals:
        passed = (
            form.pass_bound.holds(total, form.pass_min)
            if form.pass_min is not None and form.pass_bound is not None
            else True
        )
        grades[school] = "pass" if passed else "fail"
    if form.excellent_cap is None or form.excellent_cap_bound is None or readings.excellent == "cap_only":
        return grades
    ranked = sorted((t for t in totals if grades[t[0]] == "pass"), key=lambda t: t[1], reverse=True)
    count = len(totals)
    if readings.cap_of == "district":
        if readings.district_schools is None:
            raise Ability2Error(msg("forms.district_needed"))
        if readings.district_schools < count:
            raise Ability2Error(msg("forms.district_too_few", district=readings.district_schools, count=count))
        count = readings.district_schools
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


def prefill(
    form: ScoringForm, result: Any, readings: FormReadings | None = None
) -> dict[str, dict[str, dict[str, Fraction]]]:
    """Scores that follow from an evaluation: ``{school: {section: {item: points}}}``.

    An item that names school checks (``rules``) gets full points when every one of them
    holds for the school, else 0 (``readings.parts == "by_part"``: an equal share of its
    points for each check that holds). Items naming no checks, or checks the evaluation did
    not make, are left out: they need a reviewer's score.
    """
    by_part = readings is not None and readings.parts == "by_part"
    columns = {column.rule: column for column in result.school_columns}
    out: dict[str, dict[str, dict[str, Fraction]]] = {}
    for index, school in enumerate(result.school_names):
        scores: dict[str, dict[str, Fraction]] = {}
        for section in form.sections:
            for item in section.items:
                if not item.rules or not all(rule in columns for rule in item.rules):
                    continue
                holding = sum(bool(columns[rule].ok[index]) for rule in item.rules)
                if by_part:
                    points = Fraction(item.points * holding, len(item.rules))
                else:
                    points = Fraction(item.points if holding == len(item.rules) else 0)
                scores.setdefault(section.name, {})[item.name] = points
        out[school] = scores
    return out


def load_scores(path: str) -> dict[str, dict[str, dict[str, Any]]]:
    """Read scores from YAML: ``schools: {school: {section: {item: points}}}``.

    An item's points may be a number (the assessors' score, 评估得分) or a mapping
    ``{self: x, evaluator: y}`` with the school's self-check score (自查得分) beside it.
    """
    from ability2.loading import read_source_text
    from ability2.yamlio import read_yaml

    text, name = read_source_text(path)
    data = read_yaml(text, name).data
    if not isinstance(data, dict) or set(data) != {"schools"} or not isinstance(data["schools"], dict):
        raise Ability2Error(msg("forms.file_shape", file=name))
    schools: dict[str, dict[str, dict[str, Any]]] = {}
    for school, sections in data["schools"].items():
        if not isinstance(sections, dict) or not all(isinstance(items, dict) for items in sections.values()):
            raise Ability2Error(msg("forms.school_shape", file=name, school=str(school)))
        schools[str(school)] = {str(section): dict(items) for section, items in sections.items()}
    return schools


def _number(value: Fraction) -> int | float:
    return int(value) if value.denominator == 1 else float(value)


def _merge(*sources: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    for source in sources:
        for section, items in source.items():
            merged.setdefault(section, {}).update(items)
    return merged


def _split_scores(
    sections: Mapping[str, Mapping[str, Any]],
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Assessors' and self-check scores from a school's entries (a number is the assessors')."""
    assessed: dict[str, dict[str, Any]] = {}
    selfcheck: dict[str, dict[str, Any]] = {}
    if not isinstance(sections, Mapping):
        raise Ability2Error(msg("forms.sections_not_mapping", kind=kind_of(sections)))
    for section, items in sections.items():
        if not isinstance(items, Mapping):
            raise Ability2Error(msg("forms.section_not_mapping", section=str(section), kind=kind_of(items)))
        for item, value in items.items():
            if isinstance(value, Mapping):
                unknown = set(value) - {"self", "evaluator"}
                if unknown:
                    raise Ability2Error(
                        msg(
                            "forms.unknown_keys",
                            section=str(section),
                            item=str(item),
                            keys=tuple(quoted(k) for k in sorted(unknown, key=str)),
                        )
                    )
                if "evaluator" in value:
                    assessed.setdefault(section, {})[item] = value["evaluator"]
                if "self" in value:
                    selfcheck.setdefault(section, {})[item] = value["self"]
            else:
                assessed.setdefault(section, {})[item] = value
    return assessed, selfcheck


def _of_school(school: str | Message, exc: Ability2Error) -> list[Message]:
    """Each problem of one school's scores, prefixed with the school."""
    found = exc.problems if isinstance(exc, ProblemListError) else (exc.message,)
    return [msg("forms.of_school", school=school, said=problem) for problem in found]


def score_schools(
    form: ScoringForm,
    scores: Mapping[str, Mapping[str, Mapping[str, Any]]],
    prefilled: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None,
    readings: FormReadings | None = None,
) -> list[dict[str, Any]]:
    """Fill the form for every school (given scores win over pre-filled ones) and grade them (see :func:`rank_excellent`)."""
    prefilled = prefilled or {}
    if not isinstance(scores, Mapping):
        raise Ability2Error(msg("forms.schools_not_mapping", kind=kind_of(scores)))
    rows = []
    filled_forms: list[tuple[str, FilledForm]] = []
    self_totals: dict[str, Fraction | None] = {}
    bases: dict[str, str] = {}
    problems: list[Message] = []
    split = {}
    chosen_by_school: dict[str, dict[str, dict[str, Any]]] = {}
    for school, sections in scores.items():
        try:
            split[school] = _split_scores(sections)
        except Ability2Error as exc:
            problems.extend(_of_school(school, exc))
    for school in dict.fromkeys([*scores, *prefilled]):
        assessed, selfcheck = split.get(school, ({}, {}))
        # the assessors' scores (评估得分) count; a school with only self-check scores is
        # scored on them, and the row says so
        bases[school] = "evaluator" if assessed or not selfcheck else "self"
        chosen = assessed if bases[school] == "evaluator" else selfcheck
        chosen_by_school[school] = chosen
        try:
            filled_forms.append((school, fill_form(form, _merge(prefilled.get(school, {}), chosen))))
        except Ability2Error as exc:
            problems.extend(_of_school(school, exc))
        self_totals[school] = None
        if selfcheck:
            try:
                self_totals[school] = fill_form(form, _merge(prefilled.get(school, {}), selfcheck)).total
            except Ability2Error as exc:
                problems.extend(_of_school(msg("forms.self_check", school=school), exc))
    if problems:
        raise ProblemListError(msg("forms.rejected"), problems)
    scores = chosen_by_school
    grades = rank_excellent(form, [(school, filled.total) for school, filled in filled_forms], readings)
    for school, filled in filled_forms:
        rows.append(
            {
                "school": school,
                "total": _number(filled.total),
                "basis": bases[school],
                "self_total": None if self_totals.get(school) is None else _number(self_totals[school]),  # type: ignore[arg-type]
                "passed": filled.passed,
                "grade": grades[school],
                "sections": {section.name: float(filled.section_total(section.name)) for section in form.sections},
                "prefilled": sorted(
                    {
                        f"{s} / {i}"
                        for s, items in prefilled.get(school, {}).items()
                        for i in items
                        if i not in scores.get(school, {}).get(s, {})
                    }
                ),
                # given scores win, but a reader must see where they contradict the roster
                "overrides": sorted(
                    f"{s} / {i}: {scores[school][s][i]} given, {v} from the roster"
                    for s, items in prefilled.get(school, {}).items()
                    for i, v in items.items()
                    if i in scores.get(school, {}).get(s, {}) and Fraction(str(scores[school][s][i])) != v
                ),
            }
        )
    return rows
