"""YAML test cases for regional plugins: expected rules, boundary checks, expected errors."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from typing import Any

import attrs

from ability2.converting import did_you_mean, iter_problems, make_converter, parse_share, said, shown_value
from ability2.errors import Ability2Error, CaseFileError, PolicyFileError, Problem
from ability2.loading import SourceLike, read_source_text
from ability2.messages import Message, msg
from ability2.registry import Registry
from ability2.rules.catalogue import RuleSpec
from ability2.yamlio import read_yaml

__all__ = ["Case", "CaseFile", "Check", "load_cases", "run_case"]


@attrs.define
class Check:
    """``{rule, value, ok}``: the value checked against the rule's limit gives ``ok``."""

    rule: str
    value: Any
    ok: bool


@attrs.define
class Case:
    """One case: a region and date, and what its policy must (not) hold."""

    name: str
    region: str
    on: dt.date
    expect_rules: dict[str, dict[str, Any]] = attrs.Factory(dict)
    expect_absent: list[str] = attrs.Factory(list)
    #: rules a lower layer sets aside: ``{rule id: {layer: <ancestor>, by: <region>}}``
    expect_superseded: dict[str, dict[str, Any]] = attrs.Factory(dict)
    checks: list[Check] = attrs.Factory(list)
    expect_error: str | None = None
    source: str | None = None
    line: int | None = attrs.field(default=None, init=False)


@attrs.define
class CaseFile:
    """A case file: ``cases: [...]``."""

    cases: list[Case]


_CONVERTER = make_converter()


def load_cases(source: SourceLike) -> list[Case]:
    """Read a case file; raises :class:`~ability2.errors.CaseFileError` naming file, key path and line.

    :class:`~ability2.errors.CaseFileError` is a :class:`PolicyFileError` whose message says
    that the file is a test-case file.
    """
    try:
        text, name = read_source_text(source)
        doc = read_yaml(text, name)
    except CaseFileError:
        raise
    except PolicyFileError as exc:  # not readable, not YAML, past a limit
        raise CaseFileError(exc.problems, exc.problems[0].file if exc.problems else str(source)) from None
    try:
        case_file = _CONVERTER.structure(doc.data, CaseFile)
    except Exception as exc:
        problems = [doc.problem(p, m) for p, m in iter_problems(exc)] or [Problem(name, "", said(exc))]
        raise CaseFileError(problems, name) from None
    for index, case in enumerate(case_file.cases):
        case.line = doc.line_of(("cases", index))
        if case.expect_error is not None and (
            case.expect_rules or case.expect_absent or case.checks or case.expect_superseded
        ):
            raise CaseFileError([doc.problem(("cases", index), msg("case.error_alone"))], name)
    return list(case_file.cases)


def _expected_value(spec: RuleSpec, data: Any) -> Any:
    """A case's expected number read like the policy file's (``50%`` is 1/2)."""
    value_type = spec.value_type
    if value_type.bounded:
        return value_type.parse(data, None)  # type: ignore[arg-type]  # numeric readers need no context
    return data


def _same_value(spec: RuleSpec, expected: Any, actual: Any) -> bool:
    if spec.value_type.bounded and isinstance(actual, int | Fraction) and not isinstance(actual, bool):
        return Fraction(_expected_value(spec, expected)) == Fraction(actual)
    actual_json = spec.value_type.to_json(actual)
    if spec.type_name == "steps" and isinstance(expected, list):
        # the policy-file shape: a list of step names or step mappings
        steps = actual_json["steps"]
        wanted = [{"name": item} if isinstance(item, str) else item for item in expected]
        return len(wanted) == len(steps) and all(_subset(w, a) for w, a in zip(wanted, steps, strict=True))
    if isinstance(expected, dict) and isinstance(actual_json, dict):
        return all(_subset(value, actual_json.get(key)) for key, value in expected.items())
    return bool(_subset(expected, actual_json))


def _subset(expected: Any, actual: Any) -> bool:
    if isinstance(expected, dt.date):
        expected = expected.isoformat()
    if isinstance(expected, dict) and isinstance(actual, dict):
        return all(_subset(v, actual.get(k)) for k, v in expected.items())
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(_subset(e, a) for e, a in zip(expected, actual, strict=True))
    if isinstance(expected, str) and expected.endswith("%") and isinstance(actual, int | float):
        return parse_share(expected) == Fraction(str(actual))
    return bool(expected == actual)


def _unknown_rule(rule_id: str, registry: Registry) -> Message | None:
    """``unknown rule 'x'; did you mean ...`` when no rule spec matches ``rule_id``, else None.

    A misspelled id is a mistake in the case, not a rule missing from the policy; and an
    ``expect_absent`` of a misspelled id would pass whatever the policy holds.
    """
    if registry.catalogue.find(rule_id) is not None:
        return None
    known = [spec.id for spec in registry.catalogue if not spec.family]
    return msg("case.unknown_rule", rule=rule_id, hint=did_you_mean(rule_id, known))


def run_case(case: Case, registry: Registry) -> list[str]:
    """Run one case; returns the failures (empty when the case passes), in the current language."""
    return [str(failure) for failure in _failures(case, registry)]


def _failures(case: Case, registry: Registry) -> list[Message]:
    """Each failure of ``case`` as a message."""
    failures: list[Message] = []
    try:
        policy = registry.policy(case.region, on=case.on)
    except Ability2Error as exc:
        if case.expect_error and type(exc).__name__ == case.expect_error:
            return []
        return [msg("case.raised", region=case.region, on=str(case.on), error=type(exc).__name__, detail=exc.message)]
    if case.expect_error:
        return [msg("case.no_error", expected=case.expect_error, region=case.region, on=str(case.on))]
    named = [*case.expect_rules, *case.expect_absent, *case.expect_superseded, *(check.rule for check in case.checks)]
    unknown = {rule_id: message for rule_id in named if (message := _unknown_rule(rule_id, registry)) is not None}
    failures.extend(msg("case.about", rule=rule_id, said=message) for rule_id, message in unknown.items())
    for rule_id, fields in case.expect_rules.items():
        rule = policy.get(rule_id)
        if rule_id in unknown:
            continue
        if rule is None:
            failures.append(msg("case.missing", rule=rule_id, region=policy.region.id, on=str(policy.on)))
            continue
        for field, expected in (fields or {}).items():
            if field == "value":
                if not _same_value(rule.spec, expected, rule.value):
                    failures.append(
                        msg("case.value", rule=rule_id, actual=_value_of(rule), expected=shown_value(expected))
                    )
            elif field == "bound":
                if (rule.bound.word if rule.bound else None) != expected:
                    failures.append(
                        msg(
                            "case.field",
                            rule=rule_id,
                            field="bound",
                            actual=str(rule.bound),
                            expected=shown_value(expected),
                        )
                    )
            elif field == "basis":
                if rule.basis != expected:
                    failures.append(
                        msg(
                            "case.field", rule=rule_id, field="basis", actual=rule.basis, expected=shown_value(expected)
                        )
                    )
            elif field == "layer":
                if rule.layer != expected:
                    failures.append(
                        msg(
                            "case.field", rule=rule_id, field="layer", actual=rule.layer, expected=shown_value(expected)
                        )
                    )
            elif field == "replaces":
                replaced = rule.overridden[0][0] if rule.overridden else None
                if replaced != expected:
                    failures.append(
                        msg(
                            "case.field",
                            rule=rule_id,
                            field="replaces",
                            actual=replaced,
                            expected=shown_value(expected),
                        )
                    )
            else:
                failures.append(
                    msg(
                        "case.unknown_expectation",
                        rule=rule_id,
                        field=field,
                        known="value, bound, basis, layer, replaces",
                    )
                )
    for rule_id in case.expect_absent:
        if rule_id not in unknown and rule_id in policy:
            failures.append(
                msg("case.not_absent", rule=rule_id, actual=_value_of(policy[rule_id]), layer=policy[rule_id].layer)
            )
    superseded = {item.id: item for item in policy.superseded}
    for rule_id, fields in case.expect_superseded.items():
        item = superseded.get(rule_id)
        if rule_id in unknown:
            continue
        if item is None:
            failures.append(msg("case.not_superseded", rule=rule_id, region=policy.region.id, on=str(policy.on)))
            continue
        for field, expected in (fields or {}).items():
            actual = {"layer": item.layer, "by": item.by}.get(field)
            if field not in ("layer", "by"):
                failures.append(msg("case.unknown_expectation", rule=rule_id, field=field, known="layer, by"))
            elif actual != expected:
                failures.append(
                    msg(
                        "case.field",
                        rule=rule_id,
                        field=field,
                        actual=shown_value(actual),
                        expected=shown_value(expected),
                    )
                )
    for check in case.checks:
        rule = policy.get(check.rule)
        if check.rule in unknown:
            continue
        if rule is None:
            failures.append(msg("case.check_no_rule", rule=check.rule))
            continue
        if rule.bound is None or not rule.bound.comparable:
            failures.append(msg("case.check_not_limit", rule=check.rule))
            continue
        value = _expected_value(rule.spec, check.value)
        got = rule.holds(value)
        if got != check.ok:
            failures.append(
                msg(
                    "case.check",
                    rule=check.rule,
                    value=shown_value(check.value),
                    limit=_value_of(rule),
                    got=shown_value(got),
                    expected=shown_value(check.ok),
                )
            )
    return failures


def _value_of(rule: Any) -> str:
    """A rule's value as a reader of the current language writes it."""
    from ability2.messages import current_language

    return str(rule.describe_value(current_language()))
